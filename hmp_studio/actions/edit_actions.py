"""Keypoint correction: the Edit menu's actions, turned into undoable commands on the selected keypoint's
joint, finger or hand, on the displayed frame or the timeline's selected range."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMenu

from hmp_engine.hand_model.joints import MEDIAPIPE_JOINT_NAMES
from hmp_engine.session import EditChanges
from hmp_studio.model.document import Document
from hmp_studio.model.undo_commands import DragCommand, EditCommand
from hmp_studio.model.view_state import ViewState
from hmp_studio.views.keypoint_overlay import KeypointOverlay
from hmp_studio.views.timeline import Timeline

SCOPES: tuple[str, ...] = ("joint", "finger", "hand")


def finger_name(joint: int) -> str:
    """'thumb', 'index', 'middle', 'ring', 'pinky' or 'wrist' for a MediaPipe joint."""
    return MEDIAPIPE_JOINT_NAMES[joint].split("_")[0]


def scope_joints(joint: int, scope: str) -> list[int]:
    """The joints an edit of ``joint`` covers: itself, its finger, or the whole hand."""
    if scope == "hand":
        return list(range(21))
    if scope == "finger":
        return [other for other in range(21) if finger_name(other) == finger_name(joint)]
    return [joint]


class Editor(QObject):
    """Edit actions and drags, each one command on the document's undo stack."""

    message = Signal(str)  # why an action did nothing, for the status bar

    def __init__(self, document: Document, state: ViewState, overlay: KeypointOverlay, timeline: Timeline,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._document = document
        self._state = state
        self._timeline = timeline
        self.scope = "joint"
        self.actions = [
            self._action("Mark &Occluded", "O", lambda: self.mark(True, over_range=False)),
            self._action("Mark &Visible", "V", lambda: self.mark(False, over_range=False)),
            self._action("Mark Occluded over Ra&nge", "Shift+O", lambda: self.mark(True, over_range=True)),
            self._action("Mark Visible over Ran&ge", "Shift+V", lambda: self.mark(False, over_range=True)),
            self._action("&Interpolate over Range", "I", self.interpolate),
            self._action("&Revert Frame to Detection", "R", self.revert_frame),
        ]
        self.scope_group = QActionGroup(self)
        for number, scope in enumerate(SCOPES, start=1):
            action = self._action(f"Apply to {scope.capitalize()}", str(number), lambda s=scope: self.set_scope(s))
            action.setCheckable(True)
            action.setData(scope)
            action.setChecked(scope == self.scope)
            self.scope_group.addAction(action)
        overlay.move_requested.connect(self.move_keypoint)

    def _action(self, text: str, shortcut: str, slot: Callable[[], object]) -> QAction:
        """An action with a shortcut calling ``slot``."""
        action = QAction(text, self, shortcut=QKeySequence(shortcut))
        action.triggered.connect(lambda _=False: slot())
        return action

    def set_scope(self, scope: str) -> None:
        """Make edits apply to the selected joint, its finger or its hand."""
        self.scope = scope
        for action in self.scope_group.actions():
            action.setChecked(action.data() == scope)

    def context_menu(self) -> QMenu:
        """The menu a right-click on a keypoint opens."""
        menu = QMenu()
        menu.addActions(self.actions)
        menu.addSeparator()
        menu.addActions(self.scope_group.actions())
        return menu

    def move_keypoint(self, track: int, frame: int, joint: int, x: float, y: float, drag: int) -> None:
        """Move a keypoint; the moves of one drag make one undo entry."""
        self._document.push(DragCommand(self._document, track, frame, joint, (x, y), drag))

    def mark(self, occluded: bool, over_range: bool) -> bool:
        """Mark the selected scope occluded or visible on the displayed frame or over the selected range."""
        target = self._target(over_range)
        if target is None:
            return False
        track, joint, frames = target
        joints = scope_joints(joint, self.scope)
        changes = self._document.project.marking_edits(track, frames, joints, occluded)
        word = "occluded" if occluded else "visible"
        return self._push({track: changes}, f"Mark {self._scope_text(track, joint)} {word} {_frames_text(frames)}")

    def interpolate(self) -> bool:
        """Fill the detection gaps of the selected scope inside the selected range from the frames around them."""
        target = self._target(over_range=True)
        if target is None:
            return False
        track, joint, frames = target
        joints = scope_joints(joint, self.scope)
        changes = self._document.project.interpolation_edits(track, frames[0], frames[-1], joints)
        return self._push({track: changes}, f"Interpolate {self._scope_text(track, joint)} {_frames_text(frames)}")

    def revert_frame(self) -> bool:
        """Return every keypoint of the displayed frame to its raw detection."""
        project, frame = self._document.project, self._state.frame
        if project is None or project.detections is None or frame is None:
            return False
        changes = {track: project.revert_edits(track, [frame]) for track in range(len(project.detections.tracks))}
        return self._push(changes, f"Revert frame {frame} to detection")

    def _target(self, over_range: bool) -> tuple[int, int, range] | None:
        """Selected track and joint and the frames to edit; None (and a message) if something is missing."""
        project, frame = self._document.project, self._state.frame
        if self._state.selection is None or project is None or frame is None:
            self.message.emit("Click a keypoint first")
            return None
        track, joint = self._state.selection
        last = project.track(track).num_frames - 1
        if not over_range:
            return (track, joint, range(frame, frame + 1)) if frame <= last else None
        selected = self._timeline.selected_range()
        if selected is None:
            self.message.emit("Select a range on the timeline first (Shift+drag, or [ and ])")
            return None
        first, stop = selected[0], min(selected[1], last)
        if first > stop:
            self.message.emit(f"The selected range has no detections of this hand (they end at frame {last})")
            return None
        return track, joint, range(first, stop + 1)

    def _scope_text(self, track: int, joint: int) -> str:
        """'right index_tip', 'right index finger' or 'right hand'."""
        side = self._document.project.track(track).handedness
        if self.scope == "hand":
            return f"{side} hand"
        if self.scope == "finger":
            return f"{side} {finger_name(joint)} finger"
        return f"{side} {MEDIAPIPE_JOINT_NAMES[joint]}"

    def _push(self, changes: dict[int, EditChanges], text: str) -> bool:
        """Push one command for the changes, unless they change nothing."""
        changes = {track: edits for track, edits in changes.items() if edits}
        if not changes:
            self.message.emit(f"{text}: nothing to change")
            return False
        self._document.push(EditCommand(self._document, changes, text))
        return True


def _frames_text(frames: range) -> str:
    """'(frame 12)' or '(frames 12-40)'."""
    return f"(frame {frames[0]})" if len(frames) == 1 else f"(frames {frames[0]}-{frames[-1]})"
