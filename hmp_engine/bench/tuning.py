"""Each fit group's own weight: the candidates tried, how one is chosen, and the values chosen last time.

The benchmark tunes on the validation split and reports on the test split (`ground_truth`): every candidate of
every group is fitted on the validation sequences, half of them under "normal" and half under "heavy" occlusion
(one set of weights serves every video, as a preset must), and the candidate with the lowest PA-MPJPE + RA-ACC
(mm + mm/frame^2, all frames) wins. `hmp bench accuracy --tune` redoes this and prints the values to put in TUNED.
"""

from __future__ import annotations

from hmp_engine.bench.methods import Weight

CANDIDATES: dict[str, tuple[Weight, ...]] = {
    "no-prior": tuple(Weight(2, "accel", value) for value in (1e-4, 1e-3, 1e-2)),
    "gmm": tuple(Weight(2, "prior", value) for value in (1e-3, 1e-2, 1e-1)),
    "pca": tuple(Weight(2, "prior", value) for value in (0.01, 0.1, 1.0)),
    "hmp": tuple(Weight(2, "prior", value) for value in (0.01, 0.1, 1.0)),
}
"""A decade either side of the default preset's value of the weight that sets each method apart."""

TUNED: dict[str, Weight] = {
    "no-prior": Weight(2, "accel", 1e-3),
    "gmm": Weight(2, "prior", 0.1),
    "pca": Weight(2, "prior", 0.01),
    "hmp": Weight(2, "prior", 0.1),
}
"""Chosen by `hmp bench accuracy --tune --occlusion heavy --seed 0` on 2026-11-24 with the default prior (the same
choice as with a snapshot of its training): validation PA-MPJPE + RA-ACC (mm) no-prior 7.51 / 6.98 / 7.44 for
accel 1e-4 / 1e-3 / 1e-2; GMM 21.81 / 20.97 / 17.50 for prior 1e-3 / 1e-2 / 0.1 (best at the edge of its range);
PCA 11.55 / 11.65 / 12.63 for 0.01 / 0.1 / 1; HMP 6.79 / 6.67 / 7.49 for 0.01 / 0.1 / 1 (the default preset's 0.1).
Re-run on 2026-12-06 after the finger-pose data term joined the preset, with the same choices: no-prior 6.59 /
6.21 / 6.72, GMM 15.56 / 15.15 / 13.53, PCA 10.54 / 10.63 / 11.76, HMP 5.38 / 5.03 / 5.53; and after stage 3 came to
weigh each joint by how little it is seen (the baselines have no stage 3), HMP 5.25 / 4.98 / 5.42."""

VALIDATION_LEVELS = ("normal", "heavy")
"""Validation sequence k is simulated under VALIDATION_LEVELS[k % 2]."""


def criterion(summary: dict[str, float]) -> float:
    """What tuning minimises: PA-MPJPE (mm) + RA-ACC (mm/frame^2) over all frames."""
    return summary["pa_mpjpe_mm"] + summary["ra_acc_mm_per_frame2"]


def choose(scores: dict[str, dict[float, dict[str, float]]]) -> dict[str, Weight]:
    """The best candidate of each group from its validation summaries by candidate value (ties: the first)."""
    chosen = {}
    for group, by_value in scores.items():
        best = min(by_value, key=lambda value: criterion(by_value[value]))
        chosen[group] = next(weight for weight in CANDIDATES[group] if weight.value == best)
    return chosen
