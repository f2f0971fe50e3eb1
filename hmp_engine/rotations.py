"""The one place for rotation math: conversions, geodesic distance, mirroring, SLERP gap filling and resampling.

Torch functions are differentiable and batched over leading dimensions (built on `roma`); the SLERP helpers work
on numpy sequences (built on `scipy.spatial.transform`). Conventions: axis-angle vectors in radians;
quaternions are (x, y, z, w); the 6D representation is the first two *columns* of the rotation matrix
(Zhou et al. 2019), turned back into a rotation by Gram-Schmidt.
"""

from __future__ import annotations

from typing import TypeVar

import numpy as np
import roma
import torch
from scipy.spatial.transform import Rotation, Slerp

AXIS_ANGLE_MIRROR = (1.0, -1.0, -1.0)
"""Mirroring a hand across the x = 0 plane keeps the x component of every axis-angle and negates y and z."""


def axis_angle_to_matrix(axis_angle: torch.Tensor) -> torch.Tensor:
    """(..., 3) axis-angle to (..., 3, 3) rotation matrices."""
    return roma.rotvec_to_rotmat(axis_angle)


def matrix_to_axis_angle(matrix: torch.Tensor) -> torch.Tensor:
    """(..., 3, 3) rotation matrices to (..., 3) axis-angle with angles in [0, pi]."""
    return roma.rotmat_to_rotvec(matrix)


def matrix_to_6d(matrix: torch.Tensor) -> torch.Tensor:
    """(..., 3, 3) rotation matrices to the (..., 6) continuous representation."""
    return matrix[..., :, :2].reshape(*matrix.shape[:-2], 6)


def sixd_to_matrix(sixd: torch.Tensor) -> torch.Tensor:
    """(..., 6) continuous representation to (..., 3, 3) rotation matrices (Gram-Schmidt)."""
    return roma.special_gramschmidt(sixd.reshape(*sixd.shape[:-1], 3, 2))


def axis_angle_to_quaternion(axis_angle: torch.Tensor) -> torch.Tensor:
    """(..., 3) axis-angle to (..., 4) unit quaternions (x, y, z, w)."""
    return roma.rotvec_to_unitquat(axis_angle)


def quaternion_to_axis_angle(quaternion: torch.Tensor) -> torch.Tensor:
    """(..., 4) unit quaternions (x, y, z, w) to (..., 3) axis-angle."""
    return roma.unitquat_to_rotvec(quaternion)


def geodesic_distance(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Angle in radians of the rotation between (..., 3, 3) matrices a and b; stable near zero."""
    return roma.rotmat_geodesic_distance(a, b)


ArrayOrTensor = TypeVar("ArrayOrTensor", np.ndarray, torch.Tensor)


def mirror_axis_angle(axis_angle: ArrayOrTensor) -> ArrayOrTensor:
    """Left <-> right: the axis-angle of the mirrored joint rotation, for (..., 3) arrays or (..., 3k) poses."""
    flat = axis_angle.reshape(*axis_angle.shape[:-1], -1, 3)
    if isinstance(axis_angle, torch.Tensor):
        mirrored = flat * flat.new_tensor(AXIS_ANGLE_MIRROR)
    else:
        mirrored = flat * np.asarray(AXIS_ANGLE_MIRROR)
    return mirrored.reshape(axis_angle.shape)


def canonical_axis_angle(axis_angle: np.ndarray) -> np.ndarray:
    """The same rotations as a (..., 3) axis-angle array, with angles in [0, pi] (captures may store 2 pi - a)."""
    flat = np.asarray(axis_angle, dtype=np.float64).reshape(-1, 3)
    return Rotation.from_rotvec(flat).as_rotvec().reshape(np.shape(axis_angle))


def slerp_resample(times: np.ndarray, axis_angle: np.ndarray, new_times: np.ndarray) -> np.ndarray:
    """Rotations of a (T, J, 3) axis-angle sequence at new times, by SLERP; held constant outside [t0, tN]."""
    times = np.asarray(times, dtype=np.float64)
    axis_angle = np.asarray(axis_angle, dtype=np.float64)
    query = np.clip(np.asarray(new_times, dtype=np.float64), times[0], times[-1])
    if len(times) == 1:
        return np.repeat(axis_angle[:1], len(query), axis=0)
    out = np.empty((len(query), *axis_angle.shape[1:]))
    for joint in range(axis_angle.shape[1]):
        out[:, joint] = Slerp(times, Rotation.from_rotvec(axis_angle[:, joint]))(query).as_rotvec()
    return out


def linear_resample(times: np.ndarray, values: np.ndarray, new_times: np.ndarray) -> np.ndarray:
    """Values of a (T, ...) sequence at new times, linearly interpolated; held constant outside [t0, tN]."""
    values = np.asarray(values, dtype=np.float64)
    flat = values.reshape(len(values), -1)
    out = np.stack([np.interp(new_times, times, flat[:, k]) for k in range(flat.shape[1])], axis=1)
    return out.reshape(len(new_times), *values.shape[1:])


def fill_rotation_gaps(axis_angle: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Fill invalid frames of a (T, J, 3) sequence by SLERP between the nearest valid frames.

    Frames before the first valid frame take the first valid rotation, frames after the last take the last one
    (the reference implementation gave the leading frames the *last* pose). Raises if no frame is valid.
    """
    frames = np.flatnonzero(valid)
    if frames.size == 0:
        raise ValueError("cannot fill gaps: no valid frame")
    return slerp_resample(frames, np.asarray(axis_angle)[frames], np.arange(len(valid)))


def fill_linear_gaps(values: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Fill invalid frames of a (T, ...) sequence linearly, holding the first/last valid value beyond the ends."""
    frames = np.flatnonzero(valid)
    if frames.size == 0:
        raise ValueError("cannot fill gaps: no valid frame")
    return linear_resample(frames, np.asarray(values)[frames], np.arange(len(valid)))
