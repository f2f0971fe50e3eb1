"""Correcting keypoints in the real window: drags, occlusion marks by joint/finger/hand, reverting a frame, the
edit menu on a right-click, undo/redo and the history list, re-detection as one undoable step."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QBrush
from PySide6.QtWidgets import QApplication

from hmp_engine.session import EditState
from hmp_studio.main_window import MainWindow
from tests.studio.gui_helpers import (
    answer_next_dialog,
    image_to_viewport,
    mouse_drag,
    open_and_show,
    send_mouse,
    show_frame,
    zoom_to_hand,
)

WRIST, INDEX_MCP, INDEX_TIP = 0, 5, 8


def drag_point(win: MainWindow, track: int, joint: int, offset: tuple[float, float], steps: int = 6) -> np.ndarray:
    """Drag a keypoint of the displayed frame by ``offset`` image pixels with the mouse; returns the target."""
    start = win.document.project.frame_keypoints(track, win.overlay.frame)[joint, :2]
    target = start + offset
    path = [image_to_viewport(win, *(start + (target - start) * t)) for t in np.linspace(0, 1, steps)]
    mouse_drag(win.view.viewport(), path)
    return target


def click_point(win: MainWindow, track: int, joint: int) -> None:
    """Click a keypoint of the displayed frame (selects it)."""
    xy = win.document.project.frame_keypoints(track, win.overlay.frame)[joint, :2]
    mouse_drag(win.view.viewport(), [image_to_viewport(win, *xy)])


def test_a_whole_drag_is_one_undo_entry(window: MainWindow, qtbot, reach_project: Path) -> None:
    open_and_show(qtbot, window, reach_project, frame=10)
    project, stack = window.document.project, window.document.undo_stack
    first = drag_point(window, 0, WRIST, (12.0, 8.0), steps=10)
    assert stack.count() == 1
    second = drag_point(window, 0, WRIST, (-5.0, 6.0))
    assert stack.count() == 2, "a second drag is a second entry"
    history = window.history_dock.widget()
    assert history.model().rowCount() == 3  # '<empty>' + two moves
    assert np.allclose(project.frame_keypoints(0, 10)[WRIST, :2], second, atol=1.5)
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert np.allclose(project.frame_keypoints(0, 10)[WRIST, :2], first, atol=1.5)
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert project.edits == {}
    qtbot.keyClick(window, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)
    assert np.allclose(project.frame_keypoints(0, 10)[WRIST, :2], first, atol=1.5)
    assert window.isWindowModified()


def test_marks_cover_a_joint_its_finger_or_the_hand(window: MainWindow, qtbot, reach_project: Path) -> None:
    open_and_show(qtbot, window, reach_project, frame=20)
    zoom_to_hand(window)
    project = window.document.project
    qtbot.keyClick(window, Qt.Key.Key_O)
    assert project.edits == {} and window.statusBar().currentMessage() == "Click a keypoint first"
    click_point(window, 0, INDEX_TIP)
    qtbot.keyClick(window, Qt.Key.Key_O)
    assert list(project.edits[0]) == [(20, INDEX_TIP)]
    point = window.overlay.points[0][INDEX_TIP]
    assert point.brush().style() == Qt.BrushStyle.NoBrush and point.pen().style() == Qt.PenStyle.DashLine
    assert "marked occluded" in point.toolTip() and "index tip" in point.toolTip()
    qtbot.keyClick(window, Qt.Key.Key_2)
    qtbot.keyClick(window, Qt.Key.Key_O)
    assert sorted(project.edits[0]) == [(20, joint) for joint in (5, 6, 7, 8)]
    assert window.document.undo_stack.undoText() == "Mark right index finger occluded (frame 20)"
    qtbot.keyClick(window, Qt.Key.Key_3)
    qtbot.keyClick(window, Qt.Key.Key_V)
    assert len(project.edits[0]) == 21
    assert all(edit.state is EditState.VISIBLE for edit in project.edits[0].values())
    assert (project.effective_keypoints(0)[20, :, 2] == 1).all()
    wrist = window.overlay.points[0][WRIST]
    assert wrist.brush() != QBrush(Qt.BrushStyle.NoBrush) and wrist.pen().color().name() == "#ffffff"
    assert window.document.undo_stack.count() == 3


def test_revert_frame_returns_it_to_the_detection(window: MainWindow, qtbot, reach_project: Path) -> None:
    open_and_show(qtbot, window, reach_project, frame=11)
    project = window.document.project
    drag_point(window, 0, INDEX_MCP, (6.0, 6.0))
    show_frame(qtbot, window, 12)
    drag_point(window, 0, INDEX_MCP, (6.0, 6.0))
    qtbot.keyClick(window, Qt.Key.Key_R)
    assert list(project.edits[0]) == [(11, INDEX_MCP)]
    np.testing.assert_array_equal(project.frame_keypoints(0, 12), project.track(0).keypoints[12])
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert sorted(project.edits[0]) == [(11, INDEX_MCP), (12, INDEX_MCP)]


def test_right_click_opens_the_edit_menu_for_that_keypoint(window: MainWindow, qtbot, reach_project: Path) -> None:
    open_and_show(qtbot, window, reach_project, frame=5)
    zoom_to_hand(window)
    shown: list[list[str]] = []

    def choose_mark_occluded() -> None:
        menu = QApplication.activePopupWidget()
        if menu is None:
            QTimer.singleShot(10, choose_mark_occluded)
            return
        shown.append([action.text() for action in menu.actions()])
        action = next(action for action in menu.actions() if action.text() == "Mark &Occluded")
        menu.close()
        action.trigger()

    QTimer.singleShot(0, choose_mark_occluded)
    xy = window.document.project.frame_keypoints(0, 5)[INDEX_TIP, :2]
    pos = image_to_viewport(window, *xy)
    right = Qt.MouseButton.RightButton
    send_mouse(window.view.viewport(), QEvent.Type.MouseButtonPress, pos, right, right)
    assert window.overlay.selected == (0, INDEX_TIP)
    assert "Revert Frame to Detection" in [text.replace("&", "") for text in shown[0]]
    assert window.document.project.edit(0, 5, INDEX_TIP).state is EditState.OCCLUDED


def test_detecting_again_asks_and_is_undoable(window: MainWindow, qtbot, reach_project: Path) -> None:
    open_and_show(qtbot, window, reach_project, frame=3)
    project = window.document.project
    drag_point(window, 0, WRIST, (4.0, 4.0))
    old_detections, old_edits = project.detections, dict(project.edits[0])
    answer_next_dialog("Cancel")
    assert not window.detection.start(max_frames=8)
    assert project.detections is old_detections
    answer_next_dialog("OK")
    with qtbot.waitSignal(window.detection.finished, timeout=60_000):
        assert window.detection.start(max_frames=8)
    assert project.detections.num_frames == 8 and project.edits == {}
    assert window.overlay.points and window.timeline.image.image[0, 8:, 3].max() == 0
    with qtbot.waitActive(window):  # back from the dialog
        window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert project.detections is old_detections and project.edits[0] == old_edits


def test_cancelled_detection_leaves_the_project_unchanged(window: MainWindow, qtbot, reach_video: Path) -> None:
    open_and_show(qtbot, window, reach_video)
    progress = window.task_progress
    progress.bar.valueChanged.connect(lambda value: value >= 3 and progress.cancel_button.click())
    with qtbot.waitSignal(window.detection.finished, timeout=60_000):
        window.detection.start()
    assert window.document.project.detections is None and window.document.undo_stack.count() == 0
    assert window.statusBar().currentMessage() == "Detection cancelled; the project is unchanged"
    assert not progress.isVisible() and window.detection.action.isEnabled()
