"""Figures that summarise a fit without ground truth: reprojection error against the keypoints, joint acceleration."""

from __future__ import annotations

import numpy as np

from hmp_engine.camera import Camera


def reprojection_errors(joints: np.ndarray, camera: Camera, keypoints: np.ndarray,
                        confidence: np.ndarray) -> np.ndarray:
    """Pixel distances between projected (T, 21, 3) joints and (T, 21, 2) keypoints where confidence > 0."""
    observed = confidence > 0
    return np.linalg.norm(camera.project_numpy(joints)[observed] - keypoints[observed], axis=-1)


def mean_acceleration(joints: np.ndarray, times: np.ndarray) -> dict[str, float]:
    """Mean joint acceleration magnitude of (T, 21, 3) joints in metres: per frame^2 (as in the paper's ACC, in
    mm/frame^2) and per second^2 from the real frame times (m/s^2); 0 for fewer than 3 frames."""
    if len(joints) < 3:
        return {"mm_per_frame2": 0.0, "m_per_s2": 0.0}
    dt = np.maximum(np.diff(np.asarray(times, dtype=np.float64)), 1e-3)
    velocity = np.diff(joints, axis=0) / dt[:, None, None]
    per_second = np.diff(velocity, axis=0) / (0.5 * (dt[1:] + dt[:-1]))[:, None, None]
    return {"mm_per_frame2": float(np.nanmean(frame_accelerations(joints))),
            "m_per_s2": float(np.linalg.norm(per_second, axis=-1).mean())}


def frame_reprojection_errors(joints: np.ndarray, camera: Camera, keypoints: np.ndarray,
                              confidence: np.ndarray) -> np.ndarray:
    """Per frame, the mean pixel distance between projected (T, 21, 3) joints and the observed keypoints (NaN on
    frames without any): a curve over time to compare an initialisation with its fit."""
    observed = confidence > 0
    distances = np.where(observed, np.linalg.norm(camera.project_numpy(joints) - keypoints, axis=-1), 0.0)
    counts = observed.sum(axis=1)
    return np.where(counts > 0, distances.sum(axis=1) / np.maximum(counts, 1), np.nan)


def frame_accelerations(joints: np.ndarray) -> np.ndarray:
    """Per frame, the mean joint acceleration magnitude (mm/frame^2) of (T, 21, 3) joints in metres; NaN on the
    first and last frame, which have no neighbour on one side."""
    curve = np.full(len(joints), np.nan)
    if len(joints) >= 3:
        curve[1:-1] = 1000 * np.linalg.norm(joints[:-2] - 2 * joints[1:-1] + joints[2:], axis=-1).mean(axis=1)
    return curve
