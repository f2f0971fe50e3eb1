"""One background task at a time for the open document: start a TaskThread, show its progress, end it tidily."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from hmp_engine.session import Project
from hmp_studio.model.document import Document
from hmp_studio.tasks.task_progress import TaskProgress
from hmp_studio.workers.task_thread import TaskThread


class TaskRunner(QObject):
    """Runs a subclass's TaskThreads one at a time, shown on ``progress`` (whose Cancel stops them); a task of a
    project that is no longer open is cancelled. Subclasses connect ``succeeded`` and call ``_ended``."""

    message = Signal(str)  # a line for the status bar
    finished = Signal()  # the run ended (succeeded, failed or cancelled)

    def __init__(self, parent: QObject, document: Document, progress: TaskProgress) -> None:
        super().__init__(parent)
        self._document = document
        self._progress = progress
        self._thread: TaskThread | None = None
        self._project: Project | None = None  # the project the running task is for
        progress.cancel_requested.connect(self.cancel)
        document.opened.connect(self._on_opened)

    @property
    def running(self) -> bool:
        """Whether a task is running."""
        return self._thread is not None

    def _run(self, thread: TaskThread, title: str, name: str) -> None:
        """Start ``thread`` for the open project; ``name`` says what failed or was cancelled."""
        self._project, self._thread = self._document.project, thread
        thread.progressed.connect(self._progress.update_progress)
        thread.failed.connect(lambda reason: self._ended(f"{name} failed: {reason}"))
        thread.cancelled.connect(lambda: self._ended(f"{name} cancelled; the project is unchanged"))
        self._progress.begin(title)
        self._enable()
        thread.start()

    def cancel(self) -> None:
        """Stop the running task (it reports back through ``cancelled``)."""
        if self._thread is not None:
            self._thread.cancel()

    def stop(self) -> None:
        """Cancel any running task and wait for its thread (the window is closing)."""
        if self._thread is not None:
            self._thread.cancel()
            self._thread.wait()

    def _is_current(self) -> bool:
        """Whether the finished task's project is still the open one."""
        return self._project is self._document.project

    def _ended(self, message: str) -> None:
        """Tidy up after a run and report how it ended."""
        if self._thread is not None:
            self._thread.wait()
            self._thread.deleteLater()
        self._thread = None
        self._progress.end()
        self._enable()
        self.message.emit(message)
        self.finished.emit()

    def _on_opened(self) -> None:
        """Another project is open: a task of the previous one is of no use any more."""
        self.cancel()
        self._enable()

    def _enable(self) -> None:
        """Enable the subclass's actions for the current state."""
