"""Joint orders shared by every module (docs/conventions.md): MANO-16, MANO-21 and MediaPipe-21."""

from __future__ import annotations

import numpy as np

MANO_JOINT_NAMES: tuple[str, ...] = (
    "wrist",
    "index_mcp", "index_pip", "index_dip",
    "middle_mcp", "middle_pip", "middle_dip",
    "pinky_mcp", "pinky_pip", "pinky_dip",
    "ring_mcp", "ring_pip", "ring_dip",
    "thumb_cmc", "thumb_mcp", "thumb_ip",
)
"""The 16 articulated MANO joints; the pose vector holds joints 1..15 (3 axis-angle values each)."""

MANO_PARENTS: tuple[int, ...] = (-1, 0, 1, 2, 0, 4, 5, 0, 7, 8, 0, 10, 11, 0, 13, 14)

TIP_NAMES: tuple[str, ...] = ("thumb_tip", "index_tip", "middle_tip", "ring_tip", "pinky_tip")
MANO21_JOINT_NAMES: tuple[str, ...] = MANO_JOINT_NAMES + TIP_NAMES
"""MANO-21: the 16 joints followed by the five fingertips (thumb, index, middle, ring, pinky)."""

TIP_PARENTS: tuple[int, ...] = (15, 3, 6, 12, 9)
"""The MANO joint each fingertip hangs from (the last joint of its finger)."""

MANO21_PARENTS: tuple[int, ...] = MANO_PARENTS + TIP_PARENTS

MEDIAPIPE_JOINT_NAMES: tuple[str, ...] = (
    "wrist",
    "thumb_cmc", "thumb_mcp", "thumb_ip", "thumb_tip",
    "index_mcp", "index_pip", "index_dip", "index_tip",
    "middle_mcp", "middle_pip", "middle_dip", "middle_tip",
    "ring_mcp", "ring_pip", "ring_dip", "ring_tip",
    "pinky_mcp", "pinky_pip", "pinky_dip", "pinky_tip",
)
"""MediaPipe / OpenPose order, used by the detector and for every 2D keypoint array."""

MP_TO_MANO: np.ndarray = np.array(
    [MEDIAPIPE_JOINT_NAMES.index(name) for name in MANO21_JOINT_NAMES], dtype=np.int64
)
"""``mano21 = mediapipe[MP_TO_MANO]``."""

MANO_TO_MP: np.ndarray = np.argsort(MP_TO_MANO)
"""``mediapipe = mano21[MANO_TO_MP]``."""

MEDIAPIPE_PARENTS: tuple[int, ...] = tuple(
    -1 if MANO21_PARENTS[k] < 0 else int(MP_TO_MANO[MANO21_PARENTS[k]]) for k in MANO_TO_MP
)
"""Parent of each MediaPipe joint, for drawing skeletons of 2D keypoints."""

FINGERS: dict[str, tuple[int, ...]] = {
    "thumb": (13, 14, 15, 16),
    "index": (1, 2, 3, 17),
    "middle": (4, 5, 6, 18),
    "ring": (10, 11, 12, 19),
    "pinky": (7, 8, 9, 20),
}
"""MANO-21 joints of each finger, from its base to its tip."""

SIDES: tuple[str, ...] = ("right", "left")


def mediapipe_to_mano21(points: np.ndarray) -> np.ndarray:
    """Reorder an array whose axis -2 is in MediaPipe order into MANO-21 order."""
    return points[..., MP_TO_MANO, :]


def mano21_to_mediapipe(points: np.ndarray) -> np.ndarray:
    """Reorder an array whose axis -2 is in MANO-21 order into MediaPipe order."""
    return points[..., MANO_TO_MP, :]
