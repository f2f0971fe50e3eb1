"""Real motion: the Qualisys marker recording parses and fits closely; MediaPipe landmarks lift and resample."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from hmp_engine.hand_model import load_hand_model
from hmp_engine.prior.real_motion import PLATE, fit_marker_mocap, lift_landmark_sequence, load_marker_mocap
from tests.paths import TEST_DATA


@pytest.fixture(scope="module")
def mocap():
    return load_marker_mocap()


def test_marker_recording_parses_with_names_rate_and_gaps(mocap) -> None:
    assert mocap.positions.shape == (6000, 21, 3) and mocap.fps == 100.0
    assert mocap.names[:4] == ("hand_top", "hand_left", "hand_right", "thumb_tip")
    assert "index_middle" in mocap.names and "pillow_right" in mocap.names
    thumb_tip = mocap.select(("thumb_tip",))[:, 0]
    assert 0 < np.isnan(thumb_tip).any(-1).sum() < 1000  # the thumb tip is lost for a few seconds
    plate = mocap.select(PLATE)
    side = np.linalg.norm(plate[:, 1] - plate[:, 2], axis=-1)
    assert abs(np.nanmedian(side) - 0.0324) < 0.001  # metres: a rigid plate, 32 mm between left and right


def test_a_short_stretch_fits_the_markers_closely_and_comes_out_at_30_fps(mocap) -> None:
    fit = fit_marker_mocap(mocap, load_hand_model("open", "right"), frames=slice(0, 300), calibration_frames=60)
    assert fit.hand_pose.shape == (90, 45) and fit.global_orient.shape == (90, 3) and fit.fps == 30.0
    assert len(fit.marker_residual_mm) == 13
    assert max(fit.marker_residual_mm.values()) < 2.0


def test_landmarks_lift_and_resample_with_slerp() -> None:
    with (TEST_DATA / "right_hand_gestures_mediapipe_world.pkl").open("rb") as stream:
        world = np.asarray(pickle.load(stream), dtype=np.float64)[:120]
    hand_pose, orient = lift_landmark_sequence(world, fps=60.0)  # pretend 60 fps: 2 s come out as 60 frames
    assert hand_pose.shape == (60, 45) and orient.shape == (60, 3)
    same_rate, _ = lift_landmark_sequence(world, fps=30.0)
    np.testing.assert_allclose(hand_pose[10], same_rate[20], atol=1e-5)  # the same instant, no re-fit drift
