"""Anatomical joint frames and limits of the MANO skeleton, shared by the IK regulariser and the synthetic motion.

Every finger joint's axis-angle is read in a local frame (twist, abduction, flexion): twist about the bone,
abduction sideways in the plane of the palm (positive toward the thumb side), flexion toward the palm. Because MANO
joint rotations act in the rest pose's frame, a joint's axis-angle is `frame @ (twist, abd, flex)` with an
orthonormal frame built once from MANO's canonical rest skeleton (docs/conventions.md; the open model shares it).
For the thumb, "toward the palm" is tilted from the palm normal toward the little finger, as the thumb's nail
faces partly sideways.
"""

from __future__ import annotations

import numpy as np

MANO_REST_JOINTS = np.array([
    [0.0957, 0.0064, 0.0062],
    [0.0076, 0.0012, 0.0269], [-0.0251, 0.0052, 0.0291], [-0.0473, 0.0039, 0.0290],
    [0.0010, 0.0049, 0.0028], [-0.0302, 0.0068, -0.0028], [-0.0531, 0.0055, -0.0067],
    [0.0269, -0.0036, -0.0370], [0.0099, -0.0035, -0.0495], [-0.0060, -0.0042, -0.0599],
    [0.0139, 0.0024, -0.0205], [-0.0144, 0.0045, -0.0256], [-0.0379, 0.0028, -0.0332],
    [0.0716, -0.0091, 0.0320], [0.0519, -0.0082, 0.0557], [0.0297, -0.0137, 0.0702],
    [0.0037, -0.0164, 0.0941], [-0.0727, 0.0051, 0.0285], [-0.0788, 0.0094, -0.0108],
    [-0.0623, 0.0067, -0.0406], [-0.0231, -0.0026, -0.0702],
])
"""MANO-21 rest joints of the right hand, metres (flat hand, fingers to -x, back of the hand +y)."""

CHILD = (2, 3, 17, 5, 6, 18, 8, 9, 20, 11, 12, 19, 14, 15, 16)
"""MANO-21 child of each pose joint 1..15: the next joint of the finger, or its tip."""

THUMB_JOINTS = (13, 14, 15)
THUMB_PALM_TILT = np.radians(45.0)
"""The thumb flexes toward a direction between the palm normal (-y) and the little finger (-z)."""

TWIST, ABDUCTION, FLEXION = 0, 1, 2

# Per joint (rows 1..15 of MANO-16), per component (twist, abduction, flexion): (low, high) radians.
_LONG_FINGER_LIMITS = (  # MCP, PIP, DIP
    ((-0.30, 0.30), (-0.40, 0.40), (-0.50, 1.65)),
    ((-0.15, 0.15), (-0.12, 0.12), (-0.10, 1.90)),
    ((-0.12, 0.12), (-0.10, 0.10), (-0.25, 1.45)),
)
# The thumb's CMC pronates (negative twist) by up to 57 degrees, flexes to 74 and its MCP hyperextends to 40: with the
# earlier -23 / 57 / -17 degrees, the IK lift of the permissively licensed sample video and marker mocap sat on those
# limits (docs/synthetic_calibration.md); free of them, it reached -43 / 68 / -35 (1st / 99th percentiles).
_THUMB_LIMITS = (  # CMC, MCP, IP
    ((-1.00, 0.90), (-0.50, 0.90), (-0.40, 1.30)),
    ((-0.25, 0.25), (-0.25, 0.25), (-0.70, 1.10)),
    ((-0.15, 0.15), (-0.15, 0.15), (-0.45, 1.45)),
)
JOINT_LIMITS = np.array(_LONG_FINGER_LIMITS * 4 + _THUMB_LIMITS)
"""(15, 3, 2) anatomical limits (twist, abduction, flexion) x (low, high) per MANO pose joint, radians."""
PINKY_MCP = 6
JOINT_LIMITS[PINKY_MCP, 1, 1] = 0.80
"""MANO's flat hand splays the little finger about 36 degrees from the index; a real one at rest or in a grasp lies
near the ring finger, and the IK lift of the sample video sat on a 23-degree limit toward it in a third of its key
poses."""


def _joint_frame(joint: int) -> np.ndarray:
    """The (3, 3) orthonormal frame whose columns are the twist, abduction and flexion axes of a joint."""
    bone = MANO_REST_JOINTS[CHILD[joint - 1]] - MANO_REST_JOINTS[joint]
    bone /= np.linalg.norm(bone)
    palm = np.array([0.0, -1.0, 0.0])
    if joint in THUMB_JOINTS:
        palm = np.cos(THUMB_PALM_TILT) * palm + np.sin(THUMB_PALM_TILT) * np.array([0.0, 0.0, -1.0])
    palm -= bone * (palm @ bone)
    flexion = np.cross(bone, palm / np.linalg.norm(palm))
    abduction = np.cross(bone, flexion)
    return np.stack([bone, abduction, flexion], axis=1)


JOINT_FRAMES = np.stack([_joint_frame(joint) for joint in range(1, 16)])
"""(15, 3, 3): axis-angle of joint j = JOINT_FRAMES[j] @ (twist, abduction, flexion)."""


def to_anatomical(hand_pose: np.ndarray) -> np.ndarray:
    """(..., 45) axis-angle pose to (..., 15, 3) anatomical components (twist, abduction, flexion)."""
    pose = np.asarray(hand_pose).reshape(*np.shape(hand_pose)[:-1], 15, 3)
    return np.einsum("jci,...jc->...ji", JOINT_FRAMES, pose)


def from_anatomical(components: np.ndarray) -> np.ndarray:
    """(..., 15, 3) anatomical components to (..., 45) axis-angle pose."""
    pose = np.einsum("jic,...jc->...ji", JOINT_FRAMES, components)
    return pose.reshape(*pose.shape[:-2], 45)
