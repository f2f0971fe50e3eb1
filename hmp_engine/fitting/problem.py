"""One hand's optimisation problem: its frame variables (orientation, translation, shape), its observations and
the data and smoothness terms; the finger pose comes from a pose model (`pose_models`).

Global orientation is a free 6D vector per frame (continuous, Gram-Schmidt to a rotation); the joints are the
hand model's at that pose, rotated about the wrist and translated into the camera frame. The orientation data term
applies only on frames whose orientation was observed (IK), the translation and reprojection terms only on frames
with keypoints; infilled frames are left to the smoothness terms and the prior. Absent frames (the hand is out of
the picture, `detection.presence`) take part in no term: the smoothness terms skip every step that touches one,
so each stretch between absent runs moves on its own and the absent frames keep their initial values.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from hmp_engine.camera import Camera
from hmp_engine.fitting import losses
from hmp_engine.hand_model import HandModel
from hmp_engine.init import HandInit
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


class HandProblem(nn.Module):
    """Variables, observations and terms of one hand (its pose model is attached as ``pose_model``)."""

    def __init__(self, init: HandInit, model: HandModel, camera: Camera, pose_model: nn.Module,
                 device: torch.device) -> None:
        super().__init__()
        self.side, self.model, self.camera, self.pose_model = init.side, model.to(device), camera, pose_model
        tensor = lambda a, dtype=torch.float32: torch.as_tensor(np.asarray(a), dtype=dtype, device=device)  # noqa
        rotation = axis_angle_to_matrix(tensor(init.global_orient))
        self.orient6d = nn.Parameter(matrix_to_6d(rotation).clone())
        self.transl = nn.Parameter(tensor(init.transl).clone())
        self.betas = nn.Parameter(tensor(init.betas).clone())
        self.register_buffer("orient_target", rotation)
        self.register_buffer("transl_target", tensor(init.transl))
        self.register_buffer("keypoints", tensor(init.keypoints))
        self.register_buffer("confidence", tensor(init.confidence))
        self.register_buffer("box_diagonal", tensor(box_diagonals(init.keypoints, init.confidence)))
        self.register_buffer("pose_observed", tensor(init.pose_observed, torch.bool))
        self.register_buffer("transl_observed", tensor(init.transl_observed, torch.bool))
        self.register_buffer("dt", tensor(frame_intervals(init.times)))
        self.present = None if init.present.all() else tensor(init.present, torch.bool)
        """(T,) bool frames in the motion, or None when every frame is (the terms then skip no step)."""

    def frame_parameters(self) -> list[tuple[nn.Parameter, float]]:
        """The stage-1 variables (orientation, translation, shape), each with its learning-rate scale."""
        return [(self.orient6d, 1.0), (self.transl, TRANSLATION_LR_SCALE), (self.betas, 1.0)]

    def rotation(self) -> torch.Tensor:
        """(T, 3, 3) global orientations."""
        return sixd_to_matrix(self.orient6d)

    def joints(self, pose: torch.Tensor, rotation: torch.Tensor | None = None) -> torch.Tensor:
        """(T, 21, 3) camera-frame joints for a (T, 45) finger pose and the current frame variables."""
        rotation = self.rotation() if rotation is None else rotation
        local = self.model.joints(pose.new_zeros(len(pose), 3), pose, self.betas)
        wrist = local[:, :1]
        return (local - wrist) @ rotation.transpose(1, 2) + wrist + self.transl[:, None]

    def terms(self, pose: torch.Tensor) -> dict[str, torch.Tensor]:
        """The data, smoothness and shape terms for a (T, 45) finger pose."""
        rotation = self.rotation()
        projected = self.camera.project(self.joints(pose, rotation))
        return {
            "2d": losses.reprojection_loss(projected, self.keypoints, self.confidence, self.box_diagonal),
            "orient": losses.orientation_data_loss(rotation, self.orient_target, self.pose_observed),
            "transl": losses.translation_data_loss(self.transl, self.transl_target, self.transl_observed),
            "orient_smooth": losses.orientation_smoothness(rotation, self.dt, self.present),
            "transl_smooth": losses.translation_smoothness(self.transl, self.dt, self.present),
            "betas": losses.betas_loss(self.betas),
        }
