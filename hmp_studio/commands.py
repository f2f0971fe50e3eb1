"""Undoable commands: each wraps one engine change to the document, and its undo restores what it replaced."""

from __future__ import annotations

from PySide6.QtGui import QUndoCommand

from hmp_engine.detection import DetectionResult
from hmp_engine.hand_model.joints import MEDIAPIPE_JOINT_NAMES
from hmp_engine.session import EditChanges, EditState, KeypointEdit
from hmp_studio.document import Document, TrackEdits


class EditCommand(QUndoCommand):
    """Changes keypoint edits of one or more tracks."""

    def __init__(self, document: Document, changes: dict[int, EditChanges], text: str) -> None:
        super().__init__(text)
        self._document = document
        self._changes = changes
        self._undo: dict[int, EditChanges] = {}

    def redo(self) -> None:
        """Apply the changes, remembering what they replace."""
        self._undo = {track: self._document.apply_edits(track, changes) for track, changes in self._changes.items()}

    def undo(self) -> None:
        """Put back what the changes replaced."""
        for track, changes in self._undo.items():
            self._document.apply_edits(track, changes)


class DragCommand(EditCommand):
    """Moves a keypoint; every move of one mouse drag merges into the drag's first command: one undo entry."""

    def __init__(self, document: Document, track: int, frame: int, joint: int, xy: tuple[float, float], drag: int):
        edit = KeypointEdit(float(xy[0]), float(xy[1]), EditState.POSITION)
        text = f"Move {MEDIAPIPE_JOINT_NAMES[joint]} (frame {frame})"
        super().__init__(document, {track: {(frame, joint): edit}}, text)
        self.drag = drag

    def _keys(self) -> list[tuple[int, tuple[int, int]]]:
        """(track, (frame, joint)) of the keypoint this command moves."""
        return [(track, key) for track, changes in self._changes.items() for key in changes]

    def id(self) -> int:
        """Commands with this id may merge (Qt asks mergeWith)."""
        return 1

    def mergeWith(self, other: QUndoCommand) -> bool:
        """Take over a later move of the same keypoint in the same drag: its position, and this command's undo."""
        if not isinstance(other, DragCommand) or other.drag != self.drag or other._keys() != self._keys():
            return False
        self._changes = other._changes
        return True


class DetectionCommand(QUndoCommand):
    """Replaces the project's detections by a new detection run, dropping the edits made on the old ones."""

    def __init__(self, document: Document, detections: DetectionResult) -> None:
        super().__init__("Detect hands")
        self._document = document
        self._other: tuple[DetectionResult | None, TrackEdits] = (detections, {})

    def redo(self) -> None:
        """Swap the new detections in."""
        self._other = self._document.swap_detections(*self._other)

    def undo(self) -> None:
        """Swap the old detections and their edits back."""
        self._other = self._document.swap_detections(*self._other)
