"""Training the prior: losses, schedules, validation, checkpoints every K steps, exact resume, clean stop.

Loss = rotation_weight * mean geodesic angle of the 15 local rotations (rad)
     + joint_weight * weighted mean distance of the 20 wrist-relative FK joints of the open hand (mm; fingertips
       count `tip_weight` times, so the end of the chain that shows in images matters most)
     + kl_weight(step) * KL(q(z|x) || N(0, I)), the KL weight rising linearly from kl_start at step 0 to kl_end
       at kl_warmup and constant after; the logged weight is the applied one.
Learning rate: linear warm-up over lr_warmup steps, then cosine decay to lr * lr_final at the last step.
Each step decodes `decoded_frames` random frames of every window (all when 0 or more than the window): the
decoder treats frames independently, so this is an unbiased estimate of the whole-window loss at a fraction
of the cost; the encoder always sees the whole window. Gap augmentation: with probability gap_probability a
window's encoder input has one run of gap_min..gap_max frames replaced by SLERP between its ends, while the loss
still compares with the true window; the encoder so learns to propose the motion inside a gap, which is what
fitting asks of it when it encodes an initialisation filled by SLERP through an occlusion. Every step's batch,
gaps, frames and noise come from a generator seeded by (seed, step), so a resumed run draws exactly what the
uninterrupted run would have drawn.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import torch
from torch import nn

from hmp_engine.hand_model import HandModel, load_hand_model
from hmp_engine.prior.checkpoint import build_prior, prior_state, save_checkpoint
from hmp_engine.prior.data import (
    HandSequence,
    WindowDataset,
    describe,
    is_static,
    load_sequences,
    load_synthetic,
    normalisation_stats,
    split_validation,
    synthetic_seeds,
)
from hmp_engine.prior.model import MotionPrior, PriorConfig, kl_divergence
from hmp_engine.progress import Cancelled, CancelToken, ProgressCallback, ProgressEvent
from hmp_engine.rotations import axis_angle_to_matrix, fill_rotation_gaps, geodesic_distance, matrix_to_axis_angle

TIP_JOINTS = slice(16, 21)


@dataclass(frozen=True)
class TrainSettings:
    """Optimisation settings; stored in the checkpoint and reused on resume."""

    steps: int = 30000
    batch: int = 64
    decoded_frames: int = 64
    stride: int = 8
    lr: float = 1e-3
    lr_warmup: int = 500
    lr_final: float = 0.05
    kl_start: float = 1e-6
    kl_end: float = 1e-4
    kl_warmup: int = 5000
    rotation_weight: float = 1.0
    joint_weight: float = 0.02
    tip_weight: float = 2.0
    gap_probability: float = 0.0
    gap_min: int = 5
    gap_max: int = 45
    validate_every: int = 500
    checkpoint_every: int = 1000
    seed: int = 0


def kl_weight(settings: TrainSettings, step: int) -> float:
    """Linear warm-up from kl_start to kl_end over kl_warmup steps, then constant."""
    ramp = min(1.0, step / settings.kl_warmup) if settings.kl_warmup > 0 else 1.0
    return settings.kl_start + (settings.kl_end - settings.kl_start) * ramp


def learning_rate(settings: TrainSettings, step: int) -> float:
    """Linear warm-up, then cosine decay to lr * lr_final at the last step."""
    if step < settings.lr_warmup:
        return settings.lr * (step + 1) / settings.lr_warmup
    progress = min(1.0, (step - settings.lr_warmup) / max(1, settings.steps - settings.lr_warmup))
    return settings.lr * (settings.lr_final + (1.0 - settings.lr_final) * 0.5 * (1.0 + math.cos(math.pi * progress)))


class PriorLoss(nn.Module):
    """Rotation (rad) and FK joint (mm) reconstruction errors of decoded windows against the input windows."""

    def __init__(self, hand_model: HandModel, tip_weight: float) -> None:
        super().__init__()
        self.hand_model = hand_model
        weights = torch.ones(21)
        weights[0] = 0.0
        weights[TIP_JOINTS] = tip_weight
        self.register_buffer("joint_weights", weights / weights.sum())

    def joints_mm(self, pose: torch.Tensor) -> torch.Tensor:
        """(N, 45) finger poses -> (N, 21, 3) wrist-relative joints in millimetres, wrist orientation fixed."""
        joints = self.hand_model.joints(pose.new_zeros(len(pose), 3), pose)
        return 1000.0 * (joints - joints[:, :1])

    def forward(self, rotations: torch.Tensor, target: torch.Tensor) -> dict[str, torch.Tensor]:
        """Rotations (B, T, 15, 3, 3), target (B, T, 45) axis-angle -> {'rotation', 'joints'}."""
        target_rotations = axis_angle_to_matrix(target.reshape(*target.shape[:2], 15, 3))
        rotation = geodesic_distance(rotations, target_rotations).mean()
        decoded = self.joints_mm(matrix_to_axis_angle(rotations).reshape(-1, 45))
        with torch.no_grad():
            reference = self.joints_mm(target.reshape(-1, 45))
        joints = ((decoded - reference).norm(dim=-1) * self.joint_weights).sum(-1).mean()
        return {"rotation": rotation, "joints": joints}


def slerp_gaps(windows: torch.Tensor, probability: float, shortest: int, longest: int,
               generator: torch.Generator) -> torch.Tensor:
    """Copies of (B, T, 45) windows where each, with `probability`, has one inner run of frames SLERP-filled."""
    gapped = windows.clone()
    frames = windows.shape[1]
    chosen = torch.rand(len(windows), generator=generator) < probability
    lengths = torch.randint(shortest, longest + 1, (len(windows),), generator=generator).clamp(max=frames - 2)
    offsets = torch.rand(len(windows), generator=generator)
    for index in chosen.nonzero().flatten().tolist():
        length = int(lengths[index])
        start = 1 + int(offsets[index] * (frames - 1 - length))
        visible = torch.ones(frames, dtype=torch.bool)
        visible[start:start + length] = False
        filled = fill_rotation_gaps(windows[index].reshape(frames, 15, 3).numpy(), visible.numpy())
        gapped[index] = torch.as_tensor(filled, dtype=windows.dtype).reshape(frames, -1)
    return gapped


@dataclass
class TrainData:
    """Windows to train and validate on, the statistics the encoder normalises with, and a description."""

    train: WindowDataset
    validation: WindowDataset
    normalisation: dict[str, torch.Tensor]
    description: dict


def prepare_data(sequences: list[HandSequence], validation: list[HandSequence], window_frames: int, stride: int,
                 description: dict) -> TrainData:
    """Drop near-static sequences, cut windows (validation without overlap) and compute normalisation."""
    kept = [seq for seq in sequences if not is_static(seq)]
    held = [seq for seq in validation if not is_static(seq)]
    train = WindowDataset(kept, window_frames, stride)
    if len(train) == 0:
        raise ValueError(f"no training window: every sequence is near-static or shorter than {window_frames} frames")
    description = {**description, "dropped_static": len(sequences) + len(validation) - len(kept) - len(held),
                   "train_windows": len(train), "validation_sequences": len(held)}
    return TrainData(train, WindowDataset(held, window_frames, window_frames),
                     normalisation_stats([seq for seq in kept if seq.num_frames >= window_frames]), description)


def load_data(paths: list[str], data_format: str, window_frames: int, stride: int, mano_dir: str | None = None,
              minutes: float = 120.0, pca: bool = False) -> TrainData:
    """Training data from files (held-out sequences by source hash) or the synthetic corpus (held-out seeds)."""
    if data_format == "synthetic":
        train, validation = load_synthetic(synthetic_seeds(minutes)), load_synthetic(synthetic_seeds(0, "validation"))
        inputs = [f"synthetic seeds {train[0].source}..{train[-1].source}"]
    else:
        train, validation = split_validation(load_sequences(paths, data_format, mano_dir, pca))
        inputs = paths
    return prepare_data(train, validation, window_frames, stride, describe(train + validation, data_format, inputs))


class Trainer:
    """Owns the model, optimizer and step counter; `run` trains to settings.steps, checkpointing to `output`.

    To resume, pass the checkpoint state as `resume` and its settings (`resume_settings`, optionally with more
    steps): the model, optimizer, step and history continue from it. To fine-tune, pass a checkpoint state as
    `initial`: its weights and normalisation are the start of a new run with a fresh optimizer and schedule.
    """

    def __init__(self, data: TrainData, output: Path, config: PriorConfig, settings: TrainSettings,
                 device: str | torch.device = "cpu", resume: dict | None = None, initial: dict | None = None) -> None:
        self.data, self.output, self.device = data, Path(output), torch.device(device)
        start = resume if resume is not None else initial
        if start is not None:
            self.model = build_prior(start)
        else:
            torch.manual_seed(settings.seed)
            self.model = MotionPrior(config)
            self.model.set_normalisation(data.normalisation)
        self.settings = settings
        self.model.to(self.device)
        self.loss = PriorLoss(load_hand_model("open", "right"), settings.tip_weight).to(self.device)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=settings.lr)
        self.step, self.history, self.last = 0, [], {}
        if resume is not None:
            self.optimizer.load_state_dict(resume["training"]["optimizer"])
            self.step, self.history = resume["training"]["step"], list(resume["training"]["history"])
            self.last = dict(resume["training"]["losses"])

    def _batch(self, step: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """Target windows, encoder inputs, noise and decoded frame indices of a step, reproducible from (seed, step)."""
        settings, window_frames = self.settings, self.model.window_frames
        generator = torch.Generator().manual_seed(settings.seed * 1_000_003 + step)
        indices = torch.randint(len(self.data.train), (settings.batch,), generator=generator)
        noise = torch.randn(settings.batch, self.model.latent_dim, generator=generator)
        frames = None
        if 0 < settings.decoded_frames < window_frames:
            order = torch.rand(settings.batch, window_frames, generator=generator).argsort(dim=1)
            frames = order[:, : settings.decoded_frames].sort(dim=1).values.to(self.device)
        windows = self.data.train.batch(indices)
        inputs = windows if settings.gap_probability <= 0 else slerp_gaps(
            windows, settings.gap_probability, settings.gap_min, settings.gap_max, generator)
        return windows.to(self.device), inputs.to(self.device), noise.to(self.device), frames

    def train_step(self) -> dict[str, float]:
        """One optimisation step; returns the logged losses (the KL weight logged is the one applied)."""
        settings, step = self.settings, self.step
        window, inputs, noise, frames = self._batch(step)
        for group in self.optimizer.param_groups:
            group["lr"] = learning_rate(settings, step)
        rotations, mu, logvar = self.model(inputs, noise, frames)
        target = window if frames is None else window.gather(1, frames.unsqueeze(-1).expand(-1, -1, window.shape[2]))
        terms = self.loss(rotations, target)
        kl, weight = kl_divergence(mu, logvar), kl_weight(settings, step)
        total = settings.rotation_weight * terms["rotation"] + settings.joint_weight * terms["joints"] + weight * kl
        self.optimizer.zero_grad(set_to_none=True)
        total.backward()
        nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
        self.optimizer.step()
        self.step += 1
        return {"loss": total.item(), "rotation_deg": math.degrees(terms["rotation"].item()),
                "joints_mm": terms["joints"].item(), "kl": kl.item(), "kl_weight": weight,
                "lr": self.optimizer.param_groups[0]["lr"]}

    @torch.no_grad()
    def validate(self) -> dict[str, float]:
        """Reconstruction from z = mu on the validation windows: loss without KL, rotation (deg), joints (mm), KL."""
        self.model.eval()
        sums, count = {"rotation": 0.0, "joints": 0.0, "kl": 0.0}, len(self.data.validation)
        for start in range(0, count, self.settings.batch):
            indices = torch.arange(start, min(count, start + self.settings.batch))
            window = self.data.validation.batch(indices).to(self.device)
            rotations, mu, logvar = self.model(window)
            terms = {**self.loss(rotations, window), "kl": kl_divergence(mu, logvar)}
            for name, value in terms.items():
                sums[name] += value.item() * len(indices)
        self.model.train()
        mean = {name: value / count for name, value in sums.items()}
        loss = self.settings.rotation_weight * mean["rotation"] + self.settings.joint_weight * mean["joints"]
        return {"val_loss": loss, "val_rotation_deg": math.degrees(mean["rotation"]),
                "val_joints_mm": mean["joints"], "val_kl": mean["kl"]}

    def state(self) -> dict:
        """The checkpoint state of the current step."""
        training = {"step": self.step, "settings": asdict(self.settings), "losses": self.last,
                    "history": self.history, "optimizer": self.optimizer.state_dict()}
        return prior_state(self.model, self.data.description, training)

    def save(self) -> None:
        """Write the checkpoint atomically."""
        save_checkpoint(self.output, self.state())

    def run(self, progress: ProgressCallback | None = None, cancel: CancelToken | None = None) -> dict:
        """Train to settings.steps; validate and checkpoint every K steps and at the end.

        A cancel (the CLI's Ctrl+C) is honoured between steps: the checkpoint of the last full step is written,
        then Cancelled is raised.
        """
        settings = self.settings
        self.model.train()
        started, first_step = time.monotonic(), self.step
        while self.step < settings.steps:
            self.last = logged = self.train_step()
            last = self.step == settings.steps
            if len(self.data.validation) and (self.step % settings.validate_every == 0 or last):
                logged.update(self.validate())
                self.history.append({"step": self.step, **logged})
            if self.step % settings.checkpoint_every == 0 or last:
                self.save()
            rate = (self.step - first_step) / max(time.monotonic() - started, 1e-9)
            if progress is not None:
                values = {**logged, "steps_per_s": rate}
                progress(ProgressEvent("train-prior", self.step, settings.steps, values=values))
            if cancel is not None and cancel.cancelled and not last:
                self.save()
                raise Cancelled(f"stopped at step {self.step}; checkpoint saved to {self.output}")
        return self.last


def resume_settings(state: dict, steps: int | None = None) -> TrainSettings:
    """The settings a checkpoint was trained with, with a new total step count if given."""
    settings = TrainSettings(**state["training"]["settings"])
    return settings if steps is None else replace(settings, steps=steps)


def select_device(name: str | None = None) -> torch.device:
    """The named device, else CUDA when present, else the CPU; on the CPU torch gets one thread per core."""
    device = torch.device(name or ("cuda" if torch.cuda.is_available() else "cpu"))
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError("CUDA was requested but torch sees no CUDA device")
    if device.type == "cpu":
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        torch.set_num_threads(cores or 1)
    return device
