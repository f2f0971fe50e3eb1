"""A live plot of every weighted loss term per fit iteration, stages end to end, redrawn a few times a second."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QWidget

from hmp_engine.progress import ProgressEvent

MINIMUM_HEIGHT = 220
"""Room for the legend of every term and readable axis labels: the Fit dock scrolls rather than squeeze it."""
REDRAW_MS = 150
"""Redraw at most this often: a fit reports hundreds of iterations a second, the eye needs a few frames."""
_COLOURS = ("w", "#ff8c00", "#1e90ff", "#32cd32", "#dc143c", "#ba55d3", "#ffd700", "#00ced1", "#a0522d",
            "#ff69b4", "#7fff00")


class LossPlot(pg.PlotWidget):
    """Curves of the weighted terms and the total (log scale) against the iteration counted over all stages."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setLogMode(y=True)
        self.setLabel("bottom", "iteration (all stages)")
        self.setLabel("left", "weighted loss (log scale)")
        self.addLegend(offset=(-10, 10), colCount=2, labelTextSize="8pt", brush=pg.mkBrush(0, 0, 0, 190))
        self.setMinimumHeight(MINIMUM_HEIGHT)
        self.values: dict[str, list[tuple[int, float]]] = {}
        self.iterations = 0
        self._stage, self._stage_start = "", 0
        self._curves: dict[str, pg.PlotDataItem] = {}
        self._timer = QTimer(self, singleShot=True, interval=REDRAW_MS)
        self._timer.timeout.connect(self.redraw)

    def clear_losses(self) -> None:
        """Forget the previous fit's curves."""
        self.values, self.iterations, self._stage, self._stage_start = {}, 0, "", 0
        self._curves = {}
        self.plotItem.clear()
        self.plotItem.legend.clear()

    def add_event(self, event: ProgressEvent) -> None:
        """Record one iteration's terms (events of other tasks are ignored)."""
        if not event.stage.startswith("fit stage"):
            return
        if event.stage != self._stage:
            self._stage, self._stage_start = event.stage, self.iterations
            self.addItem(pg.InfiniteLine(self._stage_start, pen=pg.mkPen("#888", style=Qt.PenStyle.DashLine)))
        self.iterations = self._stage_start + event.done
        for name, value in event.values.items():
            if value > 0:
                self.values.setdefault(name, []).append((self.iterations, value))
        if not self._timer.isActive():
            self._timer.start()

    def redraw(self) -> None:
        """Draw the curves recorded so far."""
        for name, points in self.values.items():
            if name not in self._curves:
                colour = _COLOURS[len(self._curves) % len(_COLOURS)]
                self._curves[name] = self.plot(name=name, pen=pg.mkPen(colour, width=2 if name == "loss" else 1))
            x, y = zip(*points)
            self._curves[name].setData(x, y)
