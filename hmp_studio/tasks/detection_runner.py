"""The Detect Hands action: confirm, run a detection thread with progress and Cancel, then an undoable result."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMessageBox, QWidget

from hmp_engine.detection import DetectionResult
from hmp_studio.model.document import Document
from hmp_studio.model.undo_commands import detection_command
from hmp_studio.tasks.detection_job import detection_thread
from hmp_studio.tasks.task_progress import TaskProgress
from hmp_studio.tasks.task_runner import TaskRunner


class DetectionRunner(TaskRunner):
    """Runs one detection at a time for the document; the result replaces its detections as one command."""

    def __init__(self, parent: QWidget, document: Document, progress: TaskProgress) -> None:
        super().__init__(parent, document, progress)
        self._parent = parent
        self.action = QAction("&Detect Hands", self, shortcut=QKeySequence("Ctrl+D"))
        self.action.triggered.connect(lambda: self.start())
        self._enable()

    def start(self, max_frames: int | None = None) -> bool:
        """Detect the hands of the open video (or of its first ``max_frames`` frames, for previews)."""
        project = self._document.project
        if project is None or self.running:
            return False
        if project.num_edits and not self._confirm_replace(project.num_edits):
            return False
        thread = detection_thread(Path(project.video.path), max_frames, self)
        thread.succeeded.connect(self._succeeded)
        self._run(thread, "Detecting hands", "Detection")
        return True

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
        if not self._is_current():
            self._ended("Detection finished for a project that is no longer open; result dropped")
            return
        if not result.tracks:
            self._ended(f"No hand found in the {result.num_frames} frames detected")
            return
        self._document.push(detection_command(self._document, result))
        hands = ", ".join(f"{track.handedness} {track.detected_fraction:.0%}" for track in result.tracks)
        self._ended(f"Detected {len(result.tracks)} hand(s) over {result.num_frames} frames ({hands})")

    def _enable(self) -> None:
        """Detect is available with a project open and no detection running."""
        self.action.setEnabled(self._document.project is not None and not self.running)
