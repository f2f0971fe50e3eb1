"""Detect every hand in a video: MediaPipe per frame, identity tracking, per-joint confidence, one track per hand."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from contextlib import ExitStack
from typing import Literal

import mediapipe as mp
import numpy as np

from hmp_engine.detection.confidence import fast_confidence
from hmp_engine.detection.mediapipe_hands import FrameHand, HandDetector
from hmp_engine.detection.tracker import link_tracks, majority_side, side_votes
from hmp_engine.detection.tracks import OCCLUSION_THRESHOLD, DetectionResult, KeypointTrack
from hmp_engine.progress import CancelToken, ProgressCallback, ProgressEvent
from hmp_engine.video import VideoReader, open_video

ConfidenceMode = Literal["fast", "augmented"]
CONFIDENCE_MODES: tuple[str, ...] = ("fast", "augmented")
DEFAULT_MODEL_COMPLEXITY = 1
"""The full landmark model: 0.09 mm median world-landmark distance to the reference on the sample against
8.9 mm for the lite model (0), at about 36 frames/s on 2 cores, above the 25 frames/s target (BENCHMARKS.md)."""


def detect_video(
    video: VideoReader | str | os.PathLike,
    max_hands: int = 2,
    confidence_mode: ConfidenceMode = "fast",
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    model_complexity: int = DEFAULT_MODEL_COMPLEXITY,
    max_frames: int | None = None,
) -> DetectionResult:
    """Detect and track up to ``max_hands`` hands per frame over a video (a reader or a path), or over its
    first ``max_frames`` frames (previews, benchmarks).

    Reports ProgressEvent('detect', frame, total, values={'fps': ...}) after each frame and checks ``cancel``
    before each: a cancelled run raises Cancelled and returns nothing. Raises VideoError on unreadable video.
    """
    if confidence_mode not in CONFIDENCE_MODES:
        raise ValueError(f"confidence_mode must be one of {CONFIDENCE_MODES}, got {confidence_mode!r}")
    with ExitStack() as stack:
        reader = video if isinstance(video, VideoReader) else stack.enter_context(open_video(video))
        detector = stack.enter_context(
            HandDetector(max_hands, model_complexity, augmented=confidence_mode == "augmented")
        )
        total = len(reader) if max_frames is None else min(max_frames, len(reader))
        frames = _detect_frames(reader, total, detector, progress, cancel)
        settings = {
            "detector": "mediapipe.solutions.hands",
            "mediapipe_version": mp.__version__,
            "max_hands": max_hands,
            "model_complexity": model_complexity,
            "confidence_mode": confidence_mode,
            "occlusion_threshold": OCCLUSION_THRESHOLD,
        }
        tracks = build_tracks(frames, reader.size)
        timestamps = np.asarray(reader.timestamps[:total], dtype=np.float64)
        return DetectionResult(tracks, reader.fps, timestamps, reader.size, settings)


def _detect_frames(
    reader: VideoReader,
    total: int,
    detector: HandDetector,
    progress: ProgressCallback | None,
    cancel: CancelToken | None,
) -> list[list[FrameHand]]:
    """Run the detector on the first ``total`` frames in order, reporting progress and honouring cancellation."""
    frames: list[list[FrameHand]] = []
    start = time.perf_counter()
    for index, image in zip(range(total), reader):
        if cancel is not None:
            cancel.raise_if_cancelled()
        frames.append(detector(image))
        if progress is not None:
            elapsed = time.perf_counter() - start
            progress(ProgressEvent("detect", index + 1, total, values={"fps": (index + 1) / max(elapsed, 1e-9)}))
    return frames


def build_tracks(frames: Sequence[Sequence[FrameHand]], image_size: tuple[int, int]) -> list[KeypointTrack]:
    """Link per-frame hands into tracks and fill each track's arrays; most-detected track first."""
    links = link_tracks([[hand.observation for hand in hands] for hands in frames])
    tracks = [
        _track([frames[t][i] for t, i in members], [t for t, _ in members], len(frames), image_size)
        for members in links
    ]
    return sorted(tracks, key=lambda track: -int(track.detected.sum()))


def _track(hands: list[FrameHand], times: list[int], num_frames: int, image_size: tuple[int, int]) -> KeypointTrack:
    """One track's (T, ...) arrays from its hands at frames ``times``; zeros where undetected."""
    side = majority_side([hand.observation for hand in hands])
    keypoints = np.stack([hand.observation.keypoints for hand in hands])
    world = np.stack([hand.world for hand in hands])
    probability = np.array([side_votes(hand.observation)[side] for hand in hands])
    confidence = fast_confidence(keypoints, world, probability, image_size)
    agreements = [hand.agreement for hand in hands if hand.agreement is not None]
    if len(agreements) == len(hands):
        confidence *= np.stack(agreements)
    track = KeypointTrack(
        keypoints=np.zeros((num_frames, 21, 3)),
        world=np.zeros((num_frames, 21, 3)),
        boxes=np.zeros((num_frames, 4)),
        detected=np.zeros(num_frames, dtype=bool),
        handedness=side,
        presence=np.zeros(num_frames),
    )
    track.keypoints[times] = np.concatenate([keypoints, confidence[..., None]], axis=-1)
    track.world[times] = world
    track.boxes[times] = np.concatenate([keypoints.min(axis=1), keypoints.max(axis=1)], axis=-1)
    track.detected[times] = True
    track.presence[times] = probability
    return track
