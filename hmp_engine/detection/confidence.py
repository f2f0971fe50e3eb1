"""Per-joint keypoint confidence in [0, 1]: cheap terms from one detector pass, and an optional view-spread term.

All distances are normalised by the hand size h_t = diagonal of the frame's tight keypoint box (pixels), so
the same constants hold at any resolution. With g(e, s) = exp(-(e / s)^2 / 2):

    fast:       c_tj = p_t * g(r_tj, SIGMA_REPROJECTION) * g(o_tj, SIGMA_OUTSIDE)
    augmented:  c_tj = fast c_tj * (n_t / N) * g(s_tj, SIGMA_SPREAD)

- p_t: the detector's probability that the hand has the track's side (MediaPipe's handedness score, or its
  complement on frames where the label disagrees with the track): a hand the network cannot even tell
  left from right is seen badly; MediaPipe only outputs hands that passed its own presence threshold.
- r_tj: disagreement of MediaPipe's two heads. The 3D world landmarks W_tj (metres, image-aligned axes)
  are fitted to the 2D landmarks x_tj by a scaled orthographic projection s_t * W_tj[:2] + b_t (closed-form
  least squares, one robust reweighting), and r_tj = |x_tj - projection| / h_t. Where the network is unsure
  of a joint (blur, self-occlusion, odd views) its two heads disagree. (A perspective fit with any assumed
  focal length agreed worse on the sample videos, so the orthographic model is kept.)
- o_tj: how far the joint lies outside the image, / h_t. MediaPipe extrapolates joints past the border with
  full agreement between its heads, so this term is what marks them as unobserved.
- s_tj: spread of the joint over the original detection and the N augmented views (small rotations and
  scales of the hand crop, mapped back to the image) that found the hand: the root mean square 2D distance
  to the mean position, in pixels, / h_t (a proper 2D spread, not the reference's std of per-axis stds);
  n_t / N penalises views that lost the hand instead of pretending full confidence.
"""

from __future__ import annotations

import numpy as np

SIGMA_REPROJECTION = 0.05  # r = 0.05 h gives 0.61 (typical r is 0.015-0.03)
SIGMA_OUTSIDE = 0.05  # a joint one twentieth of the hand size outside the image gives 0.61
SIGMA_SPREAD = 0.03  # spread of 0.03 h over views gives 0.61
_ROBUST_SCALE = 0.05  # Cauchy scale of the reweighting in the projection fit (in units of h)


def gaussian(error: np.ndarray, sigma: float) -> np.ndarray:
    """exp(-(error / sigma)^2 / 2): 1 for no error, falling smoothly to 0."""
    return np.exp(-0.5 * np.square(error / sigma))


def hand_size(keypoints: np.ndarray) -> np.ndarray:
    """Diagonal of the tight keypoint box (..., 21, 2) -> (...), at least one pixel."""
    extent = keypoints.max(axis=-2) - keypoints.min(axis=-2)
    return np.maximum(np.linalg.norm(extent, axis=-1), 1.0)


def _weighted_projection(keypoints: np.ndarray, world_xy: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted least-squares s * world_xy + b fitted to keypoints per frame: (T, 21, 2) -> (T, 21, 2)."""
    w = weights[..., None] / weights.sum(axis=1, keepdims=True)[..., None]
    world_mean = (w * world_xy).sum(axis=1, keepdims=True)
    key_mean = (w * keypoints).sum(axis=1, keepdims=True)
    world_c = world_xy - world_mean
    covariance = (w * world_c * (keypoints - key_mean)).sum(axis=(1, 2))
    scale = covariance / np.maximum((w * world_c**2).sum(axis=(1, 2)), 1e-12)
    return scale[:, None, None] * world_c + key_mean


def reprojection_error(keypoints: np.ndarray, world: np.ndarray) -> np.ndarray:
    """Per-joint distance between 2D landmarks (T, 21, 2) px and the fitted projection of world (T, 21, 3), / h_t."""
    size = hand_size(keypoints)[:, None]
    weights = np.ones(keypoints.shape[:2])
    for _ in range(2):  # plain fit, then one Cauchy reweighting so one bad joint does not drag the fit
        projected = _weighted_projection(keypoints, world[..., :2], weights)
        error = np.linalg.norm(keypoints - projected, axis=-1) / size
        weights = 1.0 / (1.0 + np.square(error / _ROBUST_SCALE))
    return error


def outside_distance(keypoints: np.ndarray, image_size: tuple[int, int]) -> np.ndarray:
    """Per-joint distance outside the image rectangle (T, 21, 2) -> (T, 21), / h_t; 0 inside."""
    width, height = image_size
    below = np.maximum(-keypoints, 0.0)
    above = np.maximum(keypoints - np.array([width, height], dtype=float), 0.0)
    return np.linalg.norm(below + above, axis=-1) / hand_size(keypoints)[:, None]


def fast_confidence(
    keypoints: np.ndarray, world: np.ndarray, side_probability: np.ndarray, image_size: tuple[int, int]
) -> np.ndarray:
    """Cheap per-joint confidence (T, 21) of detected frames (see the module docstring)."""
    reprojection = gaussian(reprojection_error(keypoints, world), SIGMA_REPROJECTION)
    inside = gaussian(outside_distance(keypoints, image_size), SIGMA_OUTSIDE)
    return np.clip(side_probability[:, None] * reprojection * inside, 0.0, 1.0)


def view_agreement(original: np.ndarray, views: list[np.ndarray], num_views: int) -> np.ndarray:
    """Augmented-mode factor (21,) from the original keypoints (21, 2) and those of the views that found the hand."""
    stack = np.stack([original, *views])
    spread = np.sqrt(np.square(stack - stack.mean(axis=0)).sum(axis=-1).mean(axis=0)) / hand_size(original)
    return len(views) / num_views * gaussian(spread, SIGMA_SPREAD)
