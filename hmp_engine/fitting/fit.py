"""The HMP fit of one or two hands: stage 1 (orientation, translation, shape), stage 2 (+ finger motion), and the
optional stage 3 (+ per-frame residual finger poses around the motion stage 2 decoded, which stays fixed), for
the prior or one of the baselines.

Each hand's finger motion starts from its initialisation: HMP and PCA encode it per window (z = encoder mean),
no-prior and GMM start from the per-frame IK poses. Stage 1 holds the fingers at the per-frame IK poses for
every method (the paper holds them at the prior's reconstruction; see `stages`). Deterministic for
``settings.seed``; the inputs' values are never changed (the models and prior are moved to the device, the prior
frozen); a cancelled fit raises Cancelled.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
import torch
from torch import nn

from hmp_engine.camera import Camera
from hmp_engine.fitting.baselines import gaussian_mixture, pca_codec
from hmp_engine.fitting.hand_process import HandProcess, HandProcessError
from hmp_engine.fitting.pose_models import FramePose, PriorCodec, ResidualPose, WindowCodec, WindowedPose
from hmp_engine.fitting.presets import FitSettings
from hmp_engine.fitting.problem import HandProblem, frame_intervals
from hmp_engine.fitting.stages import StageReport, run_stage
from hmp_engine.fitting.windows import layout_windows
from hmp_engine.hand_model import HandModel
from hmp_engine.ik import single_thread
from hmp_engine.initialisation import HandInit, posed_joints_numpy
from hmp_engine.prior.model import MotionPrior
from hmp_engine.progress import CancelToken, ProgressCallback
from hmp_engine.rotations import matrix_to_axis_angle


@dataclass
class HandResult:
    """A fitted hand: MANO parameters over T frames, its joints, and the joints of its initialisation.

    valid (T,): frames in the hand's motion, observed or infilled (absent frames, such as those before the first
    and after the last with keypoints, or where the hand is out of the picture, hold values that are not
    estimates); observed (T,): frames with keypoints (valid and not observed = infilled).
    """

    side: str
    global_orient: np.ndarray
    hand_pose: np.ndarray
    betas: np.ndarray
    transl: np.ndarray
    valid: np.ndarray
    joints: np.ndarray
    init_joints: np.ndarray
    observed: np.ndarray


StageCallback = Callable[[int, dict[str, "HandResult"]], None]
"""Called with a stage's number (1-3) and the fitted hands by side at the end of that stage."""


@dataclass
class FitResult:
    """The fitted hands by side, with what each stage did."""

    hands: dict[str, HandResult]
    stages: list[StageReport] = field(default_factory=list)


def default_prior_path() -> Path:
    """The bundled motion prior checkpoint."""
    return Path(str(resources.files("hmp_resources") / "priors" / "default.pt"))


def resolve_device(name: str | torch.device | None = None) -> torch.device:
    """CUDA when present and not asked otherwise, else the CPU; ValueError if CUDA is asked for but absent."""
    if name is None or str(name) == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError("CUDA was asked for but no CUDA device is available")
    return device


def _codec(settings: FitSettings, prior: MotionPrior | None) -> WindowCodec | None:
    """The window prior of a windowed method (hmp, pca), else None."""
    if settings.method in ("no-prior", "gmm"):
        return None
    if prior is None:
        raise ValueError(f"method {settings.method!r} needs a motion prior checkpoint")
    return PriorCodec(prior) if settings.method == "hmp" else pca_codec(prior)


def _pose_model(inits: list[HandInit], settings: FitSettings, codec: WindowCodec | None, prior: MotionPrior | None,
                dt: torch.Tensor, device: torch.device) -> nn.Module:
    """The starting finger-pose model of the hands (all at the same frame times) for the settings' method."""
    lefts = [init.side == "left" for init in inits]
    poses, times = np.stack([init.hand_pose for init in inits]), inits[0].times
    present = None if all(init.present.all() for init in inits) else torch.as_tensor(
        np.stack([init.present for init in inits]), device=device)
    if codec is not None:
        span = (codec.window_frames - 1) / codec.fps
        layout = layout_windows(times, span, settings.min_overlap)
        return WindowedPose(codec, layout, times, poses, lefts, device)
    if settings.method == "gmm":
        if prior is None:
            raise ValueError("method 'gmm' needs a motion prior checkpoint (its samples train the GMM)")
        return FramePose(poses, dt, lefts, gaussian_mixture(prior), present)
    return FramePose(poses, dt, lefts, present=present)


def fit_hands(inits: dict[str, HandInit], models: dict[str, HandModel], camera: Camera, settings: FitSettings,
              prior: MotionPrior | None = None, device: str | torch.device | None = None,
              progress: ProgressCallback | None = None, cancel: CancelToken | None = None,
              on_stage: StageCallback | None = None) -> FitResult:
    """Fit every initialised hand (by side, each with its side's model) under one camera, all hands at once.

    The hands must share their frame times (a project's hands do): they are one batched problem, each hand
    fitted as it would be alone. ValueError when they do not.

    ``on_stage(stage, hands)``, if given, receives the hands as they are at the end of every stage that ran (so a
    benchmark scores stages 1 and 2 of one fit instead of repeating them).

    On the CPU torch runs each op on one thread: the ops are small, and with torch's default of one (spinning)
    thread per core an iteration took 4-40x longer than on one thread whenever another process used the cores
    (measured on 2 cores beside a training run). Where torch may use more than one thread, the hands after the
    first are fitted side by side in processes of their own (`_fit_side_by_side`).
    """
    device = resolve_device(device)
    if device.type != "cpu":
        return _fit(inits, models, camera, settings, prior, device, progress, cancel, on_stage)
    processes = cpu_fit_processes(len(inits))
    with single_thread():
        if processes > 1 and on_stage is None:
            return _fit_side_by_side(inits, models, camera, settings, prior, device, progress, cancel)
        return _fit(inits, models, camera, settings, prior, device, progress, cancel, on_stage)


def cpu_fit_processes(hands: int) -> int:
    """How many processes a CPU fit of ``hands`` hands runs in: one per hand where torch may use more than one
    thread (its default on a machine with several cores), else one (a Ray task given one CPU, for example)."""
    return hands if hands > 1 and torch.get_num_threads() > 1 else 1


def _fit_side_by_side(inits: dict[str, HandInit], models: dict[str, HandModel], camera: Camera,
                      settings: FitSettings, prior: MotionPrior | None, device: torch.device,
                      progress: ProgressCallback | None, cancel: CancelToken | None) -> FitResult:
    """Each hand fitted alone, the first here (it reports progress), the others each in a child process started
    first; a hand whose process failed is fitted here afterwards, with a warning. The stage reports are summed over
    hands as a batched fit's are, their seconds the longest hand's."""
    (first_side, first), *others = inits.items()
    children = {side: HandProcess({"inits": {side: init}, "models": {side: models[side]}, "camera": camera,
                                   "settings": settings, "prior": prior}) for side, init in others}
    try:
        results = [_fit({first_side: first}, models, camera, settings, prior, device, progress, cancel, None)]
        for side, child in children.items():
            try:
                results.append(child.result(cancel))
            except HandProcessError as error:
                warnings.warn(f"{error}; fitting the {side} hand in this process instead", RuntimeWarning,
                              stacklevel=2)
                results.append(_fit({side: inits[side]}, models, camera, settings, prior, device, None, cancel, None))
    finally:
        for child in children.values():
            child.close()
    stages = [StageReport(reports[0].stage, max(r.iterations for r in reports),
                          {name: sum(r.losses.get(name, 0.0) for r in reports)
                           for name in dict.fromkeys(n for r in reports for n in r.losses)},
                          sum(r.recoveries for r in reports), max(r.seconds for r in reports))
              for reports in zip(*(result.stages for result in results))]
    return FitResult({side: hand for result in results for side, hand in result.hands.items()}, stages)


def _fit(inits: dict[str, HandInit], models: dict[str, HandModel], camera: Camera, settings: FitSettings,
         prior: MotionPrior | None, device: torch.device, progress: ProgressCallback | None,
         cancel: CancelToken | None, on_stage: StageCallback | None) -> FitResult:
    """The body of `fit_hands` on a resolved device."""
    torch.manual_seed(settings.seed)
    prior = prior.to(device) if prior is not None else None
    codec = _codec(settings, prior)
    hand_inits = list(inits.values())
    if any(not np.array_equal(init.times, hand_inits[0].times) for init in hand_inits):
        raise ValueError("hands fitted together must share their frame times")
    dt = torch.as_tensor(np.stack([frame_intervals(init.times) for init in hand_inits]), dtype=torch.float32,
                         device=device)
    pose_model = _pose_model(hand_inits, settings, codec, prior, dt, device)
    hand_models = [models[side] for side in inits]
    problem = HandProblem(hand_inits, hand_models, camera, pose_model, device)

    def hands(fingers_held: bool = False) -> dict[str, HandResult]:
        return _results(problem, hand_inits, hand_models, fingers_held)

    reports: list[StageReport] = []

    def run(index: int) -> None:
        reports.append(run_stage(index, problem, settings, index > 1, progress, cancel))
        if on_stage is not None:
            on_stage(index, hands(fingers_held=index == 1))

    run(1)
    run(2)
    if settings.stages[2].iterations > 0 and codec is not None:
        problem.pose_model = ResidualPose(problem.pose_model, problem.joint_visibility(), problem.dt, problem.present)
        run(3)
    return FitResult(hands(), reports)


def _results(problem: HandProblem, inits: list[HandInit], models: list[HandModel],
             fingers_held: bool = False) -> dict[str, HandResult]:
    """The fitted arrays of every hand by side (in ``inits`` order, each with its model), checked finite; with
    ``fingers_held`` (after stage 1), the fingers stage 1 held rather than the pose model's."""
    with torch.no_grad():
        pose = problem.initial_pose if fingers_held else problem.pose_model()[0]
        rotation = problem.rotation()
        joints = problem.joints(pose, rotation)
        tensors = {"global_orient": matrix_to_axis_angle(rotation), "hand_pose": pose, "betas": problem.betas,
                   "transl": problem.transl, "joints": joints}
        batched = {name: value.double().cpu().numpy() for name, value in tensors.items()}
    results = {}
    for index, (init, model) in enumerate(zip(inits, models)):
        arrays = {name: value[index] for name, value in batched.items()}
        bad = [name for name, value in arrays.items() if not np.isfinite(value).all()]
        if bad:
            raise FloatingPointError(f"the {init.side} hand's fit produced non-finite {', '.join(bad)}")
        init_joints = posed_joints_numpy(model, init.global_orient, init.hand_pose, init.betas)
        results[init.side] = HandResult(side=init.side, valid=init.present.copy(), observed=init.observed.copy(),
                                        init_joints=init_joints + init.transl[:, None], **arrays)
    return results
