"""The detection output: one keypoint track per hand over the whole video, and the run's settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

OCCLUSION_THRESHOLD = 0.5
"""A joint is treated as occluded (unobserved) where its confidence is below this, or the hand is undetected."""


@dataclass
class KeypointTrack:
    """One hand over T frames, MediaPipe joint order; undetected frames hold zeros (confidence 0), never NaN.

    keypoints (T, 21, 3): pixel x, pixel y, confidence in [0, 1]; world (T, 21, 3): MediaPipe world landmarks
    in metres (origin near the hand's centre, image-aligned axes); boxes (T, 4): tight keypoint box x0, y0, x1,
    y1 in pixels; detected (T,) bool; handedness: the person's real hand, 'right' or 'left'; presence (T,):
    the detector's probability that the hand has this side (0 where undetected).
    """

    keypoints: np.ndarray
    world: np.ndarray
    boxes: np.ndarray
    detected: np.ndarray
    handedness: str
    presence: np.ndarray

    @property
    def num_frames(self) -> int:
        """Frames the track spans."""
        return len(self.detected)

    @property
    def confidence(self) -> np.ndarray:
        """Per-joint confidence (T, 21)."""
        return self.keypoints[..., 2]

    @property
    def occlusion(self) -> np.ndarray:
        """(T, 21) bool: joint missing (hand undetected) or confidence below OCCLUSION_THRESHOLD."""
        return ~self.detected[:, None] | (self.confidence < OCCLUSION_THRESHOLD)

    @property
    def detected_fraction(self) -> float:
        """Share of the video's frames in which this hand was detected."""
        return float(self.detected.mean()) if self.num_frames else 0.0


@dataclass
class DetectionResult:
    """All hand tracks of one video, most-detected first, with the video timing and the detector settings."""

    tracks: list[KeypointTrack]
    fps: float
    timestamps: np.ndarray
    image_size: tuple[int, int]
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def num_frames(self) -> int:
        """Frames of the video the detections cover."""
        return len(self.timestamps)

    def hand(self, side: str) -> KeypointTrack | None:
        """The most-detected track of the given side ('right' or 'left'), or None."""
        return next((track for track in self.tracks if track.handedness == side), None)
