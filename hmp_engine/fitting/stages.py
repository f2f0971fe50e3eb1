"""One optimisation stage over all hands: Adam with a step-decayed learning rate, progress, cancel, NaN recovery.

The hands are one batched problem (every variable has the hands first), so an iteration is one pass for all of
them. Hands are independent (shared camera, separate variables): each term is a mean per hand and their sum is
minimised, Adam acts element by element, and each hand's gradient is clipped on its own, so fitting two hands
together gives each the same result as fitting it alone. Every iteration reports a
ProgressEvent (stage name, iteration, the weighted value of each active term and the total) and checks the cancel
token. A non-finite loss or gradient restores the last state whose loss was finite, halves the learning rate and
restarts Adam's moments; the stage gives up improving (keeping that state) after MAX_RECOVERIES.

A stage that does not train the pose (stage 1) holds the fingers at the initialisation's per-frame poses, not at
the pose model's start: the prior's reconstruction of a poor initialisation bent the fingers wrongly, and the wrist
turned to make them reproject (validation and real-motion figures in `presets`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import torch

from hmp_engine.fitting.presets import FitSettings, StageSettings
from hmp_engine.fitting.problem import HandProblem
from hmp_engine.progress import CancelToken, ProgressCallback, ProgressEvent

MAX_RECOVERIES = 10


@dataclass
class StageReport:
    """What a stage did: iterations run, final weighted terms (summed over hands), recoveries, wall time."""

    stage: int
    iterations: int
    losses: dict[str, float] = field(default_factory=dict)
    recoveries: int = 0
    seconds: float = 0.0


class _Stage:
    """The state of one running stage."""

    def __init__(self, problem: HandProblem, stage: StageSettings, train_pose: bool) -> None:
        self.problem, self.stage, self.train_pose = problem, stage, train_pose
        self.weighted = {name for name, weight in stage.weights.items() if weight}
        self.scaled = problem.frame_parameters() + ([(p, 1.0) for p in problem.pose_model.parameters()]
                                                    if train_pose else [])
        self.params = [param for param, _ in self.scaled]
        self.frozen: tuple[torch.Tensor, dict[str, torch.Tensor]] | None = None
        if not train_pose:
            self.frozen = (problem.initial_pose, {})  # stage 1: the initialisation's fingers

    def loss(self) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """The weighted total over hands and each active term's weighted value (summed over hands)."""
        total, values = self.params[0].new_zeros(()), dict[str, torch.Tensor]()
        pose, pose_terms = self.frozen if self.frozen is not None else self.problem.pose_model()
        terms = self.problem.terms(pose, self.weighted) | (pose_terms if self.train_pose else {})
        for name, value in terms.items():
            weight = self.stage.weight(name)
            if weight:
                weighted = weight * value.sum()
                total = total + weighted
                values[name] = weighted.detach()
        return total, values

    def optimizer(self, lr: float) -> torch.optim.Adam:
        """A fresh Adam with one parameter group per variable, at its scaled learning rate."""
        return torch.optim.Adam([{"params": [param], "lr": lr * scale} for param, scale in self.scaled])

    def snapshot(self) -> list[torch.Tensor]:
        return [p.detach().clone() for p in self.params]

    def restore(self, state: list[torch.Tensor]) -> None:
        with torch.no_grad():
            for param, value in zip(self.params, state):
                param.copy_(value)


def _finite_gradients(params: Sequence[torch.Tensor]) -> bool:
    return all(p.grad is None or bool(torch.isfinite(p.grad).all()) for p in params)


def clip_gradients_per_hand(params: Sequence[torch.Tensor], max_norm: float) -> None:
    """Scale each hand's gradients (the params' first dimension) so their joint 2-norm is at most ``max_norm``, as
    ``torch.nn.utils.clip_grad_norm_`` does for one hand's parameters."""
    grads = [p.grad for p in params if p.grad is not None]
    if not grads:
        return
    norms = torch.stack([grad.flatten(1).norm(dim=1) for grad in grads]).norm(dim=0)
    scale = (max_norm / (norms + 1e-6)).clamp(max=1.0)
    for grad in grads:
        grad.mul_(scale.reshape(-1, *([1] * (grad.dim() - 1))))


def run_stage(index: int, problem: HandProblem, settings: FitSettings, train_pose: bool,
              progress: ProgressCallback | None = None, cancel: CancelToken | None = None) -> StageReport:
    """Run stage ``index`` (1-based) of ``settings`` on the problem in place; raises Cancelled when cancelled.

    A stage that does not train the finger pose holds it fixed (`HandProblem.held_pose`).
    """
    stage = settings.stages[index - 1]
    state = _Stage(problem, stage, train_pose)
    if state.frozen is None:
        return _optimise(index, state, settings, progress, cancel)
    with problem.held_pose(state.frozen[0]):
        return _optimise(index, state, settings, progress, cancel)


def _optimise(index: int, state: _Stage, settings: FitSettings, progress: ProgressCallback | None,
              cancel: CancelToken | None) -> StageReport:
    """The iterations of `run_stage`."""
    stage = state.stage
    report, start = StageReport(index, 0), time.perf_counter()
    optimizer, halvings = state.optimizer(stage.lr), 0
    good = state.snapshot()
    for iteration in range(stage.iterations):
        if cancel is not None:
            cancel.raise_if_cancelled()
        total, values = state.loss()
        if torch.isfinite(total):
            good = state.snapshot()
            optimizer.zero_grad(set_to_none=True)
            total.backward()
        if not torch.isfinite(total) or not _finite_gradients(state.params):
            state.restore(good)
            report.recoveries, halvings = report.recoveries + 1, halvings + 1
            if report.recoveries > MAX_RECOVERIES:
                break
            optimizer = state.optimizer(stage.lr)
            continue
        clip_gradients_per_hand(state.params, settings.grad_clip)
        lr = stage.lr * settings.lr_decay ** (iteration // settings.lr_decay_every) * 0.5**halvings
        for param_group, (_, scale) in zip(optimizer.param_groups, state.scaled):
            param_group["lr"] = lr * scale
        optimizer.step()
        report.iterations = iteration + 1
        report.losses = {name: float(value) for name, value in values.items()} | {"loss": float(total.detach())}
        if progress is not None:
            progress(ProgressEvent(f"fit stage {index}", iteration + 1, stage.iterations, values=report.losses))
    with torch.no_grad():
        if not torch.isfinite(state.loss()[0]):
            state.restore(good)
    report.seconds = time.perf_counter() - start
    return report
