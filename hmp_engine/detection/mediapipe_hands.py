"""MediaPipe Hands (the legacy ``mp.solutions.hands`` graph, models bundled in the wheel: works offline).

Handedness: the legacy graph assumes a mirrored selfie image, so on an ordinary (unmirrored) video it labels
a person's right hand "Left" (checked on the bundled right-hand sample: all 621 frames say "Left"). We
report the person's real hand: label "Left" -> side 'right', "Right" -> side 'left'.

In the augmented confidence mode each hand is re-detected (static mode) on ``VIEWS``: square crops of
CROP_SCALE x its keypoint box, rotated and scaled about its centre, whose keypoints are mapped back to the
image by the inverse affine transform (see ``confidence.view_agreement``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import mediapipe as mp
import numpy as np

from hmp_engine.detection.confidence import hand_size, view_agreement
from hmp_engine.detection.tracker import HandObservation

REAL_SIDE = {"Left": "right", "Right": "left"}  # MediaPipe label (mirrored-image convention) -> real hand
VIEWS: tuple[tuple[float, float], ...] = ((12.0, 1.0), (-12.0, 1.0), (0.0, 0.85), (0.0, 1.15))
"""Augmented views of the hand crop: (rotation in degrees, scale)."""
CROP_SCALE = 3.0  # crop side / longest side of the keypoint box (tighter crops lose the palm detector)
CROP_PIXELS = 256  # augmented crops are resampled to this square size
MATCH_DISTANCE = 0.3  # a view's hand is the same hand if its mean keypoint distance is below this x h


@dataclass(frozen=True)
class FrameHand:
    """One hand of one frame: the observation the tracker links, its world landmarks (21, 3) metres, and the
    augmented-view agreement factor (21,) (None unless computed)."""

    observation: HandObservation
    world: np.ndarray
    agreement: np.ndarray | None = None


def _hands(result: Any, width: int, height: int) -> list[tuple[np.ndarray, np.ndarray, str, float]]:
    """(keypoints (21, 2) px, world (21, 3) m, real side, score) of every hand in a MediaPipe result."""
    found = []
    for image, world, handedness in zip(
        result.multi_hand_landmarks or (), result.multi_hand_world_landmarks or (), result.multi_handedness or ()
    ):
        keypoints = np.array([(p.x * width, p.y * height) for p in image.landmark], dtype=np.float64)
        metres = np.array([(p.x, p.y, p.z) for p in world.landmark], dtype=np.float64)
        label = handedness.classification[0]
        found.append((keypoints, metres, REAL_SIDE[label.label], float(label.score)))
    return found


class HandDetector:
    """Runs MediaPipe Hands frame by frame in tracking mode; optionally scores each hand on augmented views."""

    def __init__(
        self,
        max_hands: int = 2,
        model_complexity: int = 1,
        min_detection_confidence: float = 0.5,
        min_tracking_confidence: float = 0.5,
        augmented: bool = False,
    ) -> None:
        self._tracking = mp.solutions.hands.Hands(
            static_image_mode=False,
            max_num_hands=max_hands,
            model_complexity=model_complexity,
            min_detection_confidence=min_detection_confidence,
            min_tracking_confidence=min_tracking_confidence,
        )
        self._static = (
            mp.solutions.hands.Hands(
                static_image_mode=True,
                max_num_hands=2,
                model_complexity=model_complexity,
                min_detection_confidence=min_detection_confidence,
            )
            if augmented
            else None
        )

    def __call__(self, frame: np.ndarray) -> list[FrameHand]:
        """The hands of one (H, W, 3) uint8 RGB frame, which must follow the previous call's frame."""
        height, width = frame.shape[:2]
        hands = []
        for keypoints, world, side, score in _hands(self._tracking.process(frame), width, height):
            agreement = self._agreement(self._static, frame, keypoints) if self._static is not None else None
            hands.append(FrameHand(HandObservation(keypoints, side, score), world, agreement))
        return hands

    def _agreement(self, static: Any, frame: np.ndarray, keypoints: np.ndarray) -> np.ndarray:
        """View-agreement factor (21,) of one hand: re-detect it on rotated/scaled crops with the ``static``
        (single-image) detector, map back, compare."""
        centre = (keypoints.min(axis=0) + keypoints.max(axis=0)) / 2
        crop_side = CROP_SCALE * max(float(np.ptp(keypoints, axis=0).max()), 1.0)
        size = float(hand_size(keypoints))
        found = []
        for angle, scale in VIEWS:
            to_crop: np.ndarray = cv2.getRotationMatrix2D(tuple(centre), angle, scale * CROP_PIXELS / crop_side)
            to_crop[:, 2] += CROP_PIXELS / 2 - centre
            crop = cv2.warpAffine(frame, to_crop, (CROP_PIXELS, CROP_PIXELS), flags=cv2.INTER_LINEAR)
            back = cv2.invertAffineTransform(to_crop)
            candidates = [
                np.c_[view, np.ones(21)] @ back.T
                for view, _, _, _ in _hands(static.process(crop), CROP_PIXELS, CROP_PIXELS)
            ]
            distances = [np.linalg.norm(c - keypoints, axis=1).mean() / size for c in candidates]
            if distances and min(distances) < MATCH_DISTANCE:
                found.append(candidates[int(np.argmin(distances))])
        return view_agreement(keypoints, found, len(VIEWS))

    def close(self) -> None:
        """Release the MediaPipe graphs."""
        self._tracking.close()
        if self._static is not None:
            self._static.close()

    def __enter__(self) -> HandDetector:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
