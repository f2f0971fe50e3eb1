"""Hand detection on the real sample videos (MediaPipe, no mocks), the identity tracker, confidence and cancel."""

from __future__ import annotations

import pickle
from pathlib import Path

import cv2
import numpy as np
import pytest

from hmp_engine.detection import DetectionResult, HandObservation, detect_video, link_tracks
from hmp_engine.progress import Cancelled, CancelToken, ProgressEvent
from hmp_engine.video import open_video
from tests.paths import TEST_DATA

REFERENCE_WORLD = TEST_DATA / "right_hand_gestures_mediapipe_world.pkl"


@pytest.fixture(scope="module")
def sample_result(sample_video: Path) -> DetectionResult:
    return detect_video(sample_video)


@pytest.fixture(scope="module")
def reach_result(reach_video: Path) -> DetectionResult:
    return detect_video(reach_video)


def write_video(path: Path, frames: list[np.ndarray], fps: float) -> Path:
    """Write RGB frames to an mp4 file."""
    height, width = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (width, height))
    for frame in frames:
        writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    writer.release()
    return path


def wrist_frame(joints: np.ndarray) -> np.ndarray:
    """Joints (21, 3) in a hand-fixed frame: wrist origin, x to the middle MCP, z normal to the wrist-index-middle
    plane. The reference is stored in such a wrist-local frame, MediaPipe's output in image-aligned axes, so
    both are brought into this same frame before comparing."""
    joints = joints - joints[0]
    x = joints[9] / np.linalg.norm(joints[9])
    z = np.cross(joints[9], joints[5])
    z /= np.linalg.norm(z)
    return joints @ np.stack([x, np.cross(z, x), z], axis=1)


def test_sample_right_hand_in_every_frame(sample_result: DetectionResult) -> None:
    assert sample_result.num_frames == 621 and sample_result.fps == pytest.approx(30.0)
    assert sample_result.image_size == (1280, 720)
    right = sample_result.hand("right")
    assert right is not None and right is sample_result.tracks[0]
    assert len(sample_result.tracks) == 1, "a short phantom track beside the real hand"
    assert right.detected.all()
    assert right.keypoints.shape == (621, 21, 3) and right.world.shape == (621, 21, 3)
    assert right.boxes.shape == (621, 4) and right.presence.shape == (621,)
    inside = (right.keypoints[..., 0] >= 0) & (right.keypoints[..., 0] <= 1280) & (right.keypoints[..., 1] <= 720)
    assert inside.mean() > 0.99


def test_world_landmarks_agree_with_reference(sample_result: DetectionResult) -> None:
    with REFERENCE_WORLD.open("rb") as file:
        reference = [np.asarray(joints, dtype=float) for joints in pickle.load(file)]
    world = sample_result.hand("right").world
    distances = np.array([np.linalg.norm(wrist_frame(a) - wrist_frame(b), axis=1) for a, b in zip(world, reference)])
    median_mm = float(np.median(distances)) * 1000
    print(f"median world-landmark distance to the reference: {median_mm:.3f} mm")
    assert median_mm < 10.0


def test_reach_video_timing_and_track(reach_result: DetectionResult) -> None:
    assert reach_result.fps == pytest.approx(25.0)
    assert reach_result.num_frames == 202 and reach_result.image_size == (640, 360)
    np.testing.assert_allclose(np.diff(reach_result.timestamps), 0.04, atol=1e-6)
    track = reach_result.tracks[0]
    assert track.detected.mean() > 0.95


def test_confidence_is_bounded_and_zero_where_undetected(reach_result: DetectionResult) -> None:
    for track in reach_result.tracks:
        assert np.isfinite(track.keypoints).all() and np.isfinite(track.world).all()
        assert (track.confidence >= 0).all() and (track.confidence <= 1).all()
        assert (track.confidence[~track.detected] == 0).all()
        assert track.occlusion[~track.detected].all()


def test_confidence_lower_while_hand_is_far_and_blurred(reach_result: DetectionResult) -> None:
    """The clip starts with a small, motion-blurred hand seen edge-on and ends with a large open palm."""
    confidence = reach_result.tracks[0].confidence
    early, late = confidence[:40].mean(), confidence[-100:].mean()
    print(f"mean confidence: first 40 frames {early:.3f}, last 100 frames {late:.3f}")
    assert early < late - 0.1


def test_confidence_lower_where_hand_leaves_the_frame(
    reach_video: Path, reach_result: DetectionResult, tmp_path: Path
) -> None:
    """Crop the reach clip's bottom so the fingers of the approaching hand leave the picture."""
    with open_video(reach_video) as video:
        frames = [np.ascontiguousarray(frame[:250]) for frame in video]
        cropped = write_video(tmp_path / "cropped.mp4", frames, video.fps)
    result = detect_video(cropped)
    cut, full = result.tracks[0], reach_result.tracks[0]
    beyond = cut.keypoints[..., 1] - 250  # pixels below the cropped picture's bottom edge
    outside = beyond > 0
    partial = cut.detected & outside.any(axis=1) & full.detected
    assert partial.sum() > 50
    hand_size = np.hypot(cut.boxes[:, 2] - cut.boxes[:, 0], cut.boxes[:, 3] - cut.boxes[:, 1])
    far_out = beyond[partial] > 0.1 * hand_size[partial, None]
    outside_conf = cut.confidence[partial][outside[partial]]
    inside_conf = cut.confidence[partial][~outside[partial]]
    print(f"confidence of cut-off joints {outside_conf.mean():.3f}, visible joints {inside_conf.mean():.3f}; "
          f"frames with cut-off joints {cut.confidence[partial].mean():.3f}, same frames uncropped "
          f"{full.confidence[partial].mean():.3f}")
    assert far_out.sum() > 100 and cut.occlusion[partial][far_out].all()
    assert outside_conf.mean() < 0.5 * inside_conf.mean()
    assert cut.confidence[partial].mean() < full.confidence[partial].mean() - 0.1


def test_augmented_confidence_penalises_view_disagreement(reach_video: Path, tmp_path: Path) -> None:
    with open_video(reach_video) as video:
        clip = write_video(tmp_path / "clip.mp4", [video.frame(i) for i in range(0, 80, 2)], video.fps / 2)
    fast = detect_video(clip).tracks[0]
    augmented = detect_video(clip, confidence_mode="augmented").tracks[0]
    np.testing.assert_allclose(augmented.keypoints[..., :2], fast.keypoints[..., :2])
    assert (augmented.confidence <= fast.confidence + 1e-12).all()
    assert (augmented.confidence >= 0).all()
    assert augmented.confidence[:10].mean() < augmented.confidence[-10:].mean()


def test_detection_can_be_cancelled(reach_video: Path) -> None:
    token = CancelToken()
    events: list[ProgressEvent] = []

    def on_progress(event: ProgressEvent) -> None:
        events.append(event)
        if event.done == 5:
            token.cancel()

    with pytest.raises(Cancelled):
        detect_video(reach_video, progress=on_progress, cancel=token)
    assert [event.done for event in events] == [1, 2, 3, 4, 5]
    assert all(event.total == 202 and event.stage == "detect" and event.values["fps"] > 0 for event in events)


def _hand(x: float, y: float, side: str, score: float = 0.9, size: float = 100.0) -> HandObservation:
    """A synthetic hand: 21 keypoints spread over a size x size box at (x, y)."""
    grid = np.stack(np.meshgrid(np.linspace(0, size, 7), np.linspace(0, size, 3)), axis=-1).reshape(21, 2)
    return HandObservation(grid + (x, y), side, score)


def test_tracker_keeps_identities_through_label_flips() -> None:
    """Two hands moving towards each other; on frames 10-19 MediaPipe swaps both labels and the list order."""
    frames = []
    for t in range(30):
        right = _hand(100 + 5 * t, 200, "right")
        left = _hand(600 - 5 * t, 220, "left")
        if 10 <= t < 20:
            right, left = _hand(100 + 5 * t, 200, "left", 0.7), _hand(600 - 5 * t, 220, "right", 0.7)
            frames.append([left, right])
        else:
            frames.append([right, left])
    tracks = link_tracks(frames)
    assert len(tracks) == 2
    for track in tracks:
        assert [t for t, _ in track] == list(range(30))
        xs = np.array([frames[t][i].keypoints[0, 0] for t, i in track])
        assert np.all(np.abs(np.diff(xs)) == 5), "a track jumped to the other hand"
        sides = [frames[t][i].side for t, i in track]
        assert sides.count(sides[0]) == 20, "a track's majority label is the hand it follows"


def test_tracker_rejoins_a_hand_that_comes_back_and_drops_duplicates() -> None:
    """A right hand whose last labels before leaving were flipped comes back far away, detected twice."""
    frames: list[list[HandObservation]] = [[_hand(100 + t, 100, "right" if t < 7 else "left")] for t in range(10)]
    frames += [[] for _ in range(5)]
    frames += [[_hand(900, 500, "right"), _hand(905, 505, "right", 0.6)] for _ in range(5)]
    tracks = link_tracks(frames)
    assert len(tracks) == 1
    assert tracks[0] == [(t, 0) for t in range(10)] + [(t, 0) for t in range(15, 20)]
