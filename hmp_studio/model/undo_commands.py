"""Undoable commands: each wraps one engine change to the document, and its undo restores what it replaced."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QUndoCommand

from hmp_engine.detection import DetectionResult
from hmp_engine.hand_model.joints import MEDIAPIPE_JOINT_NAMES
from hmp_engine.session import EditChanges, EditState, HandFit, KeypointEdit
from hmp_studio.model.document import Document


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


class SwapCommand(QUndoCommand):
    """Swaps a whole value of the project (its detections, its fits) for another: ``swap(*value)`` puts ``value``
    in and returns the one it replaced, so redo and undo are the same swap."""

    def __init__(self, swap: Callable[..., tuple], value: tuple, text: str) -> None:
        super().__init__(text)
        self._swap = swap
        self._other = value

    def redo(self) -> None:
        """Swap the new value in."""
        self._other = self._swap(*self._other)

    def undo(self) -> None:
        """Swap the previous value back."""
        self._other = self._swap(*self._other)


def detection_command(document: Document, detections: DetectionResult) -> SwapCommand:
    """Replaces the project's detections by a new detection run, dropping the edits made on the old ones."""
    return SwapCommand(document.swap_detections, (detections, {}), "Detect hands")


def fit_command(document: Document, fits: dict[str, HandFit], weights: dict, text: str) -> SwapCommand:
    """Puts a fit's hands and the weights it used into the project (the fits are one value, swapped whole)."""
    return SwapCommand(document.swap_fits, (fits, weights), text)
