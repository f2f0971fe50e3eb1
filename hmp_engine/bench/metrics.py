"""Accuracy against ground truth (docs/conventions.md, Metrics): PA-MPJPE, RA-MPJPE and RA-ACC of 21-joint sequences.

All take (T, 21, 3) joints in metres (MANO-21 order, root = wrist, joint 0) and return millimetres. PA-MPJPE aligns
each predicted frame to the truth by the similarity (scale, rotation, translation) that fits it best; RA-MPJPE only
moves the predicted wrist onto the true one; RA-ACC compares the second differences a_t = X_{t-1} - 2 X_t +
X_{t+1} of root-aligned joints over triples of consecutive valid frames (mm/frame^2, as in the paper).
"""

from __future__ import annotations

import numpy as np

from hmp_engine.fitting.metrics import frame_accelerations

ROOT = 0


def similarity_align(predicted: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """Each (..., J, 3) predicted frame mapped by its best similarity transform onto the true frame (Umeyama)."""
    mean_p, mean_t = predicted.mean(axis=-2, keepdims=True), truth.mean(axis=-2, keepdims=True)
    centred_p, centred_t = predicted - mean_p, truth - mean_t
    u, singular, vt = np.linalg.svd(np.swapaxes(centred_p, -1, -2) @ centred_t)
    sign = np.sign(np.linalg.det(np.swapaxes(vt, -1, -2) @ np.swapaxes(u, -1, -2)))
    signs = np.stack([np.ones_like(sign), np.ones_like(sign), sign], axis=-1)
    rotation = np.swapaxes(vt, -1, -2) @ (signs[..., :, None] * np.swapaxes(u, -1, -2))
    variance = np.maximum(np.square(centred_p).sum(axis=(-1, -2)), 1e-18)
    scale = (singular * signs).sum(axis=-1) / variance
    return scale[..., None, None] * centred_p @ np.swapaxes(rotation, -1, -2) + mean_t


def root_align(joints: np.ndarray) -> np.ndarray:
    """(..., J, 3) joints relative to their wrist."""
    return joints - joints[..., ROOT:ROOT + 1, :]


def pa_mpjpe(predicted: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """(T,) mean joint error in mm of each frame after similarity Procrustes alignment."""
    return 1000.0 * np.linalg.norm(similarity_align(predicted, truth) - truth, axis=-1).mean(axis=-1)


def ra_mpjpe(predicted: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """(T,) mean joint error in mm of each frame after moving the predicted wrist onto the true wrist."""
    return 1000.0 * np.linalg.norm(root_align(predicted) - root_align(truth), axis=-1).mean(axis=-1)


def valid_triples(valid: np.ndarray) -> np.ndarray:
    """(T,) bool: frames t with t-1, t and t+1 all valid (the centres of the triples RA-ACC is measured on)."""
    valid = np.asarray(valid, dtype=bool)
    centre = np.zeros_like(valid)
    centre[1:-1] = valid[:-2] & valid[1:-1] & valid[2:]
    return centre


def ra_acc(predicted: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """(T,) acceleration error ||a_pred - a_true|| in mm/frame^2 of root-aligned joints, averaged over joints, for
    each centre frame (the first and last are NaN); select valid centres with `valid_triples`."""
    return frame_accelerations(root_align(predicted) - root_align(truth))
