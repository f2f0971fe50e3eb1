"""The open project as the studio sees it: the engine's Project and video, their undo history and change signals."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from hmp_engine.detection import DetectionResult
from hmp_engine.session import EditChanges, HandFit, KeypointEdit, Project, VideoRef
from hmp_engine.video import VideoReader

TrackEdits = dict[int, dict[tuple[int, int], KeypointEdit]]


class Document(QObject):
    """The open project, its video and undo stack; views follow its signals, commands change it through it.

    Every change is a command on ``undo_stack``, so the stack's clean state says whether the project differs
    from its file (a project recovered from an autosave differs until saved).
    """

    opened = Signal()  # another project and video are open
    detections_changed = Signal()  # the detections (and with them all edits) were replaced
    edits_changed = Signal(int)  # the edits of this track changed
    fits_changed = Signal()  # the fitted hands (and the weights they were fitted with) were replaced
    modified_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.project: Project | None = None
        self.video: VideoReader | None = None
        self.undo_stack = QUndoStack(self)
        self._recovered = False
        self.undo_stack.cleanChanged.connect(self._clean_changed)

    @property
    def modified(self) -> bool:
        """Whether the project has changes its file lacks."""
        return self.project is not None and (self._recovered or not self.undo_stack.isClean())

    @property
    def source(self) -> Path | None:
        """The file the project came from: its .hmp file once saved, else its video."""
        if self.project is None:
            return None
        return self.project.path or Path(self.project.video.path)

    def _clean_changed(self, clean: bool) -> None:
        """The undo stack reached or left the saved state."""
        self.modified_changed.emit(self.project is not None and (self._recovered or not clean))

    def open(self, project: Project, video: VideoReader, recovered: bool = False) -> None:
        """Make ``project`` (with its opened video) the document, forgetting the undo history of the previous one."""
        previous = self.video
        self.undo_stack.clear()
        self.project, self.video, self._recovered = project, video, recovered
        self.opened.emit()
        self.modified_changed.emit(self.modified)
        if previous is not None:
            previous.close()

    def relink_video(self, ref: VideoRef, video: VideoReader) -> None:
        """Point the project at its video in another file (``video``, opened); the project then differs from its
        file until saved. The undo history stays: relinking is not an edit."""
        assert self.project is not None
        previous = self.video
        self.project.video, self.video, self._recovered = ref, video, True
        self.opened.emit()
        self.modified_changed.emit(True)
        if previous is not None:
            previous.close()

    def close(self) -> None:
        """Release the video."""
        if self.video is not None:
            self.video.close()

    def push(self, command: QUndoCommand) -> None:
        """Do ``command`` and record it for undo."""
        self.undo_stack.push(command)

    def apply_edits(self, track: int, changes: EditChanges) -> EditChanges:
        """Apply edit changes to a track (commands call this); returns the changes that undo them."""
        assert self.project is not None
        undo = self.project.apply_edits(track, changes)
        self.edits_changed.emit(track)
        return undo

    def swap_detections(
        self, detections: DetectionResult | None, edits: TrackEdits
    ) -> tuple[DetectionResult | None, TrackEdits]:
        """Replace the detections and edits (commands call this); returns the ones replaced."""
        assert self.project is not None
        previous = self.project.detections, self.project.edits
        self.project.detections, self.project.edits = detections, edits
        self.detections_changed.emit()
        return previous

    def swap_fits(self, fits: dict[str, HandFit], weights: dict) -> tuple[dict[str, HandFit], dict]:
        """Replace the fits and their weights (commands call this); returns the ones replaced."""
        assert self.project is not None
        previous = self.project.fits, self.project.weights
        self.project.fits, self.project.weights = fits, weights
        self.fits_changed.emit()
        return previous

    def save(self, path: Path | None = None) -> Path:
        """Save the project (to ``path``, or its own file) and mark it unmodified. Raises ProjectError."""
        assert self.project is not None
        saved = self.project.save(path)
        self._recovered = False
        self.undo_stack.setClean()
        self.modified_changed.emit(False)
        return saved
