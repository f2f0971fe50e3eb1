"""The paper's ablation baselines as pose priors: a GMM over single poses and a PCA (linear) prior over windows.

Both are fitted to motion sampled from the motion prior's own decoder (z ~ N(0, I)), so all methods share one
training distribution and a user-trained checkpoint gets matching baselines. Fits are seeded and cached per prior.
"""

from __future__ import annotations

import math
import weakref

import torch

from hmp_engine.prior.model import MotionPrior

SAMPLE_WINDOWS = 256
PCA_COMPONENTS = 32
GMM_COMPONENTS = 8
GMM_ITERATIONS = 40
GMM_FRAME_STRIDE = 4  # every 4th frame of the sampled windows trains the GMM (neighbours are near-duplicates)
_REGULARISATION = 1e-4  # radians^2 added to every covariance's diagonal

_cache: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def sample_windows(prior: MotionPrior, count: int = SAMPLE_WINDOWS, seed: int = 0) -> torch.Tensor:
    """(count, window_frames, 45) right-hand motion decoded from standard-normal latents."""
    device = next(prior.parameters()).device
    generator = torch.Generator().manual_seed(seed)
    z = torch.randn(count, prior.latent_dim, generator=generator).to(device)
    with torch.no_grad():
        return torch.cat([prior.decode(chunk) for chunk in z.split(64)])


class PcaCodec:
    """Linear prior over windows: mean + standardised coefficients x principal motions (a `WindowCodec`)."""

    def __init__(self, windows: torch.Tensor, fps: float, components: int = PCA_COMPONENTS) -> None:
        self.window_frames, self.fps = windows.shape[1], fps
        self.mean = windows.mean(dim=0)
        centred = (windows - self.mean).flatten(1)
        _, singular, vt = torch.linalg.svd(centred, full_matrices=False)
        count = min(components, len(singular))
        self.components = vt[:count]
        self.std = (singular[:count] / math.sqrt(max(len(windows) - 1, 1))).clamp(min=1e-6)

    def encode(self, windows: torch.Tensor) -> torch.Tensor:
        """Window poses -> whitened PCA coefficients."""
        return ((windows - self.mean).flatten(1) @ self.components.T) / self.std

    def decode(self, codes: torch.Tensor, phase: torch.Tensor) -> torch.Tensor:
        """Coefficients -> poses at ``phase`` (0..1 across the window), linearly between frames."""
        frames = self.mean + ((codes * self.std) @ self.components).view(len(codes), self.window_frames, 45)
        position = phase * (self.window_frames - 1)
        lower = position.floor().long().clamp(0, self.window_frames - 2)
        fraction = (position - lower).unsqueeze(-1)
        gather = lambda index: frames.gather(1, index.unsqueeze(-1).expand(-1, -1, 45))  # noqa: E731
        return gather(lower) * (1 - fraction) + gather(lower + 1) * fraction

    def prior_loss(self, codes: torch.Tensor) -> torch.Tensor:
        """The coefficients' mean square per hand: a unit Gaussian's negative log-likelihood up to scale."""
        return codes.square().mean(dim=(-2, -1))


class GaussianMixture:
    """A full-covariance Gaussian mixture over 45-D poses, fitted by EM; `__call__` gives the mean NLL per value."""

    def __init__(self, poses: torch.Tensor, components: int = GMM_COMPONENTS, iterations: int = GMM_ITERATIONS,
                 seed: int = 0) -> None:
        data = poses.double()
        generator = torch.Generator().manual_seed(seed)
        self.means = data[torch.randperm(len(data), generator=generator)[:components].to(data.device)].clone()
        eye = torch.eye(data.shape[1], dtype=data.dtype, device=data.device)
        self.covariances = torch.cov(data.T).expand(components, -1, -1) + _REGULARISATION * eye
        self.log_weights = torch.full((components,), -math.log(components), dtype=data.dtype, device=data.device)
        for _ in range(iterations):
            responsibility = self._log_joint(data).softmax(dim=1)
            mass = responsibility.sum(dim=0).clamp(min=1e-9)
            self.log_weights = (mass / len(data)).log()
            self.means = (responsibility.T @ data) / mass[:, None]
            centred = data[None] - self.means[:, None]
            self.covariances = (torch.einsum("nk,kni,knj->kij", responsibility, centred, centred)
                                / mass[:, None, None] + _REGULARISATION * eye)
        self._float = [t.float() for t in (self.log_weights, self.means, torch.linalg.cholesky(self.covariances))]

    def _log_joint(self, x: torch.Tensor, params: list[torch.Tensor] | None = None) -> torch.Tensor:
        """(N, K) log w_k + log N(x; mu_k, Sigma_k)."""
        log_weights, means, chol = params or (self.log_weights, self.means, torch.linalg.cholesky(self.covariances))
        centred = (x[None] - means[:, None]).transpose(1, 2)  # (K, D, N)
        whitened = torch.linalg.solve_triangular(chol, centred, upper=False)
        log_det = chol.diagonal(dim1=1, dim2=2).log().sum(dim=1)
        dims = x.shape[1]
        log_normal = -0.5 * whitened.square().sum(dim=1) - log_det[:, None] - 0.5 * dims * math.log(2 * math.pi)
        return (log_weights[:, None] + log_normal).T

    def __call__(self, poses: torch.Tensor) -> torch.Tensor:
        """Mean over frames of -log p(pose) / 45, for (T, 45) poses (differentiable)."""
        params = [t.to(poses.device) for t in self._float]
        return -self._log_joint(poses, params).logsumexp(dim=1).mean() / poses.shape[1]


def pca_codec(prior: MotionPrior) -> PcaCodec:
    """The PCA prior fitted to the prior's decoded samples (cached per prior)."""
    return _cached(prior, "pca", lambda: PcaCodec(sample_windows(prior), prior.fps))


def gaussian_mixture(prior: MotionPrior) -> GaussianMixture:
    """The GMM pose prior fitted to the prior's decoded samples (cached per prior)."""
    return _cached(prior, "gmm", lambda: GaussianMixture(sample_windows(prior)[:, ::GMM_FRAME_STRIDE].reshape(-1, 45)))


def _cached(prior: MotionPrior, kind: str, build):
    entry = _cache.setdefault(prior, {})
    if kind not in entry:
        entry[kind] = build()
    return entry[kind]
