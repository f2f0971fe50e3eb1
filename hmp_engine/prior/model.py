"""The motion prior: a VAE over fixed-duration windows of finger motion (15 MANO joints, wrist not modelled).

The encoder maps a window of 6D rotations and their frame-to-frame changes to the mean and log-variance of a
latent z. The decoder is a neural motion field D(t, z): an MLP over a positional encoding of normalised time
and z that gives each frame's 15 rotations (6D -> Gram-Schmidt -> axis-angle) independently, so a window at
any frame count or fractional times decodes in one batched call. Unlike the paper's public code,
constants are buffers, only the 15 x 6 used outputs exist, and fitting starts from ``encode_mean``.

The decoder layers act on concat(h, PE(t), z) like the reference, but the z and PE(t) parts of every layer are
computed once per window / per time in two small matmuls instead of once per frame, so each frame costs only
the width x width products.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

from hmp_engine.rotations import axis_angle_to_matrix, matrix_to_6d, matrix_to_axis_angle, sixd_to_matrix

NUM_JOINTS = 15
SIXD = 6


@dataclass(frozen=True)
class PriorConfig:
    """Sizes of the prior and the window it was trained on."""

    window_frames: int = 128
    fps: float = 30.0
    latent_dim: int = 256
    width: int = 512
    layers: int = 6
    frequencies: int = 8
    encoder_width: int = 256

    def to_dict(self) -> dict:
        """Plain dict for checkpoints."""
        return asdict(self)

    @property
    def duration_s(self) -> float:
        """Time from the first to the last frame of a window, in seconds."""
        return (self.window_frames - 1) / self.fps


class PositionalEncoding(nn.Module):
    """[tau, sin(2^k tau), cos(2^k tau)] for k < frequencies, of tau in [-1, 1]; frequencies are a buffer."""

    scales: torch.Tensor

    def __init__(self, frequencies: int) -> None:
        super().__init__()
        self.register_buffer("scales", 2.0 ** torch.arange(frequencies, dtype=torch.float32))

    @property
    def dim(self) -> int:
        """Width of the encoding."""
        return 1 + 2 * len(self.scales)

    def forward(self, tau: torch.Tensor) -> torch.Tensor:
        """Normalised times -> their features: the time and its sines and cosines at every scale."""
        angles = tau.unsqueeze(-1) * self.scales
        return torch.cat([tau.unsqueeze(-1), angles.sin(), angles.cos()], dim=-1)


class WindowEncoder(nn.Module):
    """Strided 1-D convolutions over time, then linear heads to mu and log-variance of z."""

    def __init__(self, config: PriorConfig) -> None:
        super().__init__()
        width, length = config.encoder_width, config.window_frames
        self.stem = nn.Conv1d(2 * NUM_JOINTS * SIXD, width, kernel_size=5, padding=2)
        downs = []
        while length > 8 and length % 2 == 0:
            downs.append(nn.Sequential(nn.Conv1d(width, width, kernel_size=4, stride=2, padding=1),
                                       nn.GroupNorm(8, width), nn.SiLU()))
            length //= 2
        self.downs = nn.ModuleList(downs)
        self.heads = nn.Linear(width * length, 2 * config.latent_dim)

    def forward(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, T, C) normalised features to mu, logvar (B, latent)."""
        h = nn.functional.silu(self.stem(features.transpose(1, 2)))
        for down in self.downs:
            h = down(h) + nn.functional.avg_pool1d(h, 2)
        mu, logvar = self.heads(h.flatten(1)).chunk(2, dim=-1)
        return mu, logvar


class FieldDecoder(nn.Module):
    """D(t, z): residual MLP over [PE(t), z] per frame -> 15 x 6D offsets from the mean pose."""

    def __init__(self, config: PriorConfig) -> None:
        super().__init__()
        self.layers, self.width = config.layers, config.width
        self.encoding = PositionalEncoding(config.frequencies)
        self.from_latent = nn.Linear(config.latent_dim, config.layers * config.width)
        self.from_time = nn.Linear(self.encoding.dim, config.layers * config.width, bias=False)
        self.hidden = nn.ModuleList(nn.Linear(config.width, config.width, bias=False)
                                    for _ in range(config.layers - 1))
        self.norms = nn.ModuleList(nn.LayerNorm(config.width) for _ in range(config.layers))
        self.head = nn.Linear(config.width, NUM_JOINTS * SIXD)
        nn.init.zeros_(self.head.weight)
        nn.init.zeros_(self.head.bias)

    def forward(self, z: torch.Tensor, tau: torch.Tensor) -> torch.Tensor:
        """Z (B, latent) and tau (T,) or (B, T) in [-1, 1] -> (B, T, 90)."""
        latent = self.from_latent(z).view(z.shape[0], 1, self.layers, self.width)
        time = self.from_time(self.encoding(tau))
        time = time.view(*(tau.shape if tau.dim() == 2 else (1, *tau.shape)), self.layers, self.width)
        h = nn.functional.silu(self.norms[0](latent[:, :, 0] + time[:, :, 0]))
        for k, layer in enumerate(self.hidden, start=1):
            h = h + nn.functional.silu(self.norms[k](layer(h) + latent[:, :, k] + time[:, :, k]))
        return self.head(h)


class MotionPrior(nn.Module):
    """The VAE: ``encode_mean`` a (B, T, 45) window to z, ``decode`` z at any frame count or times."""

    sixd_mean: torch.Tensor  # normalisation buffers
    sixd_std: torch.Tensor
    delta_std: torch.Tensor

    def __init__(self, config: PriorConfig) -> None:
        super().__init__()
        self.config = config
        self.encoder = WindowEncoder(config)
        self.decoder = FieldDecoder(config)
        channels = NUM_JOINTS * SIXD
        self.register_buffer("sixd_mean", matrix_to_6d(torch.eye(3)).repeat(NUM_JOINTS), persistent=False)
        self.register_buffer("sixd_std", torch.ones(channels), persistent=False)
        self.register_buffer("delta_std", torch.ones(channels), persistent=False)

    @property
    def window_frames(self) -> int:
        """Frames per window the encoder takes."""
        return self.config.window_frames

    @property
    def latent_dim(self) -> int:
        """Size of z."""
        return self.config.latent_dim

    @property
    def fps(self) -> float:
        """Frame rate of the training windows."""
        return self.config.fps

    def normalisation(self) -> dict[str, torch.Tensor]:
        """Statistics of the encoder input (6D mean/std and frame-to-frame change std), for checkpoints."""
        return {name: getattr(self, name).detach().cpu() for name in ("sixd_mean", "sixd_std", "delta_std")}

    def set_normalisation(self, stats: dict[str, torch.Tensor]) -> None:
        """Install statistics computed on the training windows (see data.normalisation_stats)."""
        for name in ("sixd_mean", "sixd_std", "delta_std"):
            getattr(self, name).copy_(torch.as_tensor(stats[name]))

    def features(self, window: torch.Tensor) -> torch.Tensor:
        """(B, T, 45) axis-angle -> (B, T, 180) normalised 6D and frame-to-frame 6D change."""
        sixd = matrix_to_6d(axis_angle_to_matrix(window.reshape(*window.shape[:2], NUM_JOINTS, 3)))
        sixd = sixd.flatten(2)
        delta = torch.diff(sixd, dim=1, prepend=sixd[:, :1])
        return torch.cat([(sixd - self.sixd_mean) / self.sixd_std, delta / self.delta_std], dim=-1)

    def encode(self, window: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Mu and log-variance (B, latent) of a (B, window_frames, 45) window."""
        if window.dim() != 3 or window.shape[1:] != (self.window_frames, NUM_JOINTS * 3):
            raise ValueError(f"expected windows of shape (B, {self.window_frames}, 45), got {tuple(window.shape)}")
        return self.encoder(self.features(window))

    def encode_mean(self, window: torch.Tensor) -> torch.Tensor:
        """The posterior mean mu: where latent fitting starts (the reference started at a random sample)."""
        return self.encode(window)[0]

    def times(self, num_frames: int | None = None, device: torch.device | None = None) -> torch.Tensor:
        """num_frames times (seconds) spread evenly over the window; window_frames gives the frame times."""
        count = self.window_frames if num_frames is None else num_frames
        return torch.linspace(0.0, self.config.duration_s, count, device=device or self.sixd_mean.device)

    def decode_matrices(self, z: torch.Tensor, times: torch.Tensor) -> torch.Tensor:
        """(B, T, 15, 3, 3) rotations at times (T,) or (B, T) in seconds from the window's first frame."""
        tau = 2.0 * times / self.config.duration_s - 1.0
        sixd = self.decoder(z, tau) + self.sixd_mean
        return sixd_to_matrix(sixd.view(*sixd.shape[:2], NUM_JOINTS, SIXD))

    def decode(self, z: torch.Tensor, num_frames: int | None = None,
               times: torch.Tensor | None = None) -> torch.Tensor:
        """(B, T, 45) axis-angle finger poses: at given times (seconds), else num_frames spread over the window."""
        if times is None:
            times = self.times(num_frames, z.device)
        matrices = self.decode_matrices(z, times.to(z))
        return matrix_to_axis_angle(matrices).flatten(2)

    def forward(self, window: torch.Tensor, noise: torch.Tensor | None = None, frames: torch.Tensor | None = None
                ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Training pass: rotations decoded from z = mu + sigma * noise (mu when noise is None), mu, logvar.

        The rotations are (B, T, 15, 3, 3) at every frame, or (B, K, ...) at the frame indices `frames` (B, K).
        """
        mu, logvar = self.encode(window)
        z = mu if noise is None else mu + (0.5 * logvar).exp() * noise
        times = self.times(device=window.device) if frames is None else frames.to(window.dtype) / self.fps
        return self.decode_matrices(z, times), mu, logvar


def kl_divergence(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(q(z|x) || N(0, I)) summed over latent dimensions, averaged over the batch."""
    return 0.5 * (mu.square() + logvar.exp() - 1.0 - logvar).sum(-1).mean()


def parameter_count(module: nn.Module) -> int:
    """Number of trainable values."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)

