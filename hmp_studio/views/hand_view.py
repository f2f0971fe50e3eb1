"""A 3D view of the current frame's fitted hands that the mouse orbits (drag) and zooms (wheel); where Qt has
no OpenGL (the offscreen platform), a line saying so instead."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QGuiApplication, QOpenGLContext, QVector3D
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from hmp_engine.render import STYLES
from hmp_studio.workers.render_thread import FrameRender

_CV_TO_VIEW = np.array([1.0, -1.0, -1.0])
"""Camera frame (OpenCV: y down, z forward) to the view's (z up...): the hands appear as the camera sees them."""


def opengl_available() -> bool:
    """Whether Qt can make an OpenGL context on this platform."""
    return QOpenGLContext().create()


class HandView(QWidget):
    """Shows the meshes of FrameRenders; the camera is aimed at the hands the first time they appear."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.view = None
        self.meshes: dict = {}
        if not opengl_available():
            platform = QGuiApplication.platformName()
            self.notice = QLabel(f"The 3D view needs OpenGL, which the Qt platform '{platform}' does not provide; "
                                 "the overlay on the video is unaffected.", wordWrap=True)
            layout.addWidget(self.notice)
            return
        import pyqtgraph.opengl as gl  # only where OpenGL works

        self.view = gl.GLViewWidget()
        self.view.setBackgroundColor((30, 30, 30))
        self.view.addItem(gl.GLGridItem(size=QVector3D(0.5, 0.5, 1), glOptions="translucent"))
        self.meshes = {side: gl.GLMeshItem(smooth=True, shader="shaded", color=(*style.mesh, 1.0))
                       for side, style in STYLES.items()}
        for mesh in self.meshes.values():
            mesh.setVisible(False)  # an item without mesh data cannot draw
            self.view.addItem(mesh)
        self._aimed = False
        layout.addWidget(self.view)

    def show_render(self, result: FrameRender) -> None:
        """Show a frame's meshes (sides without a fit there are hidden)."""
        if self.view is None:
            return
        for side, item in self.meshes.items():
            mesh = result.meshes.get(side)
            item.setVisible(mesh is not None)
            if mesh is not None:
                item.setMeshData(vertexes=mesh[0] * _CV_TO_VIEW, faces=mesh[1])
        if result.meshes and not self._aimed:
            centre = np.concatenate([vertices for vertices, _ in result.meshes.values()]).mean(axis=0) * _CV_TO_VIEW
            self.view.setCameraPosition(pos=QVector3D(*centre), distance=0.4, elevation=10, azimuth=-90)
            self._aimed = True
