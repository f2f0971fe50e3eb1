"""Shared fixtures: paths to bundled data, and a headless Qt platform for GUI tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# helper modules whose asserts pytest explains; registered here, before any test module (engine tests too) imports them
pytest.register_assert_rewrite("tests.studio.gui_helpers", "tests.engine.export_support")

from tests.paths import REACH_VIDEO, SAMPLE_VIDEO  # noqa: E402  (after the assert-rewrite registration)


@pytest.fixture(scope="session")
def sample_video() -> Path:
    """The bundled 1280x720, 30 fps, 621-frame right-hand sample."""
    return SAMPLE_VIDEO


@pytest.fixture(scope="session")
def reach_video() -> Path:
    """The 640x360, 25 fps, 202-frame open-hand reach clip."""
    return REACH_VIDEO
