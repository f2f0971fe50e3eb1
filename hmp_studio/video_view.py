"""The video canvas: one frame in a zoomable, pannable view in image pixel coordinates."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QWidget


class VideoView(pg.GraphicsLayoutWidget):
    """Shows a video frame with square pixels and the y axis pointing down, as image coordinates do.

    Pixel (x, y) of the frame covers the square [x, x+1] x [y, y+1] of the view, so overlays (keypoints,
    boxes) added to ``view_box`` in image pixel coordinates line up with the frame.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAcceptDrops(False)  # file drops go to the main window
        self.viewport().setAcceptDrops(False)
        self.ci.setContentsMargins(0, 0, 0, 0)
        self.view_box: pg.ViewBox = self.addViewBox(lockAspect=True, invertY=True, enableMenu=False)
        self.image_item = pg.ImageItem(axisOrder="row-major")
        self.view_box.addItem(self.image_item)
        self.frame_index: int | None = None

    def show_frame(self, index: int, rgb: np.ndarray) -> None:
        """Display frame ``index`` (an (H, W, 3) uint8 RGB array); fit the view when the frame size changes."""
        previous = self.image_item.image
        self.image_item.setImage(rgb, autoLevels=False, levels=(0, 255))
        self.frame_index = index
        if previous is None or previous.shape != rgb.shape:
            self.view_box.autoRange(padding=0)
