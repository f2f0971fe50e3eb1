"""The timeline under the video: per-hand, per-joint confidence heat map with the occlusion mask and edit marks,
the current frame, a selectable frame range; click or drag to scrub, Shift+drag to select, wheel to zoom."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget

from hmp_engine.hand_model.joints import MEDIAPIPE_JOINT_NAMES
from hmp_studio.model.document import Document
from hmp_studio.model.review import EDIT_WORDS
from hmp_studio.views.timeline_image import ROWS_PER_TRACK, timeline_rgba, track_rows


class _ScrubViewBox(pg.ViewBox):
    """A view box where the left button scrubs (click or drag) and Shift + left drag selects frames."""

    scrubbed = Signal(float)  # x under the mouse
    range_dragged = Signal(float, float)  # x where the drag started, x now
    hovered = Signal(float, float)  # view x, y under the mouse

    def hoverEvent(self, ev) -> None:
        """Say what lies under the mouse."""
        if not ev.isExit():
            point = self.mapToView(ev.pos())
            self.hovered.emit(point.x(), point.y())

    def mouseClickEvent(self, ev) -> None:
        """Left click: scrub to the frame under the mouse."""
        if ev.button() != Qt.MouseButton.LeftButton:
            super().mouseClickEvent(ev)
            return
        ev.accept()
        self.scrubbed.emit(self._x(ev.scenePos()))

    def mouseDragEvent(self, ev, axis: int | None = None) -> None:
        """Left drag: scrub; Shift + left drag: select the frames dragged over; other buttons: pan and zoom."""
        if ev.button() != Qt.MouseButton.LeftButton:
            super().mouseDragEvent(ev, axis)
            return
        ev.accept()
        if ev.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            self.range_dragged.emit(self._x(ev.buttonDownScenePos()), self._x(ev.scenePos()))
        else:
            self.scrubbed.emit(self._x(ev.scenePos()))

    def _x(self, scene_pos: QPointF) -> float:
        """View x of a scene position."""
        return self.mapSceneToView(scene_pos).x()


class Timeline(pg.GraphicsLayoutWidget):
    """Frames across (frame f centred on x = f), hands and joints down; follows the document."""

    frame_requested = Signal(int)
    range_changed = Signal()

    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setAcceptDrops(False)
        self.viewport().setAcceptDrops(False)
        self._document = document
        self.num_frames = 0
        self.frame = 0
        self._box = _ScrubViewBox(enableMenu=False)
        self.plot = self.addPlot(viewBox=self._box)
        self.plot.hideButtons()
        self.plot.setMouseEnabled(x=True, y=False)
        self.plot.invertY(True)
        self.plot.getAxis("bottom").setLabel("frame")
        self.image = pg.ImageItem(axisOrder="row-major")
        self.cursor = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen((255, 220, 0), width=2))
        self.region = pg.LinearRegionItem(brush=(255, 255, 255, 45), hoverBrush=(255, 255, 255, 70))
        self.region.setZValue(5)
        self.region.hide()
        for item in (self.image, self.region, self.cursor):
            self.plot.addItem(item)
        self._box.scrubbed.connect(self._scrub)
        self._box.range_dragged.connect(lambda a, b: self.set_range(round(a), round(b)))
        self._box.hovered.connect(lambda x, y: self.image.setToolTip(self.describe(round(x), int(y))))
        self.region.sigRegionChangeFinished.connect(lambda _: self.range_changed.emit())
        document.opened.connect(self.rebuild)
        document.detections_changed.connect(self.rebuild)
        document.edits_changed.connect(self._refresh_track)
        document.fits_changed.connect(self._refresh_fits)
        self.actions = self._make_actions()

    def _make_actions(self) -> list[QAction]:
        """Range and zoom actions (they work on the current frame)."""
        entries = [
            ("Set Range &Start", "[", lambda: self.set_range(self.frame, self._range_or_frame()[1])),
            ("Set Range &End", "]", lambda: self.set_range(self._range_or_frame()[0], self.frame)),
            ("&Clear Range", "Esc", self.clear_range),
            ("&Zoom to Range", "Z", self.zoom_to_range),
            ("Show &Whole Timeline", "Shift+Z", self.zoom_all),
        ]
        actions = []
        for text, key, slot in entries:
            action = QAction(text, self, shortcut=QKeySequence(key))
            action.triggered.connect(slot)
            actions.append(action)
        return actions

    def rebuild(self) -> None:
        """Redraw everything for the document's project and video."""
        project, video = self._document.project, self._document.video
        self.num_frames = video.num_frames if video is not None else 0
        rgba = timeline_rgba(project, self.num_frames) if project is not None else np.zeros((0, 0, 4), np.uint8)
        if rgba.size:
            self.image.setImage(rgba, autoLevels=False, levels=None)  # uint8 as is: no rescaling pass
            self.image.setRect(QRectF(-0.5, 0, self.num_frames, len(rgba)))
        else:
            self.image.clear()
        tracks = project.detections.tracks if project is not None and project.detections is not None else []
        ticks = [(ROWS_PER_TRACK * i + 0.5, "edits") for i in range(len(tracks))]
        ticks += [(ROWS_PER_TRACK * i + 11.5, f"{track.handedness} hand") for i, track in enumerate(tracks)]
        self.plot.getAxis("left").setTicks([sorted(ticks)])
        rows = max(len(rgba), 1)
        self.plot.setLimits(xMin=-0.5, xMax=max(self.num_frames, 1) - 0.5, yMin=0, yMax=rows)
        self.plot.setYRange(0, rows, padding=0)
        self.region.setBounds((-0.5, max(self.num_frames, 1) - 0.5))
        self.clear_range()
        self.zoom_all()

    def _refresh_track(self, track: int) -> None:
        """Redraw the rows of one track after its edits changed."""
        rgba = self.image.image
        if rgba is None or self._document.project is None:
            return
        rows = slice(ROWS_PER_TRACK * track, ROWS_PER_TRACK * (track + 1))
        rgba[rows] = track_rows(self._document.project, track, self.num_frames)
        self.image.updateImage()

    def _refresh_fits(self) -> None:
        """Redraw every track after the fits changed (their infilled and absent frames), keeping range and zoom."""
        project = self._document.project
        if self.image.image is None or project is None or project.detections is None:
            return
        for track in range(len(project.detections.tracks)):
            self._refresh_track(track)

    def describe(self, frame: int, row: int) -> str:
        """What the cell at ``frame`` and ``row`` shows, for its tooltip."""
        project = self._document.project
        tracks = project.detections.tracks if project is not None and project.detections is not None else []
        track, joint = divmod(row, ROWS_PER_TRACK)
        if not (0 <= track < len(tracks) and 0 <= frame < tracks[track].num_frames):
            return f"frame {frame}"
        side = tracks[track].handedness
        if joint == 0:
            edits = sum(project.edit(track, frame, other) is not None for other in range(21))
            return f"frame {frame}: {side} hand, {edits} edited keypoints"
        name = MEDIAPIPE_JOINT_NAMES[joint - 1]
        confidence = project.frame_keypoints(track, frame)[joint - 1, 2]
        edit = project.edit(track, frame, joint - 1)
        note = f", {EDIT_WORDS[edit.state]}" if edit is not None else ""
        return f"frame {frame}: {side} {name}, confidence {confidence:.2f}{note}"

    def set_frame(self, index: int) -> None:
        """Move the current-frame line to ``index`` and keep it in view."""
        self.frame = index
        self.cursor.setValue(index)
        left, right = self.plot.viewRange()[0]
        if not left <= index <= right:
            half = (right - left) / 2
            self.plot.setXRange(index - half, index + half, padding=0)

    def selected_range(self) -> tuple[int, int] | None:
        """First and last frame of the selected range, or None."""
        if not self.region.isVisible():
            return None
        first, last = self.region.getRegion()
        return round(first + 0.5), round(last - 0.5)

    def set_range(self, first: int, last: int) -> None:
        """Select frames first..last (in either order), clamped to the video."""
        first, last = sorted((first, last))
        top = max(self.num_frames - 1, 0)
        first, last = min(max(first, 0), top), min(max(last, 0), top)
        self.region.setRegion((first - 0.5, last + 0.5))
        self.region.show()
        self.range_changed.emit()

    def clear_range(self) -> None:
        """Select no range."""
        self.region.hide()
        self.range_changed.emit()

    def zoom_to_range(self) -> None:
        """Fit the selected range (or, with none, 100 frames around the current one) to the width."""
        first, last = self.selected_range() or (self.frame - 50, self.frame + 50)
        self.plot.setXRange(first - 0.5, last + 0.5, padding=0)

    def zoom_all(self) -> None:
        """Show the whole video."""
        self.plot.setXRange(-0.5, max(self.num_frames, 1) - 0.5, padding=0)

    def _range_or_frame(self) -> tuple[int, int]:
        """The selected range, or the current frame as a one-frame range."""
        return self.selected_range() or (self.frame, self.frame)

    def _scrub(self, x: float) -> None:
        """Ask for the frame under the mouse."""
        if self.num_frames:
            self.frame_requested.emit(int(np.clip(round(x), 0, self.num_frames - 1)))
