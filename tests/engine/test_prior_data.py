"""Prior data loaders on small generated files of each format: conventions, mirroring, SLERP resampling, filters."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
from scipy.interpolate import CubicSpline
from scipy.spatial.transform import Rotation, Slerp

from hmp_engine.hand_model import read_model_file
from hmp_engine.motion_file import HandMotion, Motion, write_motion
from hmp_engine.prior import data
from hmp_engine.prior.data import DataError, HandSequence, WindowDataset
from hmp_engine.rotations import mirror_axis_angle
from tests.paths import REPO_ROOT


def smooth_poses(seed: int, frames: int, step: int = 10, scale: float = 0.35, synergies: int = 4) -> np.ndarray:
    """(frames, 45) smooth random finger motion: a cubic spline through key poses every `step` frames, drawn
    from a few fixed random synergies (as real hands move) around a slightly bent hand."""
    basis = np.random.default_rng(1234).normal(0.0, 1.0, (synergies, 45)) / np.sqrt(synergies)
    rng = np.random.default_rng(seed)
    knots = np.arange(0, frames + 2 * step, step)
    keys = rng.normal(0.0, scale, (len(knots), synergies)) @ basis
    keys[:, 2::3] += 0.3
    return CubicSpline(knots, keys)(np.arange(frames)).astype(np.float32)


@pytest.fixture(scope="module")
def mano_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The open model standing in for the user's MANO folder, with a non-zero hands_mean and rotated PCA basis."""
    folder = tmp_path_factory.mktemp("MANO")
    model = read_model_file(REPO_ROOT / "resources" / "models" / "open_hand_right.pkl")
    rng = np.random.default_rng(7)
    model["hands_mean"] = rng.normal(0.0, 0.2, 45)
    model["hands_components"] = np.linalg.qr(rng.normal(size=(45, 45)))[0]
    for side in ("RIGHT", "LEFT"):
        with (folder / f"MANO_{side}.pkl").open("wb") as file:
            pickle.dump(model, file)
    return folder


def _mano(mano_dir: Path) -> dict:
    return read_model_file(mano_dir / "MANO_RIGHT.pkl")


def test_amass_smplh_mirrors_the_left_hand_and_resamples_120_to_30_fps(tmp_path: Path) -> None:
    frames = 122  # 121 / 120 s -> 31 frames at 30 fps
    right, left = smooth_poses(0, frames, 40), smooth_poses(1, frames, 40)
    poses = np.zeros((frames, 156), np.float32)
    poses[:, 66:111], poses[:, 111:156] = left, right
    np.savez(tmp_path / "clip_poses.npz", poses=poses, mocap_framerate=np.array(120.0), trans=np.zeros((frames, 3)))
    by_side = {seq.source.rsplit(":", 1)[1]: seq for seq in data.load_amass(tmp_path / "clip_poses.npz")}
    assert by_side["right"].num_frames == by_side["left"].num_frames == 31
    assert by_side["right"].fps == 30.0 and by_side["right"].hand_pose.dtype == np.float32
    np.testing.assert_allclose(by_side["right"].hand_pose, right[::4][:31], atol=1e-5)
    np.testing.assert_allclose(by_side["left"].hand_pose, mirror_axis_angle(left[::4][:31]), atol=1e-5)
    assert np.abs(by_side["left"].hand_pose - left[::4][:31]).max() > 0.1  # the mirror changed it


def test_amass_smplx_reads_its_columns_and_frame_rate_key(tmp_path: Path) -> None:
    right = smooth_poses(2, 40)
    poses = np.zeros((40, 165), np.float32)
    poses[:, 120:165] = right
    np.savez(tmp_path / "x.npz", poses=poses, mocap_frame_rate=np.array(30.0))
    sequences = data.load_amass(tmp_path / "x.npz")
    np.testing.assert_allclose(sequences[0].hand_pose if "right" in sequences[0].source else
                               sequences[1].hand_pose, right, atol=1e-6)


def test_amass_relative_to_the_mean_adds_hands_mean_and_needs_the_mano_dir(tmp_path: Path, mano_dir: Path) -> None:
    poses = np.zeros((10, 165), np.float32)
    np.savez(tmp_path / "rel.npz", poses=poses, mocap_frame_rate=np.array(30.0), flat_hand_mean=np.array(False))
    with pytest.raises(DataError, match="--mano-dir"):
        data.load_amass(tmp_path / "rel.npz")
    right = [seq for seq in data.load_amass(tmp_path / "rel.npz", mano_dir) if seq.source.endswith("right")][0]
    np.testing.assert_allclose(right.hand_pose[0], _mano(mano_dir)["hands_mean"], atol=1e-6)


def test_resample_interpolates_by_slerp() -> None:
    rng = np.random.default_rng(3)
    pose = rng.normal(0.0, 0.6, (4, 45))
    out = data.resample(pose, 45.0)  # 30 fps frame 1 lies half-way between 45 fps frames 1 and 2
    assert out.shape == (3, 45)
    for joint in range(15):
        pair = Rotation.from_rotvec(pose[1:3, 3 * joint: 3 * joint + 3])
        expected = Slerp([0.0, 1.0], pair)(0.5).as_rotvec()
        np.testing.assert_allclose(out[1, 3 * joint: 3 * joint + 3], expected, atol=1e-5)
    assert not np.allclose(out[1], 0.5 * (pose[1] + pose[2]), atol=1e-3)  # not a linear blend of axis-angles


def test_rotations_stored_past_half_a_turn_become_the_same_rotations_below_it() -> None:
    pose = np.zeros((3, 45))
    pose[:, 3:6] = (2 * np.pi - 0.3) * np.array([0.0, 0.6, 0.8])  # 0.3 rad about the opposite axis
    for fps in (30.0, 60.0):
        out = data.resample(pose, fps)
        np.testing.assert_allclose(out[0, 3:6], 0.3 * np.array([0.0, -0.6, -0.8]), atol=1e-6)
        np.testing.assert_allclose(Rotation.from_rotvec(out[:, 3:6]).as_matrix(),
                                   Rotation.from_rotvec(pose[: len(out), 3:6]).as_matrix(), atol=1e-6)


def _arctic(path: Path, right: np.ndarray, left: np.ndarray) -> None:
    frames = len(right)
    hand = {"rot": np.zeros((frames, 3)), "trans": np.zeros((frames, 3)), "shape": np.zeros(10)}
    np.save(path, {"right": {**hand, "pose": right}, "left": {**hand, "pose": left}}, allow_pickle=True)


def test_arctic_adds_hands_mean_and_mirrors_left(tmp_path: Path, mano_dir: Path) -> None:
    right, left = smooth_poses(4, 30), smooth_poses(5, 30)
    _arctic(tmp_path / "s01_box.npy", right, left)
    with pytest.raises(DataError, match="--mano-dir"):
        data.load_arctic(tmp_path / "s01_box.npy", None)
    mean = _mano(mano_dir)["hands_mean"]
    by_side = {seq.source.rsplit(":", 1)[1]: seq for seq in data.load_arctic(tmp_path / "s01_box.npy", mano_dir)}
    np.testing.assert_allclose(by_side["right"].hand_pose, right + mean, atol=1e-5)
    np.testing.assert_allclose(by_side["left"].hand_pose, mirror_axis_angle(left + mean), atol=1e-5)


def test_pca_coded_poses_expand_with_the_components(tmp_path: Path, mano_dir: Path) -> None:
    coefficients = np.random.default_rng(6).normal(size=(12, 6))
    _arctic(tmp_path / "pca.npy", coefficients, coefficients)
    mano = _mano(mano_dir)
    right = [seq for seq in data.load_arctic(tmp_path / "pca.npy", mano_dir) if seq.source.endswith("right")][0]
    expected = coefficients @ mano["hands_components"][:6] + mano["hands_mean"]
    np.testing.assert_allclose(right.hand_pose, expected, atol=1e-5)
    np.testing.assert_allclose(data.pose_from_pca(coefficients, mano["hands_components"]),
                               coefficients @ mano["hands_components"][:6])


def test_object_npy_that_would_run_code_is_refused(tmp_path: Path) -> None:
    class Exploit:
        def __reduce__(self) -> tuple:
            return (print, ("ran",))

    np.save(tmp_path / "evil.npy", {"right": Exploit()}, allow_pickle=True)
    with pytest.raises(DataError, match="refusing"):
        data.load_arctic(tmp_path / "evil.npy", None)


def test_motion_npz_splits_at_invalid_frames_mirrors_left_and_resamples(tmp_path: Path) -> None:
    frames = 51  # 2 s at 25 fps
    pose = smooth_poses(8, frames)
    valid = np.ones(frames, bool)
    valid[20:23] = False

    def hand(valid_frames: np.ndarray) -> HandMotion:
        return HandMotion(np.zeros((frames, 3)), pose, np.zeros(10), np.zeros((frames, 3)), valid_frames)

    write_motion(tmp_path / "m.npz", Motion(fps=25.0, hand_model="open-hand", right=hand(valid),
                                            left=hand(np.ones(frames, bool))))
    sequences = data.load_sequences([tmp_path], "motion-npz")
    assert [seq.num_frames for seq in sequences] == [23, 33, 61]  # spans of 19/25 s, 27/25 s and 2 s at 30 fps
    np.testing.assert_allclose(sequences[0].hand_pose[0], pose[0], atol=1e-5)
    np.testing.assert_allclose(sequences[2].hand_pose[0], mirror_axis_angle(pose[0]), atol=1e-5)


def test_folders_are_searched_and_mocap_ends_cropped(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    poses = np.zeros((100, 156), np.float32)
    poses[:, 111:156] = smooth_poses(9, 100)
    np.savez(tmp_path / "sub" / "a.npz", poses=poses, mocap_framerate=np.array(30.0))
    sequences = data.load_sequences([tmp_path], "amass")
    assert [seq.num_frames for seq in sequences] == [90, 90]
    with pytest.raises(DataError, match="no such file"):
        data.load_sequences([tmp_path / "missing"], "amass")
    np.savez(tmp_path / "sub" / "b.npz", poses=np.zeros((5, 99)))
    with pytest.raises(DataError, match="b.npz: not an AMASS npz"):
        data.load_sequences([tmp_path], "amass")


def test_static_filter_windows_split_and_statistics() -> None:
    moving = HandSequence(smooth_poses(10, 100), source="moving")
    still = HandSequence(np.full((100, 45), 0.2, np.float32) + np.random.default_rng(0).normal(0, 0.01, (100, 45))
                         .astype(np.float32), source="still")
    assert data.is_static(still) and not data.is_static(moving)
    dataset = WindowDataset([moving, HandSequence(smooth_poses(11, 20))], window_frames=32, stride=16)
    assert len(dataset) == 5 and dataset.num_sequences == 1  # starts 0, 16, 32, 48, 64; the short one gives none
    np.testing.assert_array_equal(dataset[2].numpy(), moving.hand_pose[32:64])
    assert dataset.batch(torch.tensor([4, 0])).shape == (2, 32, 45)
    train, held = data.split_validation([HandSequence(moving.hand_pose, source=f"s{k}") for k in range(30)])
    assert held and len(train) + len(held) == 30 and not {s.source for s in train} & {s.source for s in held}
    stats = data.normalisation_stats([moving])
    assert stats["sixd_mean"].shape == stats["sixd_std"].shape == stats["delta_std"].shape == (90,)
    assert (stats["sixd_std"] > 0).all()


def test_synthetic_loader_uses_train_seeds_and_a_held_out_validation_range() -> None:
    synthetic = pytest.importorskip("hmp_engine.prior.synthetic")
    train_seeds, validation_seeds = data.synthetic_seeds(2.0), data.synthetic_seeds(0, "validation")
    assert set(train_seeds) <= set(synthetic.TRAIN_SEEDS) and set(validation_seeds) <= set(synthetic.HELD_OUT_SEEDS)
    sequences = data.load_synthetic(train_seeds[:1], duration_s=2.0)
    assert sequences[0].hand_pose.shape == (60, 45) and sequences[0].fps == 30.0
