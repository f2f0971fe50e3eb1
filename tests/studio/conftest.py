"""Fixtures of every studio test: private settings, the reach clip's detections and project, a main window."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from hmp_engine.detection import DetectionResult, detect_video
from hmp_engine.session import Project, VideoRef
from hmp_studio.main_window import MainWindow
from tests.paths import REACH_VIDEO
from tests.studio.gui_helpers import REACH_FRAMES, make_window


@pytest.fixture(autouse=True)
def private_settings(tmp_path: Path) -> None:
    """Keep the user's real QSettings out of the tests."""
    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(tmp_path / "settings"))


@pytest.fixture(scope="session")
def reach_detection() -> DetectionResult:
    """Real MediaPipe detections of the reach clip's first REACH_FRAMES frames, detected once per session."""
    return detect_video(REACH_VIDEO, max_frames=REACH_FRAMES)


@pytest.fixture
def reach_project(tmp_path: Path, reach_detection: DetectionResult) -> Path:
    """A saved project of the reach clip with those detections and no edits."""
    project = Project(VideoRef.from_file(REACH_VIDEO), copy.deepcopy(reach_detection))
    return project.save(tmp_path / "reach.hmp")


@pytest.fixture
def window(qtbot, tmp_path: Path) -> MainWindow:
    """The real main window, shown offscreen, autosaving into the test's folder; closed without questions."""
    return make_window(qtbot, tmp_path)
