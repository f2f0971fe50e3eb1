"""The accuracy metrics (docs/conventions.md, Metrics) on hand-made cases with known answers."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from hmp_engine.bench import metrics


@pytest.fixture(scope="module")
def hand_joints() -> np.ndarray:
    """(5, 21, 3) joints of a few random hand poses, in metres."""
    return np.random.default_rng(0).normal(0.0, 0.05, size=(5, 21, 3))



def test_procrustes_recovers_a_known_similarity_transform(hand_joints: np.ndarray) -> None:
    rotation = Rotation.from_rotvec([0.3, -1.2, 2.0]).as_matrix()
    moved = 1.7 * hand_joints @ rotation.T + np.array([0.1, -0.4, 0.9])
    assert np.allclose(metrics.similarity_align(moved, hand_joints), hand_joints, atol=1e-12)
    assert np.allclose(metrics.pa_mpjpe(moved, hand_joints), 0.0, atol=1e-9)
    assert metrics.ra_mpjpe(moved, hand_joints).min() > 10.0  # rotation and scale are not forgiven by RA-MPJPE


def test_procrustes_never_reflects(hand_joints: np.ndarray) -> None:
    mirrored = hand_joints * np.array([-1.0, 1.0, 1.0])
    aligned = metrics.similarity_align(mirrored, hand_joints)
    centred = aligned - aligned.mean(axis=1, keepdims=True)
    source = mirrored - mirrored.mean(axis=1, keepdims=True)
    transforms = np.linalg.lstsq(source[0], centred[0], rcond=None)[0]
    assert np.linalg.det(transforms) > 0 and metrics.pa_mpjpe(mirrored, hand_joints).min() > 1.0


def test_root_aligned_error_ignores_translation_only(hand_joints: np.ndarray) -> None:
    shifted = hand_joints + np.array([0.3, 0.2, -0.1])
    assert np.allclose(metrics.ra_mpjpe(shifted, hand_joints), 0.0, atol=1e-9)
    one_joint = hand_joints.copy()
    one_joint[:, 5] += np.array([0.0, 0.0, 0.021])  # 21 mm on one of 21 joints: 1 mm mean
    assert np.allclose(metrics.ra_mpjpe(one_joint, hand_joints), 1.0)


def test_ra_acc_of_a_constant_velocity_path_is_zero(hand_joints: np.ndarray) -> None:
    truth = np.repeat(hand_joints[:1], 30, axis=0)
    velocity = np.random.default_rng(1).normal(0.0, 0.01, size=(21, 3))
    moving = truth + np.arange(30)[:, None, None] * velocity
    assert np.allclose(metrics.ra_acc(moving, truth)[1:-1], 0.0, atol=1e-9)
    assert np.isnan(metrics.ra_acc(moving, truth)[[0, -1]]).all()


def test_ra_acc_of_a_one_frame_spike(hand_joints: np.ndarray) -> None:
    truth = np.repeat(hand_joints[:1], 7, axis=0)
    spiked = truth.copy()
    spiked[3, 8, 1] += 0.021  # 21 mm on one joint at frame 3: second differences 1, -2, 1 (x 21 mm / 21 joints)
    assert np.allclose(metrics.ra_acc(spiked, truth)[1:-1], [0.0, 1.0, 2.0, 1.0, 0.0])


def test_valid_triples_need_three_consecutive_valid_frames() -> None:
    valid = np.array([1, 1, 1, 0, 1, 1, 1, 1], dtype=bool)
    assert metrics.valid_triples(valid).tolist() == [False, True, False, False, False, True, True, False]
