"""Measure a motion prior on held-out motion: reconstruction, and infilling of hidden frames against baselines.

Reconstruction decodes encode_mean(x) for windows x of held-out motion. Infilling hides `gap` frames in the
middle of each window and infers the motion from the visible frames only: the prior as `latent_fit.infill_window`
does it (the encoder's code for the SLERP-filled window, decoded, with the residuals at the gap's ends carried
into it), and with the code also optimised to the visible frames; against SLERP between the visible ends and a
per-frame fit that minimises joint-angle acceleration, whose weight is tuned on a validation half of the windows
and reported on the other half. Errors: mean joint-angle error over the
15 finger joints (degrees) and mean fingertip error (mm, wrist-relative, open hand, zero global orientation);
reconstruction also per joint, which says where a prior misses a set.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np
import torch

from hmp_engine.hand_model import HandModel
from hmp_engine.hand_model.joints import MANO_JOINT_NAMES
from hmp_engine.prior.latent_fit import carry_residuals, fit_latent, infill_window
from hmp_engine.prior.model import MotionPrior
from hmp_engine.prior.motion_stats import hand_joints_mm
from hmp_engine.rotations import axis_angle_to_matrix, fill_rotation_gaps, geodesic_distance

TIPS = [16, 17, 18, 19, 20]
ACCELERATION_WEIGHTS = (0.01, 0.1, 1.0, 10.0, 100.0)
LATENT_ITERATIONS = 100


@dataclass
class Score:
    """Mean errors over a set of frames."""

    angle_deg: float
    fingertip_mm: float
    frames: int


def windows_of(hand_pose: np.ndarray, length: int, stride: int | None = None) -> np.ndarray:
    """(N, length, 45) windows of a (T, 45) sequence, `stride` apart (default: not overlapping)."""
    starts = range(0, len(hand_pose) - length + 1, stride or length)
    return np.stack([hand_pose[start:start + length] for start in starts]) if len(starts) else np.zeros((0, length, 45))


def joint_angle_errors(predicted: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """(N, 15) angles in degrees of the rotations between (N, 45) predicted and true poses, per frame and joint."""
    rotations = [axis_angle_to_matrix(torch.as_tensor(p, dtype=torch.float32).reshape(-1, 15, 3))
                 for p in (predicted, truth)]
    return np.degrees(geodesic_distance(*rotations).numpy())


def score(model: HandModel, predicted: np.ndarray, truth: np.ndarray, angles: np.ndarray | None = None) -> Score:
    """Joint-angle and fingertip errors between (N, 45) predicted and true poses (``angles``: their
    `joint_angle_errors`, where the caller has them already)."""
    angles = joint_angle_errors(predicted, truth) if angles is None else angles
    tips = np.linalg.norm(hand_joints_mm(model, predicted)[:, TIPS] - hand_joints_mm(model, truth)[:, TIPS], axis=-1)
    return Score(float(angles.mean()), float(tips.mean()), len(truth))


def reconstruct(prior: MotionPrior, windows: np.ndarray) -> np.ndarray:
    """decode(encode_mean(x)) of (N, T, 45) windows, in batches."""
    device = prior.sixd_mean.device
    outputs = []
    with torch.no_grad():
        for batch in np.array_split(windows, max(1, len(windows) // 64)):
            z = prior.encode_mean(torch.as_tensor(batch, dtype=torch.float32, device=device))
            outputs.append(prior.decode(z, num_frames=windows.shape[1]).cpu().numpy())
    return np.concatenate(outputs)


def min_acceleration_fill(window: np.ndarray, visible: np.ndarray, weight: float, iterations: int = 60) -> np.ndarray:
    """Per-frame poses fitted to the visible frames with an acceleration penalty; hidden frames follow it."""
    observed = torch.as_tensor(window, dtype=torch.float32)
    mask = torch.as_tensor(visible, dtype=torch.float32)[:, None]
    start = fill_rotation_gaps(window.reshape(-1, 15, 3), visible).reshape(-1, 45)
    pose = torch.as_tensor(start, dtype=torch.float32).requires_grad_(True)
    optimiser = torch.optim.LBFGS([pose], max_iter=iterations, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        optimiser.zero_grad()
        acceleration = pose[:-2] - 2 * pose[1:-1] + pose[2:]
        loss = (mask * (pose - observed).square()).sum() + weight * acceleration.square().sum()
        loss.backward()
        return loss

    optimiser.step(closure)
    return pose.detach().numpy()


def middle_gap(length: int, gap: int) -> np.ndarray:
    """Visibility mask of a window with `gap` hidden frames in its middle."""
    visible = np.ones(length, dtype=bool)
    visible[(length - gap) // 2:(length - gap) // 2 + gap] = False
    return visible


def infill(prior: MotionPrior, model: HandModel, windows: np.ndarray, gap: int = 30) -> dict[str, Score]:
    """Errors on the hidden frames for the prior (two ways), SLERP, and the tuned minimum-acceleration fit."""
    visible = middle_gap(windows.shape[1], gap)
    half = max(1, len(windows) // 2)
    validation, test = windows[:half], windows[half:] if len(windows) > 1 else windows

    def hidden_score(method, subset: np.ndarray) -> Score:
        predicted = np.concatenate([method(window)[~visible] for window in subset])
        return score(model, predicted, subset[:, ~visible].reshape(-1, 45))

    best = min(ACCELERATION_WEIGHTS, key=lambda w: hidden_score(
        lambda x: min_acceleration_fill(x, visible, w), validation).fingertip_mm)
    optimised = f"prior, z optimised ({LATENT_ITERATIONS} its) + residuals"
    methods = {
        "prior: encoder + residuals": lambda x: infill_window(prior, x, visible),
        optimised: lambda x: carry_residuals(fit_latent(prior, x, visible, LATENT_ITERATIONS), x, visible),
        "slerp": lambda x: fill_rotation_gaps(x.reshape(-1, 15, 3), visible).reshape(-1, 45),
    }
    scores = {name: hidden_score(method, windows) for name, method in methods.items()}
    scores["prior: encoder + residuals (test half)"] = hidden_score(methods["prior: encoder + residuals"], test)
    scores[f"per-frame + acceleration (weight {best:g}, test half)"] = hidden_score(
        lambda x: min_acceleration_fill(x, visible, best), test)
    return scores


def evaluate(prior: MotionPrior, model: HandModel, sets: Mapping[str, Sequence[np.ndarray]], gap: int = 30,
             max_infill_windows: int = 16) -> dict[str, dict]:
    """Reconstruction and infilling scores for each named set of (T, 45) sequences at the prior's frame rate."""
    report: dict[str, dict] = {}
    for name, sequences in sets.items():
        windows = np.concatenate([windows_of(s, prior.window_frames, prior.window_frames // 2) for s in sequences])
        flat_truth = windows.reshape(-1, 45)
        reconstruction = reconstruct(prior, windows).reshape(-1, 45)
        angles = joint_angle_errors(reconstruction, flat_truth)
        report[name] = {
            "windows": len(windows),
            "reconstruction": asdict(score(model, reconstruction, flat_truth, angles)),
            "reconstruction_joint_angle_deg": dict(zip(MANO_JOINT_NAMES[1:], angles.mean(axis=0).round(2).tolist())),
            "infilling": {method: asdict(value) for method, value
                          in infill(prior, model, windows[:max_infill_windows], gap).items()},
        }
    return report


def markdown(report: dict[str, dict]) -> str:
    """The report as Markdown tables: reconstruction, its joint angles per finger (base to tip: MCP, PIP, DIP; the
    thumb's CMC, MCP, IP), and infilling."""
    lines = ["| set | windows | joint angle (deg) | fingertip (mm) |", "|---|---:|---:|---:|"]
    for name, entry in report.items():
        rec = entry["reconstruction"]
        lines.append(f"| {name} | {entry['windows']} | {rec['angle_deg']:.2f} | {rec['fingertip_mm']:.2f} |")
    fingers = ("thumb", "index", "middle", "ring", "pinky")
    lines += ["", "| set | " + " | ".join(f"{finger} (deg)" for finger in fingers) + " |", "|---|" + "---:|" * 5]
    for name, entry in report.items():
        angles = entry["reconstruction_joint_angle_deg"]
        cells = [" / ".join(f"{angle:.1f}" for joint, angle in angles.items() if joint.startswith(finger))
                 for finger in fingers]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += ["", "| set | infilling method (hidden frames) | joint angle (deg) | fingertip (mm) |",
              "|---|---|---:|---:|"]
    for name, entry in report.items():
        for method, value in entry["infilling"].items():
            lines.append(f"| {name} | {method} | {value['angle_deg']:.2f} | {value['fingertip_mm']:.2f} |")
    return "\n".join(lines)
