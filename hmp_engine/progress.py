"""Progress reporting and cancellation shared by long engine tasks (detection, fitting) and their GUI workers.

A task takes an optional ``progress`` callback, called with a :class:`ProgressEvent` as it advances, and an
optional :class:`CancelToken`, checked regularly; a cancelled task raises :class:`Cancelled` and returns
nothing partial. :class:`TerminalProgress` is the callback the command line uses.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TextIO


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


class TerminalProgress:
    """A ProgressCallback drawing a one-line bar with rate and ETA on a text stream (stderr for the CLI).

    The rate is the event's ``values['fps']`` when given (frames per second), else done / elapsed time.
    """

    def __init__(self, stream: TextIO, unit: str = "frames", width: int = 30) -> None:
        self.stream, self.unit, self.width = stream, unit, width
        self._interval = 0.1 if stream.isatty() else 2.0  # do not flood logs
        self._start = time.monotonic()
        self._last_draw = -float("inf")

    def __call__(self, event: ProgressEvent) -> None:
        """Redraw the bar for one progress event (throttled; always on the last)."""
        now = time.monotonic()
        finished = event.done >= event.total > 0
        if not finished and now - self._last_draw < self._interval:
            return
        self._last_draw = now
        rate = event.values.get("fps") or event.done / max(now - self._start, 1e-9)
        eta = (event.total - event.done) / rate if rate > 0 else 0.0
        filled = round(self.width * event.fraction)
        bar = "#" * filled + "." * (self.width - filled)
        line = (
            f"\r{event.stage} [{bar}] {event.done}/{event.total} {self.unit} "
            f"{rate:.1f} {self.unit}/s ETA {_clock(eta)}"
        )
        self.stream.write(line + ("\n" if finished else ""))
        self.stream.flush()


def _clock(seconds: float) -> str:
    """Seconds as m:ss."""
    minutes, seconds = divmod(int(round(seconds)), 60)
    return f"{minutes}:{seconds:02d}"
