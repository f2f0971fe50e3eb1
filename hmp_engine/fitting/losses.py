"""The loss terms of the HMP fit (DESIGN.md section 2), each a mean so weights do not depend on sequence length.

Units: rotations in radians, translations in metres, time in seconds (velocities and accelerations use the real
frame times, so 25 and 30 fps videos are treated alike; at 30 fps ``0.5 * mean(velocity^2)`` equals the paper's
``0.5 * mean((30 * difference)^2)``, so its weights carry over). Reprojection residuals are measured in units of
the hand's box diagonal and rescaled by ``REFERENCE_BOX_DIAGONAL`` into "reference pixels" (see
`reprojection_loss`), so the paper's lambda_2D and Geman-McClure scale hold at any resolution and hand size.
Every masked mean divides by at least ``EPS`` so an empty mask gives 0, never NaN.
"""

from __future__ import annotations

import torch

from hmp_engine.rotations import geodesic_distance

EPS = 1e-8

REFERENCE_BOX_DIAGONAL = 150.0
"""Pixels: roughly a hand's box diagonal in the 640x480 HO3D / DexYCB frames the paper's weights were tuned on."""

GEMAN_MCCLURE_SIGMA = 40.0
"""Reference pixels: the paper's robust scale (40 px at that image size)."""


def masked_mean(values: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean of ``values`` (T, ...) over frames where ``mask`` (T,) is true (0 when none is)."""
    weights = mask.to(values.dtype).reshape(-1, *([1] * (values.dim() - 1))).expand_as(values)
    return (values * weights).sum() / weights.sum().clamp(min=EPS)


def geman_mcclure(residual: torch.Tensor, sigma: float) -> torch.Tensor:
    """Geman-McClure robust penalty sigma^2 r^2 / (sigma^2 + r^2): quadratic near 0, bounded by sigma^2."""
    squared = residual.square()
    return sigma**2 * squared / (sigma**2 + squared)


def reprojection_loss(projected: torch.Tensor, keypoints: torch.Tensor, confidence: torch.Tensor,
                      box_diagonal: torch.Tensor) -> torch.Tensor:
    """Confidence-weighted Geman-McClure reprojection error per coordinate, in reference pixels.

    projected, keypoints (T, 21, 2) pixels; confidence (T, 21) in [0, 1] (0 = unobserved); box_diagonal (T,)
    pixels. A residual r px on a hand whose box diagonal is d px counts as r * REFERENCE_BOX_DIAGONAL / d; the
    mean runs over the coordinates of frames with at least one observed joint.
    """
    scale = REFERENCE_BOX_DIAGONAL / box_diagonal.clamp(min=1.0)
    residual = (projected - keypoints) * scale[:, None, None]
    penalty = geman_mcclure(residual, GEMAN_MCCLURE_SIGMA) * confidence[..., None]
    return masked_mean(penalty, confidence.sum(dim=1) > 0)


def orientation_data_loss(rotation: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """L_o: mean squared geodesic angle between (T, 3, 3) rotations and their initial values on observed frames."""
    return masked_mean(geodesic_distance(rotation, target).square(), mask)


def translation_data_loss(transl: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """L_tr: mean squared distance (m^2) between translations and their initial values on observed frames."""
    return masked_mean((transl - target).square().sum(dim=-1), mask)


def _mean_over(values: torch.Tensor, present: torch.Tensor | None, span: int) -> torch.Tensor:
    """Mean of per-step ``values`` (T - span + 1, ...): over all steps, or over those whose ``span`` consecutive
    frames are all ``present`` (T,) (steps touching an absent frame tie nothing together)."""
    if present is None:
        return values.mean()
    mask = present[: len(present) - span + 1].clone()
    for offset in range(1, span):
        mask &= present[offset: len(present) - span + 1 + offset]
    return masked_mean(values, mask)


def orientation_smoothness(rotation: torch.Tensor, dt: torch.Tensor,
                           present: torch.Tensor | None = None) -> torch.Tensor:
    """L_os: 0.5 * mean squared angular speed (rad/s)^2 between consecutive (T, 3, 3) rotations (both present)."""
    if len(rotation) < 2:
        return rotation.new_zeros(())
    speed = geodesic_distance(rotation[1:], rotation[:-1]) / dt
    return 0.5 * _mean_over(speed.square(), present, 2)


def translation_smoothness(transl: torch.Tensor, dt: torch.Tensor, present: torch.Tensor | None = None) -> torch.Tensor:
    """L_ts: 0.5 * mean squared speed per coordinate (m/s)^2 of (T, 3) translations (both frames present)."""
    if len(transl) < 2:
        return transl.new_zeros(())
    velocity = (transl[1:] - transl[:-1]) / dt[:, None]
    return 0.5 * _mean_over(velocity.square(), present, 2)


def acceleration_loss(values: torch.Tensor, dt: torch.Tensor, present: torch.Tensor | None = None) -> torch.Tensor:
    """Mean squared second derivative of a (T, D) sequence per unit per s^2, from the real frame intervals dt
    (over frame triples that are all present)."""
    if len(values) < 3:
        return values.new_zeros(())
    velocity = (values[1:] - values[:-1]) / dt[:, None]
    acceleration = (velocity[1:] - velocity[:-1]) / (0.5 * (dt[1:] + dt[:-1]))[:, None]
    return _mean_over(acceleration.square(), present, 3)


def betas_loss(betas: torch.Tensor) -> torch.Tensor:
    """L_beta: mean squared shape coefficient (the shape space's standard-normal prior)."""
    return betas.square().mean()


def latent_prior_loss(latent: torch.Tensor) -> torch.Tensor:
    """L_MP: mean z^2 over windows and latent dimensions, the standard-normal -log N(z) scaled by 2/D as the paper
    weighted it, so the weight does not depend on the latent size."""
    return latent.square().mean()
