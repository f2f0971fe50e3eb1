"""Fit the prior's latent code to the visible frames of one window, so the decoder infills the hidden ones.

`infill_window` is what the prior benchmark scores: the code the encoder proposes for the SLERP-filled window
(the encoder is trained on such gaps), optionally refined by `fit_latent`, then `carry_residuals`.

Minimises  data(decode(z), observed | visible) + prior_weight * 0.5 * |z|^2  with Adam over z only, starting
from encode_mean of the SLERP-filled input (not a random sample, as the reference did). Data terms:
- poses (T, 45): mean over visible frames of the sum over the 15 joints of the squared geodesic angle (rad^2);
- joints (T, 21, 3), wrist-relative in the hand frame (zero global orientation), metres: mean over visible
  frames of the mean squared distance of the 20 non-wrist joints in cm^2, through the open hand's FK.
"""

from __future__ import annotations

import numpy as np
import torch

from hmp_engine.hand_model import HandModel, load_hand_model
from hmp_engine.prior.model import MotionPrior
from hmp_engine.rotations import axis_angle_to_matrix, fill_rotation_gaps, geodesic_distance, matrix_to_axis_angle

DEFAULT_PRIOR_WEIGHT = {"poses": 1e-4, "joints": 1e-3}


def _start(prior: MotionPrior, initial_pose: np.ndarray, visible: np.ndarray) -> torch.Tensor:
    """encode_mean of the SLERP-filled poses, padded to the window by holding the last frame."""
    filled = fill_rotation_gaps(initial_pose.reshape(len(initial_pose), 15, 3), visible).reshape(-1, 45)
    padded = np.concatenate([filled, np.repeat(filled[-1:], prior.window_frames - len(filled), axis=0)])
    window = torch.as_tensor(padded, dtype=torch.float32, device=prior.sixd_mean.device)
    with torch.no_grad():
        return prior.encode_mean(window[None])


def fit_latent(prior: MotionPrior, observed: np.ndarray, visible: np.ndarray, iterations: int = 300,
               prior_weight: float | None = None, initial_pose: np.ndarray | None = None, lr: float = 0.05,
               hand_model: HandModel | None = None) -> np.ndarray:
    """Decoded (T, 45) poses of the latent fitted to observed poses (T, 45) or joints (T, 21, 3) on visible frames.

    T may be at most the prior's window (the first T frame times are decoded). For joints, `initial_pose`
    (T, 45) gives the starting code; without it the fit starts at z = 0, the prior's mean.
    """
    observed = np.asarray(observed, dtype=np.float32)
    visible = np.asarray(visible, dtype=bool)
    mode = "poses" if observed.shape[1:] == (45,) else "joints"
    frames = len(observed)
    if observed.shape[1:] not in ((45,), (21, 3)) or visible.shape != (frames,):
        raise ValueError(f"expected observed (T, 45) or (T, 21, 3) and visible (T,), got {observed.shape}, "
                         f"{visible.shape}")
    if not 0 < frames <= prior.window_frames or not visible.any():
        raise ValueError(f"need 1..{prior.window_frames} frames with at least one visible, got {frames}")
    device = prior.sixd_mean.device
    weight = DEFAULT_PRIOR_WEIGHT[mode] if prior_weight is None else prior_weight
    start = initial_pose if initial_pose is not None else observed if mode == "poses" else None
    z = (_start(prior, np.asarray(start), visible) if start is not None
         else torch.zeros(1, prior.latent_dim, device=device)).requires_grad_(True)
    target = torch.as_tensor(observed[visible], device=device)
    times = prior.times(device=device)[:frames][torch.as_tensor(visible, device=device)]
    if mode == "poses":
        target_rotations = axis_angle_to_matrix(target.reshape(-1, 15, 3))
    else:
        joint_model = (hand_model or load_hand_model("open", "right")).to(device)
        target = target - target[:, :1]
    optimizer = torch.optim.Adam([z], lr=lr)
    for _ in range(iterations):
        if mode == "poses":
            angles = geodesic_distance(prior.decode_matrices(z, times)[0], target_rotations)
            data = angles.square().sum(-1).mean()
        else:
            pose = prior.decode(z, times=times)[0]
            joints = joint_model.joints(pose.new_zeros(len(pose), 3), pose)
            data = (100.0 * (joints - joints[:, :1] - target)[:, 1:]).square().sum(-1).mean()
        loss = data + weight * 0.5 * z.square().sum()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        return prior.decode(z, times=prior.times(device=device)[:frames])[0].cpu().numpy()


def carry_residuals(decoded: np.ndarray, observed: np.ndarray, visible: np.ndarray) -> np.ndarray:
    """(T, 45) decoded poses times a per-joint residual rotation: on visible frames the one onto the observation,
    on hidden frames the SLERP of the residuals at the gap's ends.

    The decoder's error varies slowly in time, so the residuals next to a gap carry into it: the prior supplies
    the shape of the hidden motion and the visible frames pin down where it starts and ends.
    """
    shape = (len(decoded), 15, 3)
    decoded_rotations = axis_angle_to_matrix(torch.as_tensor(decoded, dtype=torch.float32).reshape(shape))
    observed_rotations = axis_angle_to_matrix(torch.as_tensor(observed, dtype=torch.float32).reshape(shape))
    residual = matrix_to_axis_angle(observed_rotations @ decoded_rotations.transpose(-1, -2)).numpy()
    filled = torch.as_tensor(fill_rotation_gaps(residual, visible), dtype=torch.float32)
    return matrix_to_axis_angle(axis_angle_to_matrix(filled) @ decoded_rotations).reshape(len(decoded), 45).numpy()


def infill_window(prior: MotionPrior, observed: np.ndarray, visible: np.ndarray, iterations: int = 0) -> np.ndarray:
    """(T, 45) poses with the hidden frames filled by the prior: encoder proposal, latent fitting, residuals."""
    decoded = fit_latent(prior, observed, visible, iterations=iterations)
    return carry_residuals(decoded, observed, visible)
