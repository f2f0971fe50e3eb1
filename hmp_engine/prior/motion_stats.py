"""Statistics that compare finger motion corpora: fingertip speed and acceleration, joint ranges, coverage.

Everything is measured on the hand model's joints by forward kinematics with zero global orientation, relative to
the wrist, in millimetres per frame (and per frame squared) at 30 fps, so real and synthetic motion are compared on
the same skeleton regardless of where they came from.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from hmp_engine.anatomy import to_anatomical
from hmp_engine.hand_model import HandModel
from hmp_engine.hand_model.joints import FINGERS
from hmp_engine.rotations import slerp_resample

STATS_FPS = 30.0
TIPS = slice(16, 21)
_BATCH = 8192


def resample_to_stats_fps(hand_pose: np.ndarray, fps: float) -> np.ndarray:
    """(T, 45) poses at `fps` resampled by SLERP to 30 fps (returned unchanged when already at 30 fps)."""
    if abs(fps - STATS_FPS) < 1e-6:
        return np.asarray(hand_pose)
    times = np.arange(len(hand_pose)) / fps
    new_times = np.arange(0.0, times[-1] + 1e-9, 1.0 / STATS_FPS)
    return slerp_resample(times, np.asarray(hand_pose).reshape(-1, 15, 3), new_times).reshape(-1, 45)


def hand_joints_mm(model: HandModel, hand_pose: np.ndarray) -> np.ndarray:
    """(T, 21, 3) wrist-relative joints in millimetres of (T, 45) poses under zero global orientation and shape."""
    pose = torch.as_tensor(np.asarray(hand_pose, dtype=np.float32))
    chunks = []
    with torch.no_grad():
        for start in range(0, len(pose), _BATCH):
            part = pose[start:start + _BATCH]
            joints = model.joints(part.new_zeros(len(part), 3), part)
            chunks.append((joints - joints[:, :1]).numpy() * 1000.0)
    return np.concatenate(chunks) if chunks else np.zeros((0, 21, 3), dtype=np.float32)


@dataclass
class MotionStats:
    """Fingertip speed (mm/frame) and acceleration (mm/frame^2) samples at 30 fps, and anatomical angles (rad)."""

    speed: np.ndarray
    acceleration: np.ndarray
    angles: np.ndarray

    def percentile(self, name: str, q: float) -> float:
        """A percentile of 'speed' or 'acceleration' over all fingertips and frames."""
        return float(np.percentile(getattr(self, name), q))

    def angle_range(self, low: float = 1.0, high: float = 99.0) -> np.ndarray:
        """(15, 3, 2) robust range of the (twist, abduction, flexion) angle of every joint."""
        return np.stack([np.percentile(self.angles, low, axis=0), np.percentile(self.angles, high, axis=0)], -1)


def motion_stats(model: HandModel, sequences: Sequence[np.ndarray], fps: Sequence[float] | float = STATS_FPS
                 ) -> MotionStats:
    """Pooled statistics of (T, 45) pose sequences, each resampled to 30 fps first."""
    rates = [float(fps)] * len(sequences) if isinstance(fps, int | float) else [float(r) for r in fps]
    speeds, accelerations, angles = [], [], []
    for pose, rate in zip(sequences, rates):
        pose = resample_to_stats_fps(pose, rate)
        tips = hand_joints_mm(model, pose)[:, TIPS]
        speeds.append(np.linalg.norm(np.diff(tips, axis=0), axis=-1).ravel())
        accelerations.append(np.linalg.norm(tips[2:] - 2.0 * tips[1:-1] + tips[:-2], axis=-1).ravel())
        angles.append(to_anatomical(pose))
    return MotionStats(np.concatenate(speeds), np.concatenate(accelerations), np.concatenate(angles))


def coverage_mm(real_joints: np.ndarray, generated_joints: np.ndarray, joints: Sequence[int] | None = None,
                candidates: int = 8) -> float:
    """Mean over real poses of the mean joint position error (mm) to the nearest generated pose.

    Nearest neighbours are pre-selected by Euclidean distance over the chosen joints, then ranked by the mean
    per-joint error. `joints` restricts both to a subset (e.g. one finger); default all 21 joints.
    """
    index = list(range(real_joints.shape[1])) if joints is None else list(joints)
    real = torch.as_tensor(np.asarray(real_joints, dtype=np.float32)[:, index])
    generated = torch.as_tensor(np.asarray(generated_joints, dtype=np.float32)[:, index])
    best = []
    for start in range(0, len(real), 512):
        chunk = real[start:start + 512]
        distances = torch.cdist(chunk.flatten(1), generated.flatten(1))
        nearest = distances.topk(min(candidates, len(generated)), largest=False).indices
        errors = (generated[nearest] - chunk[:, None]).norm(dim=-1).mean(-1)
        best.append(errors.min(dim=1).values)
    return float(torch.cat(best).mean())


def finger_coverage_mm(real_joints: np.ndarray, generated_joints: np.ndarray) -> dict[str, float]:
    """Coverage of each finger on its own (its four MANO-21 joints), and of the whole hand."""
    result = {name: coverage_mm(real_joints, generated_joints, joints) for name, joints in FINGERS.items()}
    result["hand"] = coverage_mm(real_joints, generated_joints)
    return result
