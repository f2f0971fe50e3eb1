"""Initialisation from real detections: IK pose, one shape from detected frames, translation from the 2D keypoints,
gap filling with correct ends, manual edits as observations, left hands."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from hmp_engine.camera import Camera
from hmp_engine.detection import DetectionResult, KeypointTrack, detect_video
from hmp_engine.fitting import fit_figures, initialise_project
from hmp_engine.fitting.mirror import side_by_side_mirror
from hmp_engine.hand_model import load_hand_model
from hmp_engine.initialisation import initialise_hand, posed_joints_numpy, solve_translation
from hmp_engine.rotations import axis_angle_to_matrix, geodesic_distance
from hmp_engine.session import Project, VideoRef

FRAMES = 90


@pytest.fixture(scope="module")
def sample(sample_video: Path) -> DetectionResult:
    return detect_video(sample_video, max_frames=FRAMES)


@pytest.fixture(scope="module")
def models() -> dict:
    return {side: load_hand_model("open", side) for side in ("right", "left")}


def hidden(track: KeypointTrack, frames: slice | np.ndarray) -> KeypointTrack:
    arrays = {name: getattr(track, name).copy() for name in ("keypoints", "world", "boxes", "detected", "presence")}
    for array in arrays.values():
        array[frames] = 0
    return KeypointTrack(handedness=track.handedness, **arrays)


def initialise(result: DetectionResult, models: dict, track: KeypointTrack | None = None):
    track = track or result.tracks[0]
    camera = Camera.default(result.image_size)
    return initialise_hand(models[track.handedness], track.keypoints, track.world, track.detected,
                           result.timestamps, camera, models["right"]), camera


def angle(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Geodesic angle between axis-angle rotations (..., 3)."""
    to_matrix = lambda x: axis_angle_to_matrix(torch.as_tensor(x, dtype=torch.float64))  # noqa: E731
    return geodesic_distance(to_matrix(a), to_matrix(b)).numpy()


def test_initialisation_places_the_hand_on_its_keypoints(sample: DetectionResult, models: dict) -> None:
    init, camera = initialise(sample, models)
    assert init.global_orient.shape == (FRAMES, 3) and init.hand_pose.shape == (FRAMES, 45)
    assert init.betas.shape == (10,) and init.transl.shape == (FRAMES, 3)
    assert init.pose_observed.all() and init.transl_observed.all()
    figures = fit_figures(posed_joints_numpy(models["right"], init.global_orient, init.hand_pose, init.betas)
                          + init.transl[:, None], init, camera)
    assert figures["reprojection_median_px"] < 15
    assert np.all((init.transl[:, 2] > 0.2) & (init.transl[:, 2] < 2.0)), "a hand at arm's length, not at the lens"


def test_translation_solve_recovers_a_known_placement() -> None:
    model = load_hand_model("open", "right")
    generator = np.random.default_rng(0)
    pose = 0.3 * generator.standard_normal((4, 45))
    orient = generator.standard_normal((4, 3))
    joints = posed_joints_numpy(model, orient, pose, np.zeros(10))
    truth = np.array([[0.1, -0.05, 0.6], [-0.2, 0.1, 1.2], [0.0, 0.0, 0.35], [0.3, 0.2, 2.5]])
    camera = Camera.default((1920, 1080))
    pixels = camera.project_numpy(joints + truth[:, None])
    confidence = np.ones((4, 21))
    confidence[1, :15] = 0.0  # six joints still place the hand
    confidence[2, 3:] = 0.0  # three do not
    transl, solved = solve_translation(joints, pixels, confidence, camera)
    assert solved.tolist() == [True, True, False, True]
    assert np.allclose(transl[solved], truth[solved], atol=1e-6)


def test_gaps_and_ends_are_filled_from_the_nearest_detections(sample: DetectionResult, models: dict) -> None:
    undetected = np.zeros(FRAMES, dtype=bool)
    undetected[:10] = undetected[40:60] = undetected[80:] = True
    init, _ = initialise(sample, models, hidden(sample.tracks[0], undetected))
    assert np.array_equal(init.pose_observed, ~undetected) and np.array_equal(init.transl_observed, ~undetected)
    assert np.allclose(init.global_orient[:10], init.global_orient[10]), "leading frames hold the first detection"
    assert np.allclose(init.transl[80:], init.transl[79]), "trailing frames hold the last detection"
    assert np.allclose(init.transl[50], 0.5 * (init.transl[39] + init.transl[60]), atol=0.03)
    ends = angle(init.global_orient[39], init.global_orient[60])
    assert angle(init.global_orient[39], init.global_orient[50]) == pytest.approx(ends * 11 / 21, abs=1e-6)
    assert np.all(init.transl[:, 2] > 0.2), "no frame sits on the camera centre"


def test_shape_comes_from_detected_frames_only(sample: DetectionResult, models: dict) -> None:
    track = hidden(sample.tracks[0], slice(0, 30))
    with_gap, _ = initialise(sample, models, track)
    later = DetectionResult([KeypointTrack(**{name: getattr(track, name)[30:] for name in
                                              ("keypoints", "world", "boxes", "detected", "presence")},
                                           handedness="right")],
                            sample.fps, sample.timestamps[30:], sample.image_size)
    only_detected, _ = initialise(later, models)
    assert np.allclose(with_gap.betas, only_detected.betas, atol=1e-5)


def test_manual_edits_are_observations_of_confidence_one(sample: DetectionResult, models: dict,
                                                         sample_video: Path) -> None:
    project = Project(VideoRef.from_file(sample_video),
                      DetectionResult([hidden(sample.tracks[0], slice(20, 30))], sample.fps, sample.timestamps,
                                      sample.image_size))
    for joint, (x, y, _) in enumerate(sample.tracks[0].keypoints[25]):
        project.move_keypoint(0, 25, joint, x, y)
    init = initialise_project(project, {"right": models["right"]}, Camera.default(sample.image_size))["right"]
    assert init.transl_observed[25] and not init.transl_observed[24] and not init.pose_observed[25]
    assert np.all(init.confidence[25] == 1.0)
    full, _ = initialise(sample, models)
    assert np.linalg.norm(init.transl[25] - full.transl[25]) < 0.03


def test_frames_with_edited_keypoints_are_marked(sample: DetectionResult, models: dict, sample_video: Path) -> None:
    project = Project(VideoRef.from_file(sample_video), sample)
    x, y, _ = sample.tracks[0].keypoints[40, 8]
    project.move_keypoint(0, 40, 8, x + 5.0, y)
    project.mark_keypoint(0, 41, 12, occluded=True)
    init = initialise_project(project, {"right": models["right"]}, Camera.default(sample.image_size))["right"]
    assert np.flatnonzero(init.pose_edited).tolist() == [40, 41]
    assert init.pose_observed[40] and init.pose_observed[41]


def test_left_hand_initialises_as_the_mirror_image(sample: DetectionResult, models: dict) -> None:
    scene = side_by_side_mirror(sample)
    right, camera = initialise(scene, models, scene.tracks[0])
    left, _ = initialise(scene, models, scene.tracks[1])
    assert left.side == "left"
    joints = {side: posed_joints_numpy(models[side], init.global_orient, init.hand_pose, init.betas)
              + init.transl[:, None] for side, init in (("right", right), ("left", left))}
    mirrored = joints["right"] * np.array([-1.0, 1.0, 1.0])
    assert np.median(np.linalg.norm(joints["left"] - mirrored, axis=-1)) < 0.003
    assert fit_figures(joints["left"], left, camera)["reprojection_median_px"] < 15


def test_a_hand_never_detected_is_an_error(sample: DetectionResult, models: dict) -> None:
    with pytest.raises(ValueError, match="detected in none"):
        initialise(sample, models, hidden(sample.tracks[0], slice(None)))
