"""What the views show besides the document: the hand model fits are drawn with, the overlay toggles, the frame on
the canvas and the selected keypoint. Views, actions and tasks read it and follow its signals, so none of them
reads another's widgets."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal, SignalInstance

from hmp_engine.hand_model import OPEN_MODEL

Selection = tuple[int, int]
"""A keypoint: (track, joint in MediaPipe order)."""


class ViewState(QObject):
    """Shared view settings with a change signal each. A setter emits only when its value changes; ``show_frame``
    and ``select`` emit every time (a frame drawn again, a keypoint clicked again)."""

    hand_model_changed = Signal(str)  # "open" or a MANO folder
    meshes_visible_changed = Signal(bool)
    keypoints_visible_changed = Signal(bool)
    joints_visible_changed = Signal(bool)
    frame_shown = Signal(int)  # the frame now on the canvas (emitted for every frame put there)
    selection_changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.hand_model: str = OPEN_MODEL
        self.meshes_visible = True
        self.keypoints_visible = True
        self.joints_visible = False
        self.frame: int | None = None
        self.selection: Selection | None = None

    def _update(self, name: str, value: object, changed: SignalInstance) -> None:
        """Set attribute ``name`` and emit ``changed`` with the new value, only when the value changes."""
        if value != getattr(self, name):
            setattr(self, name, value)
            changed.emit(value)

    def set_hand_model(self, source: str) -> None:
        """Draw and export fits with the hand model ``source`` ("open" or a MANO folder)."""
        self._update("hand_model", source, self.hand_model_changed)

    def set_meshes_visible(self, visible: bool) -> None:
        """Show or hide the fitted meshes over the video."""
        self._update("meshes_visible", visible, self.meshes_visible_changed)

    def set_keypoints_visible(self, visible: bool) -> None:
        """Show or hide the detected keypoints over the video."""
        self._update("keypoints_visible", visible, self.keypoints_visible_changed)

    def set_joints_visible(self, visible: bool) -> None:
        """Show or hide the fit's joints reprojected over the video."""
        self._update("joints_visible", visible, self.joints_visible_changed)

    def show_frame(self, frame: int) -> None:
        """The canvas now shows ``frame``: its layers follow."""
        self.frame = frame
        self.frame_shown.emit(frame)

    def select(self, selection: Selection | None) -> None:
        """Make a keypoint (or none) the one edits apply to."""
        self.selection = selection
        self.selection_changed.emit()
