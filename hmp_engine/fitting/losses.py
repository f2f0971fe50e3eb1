"""The loss terms of the HMP fit (the HMP paper, WACV 2024), each a mean so weights do not depend on sequence length.

Units: rotations in radians, translations in metres, time in seconds (velocities and accelerations use the real
frame times, so 25 and 30 fps videos are treated alike; at 30 fps ``0.5 * mean(velocity^2)`` equals the paper's
``0.5 * mean((30 * difference)^2)``, so its weights carry over). Reprojection residuals are measured in units of
the hand's box diagonal and rescaled by ``REFERENCE_BOX_DIAGONAL`` into "reference pixels" (see
`reprojection_loss`), so the paper's lambda_2D and Geman-McClure scale hold at any resolution and hand size.
Every masked mean divides by at least ``EPS`` so an empty mask gives 0, never NaN.

Every term takes an optional leading batch of hands: (T, ...) inputs give a scalar, (H, T, ...) inputs give one
value per hand (H,), each the same mean it would be for that hand alone, so hands fit together as one batched
problem keep their own losses.
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
    """Mean of ``values`` ([H,] T, ...) over frames where ``mask`` ([H,] T) is true (0 when none is), per hand."""
    weights = mask.to(values.dtype).reshape(*mask.shape, *([1] * (values.dim() - mask.dim()))).expand_as(values)
    frame_and_after = tuple(range(mask.dim() - 1, values.dim()))
    return (values * weights).sum(dim=frame_and_after) / weights.sum(dim=frame_and_after).clamp(min=EPS)


def geman_mcclure(residual: torch.Tensor, sigma: float) -> torch.Tensor:
    """Geman-McClure robust penalty sigma^2 r^2 / (sigma^2 + r^2): quadratic near 0, bounded by sigma^2."""
    squared = residual.square()
    return sigma**2 * squared / (sigma**2 + squared)


def reprojection_loss(projected: torch.Tensor, keypoints: torch.Tensor, confidence: torch.Tensor,
                      box_diagonal: torch.Tensor) -> torch.Tensor:
    """Confidence-weighted Geman-McClure reprojection error per coordinate, in reference pixels.

    projected, keypoints ([H,] T, 21, 2) pixels; confidence ([H,] T, 21) in [0, 1] (0 = unobserved); box_diagonal
    ([H,] T) pixels. A residual r px on a hand whose box diagonal is d px counts as r * REFERENCE_BOX_DIAGONAL / d; the
    mean runs over the coordinates of frames with at least one observed joint.
    """
    scale = REFERENCE_BOX_DIAGONAL / box_diagonal.clamp(min=1.0)
    residual = (projected - keypoints) * scale[..., None, None]
    penalty = geman_mcclure(residual, GEMAN_MCCLURE_SIGMA) * confidence[..., None]
    return masked_mean(penalty, confidence.sum(dim=-1) > 0)


def rotation_data_loss(rotation: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """L_o (and L_p): mean squared geodesic angle between ([H,] T, [J,] 3, 3) rotations and their initial values on
    observed frames: the global orientation, or the finger joints' rotations."""
    return masked_mean(geodesic_distance(rotation, target).square(), mask)


def translation_data_loss(transl: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """L_tr: mean squared distance (m^2) between translations and their initial values on observed frames."""
    return masked_mean((transl - target).square().sum(dim=-1), mask)


def _mean_over(values: torch.Tensor, present: torch.Tensor | None, span: int, step_dim: int) -> torch.Tensor:
    """Mean per hand of per-step ``values`` (step axis ``step_dim``, counted from the end, of T - span + 1 steps):
    over all steps, or over those whose ``span`` consecutive frames are all ``present`` ([H,] T) (steps touching
    an absent frame tie nothing together)."""
    if present is None:
        return values.mean(dim=tuple(range(step_dim, 0)))
    steps = present.shape[-1] - span + 1
    mask = present[..., :steps].clone()
    for offset in range(1, span):
        mask &= present[..., offset:offset + steps]
    return masked_mean(values, mask)


def orientation_smoothness(rotation: torch.Tensor, dt: torch.Tensor,
                           present: torch.Tensor | None = None) -> torch.Tensor:
    """L_os: 0.5 * mean squared angular speed (rad/s)^2 between consecutive ([H,] T, 3, 3) rotations (both present)."""
    if rotation.shape[-3] < 2:
        return rotation.new_zeros(rotation.shape[:-3])
    speed = geodesic_distance(rotation[..., 1:, :, :], rotation[..., :-1, :, :]) / dt
    return 0.5 * _mean_over(speed.square(), present, 2, -1)


def orientation_acceleration(rotation: torch.Tensor, dt: torch.Tensor,
                             present: torch.Tensor | None = None) -> torch.Tensor:
    """L_oa: mean squared second derivative of the entries of ([H,] T, 3, 3) rotations, (1/s^2)^2: about the angular
    acceleration squared, so frame-to-frame jitter costs much and a steady turn little (its angular speed^2)."""
    return acceleration_loss(rotation.flatten(-2), dt, present)


def translation_smoothness(transl: torch.Tensor, dt: torch.Tensor, present: torch.Tensor | None = None) -> torch.Tensor:
    """L_ts: 0.5 * mean squared speed per coordinate (m/s)^2 of ([H,] T, 3) translations (both frames present)."""
    if transl.shape[-2] < 2:
        return transl.new_zeros(transl.shape[:-2])
    velocity = torch.diff(transl, dim=-2) / dt[..., None]
    return 0.5 * _mean_over(velocity.square(), present, 2, -2)


def acceleration_loss(values: torch.Tensor, dt: torch.Tensor, present: torch.Tensor | None = None) -> torch.Tensor:
    """Mean squared second derivative of a ([H,] T, D) sequence per unit per s^2, from the real frame intervals dt
    (over frame triples that are all present)."""
    if values.shape[-2] < 3:
        return values.new_zeros(values.shape[:-2])
    velocity = torch.diff(values, dim=-2) / dt[..., None]
    acceleration = torch.diff(velocity, dim=-2) / (0.5 * (dt[..., 1:] + dt[..., :-1]))[..., None]
    return _mean_over(acceleration.square(), present, 3, -2)


def betas_loss(betas: torch.Tensor) -> torch.Tensor:
    """L_beta: mean squared shape coefficient of ([H,] 10) betas (the shape space's standard-normal prior)."""
    return betas.square().mean(dim=-1)


def latent_prior_loss(latent: torch.Tensor) -> torch.Tensor:
    """L_MP: mean z^2 over windows and latent dimensions of ([H,] W, D) codes, the standard-normal -log N(z) scaled
    by 2/D as the paper weighted it, so the weight does not depend on the latent size."""
    return latent.square().mean(dim=(-2, -1))
