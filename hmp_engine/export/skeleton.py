"""The rig every animation export (FBX, glTF, BVH) shares: one fitted hand as named bones, rest pose and motion.

Decisions, the same for every format (README, "Export"):

- Bones: the 21 MANO-21 joints in MANO-21 order and hierarchy, named ``{side}_wrist``, ``{side}_index1..3``,
  ``middle1..3``, ``pinky1..3``, ``ring1..3``, ``thumb1..3`` (1 is the finger's base: MCP, CMC for the thumb) and
  the end bones ``{side}_thumb_tip`` ... ``{side}_pinky_tip`` at the fingertips.
- Rest pose: the flat hand (zero pose) of the hand model with the fitted shape, in MANO's canonical orientation:
  fingers toward -x, back of the hand up, thumb toward the viewer. Every rest joint frame is aligned with the
  world axes, so a finger joint's rotation *is* its MANO axis-angle (in y-up; conjugated into z-up).
- World frame: the camera frame (OpenCV: x right, y down, z forward) turned upright. ``y`` up: x right, y up,
  z toward the viewer (OpenGL's camera frame, glTF's convention); ``z`` up: x right, y away from the viewer, z up
  (Blender's). The camera sits at the origin, so the hands move in front of it as they do in the video.
- Root motion: the wrist bone carries the fit's global orientation and translation; the fingers only rotate.
- Units: metres times ``scale`` (100 gives the centimetres Unreal expects).
- Tips follow their finger's last joint rigidly. That is exact for the open model; with MANO files it leaves out
  the pose-corrective offsets of MANO's tip vertices, which the joints of the motion .npz keep.
- Mesh: the rest mesh with the fitted shape, skinned by the model's blend weights to the 16 articulated bones
  (MANO's pose-corrective blend shapes are not exported).
- Frames where the hand is not valid (absent: out of the picture, or missing too long to infill) hold the pose
  of the nearest valid frame before them (after them, before the first), so no invented motion is exported, and
  are hidden where the format can: glTF and FBX scale the wrist, and with it the whole hand, to 0 on them (a
  stepped "visibility" scale channel: 1 shown, 0 hidden); BVH has no way to hide a bone, so there the hand
  stands still. The motion .npz says which frames are valid and which were observed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from scipy.spatial.transform import Rotation

from hmp_engine.hand_model import MANO21_PARENTS, HandModel
from hmp_engine.motion_file import HandMotion

BONE_NAMES: tuple[str, ...] = (
    "wrist", "index1", "index2", "index3", "middle1", "middle2", "middle3", "pinky1", "pinky2", "pinky3",
    "ring1", "ring2", "ring3", "thumb1", "thumb2", "thumb3",
    "thumb_tip", "index_tip", "middle_tip", "ring_tip", "pinky_tip",
)
"""Bone names (without the side prefix) in MANO-21 order."""

NUM_ARTICULATED = 16
"""Bones with a rotation of their own: the wrist and the 15 finger joints (the tips have none)."""

CAMERA_TO_Y_UP = np.diag([1.0, -1.0, -1.0])
"""OpenCV camera frame -> y-up world: a half turn about x (y down -> y up, z forward -> z toward the viewer)."""

Y_UP_TO: dict[str, np.ndarray] = {
    "y": np.eye(3),
    "z": np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]]),
}
"""y-up world -> the chosen up axis: (x, y, z) -> (x, -z, y) for z up (a quarter turn about x)."""

UP_AXES: tuple[str, ...] = tuple(Y_UP_TO)


def bone_names(side: str) -> tuple[str, ...]:
    """The 21 bone names of one hand, prefixed by its side ('right_wrist', ...)."""
    return tuple(f"{side}_{name}" for name in BONE_NAMES)


@dataclass
class Skeleton:
    """One hand's rig over T frames in the export frame: rest joints, per-frame rotations and root path, skin."""

    names: tuple[str, ...]  # 21 bone names
    rest: np.ndarray  # (21, 3) rest joint positions
    rotations: np.ndarray  # (T, 16, 3, 3) wrist: world rotation; finger joints: rotation within their parent
    root: np.ndarray  # (T, 3) wrist position
    vertices: np.ndarray  # (V, 3) rest mesh
    faces: np.ndarray  # (F, 3)
    weights: np.ndarray  # (V, 16) blend weights of the articulated bones
    visible: np.ndarray  # (T,) bool: the hand is valid on this frame (hidden where not)

    parents: tuple[int, ...] = MANO21_PARENTS

    @property
    def num_frames(self) -> int:
        """Number of frames T."""
        return len(self.root)

    @property
    def offsets(self) -> np.ndarray:
        """(21, 3) rest position of each joint relative to its parent (the wrist's: relative to the origin)."""
        parents = np.array(self.parents)
        return self.rest - np.where(parents[:, None] < 0, 0.0, self.rest[np.maximum(parents, 0)])


def quaternion_tracks(rotations: np.ndarray) -> np.ndarray:
    """(T, J, 4) (x, y, z, w) quaternions of (T, J, 3, 3) rotations, signs chosen so no joint's track flips."""
    frames = len(rotations)
    quats = Rotation.from_matrix(rotations.reshape(-1, 3, 3)).as_quat().reshape(frames, -1, 4)
    quats *= np.where(quats[:1, :, 3:] < 0, -1.0, 1.0)
    steps = np.where(np.einsum("tjc,tjc->tj", quats[1:], quats[:-1]) < 0, -1.0, 1.0)
    return quats * np.cumprod(np.concatenate([np.ones((1, quats.shape[1])), steps]), axis=0)[..., None]


def held_frames(valid: np.ndarray) -> np.ndarray:
    """(T,) index of the frame whose pose each frame shows: itself when valid, else the nearest valid frame before
    it (after it, before the first valid frame); every frame itself when none is valid."""
    valid = np.asarray(valid, dtype=bool)
    if not valid.any():
        return np.arange(len(valid))
    last = np.maximum.accumulate(np.where(valid, np.arange(len(valid)), -1))
    return np.where(last >= 0, last, np.flatnonzero(valid)[0])


def hand_skeleton(model: HandModel, hand: HandMotion, side: str, up: str = "y", scale: float = 1.0) -> Skeleton:
    """The rig of a fitted hand in the ``up`` world frame, lengths times ``scale`` (see the module docstring)."""
    axes = Y_UP_TO[up]
    betas = torch.as_tensor(np.asarray(hand.betas), dtype=torch.float32)
    with torch.no_grad():
        rest = model.rest_joints(betas).double().numpy()
        vertices = model(torch.zeros(1, 3), torch.zeros(1, 45), betas).vertices[0].double().numpy()
    frames, held = hand.num_frames, held_frames(hand.valid)
    fingers = Rotation.from_rotvec(np.asarray(hand.hand_pose, np.float64)[held].reshape(-1, 3)).as_matrix()
    orient = Rotation.from_rotvec(np.asarray(hand.global_orient, np.float64)[held]).as_matrix()
    camera_to_world = axes @ CAMERA_TO_Y_UP
    rotations = np.concatenate([(camera_to_world @ orient @ axes.T)[:, None],
                                (axes @ fingers @ axes.T).reshape(frames, 15, 3, 3)], axis=1)
    root = (rest[0] + np.asarray(hand.transl, np.float64)[held]) @ camera_to_world.T
    return Skeleton(names=bone_names(side), rest=rest @ axes.T * scale, rotations=rotations, root=root * scale,
                    vertices=vertices @ axes.T * scale, faces=np.asarray(model.faces),
                    weights=model.mano.lbs_weights.detach().double().numpy(),
                    visible=np.asarray(hand.valid, dtype=bool).copy())
