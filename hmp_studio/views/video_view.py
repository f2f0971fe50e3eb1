"""The video canvas: one frame in a zoomable, pannable view in image pixel coordinates."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QStyleOptionGraphicsItem, QWidget


class _FrameItem(pg.ImageItem):
    """The frame image; says when it has been painted."""

    painted = Signal()

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        """Paint the frame, then tell."""
        super().paint(painter, option, widget)
        self.painted.emit()


class VideoView(pg.GraphicsLayoutWidget):
    """Shows a video frame with square pixels and the y axis pointing down, as image coordinates do.

    Pixel (x, y) of the frame covers the square [x, x+1] x [y, y+1] of the view, so overlays (keypoints,
    boxes) added to ``view_box`` in image pixel coordinates line up with the frame. Wheel zooms, drag pans.
    """

    frame_set = Signal(int)  # a new frame was set: canvas layers (keypoints, meshes) draw theirs for it
    frame_shown = Signal(int)  # a newly set frame has been painted: it is on screen

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAcceptDrops(False)  # file drops go to the main window
        self.viewport().setAcceptDrops(False)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keys go to the window's shortcuts
        self.ci.setContentsMargins(0, 0, 0, 0)
        self.view_box: pg.ViewBox = self.addViewBox(lockAspect=True, invertY=True, enableMenu=False)
        self.image_item = _FrameItem(axisOrder="row-major")
        self.view_box.addItem(self.image_item)
        self.frame_index: int | None = None  # the frame set last
        self.shown_index: int | None = None  # the frame painted last: the one on screen
        self._unpainted = False
        self.image_item.painted.connect(self._painted)

    def show_frame(self, index: int, rgb: np.ndarray) -> None:
        """Display frame ``index`` (an (H, W, 3) uint8 RGB array); fit the view when the frame size changes."""
        previous = self.image_item.image
        self.image_item.setImage(rgb, autoLevels=False, levels=None)  # uint8 as is: no rescaling pass
        self.frame_index = index
        self._unpainted = True
        if previous is None or previous.shape != rgb.shape:
            self.fit_frame()
        self.frame_set.emit(index)

    def fit_frame(self) -> None:
        """Zoom and pan so the whole frame fills the canvas."""
        self.view_box.autoRange(padding=0)

    def _painted(self) -> None:
        """Report the first paint of a newly set frame."""
        if self._unpainted:
            self._unpainted = False
            self.shown_index = self.frame_index
            self.frame_shown.emit(self.frame_index)
