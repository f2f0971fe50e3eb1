"""A long engine task off the GUI thread: it gets a progress callback and a cancel token, and reports how it ended."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal

from hmp_engine.progress import Cancelled, CancelToken, ProgressCallback

Job = Callable[[ProgressCallback, CancelToken], Any]
"""A task: called with the progress callback and the cancel token, returns its result."""


class TaskThread(QThread):
    """Runs ``job`` once; emits exactly one of ``succeeded(result)``, ``failed(reason)`` or ``cancelled()``.

    ``expected`` are the exception types whose message is the reason to show the user; any other exception is
    reported as failed too, named by its type, so a worker never dies silently.
    """

    progressed = Signal(object)  # ProgressEvent
    succeeded = Signal(object)
    failed = Signal(str)
    cancelled = Signal()

    def __init__(self, job: Job, expected: tuple[type[BaseException], ...] = (),
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._job, self._expected = job, expected
        self._token = CancelToken()

    def cancel(self) -> None:
        """Ask the task to stop at its next check."""
        self._token.cancel()

    def run(self) -> None:
        """Run the task, forwarding its progress events."""
        try:
            result = self._job(self.progressed.emit, self._token)
        except Cancelled:
            self.cancelled.emit()
        except self._expected as error:
            self.failed.emit(str(error))
        except Exception as error:  # noqa: BLE001 - reported, never swallowed
            self.failed.emit(f"{type(error).__name__}: {error}")
        else:
            self.succeeded.emit(result)
