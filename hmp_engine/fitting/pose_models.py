"""Finger-pose models of the fit: where a hand's (T, 45) pose comes from, with the loss terms they add.

`WindowedPose` (HMP and the PCA baseline): one code per overlapping window, decoded at the video's own frame
times and cross-faded (see `windows`); adds ``prior`` (the code's negative log-likelihood) and ``tie``
(disagreement of overlapping windows on the frames they share). `FramePose` (no-prior and GMM baselines): the
poses themselves, with ``accel`` and optionally a per-frame ``prior``. `ResidualPose` (stage 3): the decoded motion,
fixed, plus per-frame corrections, with ``residual`` and ``accel`` (decoding once keeps stage 3 as cheap as a
per-frame fit). Priors model right hands: a left hand's pose is mirrored
into their space and back (DESIGN.md section 4).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np
import torch
from torch import nn

from hmp_engine.fitting.losses import acceleration_loss, latent_prior_loss
from hmp_engine.fitting.windows import WindowLayout
from hmp_engine.rotations import mirror_axis_angle, slerp_resample

PoseTerms = tuple[torch.Tensor, dict[str, torch.Tensor]]


class WindowCodec(Protocol):
    """A prior over windows of ``window_frames`` poses at ``fps``: code <-> motion, and the code's NLL."""

    window_frames: int
    fps: float

    def encode(self, windows: torch.Tensor) -> torch.Tensor:
        """(W, window_frames, 45) right-hand poses -> (W, D) codes."""

    def decode(self, codes: torch.Tensor, phase: torch.Tensor) -> torch.Tensor:
        """(W, D) codes at (W, M) window phases in [0, 1] -> (W, M, 45) right-hand poses."""

    def prior_loss(self, codes: torch.Tensor) -> torch.Tensor:
        """Negative log-likelihood of the codes, scaled to a mean."""


class PriorCodec:
    """The motion prior as a codec: z = encoder mean, decoded at times phase x window duration.

    Freezes the prior (eval mode, no weight gradients): the fit optimises codes, never the network.
    """

    def __init__(self, prior: nn.Module) -> None:
        self.prior = prior.eval().requires_grad_(False)
        self.window_frames, self.fps = prior.window_frames, prior.fps

    def encode(self, windows: torch.Tensor) -> torch.Tensor:
        return self.prior.encode_mean(windows)

    def decode(self, codes: torch.Tensor, phase: torch.Tensor) -> torch.Tensor:
        return self.prior.decode(codes, times=phase * self.prior.config.duration_s)

    def prior_loss(self, codes: torch.Tensor) -> torch.Tensor:
        return latent_prior_loss(codes)


def _mirror_if(left: bool, pose: torch.Tensor) -> torch.Tensor:
    """A left hand's pose mirrored into the right-handed prior space (and back: mirroring is its own inverse)."""
    return mirror_axis_angle(pose) if left else pose


def encoder_windows(layout: WindowLayout, times: np.ndarray, pose: np.ndarray, window_frames: int,
                    fps: float) -> np.ndarray:
    """(W, window_frames, 45) poses at each window's prior frame times, by SLERP (held beyond the sequence)."""
    relative = np.asarray(times) - times[0]
    query = (layout.starts[:, None] + np.arange(window_frames)[None, :] / fps).reshape(-1)
    resampled = slerp_resample(relative, pose.reshape(len(pose), 15, 3), query)
    return resampled.reshape(len(layout.starts), window_frames, 45)


class WindowedPose(nn.Module):
    """One code per window; the pose of every frame is the cross-faded decode of the windows covering it."""

    def __init__(self, codec: WindowCodec, layout: WindowLayout, times: np.ndarray, init_pose: np.ndarray,
                 left: bool, device: torch.device) -> None:
        super().__init__()
        self.codec, self.left = codec, left
        prior_space = mirror_axis_angle(np.asarray(init_pose)) if left else np.asarray(init_pose)
        windows = encoder_windows(layout, times, prior_space, codec.window_frames, codec.fps)
        with torch.no_grad():
            codes = codec.encode(torch.as_tensor(windows, dtype=torch.float32, device=device))
        self.codes = nn.Parameter(codes.detach().clone())
        tie_a, tie_b = layout.overlap_pairs()
        slots, weights = layout.frame_slots()
        buffers = {"phase": (layout.phase, torch.float32), "slots": (slots, torch.long),
                   "weights": (weights[..., None], torch.float32), "tie_a": (tie_a, torch.long),
                   "tie_b": (tie_b, torch.long)}
        for name, (array, dtype) in buffers.items():
            self.register_buffer(name, torch.as_tensor(array, dtype=dtype, device=device))

    def forward(self) -> PoseTerms:
        decoded = self.codec.decode(self.codes, self.phase).reshape(-1, 45)
        pose = (decoded[self.slots] * self.weights).sum(dim=1)
        tie = (decoded[self.tie_a] - decoded[self.tie_b]).square().mean() if len(self.tie_a) else pose.new_zeros(())
        return _mirror_if(self.left, pose), {"prior": self.codec.prior_loss(self.codes), "tie": tie}


class FramePose(nn.Module):
    """Per-frame poses optimised directly, with an acceleration penalty and an optional per-frame pose prior."""

    def __init__(self, init_pose: np.ndarray, dt: torch.Tensor, left: bool,
                 frame_prior: Callable[[torch.Tensor], torch.Tensor] | None = None,
                 present: torch.Tensor | None = None) -> None:
        super().__init__()
        self.pose = nn.Parameter(torch.as_tensor(init_pose, dtype=dt.dtype, device=dt.device).clone())
        self.register_buffer("dt", dt)
        self.left, self.frame_prior, self.present = left, frame_prior, present

    def forward(self) -> PoseTerms:
        terms = {"accel": acceleration_loss(self.pose, self.dt, self.present)}
        if self.frame_prior is not None:
            terms["prior"] = self.frame_prior(_mirror_if(self.left, self.pose))
        return self.pose, terms


class ResidualPose(nn.Module):
    """Stage 3: the motion a pose model settled on, held fixed, plus per-frame corrections kept small and smooth."""

    def __init__(self, base: nn.Module, dt: torch.Tensor, present: torch.Tensor | None = None) -> None:
        super().__init__()
        with torch.no_grad():
            self.register_buffer("base", base()[0].detach())
        self.delta = nn.Parameter(torch.zeros_like(self.base))
        self.register_buffer("dt", dt)
        self.present = present

    def forward(self) -> PoseTerms:
        pose = self.base + self.delta
        return pose, {"residual": self.delta.square().mean(), "accel": acceleration_loss(pose, self.dt, self.present)}
