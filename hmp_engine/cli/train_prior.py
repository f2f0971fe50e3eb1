"""`hmp train-prior`: train the hand motion prior on mocap files or the synthetic corpus, with resume."""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path
from typing import TextIO

from hmp_engine.cli import CommandError
from hmp_engine.hand_model import HandModelFileError
from hmp_engine.motion_file import MotionFileError
from hmp_engine.prior.checkpoint import CheckpointError, load_checkpoint
from hmp_engine.prior.data import FORMATS, DataError
from hmp_engine.prior.model import PriorConfig, parameter_count
from hmp_engine.prior.train import Trainer, TrainSettings, load_data, resume_settings, select_device
from hmp_engine.progress import Cancelled, CancelToken, ProgressEvent

DEFAULTS = TrainSettings()
CONFIG = PriorConfig()


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `train-prior` sub-command."""
    parser = subparsers.add_parser("train-prior", help="train the hand motion prior (VAE) and write a checkpoint")
    parser.add_argument("--data", nargs="+", default=[], metavar="PATH", help="files or folders (not for synthetic)")
    parser.add_argument("--format", required=True, choices=FORMATS, help="format of the --data files")
    parser.add_argument("--mano-dir", metavar="DIR", help="MANO folder: hands_mean / PCA for arctic (and AMASS "
                                                          "files not in the flat-hand-mean convention)")
    parser.add_argument("--pca", action="store_true", help="arctic poses are PCA coefficients of the MANO file")
    parser.add_argument("--minutes", type=float, default=120.0, help="synthetic corpus size (default 120)")
    parser.add_argument("--steps", type=int, help=f"total steps (default {DEFAULTS.steps}; on resume: the run's)")
    parser.add_argument("--batch", type=int, default=DEFAULTS.batch, help=f"windows per step ({DEFAULTS.batch})")
    parser.add_argument("--lr", type=float, default=DEFAULTS.lr)
    parser.add_argument("--validate-every", type=int, default=DEFAULTS.validate_every, metavar="K")
    parser.add_argument("--checkpoint-every", type=int, default=DEFAULTS.checkpoint_every, metavar="K")
    parser.add_argument("--window", type=int, default=CONFIG.window_frames, help="frames per window at 30 fps")
    parser.add_argument("--latent", type=int, default=CONFIG.latent_dim)
    parser.add_argument("--width", type=int, default=CONFIG.width)
    parser.add_argument("--layers", type=int, default=CONFIG.layers)
    parser.add_argument("--resume", type=Path, metavar="CKPT",
                        help="continue a run from its checkpoint, its sizes and settings (only --steps may change)")
    parser.add_argument("--init-from", type=Path, metavar="CKPT",
                        help="fine-tune: start a new run (these settings, fresh optimizer) from a prior's weights")
    parser.add_argument("--gap-probability", type=float, default=DEFAULTS.gap_probability, metavar="P",
                        help="share of windows the encoder sees with a SLERP-filled gap (teaches it to infill)")
    parser.add_argument("--device", choices=("cpu", "cuda"), help="default: cuda when present")
    parser.add_argument("--seed", type=int, default=DEFAULTS.seed)
    parser.add_argument("-o", "--output", type=Path, required=True, metavar="CKPT", help="checkpoint to write")
    parser.set_defaults(func=run)


class ProgressLine:
    """Prints step, losses, steps/s and ETA every few seconds and at every validation (one line each)."""

    def __init__(self, stream: TextIO, interval_s: float = 10.0) -> None:
        self.stream, self.interval_s, self._last = stream, interval_s, -float("inf")

    def __call__(self, event: ProgressEvent) -> None:
        """Print one training progress event, at most once per interval (validation always)."""
        values, now = event.values, time.monotonic()
        validated = "val_loss" in values
        if not validated and event.done < event.total and now - self._last < self.interval_s:
            return
        self._last = now
        rate = values["steps_per_s"]
        eta = (event.total - event.done) / rate if rate > 0 else 0.0
        line = (f"step {event.done}/{event.total} loss {values['loss']:.4f} rot {values['rotation_deg']:.2f} deg "
                f"joints {values['joints_mm']:.2f} mm kl {values['kl']:.1f} (w {values['kl_weight']:.1e}) "
                f"lr {values['lr']:.1e} | {rate:.2f} steps/s ETA {int(eta // 3600)}:{int(eta % 3600 // 60):02d}")
        if validated:
            line += (f" | val loss {values['val_loss']:.4f} rot {values['val_rotation_deg']:.2f} deg "
                     f"joints {values['val_joints_mm']:.2f} mm")
        print(line, file=self.stream, flush=True)


def run(args: argparse.Namespace) -> int:
    """Load data, build or resume the trainer, train; Ctrl+C stops after the current step and saves."""
    if args.format != "synthetic" and not args.data:
        raise CommandError(f"--data is required for --format {args.format}")
    if args.resume and args.init_from:
        raise CommandError("--resume continues a run, --init-from starts a new one from a prior: give one")
    try:
        resume = load_checkpoint(args.resume) if args.resume else None
        initial = load_checkpoint(args.init_from) if args.init_from else None
        sized_by = resume or initial
        config = (PriorConfig(**sized_by["config"]) if sized_by else
                  PriorConfig(window_frames=args.window, latent_dim=args.latent, width=args.width, layers=args.layers))
        settings = resume_settings(resume, args.steps) if resume else TrainSettings(
            steps=args.steps or DEFAULTS.steps, batch=args.batch, lr=args.lr, validate_every=args.validate_every,
            checkpoint_every=args.checkpoint_every, seed=args.seed, gap_probability=args.gap_probability,
            kl_warmup=0 if initial else DEFAULTS.kl_warmup)  # a prior to fine-tune has had its KL warm-up
        device = select_device(args.device)
        data = load_data(args.data, args.format, config.window_frames, settings.stride, args.mano_dir,
                         args.minutes, args.pca)
        if initial:
            data.description["initialised_from"] = {"checkpoint": str(args.init_from),
                                                    "step": initial["training"].get("step"), "data": initial["data"]}
        trainer = Trainer(data, args.output, config, settings, device, resume, initial)
    except (CheckpointError, DataError, MotionFileError, HandModelFileError, ValueError) as error:
        raise CommandError(str(error)) from error
    description = data.description
    if resume and {key: resume["data"].get(key) for key in ("formats", "sequences")} != {
            key: description[key] for key in ("formats", "sequences")}:
        print(f"warning: resuming on other data than {args.resume} was trained on ({resume['data']})", file=sys.stderr)
    print(f"training on {description['sequences']} sequences, {description['minutes']:.1f} min, "
          f"{description['train_windows']} windows ({description['dropped_static']} near-static dropped); "
          f"{parameter_count(trainer.model):,} parameters on {device}; from step {trainer.step}", file=sys.stderr)
    cancel = CancelToken()

    def interrupted(*_: object) -> None:
        """First Ctrl+C: stop after the current step (and save); a second one interrupts as usual."""
        cancel.cancel()
        signal.signal(signal.SIGINT, previous)

    previous = signal.signal(signal.SIGINT, interrupted)
    try:
        trainer.run(ProgressLine(sys.stderr), cancel)
    except Cancelled as stop:
        print(f"hmp train-prior: interrupted: {stop}", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGINT, previous)
    print(f"wrote {args.output} at step {trainer.step}")
    return 0
