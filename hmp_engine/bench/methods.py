"""The methods the accuracy benchmark compares, each run through the real code path, and their estimated joints.

- ``per-frame``: the initialisation (IK on the world landmarks, translation from the keypoints) on the frames
  the hand was detected in, nothing elsewhere: the paper's raw per-frame estimate.
- ``init+slerp``: the same with undetected frames filled by SLERP / linear interpolation (`initialise_hand`).
- ``no-prior``, ``gmm``, ``pca``: the paper's ablation baselines (`fitting.baselines`), default preset.
- ``hmp-stage1``, ``hmp-stage2``, ``hmp``: the default preset with the motion prior, scored at the end of stage
  1, 2 and 3 of one fit (``hmp`` is the full default fit).
Each fit group has one weight of its own (see `tuning`); the other weights are the default preset's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hmp_engine.camera import Camera
from hmp_engine.fitting import DEFAULT_PRESET, FitSettings, HandResult, fit_hands, preset
from hmp_engine.hand_model import HandModel
from hmp_engine.initialisation import HandInit, posed_joints_numpy
from hmp_engine.prior.model import MotionPrior

INIT_METHODS = ("per-frame", "init+slerp")
FIT_GROUPS = {"no-prior": ("no-prior",), "gmm": ("gmm",), "pca": ("pca",),
              "hmp": ("hmp-stage1", "hmp-stage2", "hmp")}
"""Each fit's preset method and the benchmark methods it yields (HMP: one per stage)."""
METHODS = INIT_METHODS + tuple(method for yielded in FIT_GROUPS.values() for method in yielded)
_HMP_STAGE = {"hmp-stage1": 1, "hmp-stage2": 2, "hmp": 3}


@dataclass(frozen=True)
class Weight:
    """One loss weight of a fit: its stage (1-3), its name (`presets.WEIGHT_NAMES`) and value."""

    stage: int
    name: str
    value: float


@dataclass
class Estimate:
    """A method's (T, 21, 3) camera-frame joints in metres and the frames (T,) it estimated."""

    joints: np.ndarray
    valid: np.ndarray


def group_of(method: str) -> str | None:
    """The fit group that yields a method, None for the initialisation methods."""
    return next((group for group, yielded in FIT_GROUPS.items() if method in yielded), None)


def initial_estimates(init: HandInit, model: HandModel) -> dict[str, Estimate]:
    """The per-frame and SLERP-filled initialisation of a hand."""
    joints = posed_joints_numpy(model, init.global_orient, init.hand_pose, init.betas) + init.transl[:, None]
    detected = np.flatnonzero(init.pose_observed)
    span = np.zeros(init.num_frames, dtype=bool)
    span[detected[0]:detected[-1] + 1] = True
    return {"per-frame": Estimate(joints, init.pose_observed.copy()), "init+slerp": Estimate(joints, span)}


def fit_settings(group: str, weight: Weight, methods: tuple[str, ...],
                 iterations: tuple[int, int, int] | None = None) -> FitSettings:
    """The default preset for a fit group with its weight set; stages after the last wanted one are skipped, and
    ``iterations`` (for quick runs) replaces the preset's counts."""
    settings = preset(DEFAULT_PRESET, group)
    settings.stages[weight.stage - 1].weights[weight.name] = weight.value
    if iterations is not None:
        settings = settings.with_iterations(*iterations[:2], iterations[2] if group == "hmp" else 0)
    if group == "hmp":
        last = max(_HMP_STAGE[method] for method in methods if method in _HMP_STAGE)
        settings = settings.with_iterations(*(s.iterations if k < last else 0 for k, s in enumerate(settings.stages)))
    return settings


def fitted_estimates(group: str, settings: FitSettings, init: HandInit, models: dict[str, HandModel],
                     camera: Camera, prior: MotionPrior, methods: tuple[str, ...]) -> dict[str, Estimate]:
    """The wanted methods of one fit group on one hand, fitted on the CPU."""
    stages: dict[int, HandResult] = {}
    fit_hands({init.side: init}, {init.side: models[init.side]}, camera, settings, prior, "cpu",
              on_stage=lambda index, hands: stages.__setitem__(index, hands[init.side]))
    final = stages[max(stages)]
    wanted = [method for method in FIT_GROUPS[group] if method in methods]
    return {method: _estimate(stages[_HMP_STAGE[method]] if group == "hmp" else final) for method in wanted}


def _estimate(hand: HandResult) -> Estimate:
    return Estimate(hand.joints, hand.valid.copy())
