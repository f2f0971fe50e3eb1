"""The studio's first window, driven for real (offscreen): open, display, scrub, play, errors, settings."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QTimer, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QApplication, QMessageBox

from hmp_engine.video import open_video
from hmp_studio.app import main
from hmp_studio.main_window import MainWindow
from hmp_studio.model.playback import Playback


def shows_frame(win: MainWindow, index: int) -> bool:
    return win.view.frame_index == index


def test_opening_shows_the_first_frame(window: MainWindow, qtbot, sample_video: Path) -> None:
    assert window.open_path(sample_video)  # what `hmp-studio VIDEO` calls
    qtbot.waitUntil(lambda: shows_frame(window, 0))
    with open_video(sample_video) as video:
        assert np.array_equal(window.view.image_item.image, video.frame(0))
    assert window.controls.slider.maximum() == 620
    assert window.controls.label.text().startswith("Frame 0 / 620")
    assert "right_hand_gestures_720p30.mp4" in window.windowTitle()


def test_slider_scrubs_to_the_requested_frame(window: MainWindow, qtbot, sample_video: Path) -> None:
    window.open_path(sample_video)
    for index in (40, 550, 120):  # scrubbing: older requests may be dropped
        window.controls.slider.setValue(index)
    window.controls.slider.setValue(300)
    qtbot.waitUntil(lambda: shows_frame(window, 300), timeout=5000)
    with open_video(sample_video) as video:
        assert np.array_equal(window.view.image_item.image, video.frame(300))
    assert "00:10.000 / 00:20.667" in window.controls.label.text()


def test_play_advances_and_pause_stops(window: MainWindow, qtbot, reach_video: Path) -> None:
    window.open_path(reach_video)
    qtbot.waitUntil(lambda: shows_frame(window, 0))
    window.controls.play_button.click()
    assert window.playback.playing
    qtbot.waitUntil(lambda: window.view.frame_index >= 5, timeout=5000)
    window.controls.play_button.click()
    assert not window.playback.playing
    stopped_at = window.playback.index
    qtbot.wait(300)  # 7 frame periods at 25 fps
    assert window.playback.index == stopped_at
    qtbot.waitUntil(lambda: shows_frame(window, stopped_at))


def test_arrow_keys_step_frames(window: MainWindow, qtbot, reach_video: Path) -> None:
    window.open_path(reach_video)
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_Right)
    qtbot.keyClick(window, Qt.Key.Key_Right)
    qtbot.keyClick(window, Qt.Key.Key_Left)
    qtbot.waitUntil(lambda: shows_frame(window, 1))
    qtbot.keyClick(window, Qt.Key.Key_End)
    qtbot.waitUntil(lambda: shows_frame(window, 201))


def test_unreadable_file_reports_and_keeps_the_video(
    window: MainWindow, qtbot, reach_video: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window.open_path(reach_video)
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "critical", lambda parent, title, text, *rest: shown.append(text))
    bad = tmp_path / "meeting_notes.mp4"
    bad.write_text("not a video\n" * 100)
    assert not window.open_path(bad)
    assert len(shown) == 1 and "meeting_notes.mp4" in shown[0]
    assert window.video is not None and window.video.path == reach_video
    window.controls.slider.setValue(100)
    qtbot.waitUntil(lambda: shows_frame(window, 100))


def test_dropping_a_file_opens_it(window: MainWindow, qtbot, reach_video: Path) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(reach_video))])
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    window.dropEvent(event)
    assert window.video is not None and window.video.path == reach_video
    qtbot.waitUntil(lambda: shows_frame(window, 0))


def test_window_geometry_persists(qtbot) -> None:
    first = MainWindow()
    qtbot.addWidget(first)
    size = (first.minimumSizeHint().width() + 8, 470)  # small, yet wide enough for every dock control
    first.resize(*size)
    first.show()
    first.close()
    second = MainWindow()
    qtbot.addWidget(second)
    assert (second.width(), second.height()) == size


def test_command_line_opens_the_video(qapp, sample_video: Path) -> None:
    opened: list[Path] = []

    def close_when_shown() -> None:
        windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
        if windows and windows[0].view.frame_index == 0:
            opened.append(windows[0].video.path)
            windows[0].close()
        else:
            QTimer.singleShot(20, close_when_shown)

    QTimer.singleShot(0, close_when_shown)
    QTimer.singleShot(15000, qapp.quit)  # never hang the suite
    assert main([str(sample_video)]) == 0
    assert opened == [sample_video]


def test_long_sessions_do_not_use_up_none_or_true(window: MainWindow) -> None:
    # PySide6 6.12.0 loses a reference to None per void call and to True per emit(); the window guards.
    for index in range(20000):
        window.playback.playing_changed.emit(index % 2 == 0)  # emit() and two void setters per call
    assert sys.getrefcount(None) > 1000 and sys.getrefcount(True) > 1000


def test_playback_runs_in_real_time_and_stops_at_the_end(qtbot) -> None:
    playback = Playback()
    playback.set_video(np.array([0.0, 0.02, 0.05, 0.15, 0.2, 0.3]))  # variable frame rate
    shown: list[int] = []
    playback.frame_changed.connect(shown.append)
    clock = time.perf_counter()
    playback.play()
    qtbot.waitUntil(lambda: not playback.playing, timeout=3000)
    assert time.perf_counter() - clock >= 0.29
    assert shown[-1] == 5 and shown == sorted(shown) and playback.index == 5


def test_loop_replays_a_range_at_the_chosen_speed(qtbot) -> None:
    playback = Playback()
    playback.set_video(np.arange(12) * 0.02)  # 50 fps
    playback.set_speed(2.0)
    playback.set_loop((3, 6))
    shown: list[int] = []
    playback.frame_changed.connect(shown.append)
    playback.play()
    qtbot.wait(400)  # a pass shows 4 frames for 0.02 s of video each: 0.04 s at double speed
    playback.pause()
    assert shown[0] == 3 and set(shown) <= {3, 4, 5, 6}
    wraps = sum(1 for a, b in zip(shown, shown[1:]) if b < a)
    assert 6 <= wraps <= 11, shown

    playback.set_loop(None)
    playback.set_speed(0.5)
    playback.seek(0)
    clock = time.perf_counter()
    playback.play()
    qtbot.waitUntil(lambda: not playback.playing, timeout=3000)
    assert time.perf_counter() - clock >= 0.43  # 0.22 s of video at half speed


def test_loop_range_follows_the_timeline_selection(window: MainWindow, qtbot, reach_video: Path) -> None:
    window.open_path(reach_video)
    qtbot.waitUntil(lambda: shows_frame(window, 0))
    window.playback.seek(20)
    qtbot.keyClick(window, Qt.Key.Key_BracketLeft)
    window.playback.seek(40)
    qtbot.keyClick(window, Qt.Key.Key_BracketRight)
    qtbot.keyClick(window, Qt.Key.Key_L)
    assert window.playback.loop == (20, 40)
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert window.playback.loop == (0, 201)
    qtbot.keyClick(window, Qt.Key.Key_L)
    assert window.playback.loop is None
