"""Shared fixtures: paths to bundled data, and a headless Qt platform for GUI tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO_ROOT = Path(__file__).resolve().parents[1]
TEST_DATA = REPO_ROOT / "tests" / "data"
SAMPLE_VIDEO = REPO_ROOT / "resources" / "samples" / "right_hand_gestures_720p30.mp4"
REACH_VIDEO = TEST_DATA / "open_hand_reach_360p25.mp4"


@pytest.fixture(scope="session")
def sample_video() -> Path:
    """The bundled 1280x720, 30 fps, 621-frame right-hand sample."""
    return SAMPLE_VIDEO


@pytest.fixture(scope="session")
def reach_video() -> Path:
    """The 640x360, 25 fps, 202-frame open-hand reach clip."""
    return REACH_VIDEO
