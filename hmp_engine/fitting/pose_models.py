"""Finger-pose models of the fit: where the hands' (H, T, 45) poses come from, with the loss terms they add.

Every model holds all hands fitted together as one batch (hands first), and its terms are one value per hand (H,).

`WindowedPose` (HMP and the PCA baseline): one code per hand and overlapping window, all decoded in one call over
the (hands x windows) batch at the video's own frame times and cross-faded (see `windows`); adds ``prior`` (the
code's negative log-likelihood) and ``tie`` (disagreement of overlapping windows on the frames they share).
`FramePose` (no-prior and GMM baselines): the poses themselves, with ``accel`` and optionally a per-frame
``prior``. `ResidualPose` (stage 3): the decoded motion, fixed, plus per-frame corrections, with ``residual`` and
``accel`` (decoding once keeps stage 3 as cheap as a per-frame fit); a joint's correction costs less the better
the keypoints it moves are seen. Priors model right hands: a left hand's pose is mirrored into their space and
back (docs/conventions.md, Left hands) by a per-hand sign pattern.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np
import torch
from torch import nn

from hmp_engine.fitting.losses import acceleration_loss, latent_prior_loss
from hmp_engine.fitting.windows import WindowLayout
from hmp_engine.prior.model import MotionPrior
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
        """Negative log-likelihood of (H, W, D) codes, scaled to a mean per hand (H,)."""


def native_bfloat16(device: torch.device) -> bool:
    """Whether ``device`` multiplies bfloat16 matrices in hardware: a CPU with AMX or AVX-512 BF16 (elsewhere
    bfloat16 is emulated and slower than float32, or, on CUDA, not measured yet)."""
    if device.type != "cpu":
        return False
    checks = ("_is_amx_tile_supported", "_is_avx512_bf16_supported")
    return any(getattr(torch.cpu, check, lambda: False)() for check in checks)


class PriorCodec:
    """The motion prior as a codec: z = encoder mean, decoded at times phase x window duration.

    Freezes the prior (eval mode, no weight gradients): the fit optimises codes, never the network. With
    ``bfloat16`` (default: where the hardware multiplies it natively) the decoder's matrix products run in bfloat16,
    which took the sample's one-hand fit from 21.4 to 15.1 s on an AMX Xeon with the same accuracy (BENCHMARKS.md);
    its output is turned into rotations in float32.
    """

    def __init__(self, prior: MotionPrior, bfloat16: bool | None = None) -> None:
        self.prior = prior.eval().requires_grad_(False)
        self.window_frames, self.fps = prior.window_frames, prior.fps
        self.device = prior.sixd_mean.device
        self.bfloat16 = native_bfloat16(self.device) if bfloat16 is None else bfloat16

    def encode(self, windows: torch.Tensor) -> torch.Tensor:
        """Window poses -> the encoder's mean latent codes."""
        return self.prior.encode_mean(windows)

    def decode(self, codes: torch.Tensor, phase: torch.Tensor) -> torch.Tensor:
        """Latent codes -> poses at ``phase`` (0..1 across the window)."""
        with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.bfloat16):
            poses = self.prior.decode(codes, times=phase * self.prior.config.duration_s)
        return poses.float()

    def prior_loss(self, codes: torch.Tensor) -> torch.Tensor:
        """The prior's loss on the latent codes."""
        return latent_prior_loss(codes)


def mirror_signs(lefts: Sequence[bool], device: torch.device) -> torch.Tensor:
    """(H, 1, 45) factors taking each hand's pose into the right-handed prior space and back (mirroring is its own
    inverse): the mirror's sign pattern for a left hand, ones for a right hand."""
    ones = torch.ones(45, device=device)
    return torch.stack([torch.as_tensor(mirror_axis_angle(ones)) if left else ones for left in lefts])[:, None]


def encoder_windows(layout: WindowLayout, times: np.ndarray, pose: np.ndarray, window_frames: int,
                    fps: float) -> np.ndarray:
    """(W, window_frames, 45) poses at each window's prior frame times, by SLERP (held beyond the sequence)."""
    relative = np.asarray(times) - times[0]
    query = (layout.starts[:, None] + np.arange(window_frames)[None, :] / fps).reshape(-1)
    resampled = slerp_resample(relative, pose.reshape(len(pose), 15, 3), query)
    return resampled.reshape(len(layout.starts), window_frames, 45)


class WindowedPose(nn.Module):
    """One code per hand and window; a frame's pose is the cross-faded decode of the windows covering it.

    init_poses (H, T, 45), one per hand in ``lefts`` order, all at ``times`` (so they share one window layout).
    """

    phase: torch.Tensor
    slots: torch.Tensor
    weights: torch.Tensor
    tie_a: torch.Tensor
    tie_b: torch.Tensor
    mirror: torch.Tensor

    def __init__(self, codec: WindowCodec, layout: WindowLayout, times: np.ndarray, init_poses: np.ndarray,
                 lefts: Sequence[bool], device: torch.device) -> None:
        super().__init__()
        self.codec = codec
        windows = np.concatenate([
            encoder_windows(layout, times, mirror_axis_angle(np.asarray(pose)) if left else np.asarray(pose),
                            codec.window_frames, codec.fps) for pose, left in zip(init_poses, lefts)])
        with torch.no_grad():
            codes = codec.encode(torch.as_tensor(windows, dtype=torch.float32, device=device))
        self.codes = nn.Parameter(codes.detach().reshape(len(lefts), layout.num_windows, -1).clone())
        self.register_buffer("mirror", mirror_signs(lefts, device))
        tie_a, tie_b = layout.overlap_pairs()
        slots, weights = layout.frame_slots()
        buffers = {"phase": (layout.phase, torch.float32), "slots": (slots, torch.long),
                   "weights": (weights[..., None], torch.float32), "tie_a": (tie_a, torch.long),
                   "tie_b": (tie_b, torch.long)}
        for name, (array, dtype) in buffers.items():
            self.register_buffer(name, torch.as_tensor(array, dtype=dtype, device=device))

    def forward(self) -> PoseTerms:
        """The cross-faded decoded poses (H, T, 45) and the prior's loss terms, one value per hand."""
        hands, windows = self.codes.shape[:2]
        phase = self.phase.repeat(hands, 1)
        decoded = self.codec.decode(self.codes.flatten(0, 1), phase).reshape(hands, -1, 45)
        pose = (decoded[:, self.slots] * self.weights).sum(dim=2)
        if len(self.tie_a):
            tie = (decoded[:, self.tie_a] - decoded[:, self.tie_b]).square().mean(dim=(-2, -1))
        else:
            tie = pose.new_zeros(hands)
        return pose * self.mirror, {"prior": self.codec.prior_loss(self.codes), "tie": tie}


class FramePose(nn.Module):
    """Per-frame poses (H, T, 45) optimised directly, with an acceleration penalty and an optional per-frame pose
    prior (which takes one hand's (T, 45) right-handed poses)."""

    dt: torch.Tensor
    mirror: torch.Tensor

    def __init__(self, init_poses: np.ndarray, dt: torch.Tensor, lefts: Sequence[bool],
                 frame_prior: Callable[[torch.Tensor], torch.Tensor] | None = None,
                 present: torch.Tensor | None = None) -> None:
        super().__init__()
        self.pose = nn.Parameter(torch.as_tensor(np.asarray(init_poses), dtype=dt.dtype, device=dt.device).clone())
        self.register_buffer("dt", dt)
        self.register_buffer("mirror", mirror_signs(lefts, dt.device))
        self.frame_prior, self.present = frame_prior, present

    def forward(self) -> PoseTerms:
        """The free poses and their acceleration (and per-frame prior) terms."""
        terms = {"accel": acceleration_loss(self.pose, self.dt, self.present)}
        if self.frame_prior is not None:
            terms["prior"] = torch.stack([self.frame_prior(pose) for pose in self.pose * self.mirror])
        return self.pose, terms


RESIDUAL_FLOOR = 0.1
"""The share of the ``residual`` weight left on a joint whose keypoints are seen with full confidence; where they
are not seen at all it is the whole weight. A correction is cheap where the keypoints can decide it, and an occluded
or hallucinated finger keeps the prior's motion."""


class ResidualPose(nn.Module):
    """Stage 3: the motion a pose model settled on, held fixed, plus per-frame corrections kept small and smooth."""

    base: torch.Tensor
    hold: torch.Tensor
    dt: torch.Tensor

    def __init__(self, base: nn.Module, seen: torch.Tensor, dt: torch.Tensor,
                 present: torch.Tensor | None = None) -> None:
        """``seen`` (H, T, 15): how well each finger joint is observed, in [0, 1] (`HandProblem.joint_visibility`)."""
        super().__init__()
        with torch.no_grad():
            self.register_buffer("base", base()[0].detach())
        self.delta = nn.Parameter(torch.zeros_like(self.base))
        hold = 1.0 - (1.0 - RESIDUAL_FLOOR) * seen.clamp(0.0, 1.0)
        self.register_buffer("hold", hold.repeat_interleave(3, dim=-1))
        self.register_buffer("dt", dt)
        self.present = present

    def forward(self) -> PoseTerms:
        """The initial poses plus the residual, and the residual's size (each joint weighed by how little it is
        seen) and acceleration terms."""
        pose = self.base + self.delta
        return pose, {"residual": (self.hold * self.delta.square()).mean(dim=(-2, -1)),
                      "accel": acceleration_loss(pose, self.dt, self.present)}
