"""The issue's whole review loop, driven through the real window with real detection: open the sample, detect,
drag a keypoint, undo and redo it, mark a finger occluded over a range, interpolate, save, reopen."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from hmp_engine.detection import OCCLUSION_THRESHOLD
from hmp_engine.session import EditState, load_project
from hmp_studio.main_window import MainWindow
from tests.studio.gui_helpers import (
    close_discarding,
    image_to_viewport,
    make_window,
    mouse_drag,
    open_and_show,
    show_frame,
)

DETECTED_FRAMES = 230
"""The sample's first 230 frames: the detector loses the thumb tip (joint 4) on frames 206 and 208-223."""
THUMB_TIP, INDEX_TIP = 4, 8


def press(qtbot, win: MainWindow, key: Qt.Key, modifiers=Qt.KeyboardModifier.NoModifier) -> None:
    """Press a key with the window focused, as a user would."""
    qtbot.keyClick(win, key, modifiers)


def test_detect_correct_save_and_reopen_the_sample(window: MainWindow, qtbot, sample_video: Path,
                                                   tmp_path: Path) -> None:
    window.activateWindow()
    open_and_show(qtbot, window, sample_video)
    events = []
    with qtbot.waitSignal(window.detection.finished, timeout=120_000):
        assert window.detection.start(max_frames=DETECTED_FRAMES)
        assert window.task_progress.isVisible()
        window.task_progress.bar.valueChanged.connect(events.append)
    project = window.document.project
    assert project.detections.num_frames == DETECTED_FRAMES and project.track(0).handedness == "right"
    assert events[-1] == DETECTED_FRAMES and not window.task_progress.isVisible()
    assert window.document.undo_stack.undoText() == "Detect hands" and window.isWindowModified()
    assert window.timeline.image.image.shape == (22, 621, 4)
    unsure = project.track(0).keypoints[200:230, THUMB_TIP, 2] < OCCLUSION_THRESHOLD
    assert (np.flatnonzero(unsure) + 200).tolist() == [206, *range(208, 224)], "the detections the test relies on"

    # drag the index fingertip on frame 100 with the mouse: one undo entry
    show_frame(qtbot, window, 100)
    raw = project.track(0).keypoints[100, INDEX_TIP, :2].copy()
    target = raw + (30.0, -20.0)
    path = [image_to_viewport(window, *(raw + (target - raw) * t)) for t in np.linspace(0, 1, 8)]
    mouse_drag(window.view.viewport(), path)
    edit = project.edit(0, 100, INDEX_TIP)
    assert edit.state is EditState.POSITION
    assert np.allclose((edit.x, edit.y), target, atol=2.5)  # one screen pixel is about two image pixels
    assert window.document.undo_stack.count() == 2
    assert window.document.undo_stack.undoText() == "Move index_tip (frame 100)"
    point = window.overlay.points[0][INDEX_TIP]
    assert (point.x(), point.y()) == (edit.x, edit.y)

    press(qtbot, window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert project.edit(0, 100, INDEX_TIP) is None
    assert (point.x(), point.y()) == tuple(raw)
    press(qtbot, window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert project.edit(0, 100, INDEX_TIP) == edit

    # mark the thumb occluded on frames 212-215: click its tip, finger scope, range with [ and ], Shift+O
    show_frame(qtbot, window, 212)
    mouse_drag(window.view.viewport(), [image_to_viewport(window, *project.track(0).keypoints[212, THUMB_TIP, :2])])
    assert window.overlay.selected == (0, THUMB_TIP)
    press(qtbot, window, Qt.Key.Key_2)
    press(qtbot, window, Qt.Key.Key_BracketLeft)
    show_frame(qtbot, window, 215)
    press(qtbot, window, Qt.Key.Key_BracketRight)
    assert window.timeline.selected_range() == (212, 215)
    press(qtbot, window, Qt.Key.Key_O, Qt.KeyboardModifier.ShiftModifier)
    thumb = (1, 2, 3, 4)
    for frame in range(212, 216):
        for joint in thumb:
            assert project.edit(0, frame, joint).state is EditState.OCCLUDED
    assert window.document.undo_stack.undoText() == "Mark right thumb finger occluded (frames 212-215)"

    # interpolate the thumb over frames 200-229: only the gap at 206 is filled; the gaps that touch the
    # occluded frames (208-211, 216-223) are not interpolated across the occlusion
    show_frame(qtbot, window, 200)
    press(qtbot, window, Qt.Key.Key_BracketLeft)
    show_frame(qtbot, window, 229)
    press(qtbot, window, Qt.Key.Key_BracketRight)
    press(qtbot, window, Qt.Key.Key_I)
    filled = project.edit(0, 206, THUMB_TIP)
    keypoints = project.track(0).keypoints
    assert filled.state is EditState.POSITION
    midpoint = (keypoints[205, THUMB_TIP, :2] + keypoints[207, THUMB_TIP, :2]) / 2
    assert (filled.x, filled.y) == pytest.approx(tuple(midpoint))
    assert all(project.edit(0, frame, THUMB_TIP) is None for frame in (*range(208, 212), *range(216, 224)))
    assert window.document.undo_stack.count() == 4  # detect, drag, mark, interpolate

    # save, reopen in a new window: every edit is there
    saved = tmp_path / "reviewed.hmp"
    assert window.files.save_as(saved)
    assert not window.isWindowModified() and window.windowTitle() == "HMP Studio — reviewed.hmp[*]"
    expected_edits = {track: dict(edits) for track, edits in project.edits.items()}
    assert len(expected_edits[0]) == 1 + 16 + 1
    close_discarding(window)

    reopened = make_window(qtbot, tmp_path)
    open_and_show(qtbot, reopened, saved, frame=100)
    assert reopened.document.project.edits == expected_edits
    assert load_project(saved).edits == expected_edits
    np.testing.assert_array_equal(reopened.document.project.effective_keypoints(0), project.effective_keypoints(0))
    point = reopened.overlay.points[0][INDEX_TIP]
    assert (point.x(), point.y()) == (edit.x, edit.y)
    edit_marks = reopened.timeline.image.image[0, :, 3] > 0
    assert set(np.flatnonzero(edit_marks)) == {100, 206, 212, 213, 214, 215}
    close_discarding(reopened)
