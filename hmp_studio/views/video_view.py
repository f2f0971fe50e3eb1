"""The video canvas: one frame in a zoomable, pannable view in image pixel coordinates."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, Signal
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
        self.preview = False  # whether the frame set last is a low-resolution proxy of the real one
        self.shown_preview = False  # whether the frame on screen is such a proxy
        self.frame_size: tuple[int, int] | None = None  # (width, height) of the video's frames
        self._unpainted = False
        self.image_item.painted.connect(self._painted)

    def show_frame(self, index: int, rgb: np.ndarray, size: tuple[int, int] | None = None) -> None:
        """Display frame ``index`` (an (H, W, 3) uint8 RGB array); fit the view when the frame size changes.

        ``size`` (width, height) marks ``rgb`` as a low-resolution preview of a frame that size: it is stretched
        over the frame's pixels, so overlays stay where they belong. Layers are not redrawn when the full frame
        replaces the preview of the same index.
        """
        full_size = size or (rgb.shape[1], rgb.shape[0])
        self.image_item.setImage(rgb, autoLevels=False, levels=None)  # uint8 as is: no rescaling pass
        self.image_item.setRect(QRectF(0, 0, *full_size))
        replaces_preview = self.preview and index == self.frame_index
        self.frame_index, self.preview = index, size is not None
        self._unpainted = True
        if full_size != self.frame_size:
            self.frame_size = full_size
            self.fit_frame()
        if not replaces_preview:
            self.frame_set.emit(index)

    def fit_frame(self) -> None:
        """Zoom and pan so the whole frame fills the canvas."""
        self.view_box.autoRange(padding=0)

    def _painted(self) -> None:
        """Report the first paint of a newly set frame."""
        if self._unpainted:
            self._unpainted = False
            self.shown_index, self.shown_preview = self.frame_index, self.preview
            self.frame_shown.emit(self.frame_index)
