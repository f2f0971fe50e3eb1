"""Initialisation against fit, per frame: the reprojection error and the joint acceleration curves of the last
fit run in this session (over the frames it covered), with the current frame marked."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QWidget

from hmp_engine.fitting import ProjectFit
from hmp_engine.fitting.metrics import frame_accelerations, frame_reprojection_errors
from hmp_engine.render import STYLES


class ComparePlot(pg.GraphicsLayoutWidget):
    """Two linked plots: reprojection error (px) and joint acceleration (mm/frame²); dashed: initialisation."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.error_plot = self.addPlot(row=0, col=0)
        self.error_plot.setLabel("left", "reprojection", units="px")
        self.accel_plot = self.addPlot(row=1, col=0)
        self.accel_plot.setLabel("left", "acceleration (mm/frame²)")
        self.accel_plot.setLabel("bottom", "frame")
        self.accel_plot.setXLink(self.error_plot)
        self.error_plot.addLegend(offset=(-10, 5))
        self.cursors = [pg.InfiniteLine(0, pen=pg.mkPen("#ffd700")) for _ in range(2)]
        for plot, cursor in zip((self.error_plot, self.accel_plot), self.cursors):
            plot.addItem(cursor)
        self.curves: dict[str, np.ndarray] = {}

    def clear_curves(self) -> None:
        """Show no fit (another project was opened: its fits were run in an earlier session)."""
        self.curves = {}
        for plot in (self.error_plot, self.accel_plot):
            for item in plot.listDataItems():
                plot.removeItem(item)
        self.error_plot.legend.clear()

    def show_fit(self, fit: ProjectFit, first: int) -> None:
        """Plot the curves of a fit whose arrays start at frame ``first``."""
        self.clear_curves()
        for side, hand in fit.result.hands.items():
            init = fit.inits[side]
            frames = np.arange(first, first + len(hand.joints))
            colour = tuple(int(255 * value) for value in STYLES[side].mesh)
            for label, joints, style in (("init", hand.init_joints, pg.QtCore.Qt.PenStyle.DashLine),
                                         ("fit", hand.joints, pg.QtCore.Qt.PenStyle.SolidLine)):
                pen = pg.mkPen(colour if label == "fit" else (170, 170, 170), style=style)
                errors = frame_reprojection_errors(joints, fit.camera, init.keypoints, init.confidence)
                acceleration = frame_accelerations(joints)
                self.curves[f"{side} {label} reprojection"] = errors
                self.curves[f"{side} {label} acceleration"] = acceleration
                self.error_plot.plot(frames, errors, pen=pen, name=f"{side} {label}", connect="finite")
                self.accel_plot.plot(frames, acceleration, pen=pen, connect="finite")

    def set_frame(self, frame: int) -> None:
        """Mark the current frame."""
        for cursor in self.cursors:
            cursor.setValue(frame)
