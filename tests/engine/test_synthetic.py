"""The synthetic motion generator: reproducible, disjoint seed ranges, within joint limits, real-like statistics."""

from __future__ import annotations

import numpy as np
import pytest

from hmp_engine.anatomy import JOINT_LIMITS, from_anatomical, to_anatomical
from hmp_engine.hand_model import load_hand_model
from hmp_engine.prior.key_poses import THUMB_CONTACTS, key_pose_library
from hmp_engine.prior.motion_stats import hand_joints_mm, motion_stats
from hmp_engine.prior.synthetic import HELD_OUT_SEEDS, TRAIN_SEEDS, synthesize_corpus, synthesize_sequence

REAL_MEDIAN_SPEED = 1.2  # mm/frame at 30 fps, fingertips relative to the wrist (real hand mocap, issue 4)
REAL_MEDIAN_ACCELERATION = 0.65  # mm/frame^2


def test_same_seed_same_motion_and_different_seeds_differ() -> None:
    first = synthesize_sequence(7, 4.0)
    assert first.shape == (120, 45) and first.dtype == np.float32
    np.testing.assert_array_equal(first, synthesize_sequence(7, 4.0))
    assert np.abs(first - synthesize_sequence(8, 4.0)).max() > 0.1


def test_frame_rate_sets_the_frame_count() -> None:
    assert synthesize_sequence(1, 2.0, fps=60.0).shape == (120, 45)
    assert [len(pose) for pose in synthesize_corpus([1, 2], 1.0, fps=25.0)] == [25, 25]


def test_held_out_seeds_are_disjoint_from_training_seeds() -> None:
    assert len(HELD_OUT_SEEDS) >= 100
    assert max(TRAIN_SEEDS) < min(HELD_OUT_SEEDS) or min(TRAIN_SEEDS) > max(HELD_OUT_SEEDS)


def test_poses_stay_within_the_joint_limits() -> None:
    components = to_anatomical(np.concatenate(synthesize_corpus(range(5), 20.0)).astype(np.float64))
    assert (components >= JOINT_LIMITS[..., 0] - 1e-5).all()
    assert (components <= JOINT_LIMITS[..., 1] + 1e-5).all()


def test_key_pose_library_has_grasps_gestures_and_a_moving_thumb() -> None:
    names, poses = key_pose_library()
    for name in ("fist", "point", "spread", "pinch_tip", "ok_sign", "thumbs_up", "power_cylinder", "count_two"):
        assert name in names
    assert np.ptp(poses[:, 12:15], axis=0).max() > 0.8  # the thumb takes very different configurations
    assert sum(name.startswith("video_") for name in names) >= 10  # real poses lifted from the sample video


def test_grasping_thumbs_reach_their_contacts() -> None:
    names, poses = key_pose_library()
    grasps = list(THUMB_CONTACTS)
    joints = hand_joints_mm(load_hand_model("open", "right"), from_anatomical(poses[[names.index(n) for n in grasps]]))
    for name, hand in zip(grasps, joints):
        targets, distance = THUMB_CONTACTS[name]
        reach = np.linalg.norm(hand[16] - hand[list(targets)].mean(axis=0))
        assert abs(reach - distance) < 7.0, (name, reach)  # authored by eye, pinches were 5-10 cm apart
    pinch = names.index("pinch_tip")
    assert poses[pinch, 12, 0] < -0.3  # the opposed thumb pronates (negative CMC twist) to meet the index


@pytest.fixture(scope="module")
def stats():
    return motion_stats(load_hand_model("open", "right"), synthesize_corpus(range(6), 30.0))


def test_fingertip_speed_and_acceleration_are_near_real_motion(stats) -> None:
    # A corpus 3x too slow or 5x too smooth (the first naive generator) fails these bounds.
    assert 0.6 * REAL_MEDIAN_SPEED < stats.percentile("speed", 50) < 1.6 * REAL_MEDIAN_SPEED
    assert 0.5 * REAL_MEDIAN_ACCELERATION < stats.percentile("acceleration", 50) < 2.0 * REAL_MEDIAN_ACCELERATION


def test_twist_and_sideways_rotations_are_exercised(stats) -> None:
    spread = np.degrees(np.ptp(stats.angle_range(), axis=-1))  # (15, 3) robust range per joint component
    knuckles = [0, 3, 6, 9, 12]  # MCP of the long fingers and the thumb's CMC
    assert (spread[knuckles, :2] > 20.0).all()  # twist and sideways rotation, the worst covered in issue 4
    assert (spread[:, :2] > 4.0).all()  # hinge joints too, a little
    assert (spread[[0, 3, 6, 9], 2] > 80.0).all()  # MCP flexion of the long fingers
