"""`hmp bench accuracy`: every method against ground truth, on simulated detections, overall and on occluded frames.

Each ground-truth sequence is built (`ground_truth`), turned into detector output (`observations`, seeded by the
run's seed and the sequence's place in its list) and initialised (`init`); then every fit group fits it with its
tuned weight (`methods`, `tuning`). Both steps run in worker processes, one per usable core, each fit on one torch
thread (as `fit_hands` does on the CPU), so results do not depend on the number of workers: the same seed gives
the same table. With validation sequences, every candidate weight is first scored on them and the best one used.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from hmp_engine.bench.ground_truth import GroundTruth, Recipe
from hmp_engine.bench.methods import (
    FIT_GROUPS,
    METHODS,
    Estimate,
    Weight,
    fit_settings,
    fitted_estimates,
    initial_estimates,
)
from hmp_engine.bench.observations import OCCLUSION_LEVELS, simulate
from hmp_engine.bench.scores import FrameErrors, frame_errors, restrict, summarise
from hmp_engine.bench.speed import machine_info
from hmp_engine.bench.tuning import CANDIDATES, TUNED, VALIDATION_LEVELS, choose
from hmp_engine.hand_model import load_hand_model
from hmp_engine.hand_model.joints import SIDES
from hmp_engine.initialisation import HandInit, initialise_hand
from hmp_engine.prior.checkpoint import load_prior

MARGIN_METHOD, SLERP, PER_FRAME = "hmp", "init+slerp", "per-frame"


@dataclass
class AccuracyConfig:
    """What a run measures: occlusion level, methods, seed, hand model and prior, weights, worker processes (0:
    one per usable core), and, for quick runs only, stage iterations replacing the preset's."""

    prior: Path
    occlusion: str = "normal"
    methods: tuple[str, ...] = METHODS
    seed: int = 0
    hand_model: str = "open"
    weights: dict[str, Weight] = field(default_factory=lambda: dict(TUNED))
    workers: int = 0
    iterations: tuple[int, int, int] | None = None

    def __post_init__(self) -> None:
        if self.occlusion not in OCCLUSION_LEVELS:
            raise ValueError(f"occlusion must be one of {tuple(OCCLUSION_LEVELS)}, not {self.occlusion!r}")
        unknown = [method for method in self.methods if method not in METHODS]
        if unknown:
            raise ValueError(f"unknown method(s) {unknown}; known: {', '.join(METHODS)}")
        self.workers = self.workers or len(os.sched_getaffinity(0))

    def groups(self) -> list[str]:
        """The fit groups that yield at least one wanted method."""
        return [group for group, yielded in FIT_GROUPS.items() if set(yielded) & set(self.methods)]


@dataclass
class _Case:
    """One sequence to observe: its recipe, occlusion level and the seed of its observations."""

    recipe: Recipe
    level: str
    seed: tuple[int, int]


@dataclass
class _Observed:
    """A case's truth and true joints, its initialisation (and the estimates it makes), and its occluded frames."""

    truth: GroundTruth
    truth_joints: np.ndarray
    init: HandInit
    initial: dict[str, Estimate]
    occluded: np.ndarray


_worker: dict[str, Any] = {}


def _setup(hand_model: str, prior: str) -> None:
    """Load the hand models of both sides and the prior into this process (once)."""
    if _worker.get("key") != (hand_model, prior):
        _worker.update(key=(hand_model, prior), prior=load_prior(prior, "cpu"),
                       models={side: load_hand_model(hand_model, side) for side in SIDES})


def _observe(case: _Case) -> _Observed:
    """Build a case's truth, simulate its detections and initialise its hand from them."""
    truth, models = case.recipe(), _worker["models"]
    joints = truth.joints(models[truth.side])
    seen = simulate(joints, truth.fps, truth.camera, OCCLUSION_LEVELS[case.level], np.random.default_rng(case.seed))
    init = initialise_hand(models[truth.side], seen.keypoints, seen.world, seen.detected, truth.times, truth.camera,
                           models["right"])
    return _Observed(truth, joints, init, initial_estimates(init, models[truth.side]), seen.occluded)


def _fit(task: tuple[_Observed, str, Weight, tuple[str, ...], tuple[int, int, int] | None]) -> dict[str, Estimate]:
    """One fit group's estimates on one observed case."""
    observed, group, weight, methods, iterations = task
    settings = fit_settings(group, weight, methods, iterations)
    return fitted_estimates(group, settings, observed.init, _worker["models"], observed.truth.camera,
                            _worker["prior"], methods)


class _Runner:
    """Maps work over worker processes (spawned, so no torch state is inherited), or in this process for one."""

    def __init__(self, config: AccuracyConfig) -> None:
        self.args = (config.hand_model, str(config.prior))
        self.pool = (ProcessPoolExecutor(config.workers, multiprocessing.get_context("spawn"), _setup, self.args)
                     if config.workers > 1 else None)

    def map(self, function: Callable, items: Iterable) -> list:
        if self.pool is not None:
            return list(self.pool.map(function, items))
        _setup(*self.args)
        return [function(item) for item in items]

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown()


def _score(observed: list[_Observed], estimates: list[dict[str, Estimate]],
           methods: tuple[str, ...]) -> dict[str, list[FrameErrors]]:
    """Frame errors by wanted method, one entry per case."""
    errors: dict[str, list[FrameErrors]] = {}
    for seen, by_method in zip(observed, estimates):
        for method, estimate in by_method.items():
            if method in methods:
                errors.setdefault(method, []).append(frame_errors(estimate, seen.truth_joints, seen.truth.valid,
                                                                  seen.occluded, seen.truth.fps))
    return errors


def common_frames(errors: dict[str, list[FrameErrors]]) -> dict[str, list[FrameErrors]]:
    """Every method's errors on the frames of each sequence that every method but per-frame estimated.

    Fits leave a hand absent before it first appears and after it last leaves, while init+slerp holds its first
    and last values there; comparing means over different frames would favour whichever skips the hard ones.
    Per-frame scores only its detected frames within these (it estimates no other).
    """
    spanning = [method for method in errors if method != PER_FRAME] or list(errors)
    cases = len(errors[spanning[0]])
    shared = [np.logical_and.reduce([errors[method][k].estimated for method in spanning]) for k in range(cases)]
    return {method: [restrict(e, frames) for e, frames in zip(by_case, shared)] for method, by_case in errors.items()}


def _run(runner: _Runner, cases: list[_Case], config: AccuracyConfig,
         fits: list[tuple[str, Weight]]) -> tuple[list[_Observed], dict[str, list[FrameErrors]],
                                                  list[dict[str, list[FrameErrors]]]]:
    """Observe the cases, then fit each (group, weight) on every case: the observed cases, the frame errors of the
    initialisation methods, and those of each fit's methods."""
    observed = runner.map(_observe, cases)
    tasks = [(seen, group, weight, config.methods, config.iterations) for group, weight in fits for seen in observed]
    estimates = runner.map(_fit, tasks)
    count = len(observed)
    return observed, _score(observed, [seen.initial for seen in observed], config.methods), [
        _score(observed, estimates[k * count:(k + 1) * count], config.methods) for k in range(len(fits))]


def tune(runner: _Runner, validation: list[Recipe], config: AccuracyConfig) -> dict[str, Any]:
    """Score every candidate weight of the wanted fit groups on the validation split (by each group's last wanted
    method; HMP's long fits first, so the workers finish together): the choice and the scores."""
    cases = [_Case(recipe, VALIDATION_LEVELS[k % len(VALIDATION_LEVELS)], (config.seed, k))
             for k, recipe in enumerate(validation)]
    fits = [(group, weight) for group in config.groups() for weight in CANDIDATES[group]]
    observed, _, per_fit = _run(runner, cases, config, fits[::-1])
    scores: dict[str, dict[float, dict[str, float]]] = {group: {} for group in config.groups()}
    for (group, weight), errors in zip(fits[::-1], per_fit):
        last = [method for method in FIT_GROUPS[group] if method in config.methods][-1]
        scores[group][weight.value] = summarise(errors[last])
    return {"chosen": choose(scores), "scores": scores,
            "sequences": [f"{seen.truth.name} ({case.level})" for seen, case in zip(observed, cases)]}


def _margins(methods: dict[str, dict[str, dict[str, float]]]) -> dict[str, float]:
    """How far the full HMP fit is ahead of the SLERP-filled and the per-frame initialisation (all frames)."""
    if not {MARGIN_METHOD, SLERP, PER_FRAME} <= set(methods):
        return {}
    hmp, slerp, per_frame = (methods[name]["all"] for name in (MARGIN_METHOD, SLERP, PER_FRAME))
    return {"pa_mpjpe_gain_vs_slerp_percent": 100 * (1 - hmp["pa_mpjpe_mm"] / slerp["pa_mpjpe_mm"]),
            "ra_acc_factor_vs_slerp": slerp["ra_acc_mm_per_frame2"] / hmp["ra_acc_mm_per_frame2"],
            "ra_acc_factor_vs_per_frame": per_frame["ra_acc_mm_per_frame2"] / hmp["ra_acc_mm_per_frame2"]}


def accuracy_report(truths: list[Recipe], config: AccuracyConfig,
                    validation: list[Recipe] | None = None) -> dict[str, Any]:
    """Score every method of ``config`` on ``truths``; with ``validation``, tune the weights on it first."""
    start = time.perf_counter()
    runner = _Runner(config)
    try:
        tuning = tune(runner, validation, config) if validation else None
        weights = {**config.weights, **(tuning["chosen"] if tuning else {})}
        cases = [_Case(recipe, config.occlusion, (config.seed, k)) for k, recipe in enumerate(truths)]
        fits = [(group, weights[group]) for group in reversed(config.groups())]  # HMP's long fits first
        observed, initial, per_fit = _run(runner, cases, config, fits)
    finally:
        runner.close()
    errors = common_frames({method: by_case for result in [initial, *per_fit] for method, by_case in result.items()})
    methods = {method: {"all": summarise(errors[method]), "occluded": summarise(errors[method], True)}
               for method in config.methods}
    return {
        "benchmark": "accuracy", "occlusion": config.occlusion, "seed": config.seed, "prior": str(config.prior),
        "hand_model": config.hand_model, "iterations": config.iterations, "machine": machine_info(),
        "workers": config.workers, "seconds": round(time.perf_counter() - start, 1),
        "weights": {group: asdict(weights[group]) for group in config.groups()},
        "tuning": None if tuning is None else {**tuning, "chosen": {g: asdict(w) for g, w in tuning["chosen"].items()}},
        "sequences": [{"name": seen.truth.name, "frames": seen.truth.num_frames, "fps": seen.truth.fps,
                       "occluded_fraction": round(float(seen.occluded.mean()), 3),
                       "undetected_fraction": round(float(1 - seen.init.pose_observed.mean()), 3)}
                      for seen in observed],
        "methods": methods,
        "per_sequence": {seen.truth.name: {method: summarise([errors[method][k]]) for method in config.methods}
                         for k, seen in enumerate(observed)},
        "margins": _margins(methods),
    }


def markdown(report: dict[str, Any]) -> str:
    """The report's method table (all frames, then occluded frames) and the margins of the full HMP fit."""
    lines = ["| method | frames | PA-MPJPE (mm) | RA-MPJPE (mm) | RA-ACC (mm/frame^2) | RA-ACC (m/s^2) | occluded "
             "frames | occl. PA-MPJPE | occl. RA-MPJPE | occl. RA-ACC (mm/frame^2) |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for method, entry in report["methods"].items():
        every, occluded = entry["all"], entry["occluded"]
        lines.append(f"| {method} | {every['frames']} | {every['pa_mpjpe_mm']:.2f} | {every['ra_mpjpe_mm']:.2f} | "
                     f"{every['ra_acc_mm_per_frame2']:.2f} | {every['ra_acc_mm_per_s2'] / 1000:.2f} | "
                     f"{occluded['frames']} | {occluded['pa_mpjpe_mm']:.2f} | {occluded['ra_mpjpe_mm']:.2f} | "
                     f"{occluded['ra_acc_mm_per_frame2']:.2f} |")
    margins = report["margins"]
    if margins:
        lines += ["", f"hmp vs init+slerp: PA-MPJPE {margins['pa_mpjpe_gain_vs_slerp_percent']:.1f} % lower, "
                      f"RA-ACC {margins['ra_acc_factor_vs_slerp']:.1f}x lower; vs per-frame: RA-ACC "
                      f"{margins['ra_acc_factor_vs_per_frame']:.1f}x lower"]
    return "\n".join(lines)
