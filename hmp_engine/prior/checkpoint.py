"""Prior checkpoints: one torch file with the config, weights, normalisation, data description and training state.

Keys: ``format`` ("hmp-prior"), ``version``, ``config`` (PriorConfig as a dict), ``state_dict``,
``normalisation`` (encoder input statistics), ``data`` (what it was trained on), ``training`` (step, train
settings, optimizer state, loss history). Files are written atomically and read with ``weights_only=True``,
so loading a checkpoint cannot run code.
"""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path
from typing import Any

import torch

from hmp_engine.atomic import write_bytes_atomic
from hmp_engine.prior.model import MotionPrior, PriorConfig

CHECKPOINT_FORMAT = "hmp-prior"
CHECKPOINT_VERSION = 1


class CheckpointError(ValueError):
    """A checkpoint that cannot be read or written; the message names the file."""


def prior_state(model: MotionPrior, data: dict, training: dict) -> dict[str, Any]:
    """Everything a checkpoint holds, from a model and the trainer's state."""
    return {"format": CHECKPOINT_FORMAT, "version": CHECKPOINT_VERSION, "config": model.config.to_dict(),
            "state_dict": {key: value.detach().cpu() for key, value in model.state_dict().items()},
            "normalisation": model.normalisation(), "data": data, "training": training}


def save_checkpoint(path: str | os.PathLike, state: dict[str, Any]) -> None:
    """Write a checkpoint atomically: a temp file in the same folder replaces the target."""
    path = Path(path)
    buffer = io.BytesIO()
    torch.save(state, buffer)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_bytes_atomic(path, buffer.getvalue())
    except OSError as error:
        raise CheckpointError(f"{path}: cannot write checkpoint ({error.strerror or error})") from error


def load_checkpoint(path: str | os.PathLike) -> dict[str, Any]:
    """Read a checkpoint and check its format and version."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: checkpoint not found")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises many types for damaged or foreign files
        reason = str(error).splitlines()[0][:120] if zipfile.is_zipfile(path) else "not a PyTorch file"
        raise CheckpointError(f"{path}: not a readable prior checkpoint ({reason})") from error
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(f"{path}: not an HMP prior checkpoint")
    if state.get("version") != CHECKPOINT_VERSION:
        raise CheckpointError(f"{path}: prior checkpoint version {state.get('version')}; this build reads "
                              f"version {CHECKPOINT_VERSION} (retrain, or use the matching HMP Studio release)")
    return state


def build_prior(state: dict[str, Any]) -> MotionPrior:
    """The model a checkpoint state describes, with its weights and normalisation installed."""
    model = MotionPrior(PriorConfig(**state["config"]))
    model.load_state_dict(state["state_dict"])
    model.set_normalisation(state["normalisation"])
    return model


def load_prior(path: str | os.PathLike, device: str | torch.device = "cpu") -> MotionPrior:
    """A trained prior for fitting: eval mode, weights frozen (gradients flow to z only), on `device`."""
    model = build_prior(load_checkpoint(path)).to(device).eval()
    model.requires_grad_(False)
    return model
