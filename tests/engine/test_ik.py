"""Inverse kinematics: recovers poses and shapes made by the model itself, and lifts real MediaPipe landmarks."""

from __future__ import annotations

import pickle
import time

import numpy as np
import pytest
import torch

from hmp_engine.hand_model import load_hand_model
from hmp_engine.ik import bone_lengths, fit_mediapipe_world, fit_to_joints
from hmp_engine.prior.synthetic import synthesize_sequence
from hmp_engine.rotations import axis_angle_to_matrix, geodesic_distance
from tests.paths import TEST_DATA

LIFT_MEDIAN_RESIDUAL_MM = 5.0  # measured 3.5 mm on the 621-frame sample (docs/synthetic_calibration.md)


@pytest.fixture(scope="module")
def model():
    return load_hand_model("open", "right")


def _posed(model, hand_pose: np.ndarray, betas: np.ndarray, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Joints of plausible poses under random orientations and translations, and those orientations."""
    generator = torch.Generator().manual_seed(seed)
    frames = len(hand_pose)
    orient = torch.randn(frames, 3, generator=generator)
    transl = torch.randn(frames, 3, generator=generator) * 0.2
    with torch.no_grad():
        joints = model.joints(orient, torch.as_tensor(hand_pose), torch.as_tensor(betas, dtype=torch.float32), transl)
    return joints, orient


def test_recovers_plausible_poses_with_noise_in_a_batch(model) -> None:
    hand_pose = synthesize_sequence(3, 20.0)[::4]  # 150 varied plausible poses
    joints, orient = _posed(model, hand_pose, np.zeros(10, dtype=np.float32), seed=0)
    noisy = joints + torch.randn(joints.shape, generator=torch.Generator().manual_seed(1)) * 0.0005
    result = fit_to_joints(model, noisy.numpy(), betas=np.zeros(10))
    assert result.hand_pose.shape == (150, 45) and result.global_orient.shape == (150, 3)
    fitted = model.joints(*(torch.as_tensor(x) for x in (result.global_orient, result.hand_pose, result.betas,
                                                         result.transl)))
    assert (fitted - joints).norm(dim=-1).mean() * 1000 < 2.0
    rotation = lambda pose: axis_angle_to_matrix(torch.as_tensor(pose).reshape(-1, 15, 3))  # noqa: E731
    angles = torch.rad2deg(geodesic_distance(rotation(result.hand_pose), rotation(hand_pose)))
    assert angles.median() < 5.0 and angles.mean() < 8.0
    orient_error = torch.rad2deg(geodesic_distance(axis_angle_to_matrix(torch.as_tensor(result.global_orient)),
                                                   axis_angle_to_matrix(orient)))
    assert orient_error.median() < 3.0


def test_shape_comes_from_bone_lengths(model) -> None:
    betas = np.array([2.0, -1.0, 0.5, 0, 0, 0, 0, 0, 0, 0], dtype=np.float32)
    hand_pose = synthesize_sequence(5, 10.0)[::10]
    joints, _ = _posed(model, hand_pose, betas, seed=2)
    result = fit_to_joints(model, joints.numpy())
    rest = bone_lengths(model.rest_joints(torch.as_tensor(result.betas)))
    truth = bone_lengths(model.rest_joints(torch.as_tensor(betas)))
    assert (rest - truth).abs().max() * 1000 < 1.0
    assert np.median(result.residual_mm) < 1.0


def test_unobserved_joints_are_ignored(model) -> None:
    hand_pose = synthesize_sequence(9, 3.0)[::6]
    joints, _ = _posed(model, hand_pose, np.zeros(10, dtype=np.float32), seed=3)
    corrupted = joints.clone()
    corrupted[:, 18] += 0.05  # the middle fingertip is wrong by 5 cm, but marked unobserved
    weights = np.ones((len(joints), 21))
    weights[:, 18] = 0.0
    result = fit_to_joints(model, corrupted.numpy(), weights=weights, betas=np.zeros(10))
    assert np.median(result.residual_mm) < 1.0


def test_sample_video_landmarks_lift_quickly_as_a_right_hand(model) -> None:
    with (TEST_DATA / "right_hand_gestures_mediapipe_world.pkl").open("rb") as stream:
        world = np.asarray(pickle.load(stream), dtype=np.float64)
    start = time.perf_counter()
    result = fit_mediapipe_world(model, world)
    elapsed = time.perf_counter() - start
    assert result.hand_pose.shape == (621, 45)
    assert np.median(result.residual_mm) < LIFT_MEDIAN_RESIDUAL_MM
    assert elapsed < 15.0
    mirrored = fit_mediapipe_world(model, world[::10] * np.array([-1.0, 1.0, 1.0]))
    assert np.median(mirrored.residual_mm) > 1.5 * np.median(result.residual_mm)  # a left hand fits worse
