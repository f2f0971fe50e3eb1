"""The window fits the screen: at 1280x720 and 1920x1080 no control of any dock is squeezed, cut or elided."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractScrollArea,
    QApplication,
    QComboBox,
    QDockWidget,
    QLabel,
    QScrollBar,
    QWidget,
)

from hmp_studio.docks.loss_plot import MINIMUM_HEIGHT
from hmp_studio.main_window import MainWindow
from tests.studio.gui_helpers import make_window


def _inside_scroll_viewport_internals(widget: QWidget, dock: QDockWidget) -> bool:
    """Whether ``widget`` belongs to a scroll area's own machinery (scroll bars, corners) or a combo's popup."""
    if isinstance(widget, QScrollBar):
        return True
    parent = widget.parentWidget()
    # A parent that is not a widget is a stale PySide wrapper (pyqtgraph rebuilds its tree items): stop there.
    while isinstance(parent, QWidget) and parent is not dock:
        if isinstance(parent, QComboBox):
            return True
        if isinstance(parent, QAbstractScrollArea) and not parent.viewport().isAncestorOf(widget):
            return True
        parent = parent.parentWidget()
    return False


def cut_controls(dock: QDockWidget) -> list[str]:
    """Every visible widget of ``dock`` that is smaller than its minimum size hint, reaches outside the dock's
    width, or whose label or button text is wider than the room it has."""
    problems = []
    dock_rect = QRect(QPoint(0, 0), dock.size())
    for widget in dock.findChildren(QWidget):
        if not widget.isVisibleTo(dock) or _inside_scroll_viewport_internals(widget, dock):
            continue
        name = f"{type(widget).__name__} {getattr(widget, 'text', lambda: '')()!r} in {dock.windowTitle()}"
        hint = widget.minimumSize() if widget.minimumWidth() else widget.minimumSizeHint()  # as layouts take it
        if hint.isValid() and (widget.width() < hint.width() or widget.height() < hint.height()):
            problems.append(f"{name}: {widget.width()}x{widget.height()} < hint {hint.width()}x{hint.height()}")
        placed = QRect(widget.mapTo(dock, QPoint(0, 0)), widget.size())
        if placed.left() < dock_rect.left() or placed.right() > dock_rect.right():
            problems.append(f"{name}: x {placed.left()}..{placed.right()} outside the dock's width {dock.width()}")
        text = widget.text() if isinstance(widget, (QLabel, QAbstractButton)) else ""
        if text and not (isinstance(widget, QLabel) and widget.wordWrap()):
            advance = widget.fontMetrics().horizontalAdvance(text.replace("&", ""))
            if advance > widget.contentsRect().width():
                problems.append(f"{name}: text needs {advance} px, has {widget.contentsRect().width()}")
    return problems


def docks(window: MainWindow) -> list[QDockWidget]:
    """The window's docks."""
    return window.findChildren(QDockWidget)


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)])
def test_no_dock_control_is_cut(qtbot, tmp_path: Path, sample_video: Path, size: tuple[int, int]) -> None:
    window = make_window(qtbot, tmp_path)
    assert window.open_path(sample_video)
    window.fit_panel.progress.begin("Fitting")  # the fit's progress strip is the widest state of the Fit dock
    window.resize(*size)
    for dock in docks(window):
        dock.raise_()  # tabbed docks: check each one in front
        QApplication.processEvents()
        assert dock.isVisible(), dock.windowTitle()
        problems = cut_controls(dock)
        assert problems == [], "\n".join(problems)


def test_first_window_fills_most_of_the_screen(qtbot, tmp_path: Path) -> None:
    window = MainWindow(autosave_folder=tmp_path / "autosave")
    qtbot.addWidget(window)
    screen = window.screen().availableGeometry()
    assert window.width() >= 0.85 * screen.width() and window.height() >= 0.85 * screen.height()
    assert screen.contains(window.frameGeometry().center())


def test_loss_plot_is_readable(qtbot, tmp_path: Path) -> None:
    window = make_window(qtbot, tmp_path)
    window.resize(1280, 720)
    QApplication.processEvents()
    plot = window.fit_panel.plot
    assert plot.height() >= MINIMUM_HEIGHT
    assert plot.plotItem.getAxis("left").labelText == "weighted loss (log scale)"
    assert plot.plotItem.ctrl.logYCheck.isChecked()
    assert plot.plotItem.legend is not None
