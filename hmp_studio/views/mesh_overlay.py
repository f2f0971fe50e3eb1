"""The fitted hand meshes and reprojected joints over the video frame: rendered by the RenderThread, cached per
frame, and shown for the frame on the canvas (a frame not cached yet appears when its render arrives)."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, QRectF, Signal
from PySide6.QtGui import QTransform

from hmp_engine.render import STYLES
from hmp_studio.model.document import Document
from hmp_studio.model.view_state import ViewState
from hmp_studio.workers.render_thread import FrameRender, RenderThread

CACHED_FRAMES = 240
"""Rendered frames kept (a cropped layer is a few hundred kB): a loop over a few seconds plays from the cache."""
OPACITY = 0.8


class MeshOverlay(QObject):
    """Draws the current frame's fitted meshes and joints with the view state's hand model; the view state's
    toggles show or hide each layer."""

    frame_rendered = Signal(int, object)  # frame, FrameRender: a render of the current fits arrived
    drawn = Signal(object)  # FrameRender now on the canvas
    message = Signal(str)

    def __init__(self, view_box: pg.ViewBox, document: Document, state: ViewState, renderer: RenderThread,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._document, self._state, self._renderer = document, state, renderer
        self.generation = 0
        self.frame: int | None = None
        self.cache: OrderedDict[int, FrameRender] = OrderedDict()
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setOpacity(OPACITY)
        self.image.setZValue(5)
        view_box.addItem(self.image, ignoreBounds=True)
        self.joints = {side: pg.ScatterPlotItem(size=7, pen=pg.mkPen("k"), brush=pg.mkBrush(*style.joints))
                       for side, style in STYLES.items()}
        for item in self.joints.values():
            item.setZValue(6)
            view_box.addItem(item, ignoreBounds=True)
        renderer.rendered.connect(self._rendered)
        renderer.failed.connect(lambda generation, reason: self.message.emit(f"Overlay: {reason}"))
        document.opened.connect(self.refit)
        document.fits_changed.connect(self.refit)
        state.frame_shown.connect(self.show_frame)
        state.meshes_visible_changed.connect(self.set_mesh_visible)
        state.joints_visible_changed.connect(self.set_joints_visible)

    def refit(self) -> None:
        """The fits changed: forget the cached renders and render with a new renderer."""
        self.generation += 1
        self.cache.clear()
        project = self._document.project
        copy = project.snapshot() if project is not None and project.fits else None
        self._renderer.set_fits(self.generation, copy, self._state.hand_model)
        self._draw(None)
        if self.frame is not None:
            self.show_frame(self.frame)

    def show_frame(self, frame: int) -> None:
        """Show ``frame``'s overlay from the cache, or ask for it (the newest frame asked for is rendered next)."""
        self.frame = frame
        cached = self.cache.get(frame)
        if cached is not None:
            self.cache.move_to_end(frame)
            self._draw(cached)
        elif self._document.project is not None and self._document.project.fits:
            self._renderer.request(self.generation, frame)

    def set_mesh_visible(self, visible: bool) -> None:
        """Show or hide the meshes."""
        self.image.setVisible(visible)

    def set_joints_visible(self, visible: bool) -> None:
        """Show or hide the reprojected joints."""
        for item in self.joints.values():
            item.setVisible(visible)

    def _rendered(self, generation: int, frame: int, result: FrameRender) -> None:
        """Cache a render of the current fits; draw it if its frame is on the canvas."""
        if generation != self.generation:
            return
        self.cache[frame] = result
        while len(self.cache) > CACHED_FRAMES:
            self.cache.popitem(last=False)
        if frame == self.frame:
            self._draw(result)
        self.frame_rendered.emit(frame, result)

    def _draw(self, result: FrameRender | None) -> None:
        """Put a render's layer and joints on the canvas (nothing for None)."""
        layer = result.layer if result is not None else None
        if layer is None:
            self.image.clear()
        else:
            self.image.setImage(layer.rgba, autoLevels=False, levels=None)  # uint8 as is: no rescaling pass
            viewport = layer.viewport
            self.image.setTransform(QTransform())
            self.image.setRect(QRectF(viewport.x, viewport.y, viewport.width, viewport.height))
        self.image.setVisible(self._state.meshes_visible and layer is not None)
        for side, item in self.joints.items():
            points = result.joints.get(side) if result is not None else None
            item.setData(pos=np.empty((0, 2)) if points is None else points)
            item.setVisible(self._state.joints_visible)
        if result is not None:
            self.drawn.emit(result)
