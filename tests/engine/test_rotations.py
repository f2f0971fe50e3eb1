"""Rotation conversions round-trip, geodesics are angles, and SLERP gap filling holds the right ends."""

import numpy as np
import pytest
import torch
from scipy.spatial.transform import Rotation

from hmp_engine import rotations


def random_axis_angle(count: int, seed: int = 0) -> torch.Tensor:
    return torch.as_tensor(Rotation.random(count, random_state=seed).as_rotvec(), dtype=torch.float64)


def test_conversions_round_trip() -> None:
    axis_angle = random_axis_angle(64)
    matrix = rotations.axis_angle_to_matrix(axis_angle)
    assert torch.allclose(rotations.matrix_to_axis_angle(matrix), axis_angle, atol=1e-9)
    assert torch.allclose(rotations.sixd_to_matrix(rotations.matrix_to_6d(matrix)), matrix, atol=1e-9)
    quaternion = rotations.axis_angle_to_quaternion(axis_angle)
    assert torch.allclose(rotations.quaternion_to_axis_angle(quaternion), axis_angle, atol=1e-9)
    scipy_quaternion = Rotation.from_rotvec(axis_angle.numpy()).as_quat()  # scipy is (x, y, z, w) too
    assert np.allclose(np.abs((quaternion.numpy() * scipy_quaternion).sum(-1)), 1.0)


def test_sixd_of_a_perturbed_matrix_is_still_a_rotation() -> None:
    sixd = torch.randn(10, 6, dtype=torch.float64)
    matrix = rotations.sixd_to_matrix(sixd)
    assert torch.allclose(matrix @ matrix.transpose(-1, -2), torch.eye(3, dtype=torch.float64).expand(10, 3, 3),
                          atol=1e-9)
    assert torch.allclose(torch.linalg.det(matrix), torch.ones(10, dtype=torch.float64))


def test_geodesic_distance_is_the_rotation_angle() -> None:
    angle = torch.linspace(0.0, 3.0, 7, dtype=torch.float64)
    axis_angle = torch.stack([torch.zeros_like(angle), angle, torch.zeros_like(angle)], dim=1)
    identity = torch.eye(3, dtype=torch.float64).expand(7, 3, 3)
    distance = rotations.geodesic_distance(rotations.axis_angle_to_matrix(axis_angle), identity)
    assert torch.allclose(distance, angle, atol=1e-7)


def test_mirror_negates_y_and_z_of_every_joint() -> None:
    pose = np.arange(45, dtype=float).reshape(1, 45)
    mirrored = rotations.mirror_axis_angle(pose).reshape(15, 3)
    assert np.array_equal(mirrored[:, 0], pose.reshape(15, 3)[:, 0])
    assert np.array_equal(mirrored[:, 1:], -pose.reshape(15, 3)[:, 1:])
    assert torch.equal(rotations.mirror_axis_angle(torch.as_tensor(pose)), torch.as_tensor(mirrored.reshape(1, 45)))


def test_fill_rotation_gaps_slerps_inside_and_holds_the_right_ends() -> None:
    first, last = np.array([0.0, 0.0, 0.2]), np.array([0.0, 0.0, 1.0])
    sequence = np.zeros((10, 1, 3))
    valid = np.zeros(10, dtype=bool)
    sequence[2, 0], sequence[6, 0] = first, last
    valid[[2, 6]] = True
    filled = rotations.fill_rotation_gaps(sequence, valid)
    assert np.allclose(filled[:2, 0], first), "frames before the first detection take the first pose"
    assert np.allclose(filled[7:, 0], last), "frames after the last detection take the last pose"
    assert np.allclose(filled[4, 0], (first + last) / 2), "half-way is the half angle about a shared axis"


def test_fill_linear_gaps_holds_translation_beyond_the_ends() -> None:
    values = np.zeros((6, 3))
    values[1], values[3] = [0.0, 0.0, 0.5], [0.2, 0.0, 0.7]
    valid = np.array([False, True, False, True, False, False])
    filled = rotations.fill_linear_gaps(values, valid)
    assert np.allclose(filled[0], values[1]) and np.allclose(filled[5], values[3])
    assert np.allclose(filled[2], [0.1, 0.0, 0.6])


def test_fill_gaps_without_any_valid_frame_raises() -> None:
    with pytest.raises(ValueError, match="no valid frame"):
        rotations.fill_rotation_gaps(np.zeros((3, 1, 3)), np.zeros(3, dtype=bool))


def test_slerp_resample_120_to_30_fps_keeps_the_motion() -> None:
    times = np.arange(121) / 120.0
    angles = np.linspace(0.0, 1.2, 121)
    sequence = np.stack([np.zeros(121), np.zeros(121), angles], axis=1)[:, None]
    new_times = np.arange(31) / 30.0
    resampled = rotations.slerp_resample(times, sequence, new_times)
    assert resampled.shape == (31, 1, 3)
    assert np.allclose(resampled[:, 0, 2], np.linspace(0.0, 1.2, 31))
