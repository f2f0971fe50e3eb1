"""Keypoints and skeletons drawn over the video frame: colour per hand, fill opacity by confidence, a white ring
on edited points, hollow dashed points where occluded; drag to move, right-click for the edit menu, hover for
the name."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QObject, QPoint, QPointF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsEllipseItem, QGraphicsItem, QGraphicsPathItem, QGraphicsSceneMouseEvent

from hmp_engine.detection import OCCLUSION_THRESHOLD
from hmp_engine.hand_model.joints import MEDIAPIPE_JOINT_NAMES, MEDIAPIPE_PARENTS
from hmp_engine.session import KeypointEdit
from hmp_studio.model.document import Document
from hmp_studio.model.review import EDIT_WORDS
from hmp_studio.model.view_state import Selection, ViewState

HAND_COLOURS = {"right": QColor(255, 140, 0), "left": QColor(30, 144, 255)}
RADIUS = 6.0  # screen pixels, whatever the zoom


class KeypointItem(QGraphicsEllipseItem):
    """One keypoint; forwards presses, drags and right-clicks to its overlay."""

    def __init__(self, overlay: KeypointOverlay, track: int, joint: int) -> None:
        super().__init__(-RADIUS, -RADIUS, 2 * RADIUS, 2 * RADIUS)
        self.overlay, self.track, self.joint = overlay, track, joint
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        self.setAcceptHoverEvents(True)
        self.setCursor(Qt.CursorShape.OpenHandCursor)
        self.setZValue(10)

    def show_keypoint(self, x: float, y: float, confidence: float, edit: KeypointEdit | None, selected: bool) -> None:
        """Place and style the point for its confidence, edit and selection."""
        colour = HAND_COLOURS.get(self.overlay.handedness(self.track), QColor(200, 200, 200))
        occluded = confidence < OCCLUSION_THRESHOLD
        fill = QColor(colour)
        fill.setAlphaF(0.25 + 0.75 * confidence)
        self.setBrush(QBrush(Qt.BrushStyle.NoBrush) if occluded else QBrush(fill))
        ring = QColor(255, 255, 0) if selected else QColor(255, 255, 255) if edit is not None else QColor(0, 0, 0, 160)
        pen = QPen(colour if occluded and edit is None and not selected else ring, 2.5 if selected else 1.5)
        pen.setCosmetic(True)
        if occluded:
            pen.setStyle(Qt.PenStyle.DashLine)
        self.setPen(pen)
        self.setPos(x, y)
        name = MEDIAPIPE_JOINT_NAMES[self.joint].replace("_", " ")
        lines = [f"{self.overlay.handedness(self.track)} hand: {name}", f"confidence {confidence:.2f}"]
        if edit is not None:
            lines.append(EDIT_WORDS[edit.state])
        self.setToolTip("\n".join(lines))
        self.show()

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        """Left: select and start a drag; right: select and ask for the edit menu."""
        if event.button() == Qt.MouseButton.LeftButton:
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
            self.overlay.begin_drag(self)
        elif event.button() == Qt.MouseButton.RightButton:
            self.overlay.request_menu(self, event.screenPos())
        else:
            event.ignore()

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        """Drag: ask to move the keypoint under the mouse."""
        if event.buttons() & Qt.MouseButton.LeftButton:
            self.overlay.drag_to(self, self.parentItem().mapFromScene(event.scenePos()))

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        """End of the drag."""
        self.setCursor(Qt.CursorShape.OpenHandCursor)

    def hoverEnterEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        """Grow under the mouse so the point to grab is obvious."""
        self.setScale(1.4)

    def hoverLeaveEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        """Back to normal size."""
        self.setScale(1.0)


class KeypointOverlay(QObject):
    """The keypoints of the displayed frame, one skeleton and 21 points per hand track, following the document."""

    move_requested = Signal(int, int, int, float, float, int)  # track, frame, joint, x, y, drag number
    menu_requested = Signal(QPoint)  # global position for the edit menu

    def __init__(self, view_box: pg.ViewBox, document: Document, state: ViewState,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._view_box = view_box
        self._document = document
        self._state = state
        self.frame: int | None = None
        self.skeletons: list[QGraphicsPathItem] = []
        self.points: list[list[KeypointItem]] = []
        self._drags = 0
        document.opened.connect(self.rebuild)
        document.detections_changed.connect(self.rebuild)
        document.edits_changed.connect(self.refresh_track)
        state.frame_shown.connect(self.show_frame)
        state.keypoints_visible_changed.connect(lambda _visible: self.refresh())

    @property
    def selected(self) -> Selection | None:
        """The selected keypoint, (track, joint), as the view state holds it."""
        return self._state.selection

    def handedness(self, track: int) -> str:
        """'right' or 'left' for a track."""
        return self._document.project.track(track).handedness

    def rebuild(self) -> None:
        """Create the items for the document's tracks."""
        for item in [*self.skeletons, *(point for points in self.points for point in points)]:
            self._view_box.removeItem(item)
        self.skeletons, self.points = [], []
        project = self._document.project
        for track in range(len(project.detections.tracks) if project and project.detections else 0):
            skeleton = QGraphicsPathItem()
            pen = QPen(HAND_COLOURS.get(self.handedness(track), QColor(200, 200, 200)), 2)
            pen.setCosmetic(True)
            skeleton.setPen(pen)
            skeleton.setZValue(9)
            self._view_box.addItem(skeleton, ignoreBounds=True)
            points = [KeypointItem(self, track, joint) for joint in range(21)]
            for point in points:
                self._view_box.addItem(point, ignoreBounds=True)
            self.skeletons.append(skeleton)
            self.points.append(points)
        self._state.select(None)
        self.refresh()

    def show_frame(self, frame: int) -> None:
        """Draw the keypoints of ``frame`` (the frame now on the canvas)."""
        self.frame = frame
        self.refresh()

    def refresh(self) -> None:
        """Redraw every track."""
        for track in range(len(self.points)):
            self.refresh_track(track)

    def refresh_track(self, track: int) -> None:
        """Redraw one track at the current frame; hide it where the frame has no keypoints of it."""
        project, frame = self._document.project, self.frame
        if project is None or track >= len(self.points):
            return
        if frame is None or not self._state.keypoints_visible or frame >= project.track(track).num_frames:
            self.skeletons[track].hide()
            for point in self.points[track]:
                point.hide()
            return
        keypoints = project.frame_keypoints(track, frame)
        edits = [project.edit(track, frame, joint) for joint in range(21)]
        present = [project.track(track).detected[frame] or edit is not None for edit in edits]
        for joint, point in enumerate(self.points[track]):
            if present[joint]:
                x, y, confidence = keypoints[joint]
                point.show_keypoint(x, y, confidence, edits[joint], self.selected == (track, joint))
            else:
                point.hide()
        path = QPainterPath()
        for joint, parent in enumerate(MEDIAPIPE_PARENTS):
            if parent >= 0 and present[joint] and present[parent]:
                path.moveTo(*keypoints[parent, :2])
                path.lineTo(*keypoints[joint, :2])
        self.skeletons[track].setPath(path)
        self.skeletons[track].show()

    def select(self, track: int, joint: int) -> None:
        """Make a keypoint the one edits apply to."""
        previous = self.selected
        self._state.select((track, joint))
        for changed in {previous[0] if previous else track, track}:
            self.refresh_track(changed)

    def begin_drag(self, point: KeypointItem) -> None:
        """A press on a point: select it; the moves that follow belong to a new drag."""
        self._drags += 1
        self.select(point.track, point.joint)

    def drag_to(self, point: KeypointItem, position: QPointF) -> None:
        """Ask to move a point to ``position`` (image pixels, kept inside the image)."""
        width, height = self._document.video.size if self._document.video else (0, 0)
        x, y = min(max(position.x(), 0.0), width), min(max(position.y(), 0.0), height)
        self.move_requested.emit(point.track, self.frame, point.joint, x, y, self._drags)

    def request_menu(self, point: KeypointItem, screen_pos: QPoint) -> None:
        """A right-click on a point: select it and ask for the edit menu there."""
        self.select(point.track, point.joint)
        self.menu_requested.emit(screen_pos)
