"""Per-frame errors of one method on one sequence, and their frame-weighted summary over sequences."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from hmp_engine.bench.methods import Estimate
from hmp_engine.bench.metrics import pa_mpjpe, ra_acc, ra_mpjpe, valid_triples


@dataclass
class FrameErrors:
    """(T,) errors of one estimate: PA-/RA-MPJPE (mm), RA-ACC (mm/frame^2 and mm/s^2, at triple centres), which
    frames were estimated (and truly known), which are triple centres, and which are occluded."""

    pa_mpjpe: np.ndarray
    ra_mpjpe: np.ndarray
    ra_acc: np.ndarray
    ra_acc_per_s2: np.ndarray
    estimated: np.ndarray
    centre: np.ndarray
    occluded: np.ndarray


def frame_errors(estimate: Estimate, truth: np.ndarray, truth_valid: np.ndarray, occluded: np.ndarray,
                 fps: float) -> FrameErrors:
    """Errors of an estimate against (T, 21, 3) true joints on the frames both hold."""
    estimated = estimate.valid & truth_valid
    acceleration = ra_acc(estimate.joints, truth)
    return FrameErrors(pa_mpjpe(estimate.joints, truth), ra_mpjpe(estimate.joints, truth), acceleration,
                       acceleration * fps**2, estimated, valid_triples(estimated), np.asarray(occluded, dtype=bool))


def restrict(errors: FrameErrors, frames: np.ndarray) -> FrameErrors:
    """The same errors scored on ``frames`` only (and the acceleration triples within them)."""
    estimated = errors.estimated & frames
    return replace(errors, estimated=estimated, centre=valid_triples(estimated))


def _mean(values: list[np.ndarray], masks: list[np.ndarray]) -> float:
    selected = np.concatenate([value[mask] for value, mask in zip(values, masks)])
    return float(selected.mean()) if selected.size else float("nan")


def summarise(errors: list[FrameErrors], occluded_only: bool = False) -> dict[str, float]:
    """Means over the estimated frames (RA-ACC: triple centres) of all sequences, or of their occluded frames."""
    frames = [e.estimated & (e.occluded if occluded_only else True) for e in errors]
    centres = [e.centre & (e.occluded if occluded_only else True) for e in errors]
    return {
        "frames": int(sum(mask.sum() for mask in frames)),
        "pa_mpjpe_mm": _mean([e.pa_mpjpe for e in errors], frames),
        "ra_mpjpe_mm": _mean([e.ra_mpjpe for e in errors], frames),
        "ra_acc_mm_per_frame2": _mean([e.ra_acc for e in errors], centres),
        "ra_acc_mm_per_s2": _mean([e.ra_acc_per_s2 for e in errors], centres),
    }
