"""Progress reporting and cancellation shared by long engine tasks (detection, fitting) and their GUI workers.

A task takes an optional ``progress`` callback, called with a :class:`ProgressEvent` as it advances, and an
optional :class:`CancelToken`, checked regularly; a cancelled task raises :class:`Cancelled` and returns
nothing partial.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field


class Cancelled(Exception):
    """A task stopped because its CancelToken was cancelled."""


@dataclass(frozen=True)
class ProgressEvent:
    """How far a task's stage has got: ``done`` of ``total`` units, a message and named figures (e.g. fps)."""

    stage: str
    done: int
    total: int
    message: str = ""
    values: dict[str, float] = field(default_factory=dict)

    @property
    def fraction(self) -> float:
        """Completed fraction in [0, 1] (0 while the total is unknown)."""
        return min(1.0, self.done / self.total) if self.total > 0 else 0.0


ProgressCallback = Callable[[ProgressEvent], None]


class CancelToken:
    """A thread-safe flag: one thread calls ``cancel()``, the task polls ``cancelled`` or ``raise_if_cancelled()``."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        """Ask the task to stop at its next check."""
        self._event.set()

    @property
    def cancelled(self) -> bool:
        """Whether ``cancel()`` has been called."""
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        """Raise :class:`Cancelled` if ``cancel()`` has been called."""
        if self._event.is_set():
            raise Cancelled("cancelled")
