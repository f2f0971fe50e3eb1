"""The timeline in the real window: the heat map, scrubbing with the mouse, range selection and zoom, jumps to
low-confidence, occluded and edited frames, and the keyboard cheat sheet."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QEvent, Qt

from hmp_engine.detection import OCCLUSION_THRESHOLD
from hmp_engine.session import EditState, KeypointEdit
from hmp_studio.main_window import MainWindow
from hmp_studio.model.undo_commands import EditCommand
from hmp_studio.views.timeline_image import EDIT_MARK, OCCLUDED, confidence_colours
from tests.studio.gui_helpers import (
    REACH_FRAMES,
    frame_to_timeline,
    mouse_drag,
    open_and_show,
    send_mouse,
)


def run_starts(flags: list[bool]) -> list[int]:
    """Frames where a run of flagged frames begins (written out plainly, to check the studio's jumps)."""
    return [f for f, flag in enumerate(flags) if flag and (f == 0 or not flags[f - 1])]


def test_heat_map_shows_confidence_occlusion_and_edits(window: MainWindow, qtbot, reach_project: Path) -> None:
    open_and_show(qtbot, window, reach_project)
    project = window.document.project
    image = window.timeline.image.image
    assert image.shape == (22, 202, 4)
    confidence = project.track(0).keypoints[..., 2]
    frame, joint = np.argwhere(confidence > 0.9)[0]
    assert tuple(image[1 + joint, frame, :3]) == tuple(confidence_colours(confidence[frame, joint]))
    frame, joint = np.argwhere(confidence < OCCLUSION_THRESHOLD)[0]
    assert tuple(image[1 + joint, frame, :3]) in {tuple(grey) for grey in OCCLUDED}
    assert (image[:, REACH_FRAMES:, 3] == 0).all(), "no detections after the detected frames"
    assert (image[0, :, 3] == 0).all(), "no edits yet"

    edit = {0: {(7, 3): KeypointEdit(100.0, 100.0, EditState.POSITION)}}
    window.document.push(EditCommand(window.document, edit, "test edit"))
    image = window.timeline.image.image
    assert tuple(image[0, 7]) == (*EDIT_MARK, 255) and np.flatnonzero(image[0, :, 3]).tolist() == [7]
    assert tuple(image[1 + 3, 7, :3]) == tuple(confidence_colours(np.float64(1.0)) // 2 + EDIT_MARK // 2)
    send_mouse(window.timeline.viewport(), QEvent.Type.MouseMove, frame_to_timeline(window, 7, row=4.5),
               Qt.MouseButton.NoButton, Qt.MouseButton.NoButton)
    assert window.timeline.image.toolTip() == "frame 7: right thumb_ip, confidence 1.00, moved by you"


def test_click_and_drag_on_the_timeline_scrub(window: MainWindow, qtbot, reach_project: Path) -> None:
    open_and_show(qtbot, window, reach_project)
    viewport = window.timeline.viewport()
    mouse_drag(viewport, [frame_to_timeline(window, 30)])
    assert window.playback.index == 30 and window.timeline.cursor.value() == 30
    qtbot.waitUntil(lambda: window.view.frame_index == 30)
    mouse_drag(viewport, [frame_to_timeline(window, f) for f in (30, 40, 90, 150)])
    assert window.playback.index == 150
    qtbot.waitUntil(lambda: window.view.frame_index == 150 and window.overlay.frame == 150)
    assert not any(point.isVisible() for point in window.overlay.points[0]), "no keypoints past the detections"


def test_shift_drag_selects_a_range_and_zoom_fits_it(window: MainWindow, qtbot, reach_project: Path) -> None:
    open_and_show(qtbot, window, reach_project)
    points = [frame_to_timeline(window, f) for f in (10, 18, 25)]
    mouse_drag(window.timeline.viewport(), points, Qt.KeyboardModifier.ShiftModifier)
    assert window.timeline.selected_range() == (10, 25) and window.playback.index == 0
    qtbot.keyClick(window, Qt.Key.Key_Z)
    assert window.timeline.plot.viewRange()[0] == pytest.approx([9.5, 25.5], abs=0.01)
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ShiftModifier)
    assert window.timeline.plot.viewRange()[0] == pytest.approx([-0.5, 201.5], abs=0.01)
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert window.timeline.selected_range() is None


def test_keys_jump_to_low_confidence_occluded_and_edited_frames(window: MainWindow, qtbot, reach_project: Path) -> None:
    open_and_show(qtbot, window, reach_project)
    project = window.document.project
    confidence = project.track(0).keypoints[..., 2]
    expected = {
        Qt.Key.Key_X: run_starts([(row < OCCLUSION_THRESHOLD).any() for row in confidence]),
        Qt.Key.Key_C: run_starts([((row >= OCCLUSION_THRESHOLD) & (row < 0.7)).any() for row in confidence]),
    }
    for key, starts in expected.items():
        later = [start for start in starts if start > 0]
        window.playback.seek(0)
        qtbot.keyClick(window, key)
        assert window.playback.index == (later[0] if later else 0)
        if len(later) > 1:
            qtbot.keyClick(window, key)
            assert window.playback.index == later[1]
            qtbot.keyClick(window, key, Qt.KeyboardModifier.ShiftModifier)
            assert window.playback.index == later[0]

    edits = {(5, 0): KeypointEdit(1.0, 1.0, EditState.POSITION), (6, 0): KeypointEdit(1.0, 1.0, EditState.POSITION),
             (30, 2): KeypointEdit(1.0, 1.0, EditState.OCCLUDED)}
    window.document.push(EditCommand(window.document, {0: edits}, "test edits"))
    window.playback.seek(0)
    visited = []
    for _ in range(3):
        qtbot.keyClick(window, Qt.Key.Key_E)
        visited.append(window.playback.index)
    assert visited == [5, 30, 30] and window.statusBar().currentMessage() == "No later edited frame"
    qtbot.keyClick(window, Qt.Key.Key_E, Qt.KeyboardModifier.ShiftModifier)
    assert window.playback.index == 5
    qtbot.waitUntil(lambda: window.view.frame_index == 5)


def test_cheat_sheet_lists_every_shortcut_once(window: MainWindow) -> None:
    sheet = window.show_cheat_sheet()
    text = sheet.label.text()
    for entry in ("Next Occluded Frame", "Mark Occluded over Range", "Interpolate over Range", "Undo", "Zoom to Range",
                  "Shift + drag on the timeline"):
        assert entry in text
    shortcuts = [action.shortcut().toString() for action in window.findChildren(type(window.detection.action))
                 if not action.shortcut().isEmpty()]
    assert len(shortcuts) == len(set(shortcuts)), f"ambiguous shortcuts: {sorted(shortcuts)}"
    sheet.close()
