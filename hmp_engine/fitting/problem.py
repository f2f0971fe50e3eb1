"""The optimisation problem of the hands fitted together: their frame variables (orientation, translation, shape),
observations and the data and smoothness terms, batched over hands as (H, T, ...) tensors so every stage
iteration is one pass for all hands; the finger pose comes from a pose model (`pose_models`).

Global orientation is a free 6D vector per frame (continuous, Gram-Schmidt to a rotation); the joints are the
hand model's at that pose, rotated about the wrist and translated into the camera frame. The orientation and
finger-pose data terms (the wrist's and the finger joints' rotations against their IK values) apply only on frames
whose pose was observed (IK), the finger-pose term not on frames whose keypoints the user edited (their IK pose
comes from the detector's unedited 3D landmarks, and the user's correction must win), the translation and
reprojection terms only on frames with keypoints; infilled frames are left to the smoothness terms and the prior.
Each term is a mean per hand (H,), so a hand's terms and gradients are those it would have alone.
``initial_pose`` keeps the initialisation's per-frame finger poses, which stage 1 holds the fingers at. Absent
frames (the hand is out of the picture, `detection.presence`) take part in no term: the smoothness terms skip
every step that touches one, so each stretch between absent runs moves on its own and the absent frames keep
their initial values.

While the finger pose is held fixed (stage 1), the hand model's joints are affine in the shape: `held_pose`
evaluates that map once (offset and one basis vector per shape coefficient, per frame) so an iteration costs a
small product instead of forward kinematics and its backward pass.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager

import numpy as np
import torch
from torch import nn

from hmp_engine.camera import Camera
from hmp_engine.fitting import losses
from hmp_engine.hand_model import HandModel
from hmp_engine.hand_model.joints import MANO21_PARENTS
from hmp_engine.initialisation import HandInit
from hmp_engine.rotations import axis_angle_to_matrix, matrix_to_6d, sixd_to_matrix

MIN_FRAME_INTERVAL = 1e-3
"""Seconds: frame intervals are floored here so velocities stay finite on duplicated timestamps."""

TRANSLATION_LR_SCALE = 0.1
"""Adam moves each variable by about the learning rate per step; for translation (metres) the stage's rate is
scaled by this so a step is ~5 mm rather than 5 cm, which otherwise oscillates around the keypoints."""

_BOX_FLOOR = 0.25  # a frame's box diagonal is at least this fraction of the track's median (partial keypoints)


def box_diagonals(keypoints: np.ndarray, confidence: np.ndarray) -> np.ndarray:
    """(T,) pixel diagonal of each frame's box around its observed keypoints, floored for partial observations."""
    observed = confidence > 0
    counts = observed.sum(axis=1)
    big = np.where(observed[..., None], keypoints, np.inf)
    small = np.where(observed[..., None], keypoints, -np.inf)
    diagonal = np.linalg.norm(small.max(axis=1) - big.min(axis=1), axis=-1)
    diagonal = np.where(counts >= 2, diagonal, np.nan)
    median = np.nanmedian(diagonal) if np.isfinite(diagonal).any() else 1.0
    return np.maximum(np.nan_to_num(diagonal, nan=median), _BOX_FLOOR * median)


def frame_intervals(times: np.ndarray) -> np.ndarray:
    """(T - 1,) seconds between consecutive frames, floored at MIN_FRAME_INTERVAL."""
    return np.maximum(np.diff(np.asarray(times, dtype=np.float64)), MIN_FRAME_INTERVAL)


def _moved_keypoints() -> torch.Tensor:
    """(15, 21): row j averages the MANO-21 keypoints that finger pose joint j + 1 moves (those beyond it)."""
    rows = torch.zeros(15, 21)
    for keypoint, ancestor in enumerate(MANO21_PARENTS):
        while ancestor > 0:
            rows[ancestor - 1, keypoint] = 1.0
            ancestor = MANO21_PARENTS[ancestor]
    return rows / rows.sum(dim=1, keepdim=True)


MOVED_KEYPOINTS = _moved_keypoints()


def joint_rotations(pose: torch.Tensor) -> torch.Tensor:
    """(..., 15, 3, 3) rotation matrices of (..., 45) axis-angle finger poses."""
    return axis_angle_to_matrix(pose.reshape(*pose.shape[:-1], 15, 3))


class HandProblem(nn.Module):
    """Variables, observations and terms of H hands over the same T frames (the pose model is ``pose_model``)."""

    orient_target: torch.Tensor  # observation buffers
    pose_target: torch.Tensor
    transl_target: torch.Tensor
    initial_pose: torch.Tensor
    keypoints: torch.Tensor
    confidence: torch.Tensor
    box_diagonal: torch.Tensor
    pose_observed: torch.Tensor
    pose_anchored: torch.Tensor
    transl_observed: torch.Tensor
    dt: torch.Tensor

    def __init__(self, inits: Sequence[HandInit], models: Sequence[HandModel], camera: Camera, pose_model: nn.Module,
                 device: torch.device) -> None:
        super().__init__()
        if len({init.num_frames for init in inits}) != 1:
            raise ValueError("hands fitted together must cover the same frames")
        self.sides = [init.side for init in inits]
        self.hand_models: list[HandModel] = [model.to(device) for model in models]
        self.camera, self.pose_model = camera, pose_model

        def stacked(name: str, dtype: torch.dtype = torch.float32) -> torch.Tensor:
            arrays = [np.asarray(getattr(init, name)) for init in inits]
            return torch.as_tensor(np.stack(arrays), dtype=dtype, device=device)

        rotation = axis_angle_to_matrix(stacked("global_orient"))
        self.orient6d = nn.Parameter(matrix_to_6d(rotation).clone())
        self.transl = nn.Parameter(stacked("transl").clone())
        self.betas = nn.Parameter(stacked("betas").clone())
        self.register_buffer("orient_target", rotation)
        self.register_buffer("transl_target", stacked("transl"))
        self.register_buffer("initial_pose", stacked("hand_pose"))
        self.register_buffer("pose_target", joint_rotations(self.initial_pose))
        self.register_buffer("keypoints", stacked("keypoints"))
        self.register_buffer("confidence", stacked("confidence"))
        diagonals = np.stack([box_diagonals(init.keypoints, init.confidence) for init in inits])
        self.register_buffer("box_diagonal", torch.as_tensor(diagonals, dtype=torch.float32, device=device))
        self.register_buffer("pose_observed", stacked("pose_observed", torch.bool))
        self.register_buffer("pose_anchored", self.pose_observed & ~stacked("pose_edited", torch.bool))
        self.register_buffer("transl_observed", stacked("transl_observed", torch.bool))
        intervals = np.stack([frame_intervals(init.times) for init in inits])
        self.register_buffer("dt", torch.as_tensor(intervals, dtype=torch.float32, device=device))
        self.present = None if all(init.present.all() for init in inits) else stacked("present", torch.bool)
        """(H, T) bool frames in each hand's motion, or None when every frame is (the terms then skip no step)."""
        self._shape_map: tuple[torch.Tensor, torch.Tensor] | None = None

    def joint_visibility(self) -> torch.Tensor:
        """(H, T, 15) how well each finger joint's rotation is seen: the mean confidence of the keypoints it moves."""
        return self.confidence @ MOVED_KEYPOINTS.to(self.confidence).T

    def frame_parameters(self) -> list[tuple[nn.Parameter, float]]:
        """The stage-1 variables (orientation, translation, shape), each with its learning-rate scale."""
        return [(self.orient6d, 1.0), (self.transl, TRANSLATION_LR_SCALE), (self.betas, 1.0)]

    def rotation(self) -> torch.Tensor:
        """(H, T, 3, 3) global orientations."""
        return sixd_to_matrix(self.orient6d)

    @contextmanager
    def held_pose(self, pose: torch.Tensor) -> Iterator[None]:
        """Within the block the finger pose is ``pose`` (H, T, 45), fixed: local joints come from its shape map."""
        with torch.no_grad():
            count = self.betas.shape[-1]
            probes = torch.cat([self.betas.new_zeros(1, count), torch.eye(count, device=self.betas.device)])
            maps = []
            for model, hand_pose in zip(self.hand_models, pose):
                zeros = hand_pose.new_zeros(len(hand_pose), 3)
                local = torch.stack([model.joints(zeros, hand_pose, probe) for probe in probes])
                maps.append((local[0], (local[1:] - local[0]).permute(1, 2, 3, 0)))
            self._shape_map = torch.stack([offset for offset, _ in maps]), torch.stack([basis for _, basis in maps])
        try:
            yield
        finally:
            self._shape_map = None

    def local_joints(self, pose: torch.Tensor) -> torch.Tensor:
        """(H, T, 21, 3) joints of the hand models at a (H, T, 45) finger pose and the current shapes, wrist-rooted
        but not yet rotated or translated (within `held_pose`, of the held pose)."""
        if self._shape_map is not None:
            offset, basis = self._shape_map
            return offset + torch.einsum("htjcs,hs->htjc", basis, self.betas)
        return torch.stack([model.joints(hand_pose.new_zeros(len(hand_pose), 3), hand_pose, betas)
                            for model, hand_pose, betas in zip(self.hand_models, pose, self.betas)])

    def joints(self, pose: torch.Tensor, rotation: torch.Tensor | None = None) -> torch.Tensor:
        """(H, T, 21, 3) camera-frame joints for a (H, T, 45) finger pose and the current frame variables."""
        rotation = self.rotation() if rotation is None else rotation
        local = self.local_joints(pose)
        wrist = local[..., :1, :]
        return (local - wrist) @ rotation.transpose(-1, -2) + wrist + self.transl[..., None, :]

    def terms(self, pose: torch.Tensor, names: Collection[str] | None = None) -> dict[str, torch.Tensor]:
        """The data, smoothness and shape terms (H,) for a (H, T, 45) finger pose: all of them, or only ``names``
        (a stage skips the terms it gives no weight)."""
        rotation = self.rotation()
        terms: dict[str, Callable[[], torch.Tensor]] = {
            "2d": lambda: losses.reprojection_loss(self.camera.project(self.joints(pose, rotation)), self.keypoints,
                                                   self.confidence, self.box_diagonal),
            "orient": lambda: losses.rotation_data_loss(rotation, self.orient_target, self.pose_observed),
            "pose": lambda: losses.rotation_data_loss(joint_rotations(pose), self.pose_target, self.pose_anchored),
            "transl": lambda: losses.translation_data_loss(self.transl, self.transl_target, self.transl_observed),
            "orient_smooth": lambda: losses.orientation_smoothness(rotation, self.dt, self.present),
            "orient_accel": lambda: losses.orientation_acceleration(rotation, self.dt, self.present),
            "transl_smooth": lambda: losses.translation_smoothness(self.transl, self.dt, self.present),
            "betas": lambda: losses.betas_loss(self.betas),
        }
        return {name: term() for name, term in terms.items() if names is None or name in names}
