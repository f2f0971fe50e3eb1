"""2D skeletons drawn over a frame with OpenCV: detected keypoints (MediaPipe order) and reprojected joints (MANO-21).

Detected keypoints are dots joined by thin lines, hollow where the detector was unsure (confidence below
``CONFIDENT``) and absent where it saw nothing (confidence 0); reprojected joints are a thicker skeleton with small
dots, so the two read apart when both are on. Coordinates are drawn with sub-pixel precision.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from hmp_engine.hand_model.joints import MANO21_PARENTS, MEDIAPIPE_PARENTS

CONFIDENT = 0.5
_SHIFT = 4  # OpenCV fixed-point bits: coordinates are drawn at 1/16 pixel
_SCALE = 1 << _SHIFT


def _fixed(point: np.ndarray) -> tuple[int, int]:
    """A pixel position in OpenCV's fixed-point coordinates."""
    return int(round(float(point[0]) * _SCALE)), int(round(float(point[1]) * _SCALE))


def _bones(image: np.ndarray, points: np.ndarray, parents: Sequence[int], shown: np.ndarray,
           color: tuple[int, int, int], thickness: int) -> None:
    """Lines from each shown point to its shown parent."""
    for joint, parent in enumerate(parents):
        if parent >= 0 and shown[joint] and shown[parent]:
            cv2.line(image, _fixed(points[joint]), _fixed(points[parent]), color, thickness, cv2.LINE_AA, _SHIFT)


def draw_keypoints(image: np.ndarray, keypoints: np.ndarray, color: tuple[int, int, int], radius: int = 4) -> None:
    """Draw (21, 3) detected keypoints (x, y, confidence; MediaPipe order) on an RGB image in place."""
    shown = keypoints[:, 2] > 0
    _bones(image, keypoints, MEDIAPIPE_PARENTS, shown, color, 1)
    for point, confidence in zip(keypoints, keypoints[:, 2]):
        if confidence > 0:
            filled = cv2.FILLED if confidence >= CONFIDENT else 1
            cv2.circle(image, _fixed(point), radius * _SCALE, color, filled, cv2.LINE_AA, _SHIFT)


def draw_joints(image: np.ndarray, joints: np.ndarray, color: tuple[int, int, int], radius: int = 2) -> None:
    """Draw (21, 2) reprojected MANO-21 joints (pixels) on an RGB image in place."""
    shown = np.all(np.isfinite(joints), axis=1)
    _bones(image, joints, MANO21_PARENTS, shown, color, 2)
    for point in joints[shown]:
        cv2.circle(image, _fixed(point), radius * _SCALE, color, cv2.FILLED, cv2.LINE_AA, _SHIFT)
