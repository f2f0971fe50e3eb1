"""The accuracy benchmark's ground truth (held out, in the image, reproducible) and its simulated detections."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from hmp_engine.bench import ground_truth
from hmp_engine.bench.observations import EDGE_FRAMES, HAND_GAP_FRAMES, OCCLUSION_LEVELS, PIXEL_SIGMA, simulate
from hmp_engine.detection.tracks import OCCLUSION_THRESHOLD
from hmp_engine.hand_model import load_hand_model, mediapipe_to_mano21
from hmp_engine.motion_file import HandMotion, Motion, write_motion
from hmp_engine.prior import data as prior_data
from hmp_engine.prior.synthetic import HELD_OUT_SEEDS, TRAIN_SEEDS


@pytest.fixture(scope="module")
def right_model():
    return load_hand_model("open", "right")



@pytest.fixture(scope="module")
def truth() -> ground_truth.GroundTruth:
    return ground_truth.synthetic_truth(ground_truth.SPLIT_SEEDS["test"][0])


def _runs(mask: np.ndarray) -> list[int]:
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(int), [0]])))
    return list(edges[1::2] - edges[::2])


def test_heavy_occlusion_affects_about_a_third_of_the_frames(truth, right_model) -> None:
    joints = truth.joints(right_model)
    seen = simulate(joints, truth.fps, truth.camera, OCCLUSION_LEVELS["heavy"], np.random.default_rng(3))
    normal = simulate(joints, truth.fps, truth.camera, OCCLUSION_LEVELS["normal"], np.random.default_rng(3))
    assert 0.27 <= seen.occluded.mean() <= 0.4 and 0.07 <= normal.occluded.mean() <= 0.16
    gaps = _runs(~seen.detected)
    assert gaps and all(HAND_GAP_FRAMES[0] <= gap <= HAND_GAP_FRAMES[1] for gap in gaps)
    assert seen.detected[:EDGE_FRAMES].all() and seen.detected[-EDGE_FRAMES:].all()
    assert not seen.keypoints[~seen.detected].any() and not seen.world[~seen.detected].any()
    low = (seen.keypoints[..., 2] < OCCLUSION_THRESHOLD).sum(axis=1)
    finger_hidden = seen.occluded & seen.detected
    assert finger_hidden.any() and (low[finger_hidden] >= 3).all() and seen.occluded[~seen.detected].all()


def test_detections_are_near_the_truth_and_seeded(truth, right_model) -> None:
    joints = truth.joints(right_model)
    seen = simulate(joints, truth.fps, truth.camera, OCCLUSION_LEVELS["none"], np.random.default_rng(5))
    again = simulate(joints, truth.fps, truth.camera, OCCLUSION_LEVELS["none"], np.random.default_rng(5))
    assert seen.detected.all() and not seen.occluded.any()
    assert np.array_equal(seen.keypoints, again.keypoints) and np.array_equal(seen.world, again.world)
    pixels = mediapipe_to_mano21(seen.keypoints)[..., :2]
    error = np.linalg.norm(pixels - truth.camera.project_numpy(joints), axis=-1)
    assert np.median(error) == pytest.approx(PIXEL_SIGMA * 1.18, rel=0.15)  # Rayleigh median of 2D noise
    assert 0.005 < (error > 30).mean() < 0.05  # the outliers
    world = mediapipe_to_mano21(seen.world)
    centred = joints - joints.mean(axis=1, keepdims=True)
    assert 0.004 < np.median(np.linalg.norm(world - centred, axis=-1)) < 0.03


def test_ground_truth_is_held_out_in_the_image_and_reproducible(truth, right_model) -> None:
    used_elsewhere = set(HELD_OUT_SEEDS[:8]) | set(HELD_OUT_SEEDS[-prior_data.SYNTHETIC_VALIDATION_SEEDS:])
    seeds = [seed for split in ground_truth.SPLIT_SEEDS.values() for seed in split]
    assert not set(seeds) & (used_elsewhere | set(TRAIN_SEEDS)) and len(set(seeds)) == len(seeds)
    joints = truth.joints(right_model)
    pixels = truth.camera.project_numpy(joints)
    assert (pixels >= 0).all() and (pixels[..., 0] < 1280).all() and (pixels[..., 1] < 720).all()
    assert 0.25 < joints[..., 2].min() and joints[..., 2].max() < 0.8
    again = ground_truth.synthetic_truth(ground_truth.SPLIT_SEEDS["test"][0])
    assert np.array_equal(again.transl, truth.transl) and np.array_equal(again.hand_pose, truth.hand_pose)


def test_mocap_segment_faces_the_camera(right_model) -> None:
    segment = ground_truth.mocap_truth(3, seconds=1.0)
    assert segment.num_frames == 30 and segment.name == "marker mocap 3-4 s"
    back = Rotation.from_rotvec(segment.global_orient).apply([0.0, 1.0, 0.0])  # MANO's back-of-hand axis
    assert back[:, 2].mean() > 0.5  # mostly away from the camera: the palm faces it
    assert (segment.camera.project_numpy(segment.joints(right_model)) >= 0).all()


def test_motion_file_without_camera_is_placed_in_front_of_it(tmp_path, truth, right_model) -> None:
    hand = HandMotion(truth.global_orient, truth.hand_pose, truth.betas, truth.transl + 5.0,
                      np.ones(truth.num_frames, bool))
    path = tmp_path / "take.npz"
    write_motion(path, Motion(fps=30.0, hand_model="open-hand", right=hand))
    (recipe,) = ground_truth.file_recipes(path)
    placed = recipe()
    wrist = placed.joints(right_model)[:, 0].mean(axis=0)
    assert placed.name == f"{tmp_path.name}/take.npz right"  # the folder tells apart takes of one name
    assert np.allclose(wrist, [0.0, 0.0, ground_truth.FILE_DEPTH], atol=1e-6)
