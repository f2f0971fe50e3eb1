"""Training the prior: the loss falls, checkpoints round-trip, resume is exact, stops save, the CLI works."""

from __future__ import annotations

import argparse
import copy
from pathlib import Path

import numpy as np
import pytest
import torch

from hmp_engine.cli import CommandError, train_prior
from hmp_engine.motion_file import HandMotion, Motion, write_motion
from hmp_engine.prior.checkpoint import CheckpointError, load_checkpoint, load_prior, save_checkpoint
from hmp_engine.prior.data import HandSequence
from hmp_engine.prior.latent_fit import fit_latent
from hmp_engine.prior.model import PriorConfig
from hmp_engine.prior.train import Trainer, TrainSettings, kl_weight, learning_rate, prepare_data, slerp_gaps
from hmp_engine.progress import Cancelled, CancelToken
from hmp_engine.rotations import fill_rotation_gaps
from tests.engine.test_prior_data import smooth_poses

CONFIG = PriorConfig(window_frames=32, latent_dim=16, width=64, layers=3, frequencies=6, encoder_width=32)
SETTINGS = TrainSettings(steps=50, batch=16, decoded_frames=16, lr=3e-3, lr_warmup=5, kl_warmup=20, validate_every=25,
                         checkpoint_every=1000)


@pytest.fixture(scope="module")
def data():
    train = [HandSequence(smooth_poses(seed, 150, step=12, scale=0.3), source=f"train{seed}") for seed in range(8)]
    validation = [HandSequence(smooth_poses(100 + seed, 64, step=12, scale=0.3), source="val") for seed in range(2)]
    return prepare_data(train, validation, CONFIG.window_frames, 8, {"formats": ["test"], "sequences": 10})


def test_schedules_are_what_they_say() -> None:
    settings = TrainSettings(kl_start=1e-6, kl_end=1e-4, kl_warmup=100, lr=1e-3, lr_warmup=10, steps=110,
                             lr_final=0.1)
    assert kl_weight(settings, 0) == 1e-6 and kl_weight(settings, 100) == kl_weight(settings, 5000) == 1e-4
    assert kl_weight(settings, 50) == pytest.approx(0.5 * (1e-6 + 1e-4))
    assert learning_rate(settings, 4) == pytest.approx(5e-4) and learning_rate(settings, 10) == pytest.approx(1e-3)
    assert learning_rate(settings, 110) == pytest.approx(1e-4)


@torch.no_grad()
def reconstruction_loss(trainer: Trainer, windows: torch.Tensor) -> float:
    """The training objective without KL, from z = mu, on fixed windows."""
    terms = trainer.loss(trainer.model(windows)[0], windows)
    return (terms["rotation"] + SETTINGS.joint_weight * terms["joints"]).item()


def test_fifty_steps_lower_the_loss_and_the_checkpoint_round_trips(data, tmp_path: Path) -> None:
    trainer = Trainer(data, tmp_path / "prior.pt", CONFIG, SETTINGS)
    windows = data.train.batch(torch.arange(0, len(data.train), 2))
    before, validation_before = reconstruction_loss(trainer, windows), trainer.validate()["val_loss"]
    logged = trainer.run()
    assert trainer.step == 50 and [entry["step"] for entry in trainer.history] == [25, 50]
    assert reconstruction_loss(trainer, windows) < 0.8 * before
    assert trainer.history[-1]["val_loss"] < validation_before
    assert logged["kl_weight"] == kl_weight(SETTINGS, 49)
    prior = load_prior(tmp_path / "prior.pt")
    z = torch.randn(3, CONFIG.latent_dim)
    trainer.model.eval()
    assert torch.equal(prior.decode(z), trainer.model.decode(z))
    window = data.validation.batch(torch.tensor([0]))
    assert torch.equal(prior.encode_mean(window), trainer.model.encode_mean(window))
    state = load_checkpoint(tmp_path / "prior.pt")
    assert state["config"] == CONFIG.to_dict() and state["data"]["train_windows"] == len(data.train)
    assert set(state["normalisation"]) == {"sixd_mean", "sixd_std", "delta_std"}
    assert state["training"]["step"] == 50 and state["training"]["losses"]["kl_weight"] == logged["kl_weight"]
    assert not any(p.requires_grad for p in prior.parameters())


def test_gap_augmentation_slerps_one_inner_run_and_keeps_the_rest(data) -> None:
    windows = data.train.batch(torch.arange(6))
    assert torch.equal(slerp_gaps(windows, 0.0, 5, 10, torch.Generator().manual_seed(0)), windows)
    gapped = slerp_gaps(windows, 1.0, 5, 10, torch.Generator().manual_seed(0))
    for window, augmented in zip(windows.numpy(), gapped.numpy()):
        changed = np.flatnonzero(np.abs(window - augmented).max(axis=1) > 1e-6)
        assert 1 <= len(changed) <= 10 and changed[0] > 0 and changed[-1] < len(window) - 1
        visible = np.ones(len(window), bool)
        visible[changed[0]:changed[-1] + 1] = False
        slerped = fill_rotation_gaps(window.reshape(-1, 15, 3), visible).reshape(-1, 45)
        np.testing.assert_allclose(augmented, slerped, atol=1e-5)


def test_resume_continues_exactly(data, tmp_path: Path) -> None:
    settings = TrainSettings(**{**SETTINGS.__dict__, "steps": 6, "checkpoint_every": 3})
    straight = Trainer(data, tmp_path / "straight.pt", CONFIG, settings)
    straight.run()
    first = Trainer(data, tmp_path / "half.pt", CONFIG, TrainSettings(**{**settings.__dict__, "steps": 3}))
    first.run()
    resumed = Trainer(data, tmp_path / "half.pt", CONFIG, settings, resume=load_checkpoint(tmp_path / "half.pt"))
    assert resumed.step == 3
    resumed.run()
    for (name, a), b in zip(straight.model.state_dict().items(), resumed.model.state_dict().values()):
        assert torch.equal(a, b), name


def test_cancel_saves_the_last_full_step(data, tmp_path: Path) -> None:
    cancel = CancelToken()
    trainer = Trainer(data, tmp_path / "stop.pt", CONFIG, SETTINGS)

    def stop_at_four(event) -> None:
        if event.done == 4:
            cancel.cancel()

    with pytest.raises(Cancelled, match="step 4"):
        trainer.run(stop_at_four, cancel)
    assert load_checkpoint(tmp_path / "stop.pt")["training"]["step"] == 4


def test_checkpoints_of_another_kind_or_version_are_refused(data, tmp_path: Path) -> None:
    state = Trainer(data, tmp_path / "x.pt", CONFIG, SETTINGS).state()
    save_checkpoint(tmp_path / "old.pt", {**copy.deepcopy(state), "version": 0})
    with pytest.raises(CheckpointError, match="old.pt: prior checkpoint version 0"):
        load_prior(tmp_path / "old.pt")
    torch.save({"weights": torch.zeros(2)}, tmp_path / "other.pt")
    with pytest.raises(CheckpointError, match="not an HMP prior"):
        load_checkpoint(tmp_path / "other.pt")
    with pytest.raises(CheckpointError, match="not found"):
        load_checkpoint(tmp_path / "missing.pt")


def test_latent_fit_follows_the_visible_frames(data, tmp_path: Path) -> None:
    trainer = Trainer(data, tmp_path / "p.pt", CONFIG, SETTINGS)
    trainer.run()
    prior = load_prior(tmp_path / "p.pt")
    observed = data.validation.batch(torch.tensor([0]))[0].numpy()
    visible = np.ones(32, bool)
    visible[12:20] = False
    start = prior.decode(prior.encode_mean(torch.from_numpy(observed)[None]))[0].numpy()
    fitted = fit_latent(prior, observed, visible, iterations=60)
    assert fitted.shape == (32, 45)
    error = lambda pose: np.abs(pose[visible] - observed[visible]).mean()  # noqa: E731
    assert error(fitted) < error(start)
    joints = trainer.loss.joints_mm(torch.from_numpy(observed)).numpy() / 1000.0
    assert fit_latent(prior, joints, visible, iterations=5, initial_pose=observed).shape == (32, 45)


def train_prior_command(argv: list[str]) -> int:
    """Run `hmp train-prior` through its own parser (independent of other sub-commands' imports)."""
    parser = argparse.ArgumentParser()
    train_prior.register(parser.add_subparsers())
    args = parser.parse_args(["train-prior", *argv])
    return args.func(args)


def test_cli_trains_on_motion_files_and_resumes(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    for index in range(3):
        pose = smooth_poses(index, 90)
        hand = HandMotion(np.zeros((90, 3)), pose, np.zeros(10), np.zeros((90, 3)), np.ones(90, bool))
        write_motion(tmp_path / f"clip{index}.npz", Motion(fps=30.0, hand_model="open-hand", right=hand))
    sizes = ["--window", "32", "--latent", "8", "--width", "32", "--layers", "2", "--batch", "4"]
    output = tmp_path / "cli.pt"
    assert train_prior_command(["--data", str(tmp_path), "--format", "motion-npz", "--steps", "4",
                 "--validate-every", "2", "--device", "cpu", *sizes, "-o", str(output)]) == 0
    assert "step 4/4" in capsys.readouterr().err
    assert train_prior_command(["--data", str(tmp_path), "--format", "motion-npz", "--steps", "6",
                 "--resume", str(output), "-o", str(output)]) == 0
    state = load_checkpoint(output)
    assert state["training"]["step"] == 6 and state["data"]["formats"] == ["motion-npz"]
    assert state["data"]["sequences"] == 3 and state["config"]["latent_dim"] == 8
    tuned = tmp_path / "tuned.pt"
    assert train_prior_command(["--data", str(tmp_path), "--format", "motion-npz", "--steps", "2", "--batch", "4",
                                "--init-from", str(output), "--gap-probability", "0.5", "-o", str(tuned)]) == 0
    tuned_state = load_checkpoint(tuned)
    assert tuned_state["training"]["step"] == 2 and tuned_state["config"] == state["config"]
    assert tuned_state["training"]["settings"]["gap_probability"] == 0.5
    assert tuned_state["data"]["initialised_from"]["step"] == 6
    with pytest.raises(CommandError, match="give one"):
        train_prior_command(["--format", "synthetic", "--resume", str(output), "--init-from", str(output),
                             "-o", str(tuned)])
    with pytest.raises(CommandError, match="--data is required"):
        train_prior_command(["--format", "amass", "-o", str(output)])
    with pytest.raises(CommandError, match="missing: no such file"):
        train_prior_command(["--data", str(tmp_path / "missing"), "--format", "amass", "-o", str(output)])
