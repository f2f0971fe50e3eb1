"""`hmp bench accuracy --motion` and `hmp bench prior --motion` read the formats `hmp train-prior` reads (tiny
generated files of each format; no licensed data)."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pytest
from scipy.interpolate import CubicSpline

from hmp_engine.bench import ground_truth
from hmp_engine.cli import main
from hmp_engine.hand_model import load_hand_model, read_model_file
from hmp_engine.initialisation import posed_joints_numpy
from hmp_engine.motion_file import HandMotion, Motion, write_motion
from hmp_engine.rotations import mirror_axis_angle
from tests.paths import REPO_ROOT


def smooth(seed: int, frames: int, columns: int, scale: float = 0.3) -> np.ndarray:
    """(frames, columns) smooth random values: a cubic spline through normal key frames every 15 frames."""
    knots = np.arange(0, frames + 30, 15)
    keys = np.random.default_rng(seed).normal(0.0, scale, (len(knots), columns))
    return CubicSpline(knots, keys)(np.arange(frames))


@pytest.fixture(scope="module")
def mano_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The open model standing in for a MANO folder, with a non-zero hands_mean (which ARCTIC poses are relative to)."""
    folder = tmp_path_factory.mktemp("MANO")
    model = read_model_file(REPO_ROOT / "resources" / "models" / "open_hand_right.pkl")
    model["hands_mean"] = np.random.default_rng(7).normal(0.0, 0.2, 45)
    for side in ("RIGHT", "LEFT"):
        with (folder / f"MANO_{side}.pkl").open("wb") as file:
            pickle.dump(model, file)
    return folder


def arctic_file(path: Path, frames: int) -> dict:
    """An ARCTIC-style MANO dict of two hands (poses relative to the mean), saved as an object .npy."""
    hands = {side: {"rot": smooth(k, frames, 3, 0.4), "pose": smooth(k + 2, frames, 45),
                    "trans": smooth(k + 4, frames, 3, 0.05), "shape": np.linspace(-0.5, 0.5, 10)}
             for k, side in enumerate(("right", "left"))}
    np.save(path, hands, allow_pickle=True)
    return hands


def test_arctic_hands_keep_their_side_orientation_and_shape_cut_to_frames(tmp_path: Path, mano_dir: Path) -> None:
    hands = arctic_file(tmp_path / "s0_box.mano.npy", 40)
    recipes = ground_truth.file_recipes(tmp_path / "s0_box.mano.npy", str(mano_dir), "arctic", str(mano_dir), 25)
    truths = {truth.side: truth for truth in (recipe() for recipe in recipes)}
    mean = read_model_file(mano_dir / "MANO_RIGHT.pkl")["hands_mean"]
    for side, truth in truths.items():
        assert truth.num_frames == 25 and truth.name == f"{tmp_path.name}/s0_box.mano.npy {side}"
        np.testing.assert_allclose(truth.hand_pose, hands[side]["pose"][:25] + mean, atol=1e-9)
        np.testing.assert_allclose(truth.global_orient, hands[side]["rot"][:25], atol=1e-9)
        np.testing.assert_allclose(truth.betas, hands[side]["shape"])
        # the capture's motion is kept; only its place moves, mean wrist 0.5 m in front of the camera
        model = load_hand_model(str(mano_dir), side)
        joints = truth.joints(model)
        np.testing.assert_allclose(joints[:, 0].mean(axis=0), [0.0, 0.0, ground_truth.FILE_DEPTH], atol=1e-9)
        original = posed_joints_numpy(model, truth.global_orient, truth.hand_pose, truth.betas) \
            + hands[side]["trans"][:25, None]
        np.testing.assert_allclose(np.diff(joints, axis=0), np.diff(original, axis=0), atol=1e-9)


def test_amass_fingers_are_placed_like_the_built_in_set_left_mirrored(tmp_path: Path) -> None:
    poses = np.zeros((60, 156))
    poses[:, 66:111], poses[:, 111:156] = smooth(1, 60, 45), smooth(2, 60, 45)
    np.savez(tmp_path / "walk_poses.npz", poses=poses, mocap_framerate=np.array(60.0))
    recipes = ground_truth.file_recipes(tmp_path / "walk_poses.npz", "open", "amass")
    left = [recipe() for recipe in recipes if recipe().name.endswith("left")][0]
    assert left.side == "right" and left.num_frames == 30 and left.fps == 30.0  # 60 fps resampled, mirrored
    np.testing.assert_allclose(left.hand_pose[0], mirror_axis_angle(poses[0, 66:111]), atol=1e-5)
    depth = left.joints(load_hand_model("open", "right"))[..., 2]
    assert 0.3 < depth.min() and depth.max() < 0.8


def test_bench_accuracy_scores_arctic_files_and_prior_reconstructs_their_windows(
        tmp_path: Path, mano_dir: Path, capsys: pytest.CaptureFixture) -> None:
    folder = tmp_path / "captures"
    folder.mkdir()
    arctic_file(folder / "s0_box.mano.npy", 150)
    report_path = tmp_path / "accuracy.json"
    assert main(["bench", "accuracy", "--motion", str(folder), "--format", "arctic", "--hand-model", str(mano_dir),
                 "--frames", "30", "--methods", "per-frame", "init+slerp", "--workers", "1",
                 "-o", str(report_path)]) == 0
    report = json.loads(report_path.read_text())
    assert [entry["name"] for entry in report["sequences"]] == ["captures/s0_box.mano.npy right",
                                                                "captures/s0_box.mano.npy left"]
    assert all(entry["frames"] == 30 for entry in report["sequences"])
    assert 0 < report["methods"]["init+slerp"]["all"]["pa_mpjpe_mm"] < 50
    prior_path = tmp_path / "prior.json"
    assert main(["bench", "prior", "--motion", str(folder), "--format", "arctic", "--mano-dir", str(mano_dir),
                 "--motion-only", "-o", str(prior_path)]) == 0
    sets = json.loads(prior_path.read_text())["sets"]
    assert list(sets) == ["real: --motion files (2 sequences)"] and sets[list(sets)[0]]["windows"] == 2
    assert sets[list(sets)[0]]["reconstruction"]["angle_deg"] > 0
    per_joint = sets[list(sets)[0]]["reconstruction_joint_angle_deg"]
    assert list(per_joint)[:3] == ["index_mcp", "index_pip", "index_dip"] and len(per_joint) == 15
    assert np.mean(list(per_joint.values())) == pytest.approx(sets[list(sets)[0]]["reconstruction"]["angle_deg"],
                                                              abs=0.01)
    assert "| thumb (deg) | index (deg) |" in capsys.readouterr().out


def test_motion_options_fail_in_one_line(tmp_path: Path, mano_dir: Path, capsys: pytest.CaptureFixture) -> None:
    arctic_file(tmp_path / "a.npy", 20)
    hand = HandMotion(np.zeros((20, 3)), smooth(3, 20, 45), np.zeros(10), np.zeros((20, 3)), np.ones(20, bool))
    write_motion(tmp_path / "m.npz", Motion(fps=30.0, hand_model="open", right=hand))
    cases = [["accuracy", "--motion", str(tmp_path / "a.npy"), "--format", "arctic"],  # no MANO folder for the mean
             ["accuracy", "--motion", str(tmp_path / "missing"), "--format", "arctic"],
             ["accuracy", "--frames", "10"],
             ["prior", "--motion-only"],
             ["prior", "--motion", str(tmp_path / "m.npz"), "--format", "amass", "--motion-only"]]
    for case in cases:
        assert main(["bench", *case, "-o", str(tmp_path / "r.json")]) != 0
        error = capsys.readouterr().err.strip()
        assert error.count("\n") == 0 and "Traceback" not in error, error
    assert not (tmp_path / "r.json").exists()
