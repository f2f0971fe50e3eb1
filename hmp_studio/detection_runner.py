"""The Detect Hands action: confirm, run a DetectionThread with progress and Cancel, then an undoable result."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMessageBox, QWidget

from hmp_engine.detection import DetectionResult
from hmp_engine.session import Project
from hmp_studio.commands import DetectionCommand
from hmp_studio.detection_worker import DetectionThread
from hmp_studio.document import Document
from hmp_studio.task_progress import TaskProgress


class DetectionRunner(QObject):
    """Runs one detection at a time for the document; the result replaces its detections as one command."""

    message = Signal(str)  # a line for the status bar
    finished = Signal()  # the run ended (succeeded, failed or cancelled)

    def __init__(self, parent: QWidget, document: Document, progress: TaskProgress) -> None:
        super().__init__(parent)
        self._parent = parent
        self._document = document
        self._progress = progress
        self._thread: DetectionThread | None = None
        self._project: Project | None = None  # the project the running detection is for
        self.action = QAction("&Detect Hands", self, shortcut=QKeySequence("Ctrl+D"))
        self.action.triggered.connect(lambda: self.start())
        progress.cancel_requested.connect(self.cancel)
        document.opened.connect(self._on_opened)
        self._enable()

    @property
    def running(self) -> bool:
        """Whether a detection is running."""
        return self._thread is not None

    def start(self, max_frames: int | None = None) -> bool:
        """Detect the hands of the open video (or of its first ``max_frames`` frames, for previews)."""
        project = self._document.project
        if project is None or self.running:
            return False
        if project.num_edits and not self._confirm_replace(project.num_edits):
            return False
        self._project = project
        self._thread = DetectionThread(Path(project.video.path), max_frames, self)
        self._thread.progressed.connect(self._progress.update_progress)
        self._thread.succeeded.connect(self._succeeded)
        self._thread.failed.connect(lambda reason: self._ended(f"Detection failed: {reason}"))
        self._thread.cancelled.connect(lambda: self._ended("Detection cancelled; the project is unchanged"))
        self._progress.begin("Detecting hands")
        self._enable()
        self._thread.start()
        return True

    def cancel(self) -> None:
        """Stop the running detection (it reports back through ``cancelled``)."""
        if self._thread is not None:
            self._thread.cancel()

    def stop(self) -> None:
        """Cancel any running detection and wait for its thread (the window is closing)."""
        if self._thread is not None:
            self._thread.cancel()
            self._thread.wait()

    def _confirm_replace(self, edits: int) -> bool:
        """Ask before new detections replace the current ones and their edits (undo brings them back)."""
        answer = QMessageBox.question(
            self._parent,
            "Detect hands again?",
            f"New detections replace the current ones and their {edits} edits (Undo brings them back).",
            QMessageBox.StandardButton.Ok | QMessageBox.StandardButton.Cancel,
        )
        return answer == QMessageBox.StandardButton.Ok

    def _succeeded(self, result: DetectionResult) -> None:
        """Put the detections into the project (one undoable command)."""
        if self._project is not self._document.project:
            self._ended("Detection finished for a project that is no longer open; result dropped")
            return
        if not result.tracks:
            self._ended(f"No hand found in the {result.num_frames} frames detected")
            return
        self._document.push(DetectionCommand(self._document, result))
        hands = ", ".join(f"{track.handedness} {track.detected_fraction:.0%}" for track in result.tracks)
        self._ended(f"Detected {len(result.tracks)} hand(s) over {result.num_frames} frames ({hands})")

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
        """Another project is open: a detection of the previous one is of no use any more."""
        self.cancel()
        self._enable()

    def _enable(self) -> None:
        """Detect is available with a project open and no detection running."""
        self.action.setEnabled(self._document.project is not None and not self.running)
