"""The prior evaluation's building blocks give known answers on hand-made cases."""

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from hmp_engine.hand_model import load_hand_model
from hmp_engine.prior.evaluate import joint_angle_errors, middle_gap, min_acceleration_fill, score, windows_of
from hmp_engine.prior.latent_fit import carry_residuals


@pytest.fixture(scope="module")
def model():
    return load_hand_model("open", "right")


def test_windows_of_cuts_strided_windows() -> None:
    sequence = np.arange(10 * 45, dtype=float).reshape(10, 45)
    windows = windows_of(sequence, 4, 3)
    assert windows.shape == (3, 4, 45)
    assert np.array_equal(windows[1], sequence[3:7])
    assert windows_of(sequence, 11).shape == (0, 11, 45)


def test_middle_gap_hides_the_middle_frames() -> None:
    visible = middle_gap(128, 30)
    assert (~visible).sum() == 30 and not visible[49:79].any() and visible[:49].all() and visible[79:].all()


def test_score_is_zero_for_identical_poses_and_grows_with_error(model) -> None:
    poses = np.random.default_rng(0).normal(scale=0.3, size=(20, 45)).astype(np.float32)
    assert score(model, poses, poses).fingertip_mm == pytest.approx(0.0, abs=1e-3)
    bent = poses.copy()
    bent[:, 2] += 0.2  # index MCP flexes by 0.2 rad more
    result = score(model, bent, poses)
    assert result.angle_deg > 0.5 and result.fingertip_mm > 2.0  # one joint of 15, one tip of 5 moved


def test_joint_angle_errors_put_a_joint_s_error_on_that_joint_only() -> None:
    poses = np.random.default_rng(1).normal(scale=0.3, size=(8, 45))
    turned = poses.copy()
    turned[:, 3 * 13: 3 * 14] = (Rotation.from_rotvec(poses[:, 39:42]) * Rotation.from_euler("x", 10, degrees=True)
                                 ).as_rotvec()  # thumb MCP (row 13) turned by 10 degrees
    errors = joint_angle_errors(turned, poses)
    assert errors.shape == (8, 15) and np.allclose(errors[:, 13], 10.0, atol=1e-3)
    assert np.allclose(np.delete(errors, 13, axis=1), 0.0, atol=1e-2)


def test_min_acceleration_fill_bridges_a_gap_in_a_linear_motion_exactly() -> None:
    frames = np.linspace(0.0, 1.0, 40, dtype=np.float32)
    window = np.zeros((40, 45), dtype=np.float32)
    window[:, 2] = frames  # index MCP flexes at constant speed
    visible = middle_gap(40, 10)
    filled = min_acceleration_fill(window, visible, weight=1.0)
    assert np.allclose(filled[~visible, 2], frames[~visible], atol=1e-3)


def test_carried_residuals_pin_visible_frames_and_remove_a_smooth_decoder_error() -> None:
    truth = np.zeros((40, 45), dtype=np.float32)
    truth[:, 2] = np.sin(np.linspace(0.0, 3.0, 40))  # index MCP flexes and extends
    decoded = truth.copy()
    decoded[:, 5] += np.linspace(0.10, 0.12, 40)  # a slowly varying decoder error on index PIP
    visible = middle_gap(40, 10)
    corrected = carry_residuals(decoded, truth, visible)
    assert np.allclose(corrected[visible], truth[visible], atol=1e-5)
    assert np.abs(corrected[~visible] - truth[~visible]).max() < 0.01 < np.abs(decoded - truth)[:, 5].min()
