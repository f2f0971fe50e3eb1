"""Where the test inputs live: the repository, its test data, and the two videos most tests use."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
TEST_DATA = REPO_ROOT / "tests" / "data"
SAMPLE_VIDEO = REPO_ROOT / "resources" / "samples" / "right_hand_gestures_720p30.mp4"
REACH_VIDEO = TEST_DATA / "open_hand_reach_360p25.mp4"
