"""One optimisation stage over all hands: Adam with a step-decayed learning rate, progress, cancel, NaN recovery.

Hands are independent (shared camera, separate variables): their losses add, each hand's gradient is clipped on
its own, so fitting two hands together gives each the same result as fitting it alone. Every iteration reports a
ProgressEvent (stage name, iteration, the weighted value of each active term and the total) and checks the cancel
token. A non-finite loss or gradient restores the last state whose loss was finite, halves the learning rate and
restarts Adam's moments; the stage gives up improving (keeping that state) after MAX_RECOVERIES.

A stage that does not train the pose (stage 1) holds the fingers at the initialisation's per-frame poses, not at
the pose model's start: the prior's reconstruction of a poor initialisation bent the fingers wrongly, and the wrist
turned to make them reproject (validation and real-motion figures in `presets`).
"""

from __future__ import annotations

import time
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

    def __init__(self, problems: list[HandProblem], stage: StageSettings, train_pose: bool) -> None:
        self.problems, self.stage, self.train_pose = problems, stage, train_pose
        self.groups = [problem.frame_parameters() + ([(p, 1.0) for p in problem.pose_model.parameters()]
                                                     if train_pose else []) for problem in problems]
        self.scaled = [entry for group in self.groups for entry in group]
        self.params = [param for param, _ in self.scaled]
        self.frozen: list[tuple[torch.Tensor, dict[str, torch.Tensor]] | None] = [None] * len(problems)
        if not train_pose:
            self.frozen = [(problem.initial_pose, {}) for problem in problems]

    def loss(self) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """The weighted total over hands and each active term's weighted value (summed over hands)."""
        total, values = self.params[0].new_zeros(()), {}
        for problem, frozen in zip(self.problems, self.frozen):
            pose, pose_terms = frozen if frozen is not None else problem.pose_model()
            terms = problem.terms(pose) | (pose_terms if self.train_pose else {})
            for name, value in terms.items():
                weight = self.stage.weight(name)
                if weight:
                    total = total + weight * value
                    values[name] = values.get(name, 0.0) + weight * value.detach()
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


def _finite_gradients(params: list[torch.Tensor]) -> bool:
    return all(p.grad is None or bool(torch.isfinite(p.grad).all()) for p in params)


def run_stage(index: int, problems: list[HandProblem], settings: FitSettings, train_pose: bool,
              progress: ProgressCallback | None = None, cancel: CancelToken | None = None) -> StageReport:
    """Run stage ``index`` (1-based) of ``settings`` on the problems in place; raises Cancelled when cancelled."""
    stage = settings.stages[index - 1]
    state = _Stage(problems, stage, train_pose)
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
        for group in state.groups:
            torch.nn.utils.clip_grad_norm_([param for param, _ in group], settings.grad_clip)
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
