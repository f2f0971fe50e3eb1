"""Real-input helpers of the studio tests: windows, dialogs answered, mouse drags, coordinates."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QPoint, QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from hmp_studio.main_window import MainWindow

REACH_FRAMES = 60
"""Frames of the reach clip the shared detection covers: its rendered hand has unsure joints in every frame,
and 60 frames at 360p detect in about two seconds."""


def make_window(qtbot, tmp_path: Path) -> MainWindow:
    """A shown main window whose autosaves go to ``tmp_path / 'autosave'``; at the end of the test it closes,
    discarding unsaved changes."""
    win = MainWindow(autosave_folder=tmp_path / "autosave")
    win.resize(1280, 860)  # the size the canvas tests' pixel tolerances were set for (not the offscreen screen's)
    qtbot.addWidget(win, before_close_func=lambda w: answer_next_dialog("Discard") if w.document.modified else None)
    win.show()
    return win


def close_discarding(win: MainWindow) -> None:
    """Close a window, answering Discard if it asks about unsaved changes."""
    if win.document.modified:
        answer_next_dialog("Discard")
    win.close()


def answer_next_dialog(button_text: str) -> None:
    """Click the button named ``button_text`` (e.g. 'Recover', 'Discard', 'OK') of the next message box."""

    def click() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(10, click)
            return
        for button in box.buttons():
            if button.text().replace("&", "") == button_text:
                button.click()
                return
        box.reject()  # never leave a test waiting on a dialog
        raise AssertionError(f"no button {button_text!r} in {[b.text() for b in box.buttons()]}")

    QTimer.singleShot(0, click)


def open_and_show(qtbot, win: MainWindow, path: Path, frame: int = 0) -> None:
    """Open ``path`` and wait until ``frame`` and its keypoints are on the canvas."""
    assert win.open_path(path)
    show_frame(qtbot, win, frame)


def show_frame(qtbot, win: MainWindow, frame: int) -> None:
    """Go to ``frame`` and wait until it and its keypoints are on the canvas."""
    win.playback.seek(frame)
    qtbot.waitUntil(lambda: win.view.frame_index == frame and win.overlay.frame == frame, timeout=5000)


def zoom_to_hand(win: MainWindow, track: int = 0) -> None:
    """Zoom the canvas onto a hand of the displayed frame, as a user does before fine corrections."""
    x0, y0, x1, y1 = win.document.project.track(track).boxes[win.overlay.frame]
    win.view.view_box.setRange(QRectF(x0, y0, x1 - x0, y1 - y0), padding=0.15)
    QApplication.processEvents()


def send_mouse(widget: QWidget, kind: QEvent.Type, pos: QPoint, button: Qt.MouseButton,
               buttons: Qt.MouseButton, modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    """Deliver one real mouse event to ``widget`` at ``pos`` (widget coordinates)."""
    local = QPointF(pos)
    event = QMouseEvent(kind, local, QPointF(widget.mapToGlobal(pos)), button, buttons, modifiers)
    QApplication.sendEvent(widget, event)


def mouse_drag(widget: QWidget, points: list[QPoint],
               modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    """Press the left button at the first point, move through the others, release at the last."""
    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    send_mouse(widget, QEvent.Type.MouseButtonPress, points[0], left, left, modifiers)
    for point in points[1:]:
        QApplication.processEvents()
        send_mouse(widget, QEvent.Type.MouseMove, point, none, left, modifiers)
    send_mouse(widget, QEvent.Type.MouseButtonRelease, points[-1], left, none, modifiers)
    QApplication.processEvents()


def image_to_viewport(win: MainWindow, x: float, y: float) -> QPoint:
    """Where image pixel position (x, y) lies on the video canvas's viewport."""
    scene = win.view.view_box.mapViewToScene(QPointF(x, y))
    return win.view.mapFromScene(scene)


def frame_to_timeline(win: MainWindow, frame: float, row: float = 5.0) -> QPoint:
    """Where frame ``frame`` (at timeline row ``row``) lies on the timeline's viewport."""
    scene = win.timeline.plot.vb.mapViewToScene(QPointF(frame, row))
    return win.timeline.mapFromScene(scene)
