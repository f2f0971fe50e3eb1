"""MANO files as users download them: Python 2 chumpy pickles in the website's folders, through every entry point.

The files are made at test time from the open hand model's arrays by `mano_website_pickle` (nothing licensed is
committed); chumpy is never installed.
"""

from __future__ import annotations

import argparse
import json
import pickletools
from pathlib import Path

import numpy as np
import pytest
import torch

from hmp_engine.bench import ground_truth
from hmp_engine.cli import main, train_prior
from hmp_engine.detection import detect_video
from hmp_engine.hand_model import HandModelFileError, load_hand_model, model_file, read_model_file
from hmp_engine.hand_model.sources import open_model_file
from hmp_engine.motion_file import HandMotion, Motion, write_motion
from hmp_engine.prior.checkpoint import load_checkpoint
from hmp_engine.prior.data import load_arctic
from hmp_engine.session import Project, VideoRef, load_project
from tests.engine.mano_website_pickle import (
    Python2Object,
    Python2Pickler,
    ch,
    chumpy_state,
    website_layout,
    write_website_download,
)

HANDS_MEAN_SEED = 5


@pytest.fixture(scope="module")
def download(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`mano_v1_2/` as unzipped from the website, its pickles written the protocol 2 way (NEWOBJ)."""
    return write_website_download(tmp_path_factory.mktemp("download"), hands_mean_seed=HANDS_MEAN_SEED)


def globals_of(path: Path) -> set[str]:
    """The module-level names a pickle refers to, read from its opcodes without loading it."""
    return {arg for op, arg, _ in pickletools.genops(path.read_bytes()) if op.name == "GLOBAL"}


def random_pose(seed: int, batch: int = 6) -> tuple[torch.Tensor, ...]:
    generator = torch.Generator().manual_seed(seed)
    return (torch.randn(batch, 3, generator=generator) * 0.8, torch.randn(batch, 45, generator=generator) * 0.5,
            torch.randn(10, generator=generator), torch.randn(batch, 3, generator=generator) * 0.2)


@pytest.mark.parametrize("objects", ["newobj", "reconstructor"])
def test_website_pickles_load_without_chumpy_and_pose_like_the_open_model(tmp_path: Path, objects: str) -> None:
    root = write_website_download(tmp_path, objects)
    path = root / "models" / "MANO_RIGHT.pkl"
    assert path.read_bytes()[:2] == b"\x80\x02"
    names = globals_of(path)
    assert {"__builtin__ set", "chumpy.ch Ch", "chumpy.reordering Select", "scipy.sparse.csc csc_matrix",
            "numpy.core.multiarray _reconstruct"} <= names
    assert ("copy_reg _reconstructor" in names) == (objects == "reconstructor")
    with pytest.raises(ImportError):
        __import__("chumpy")

    data = read_model_file(path)
    reference = read_model_file(open_model_file("right"))
    assert isinstance(data["shapedirs"], np.ndarray) and data["shapedirs"].shape == reference["shapedirs"].shape
    np.testing.assert_array_equal(data["shapedirs"], reference["shapedirs"])  # the Select's 10 of the Ch's 20
    np.testing.assert_array_equal(data["J_regressor"].toarray(), reference["J_regressor"])
    assert data["bs_style"] == "lbs" and data["bs_type"] == "lrotmin" and data["hands_coeffs"].shape == (64, 45)
    assert data["f"].dtype == np.uint32 and np.array_equal(data["f"], reference["f"])

    for side in ("right", "left"):
        model, expected = load_hand_model(root, side), load_hand_model("open", side)
        assert model.path == root / "models" / f"MANO_{side.upper()}.pkl" and model.name == f"MANO_{side.upper()}"
        orient, pose, betas, transl = random_pose(3)
        got, want = model(orient, pose, betas, transl), expected(orient, pose, betas, transl)
        assert torch.allclose(got.vertices, want.vertices, atol=1e-6)
        assert torch.allclose(got.joints[:, :16], want.joints[:, :16], atol=1e-6)


def test_every_downloaded_folder_layout_finds_the_files(download: Path) -> None:
    expected = download / "models" / "MANO_LEFT.pkl"
    for folder in (download, download / "models", download.parent):
        assert model_file(folder, "left") == expected
    with pytest.raises(HandModelFileError, match=r"no right-hand MANO file in this folder \(looked for "
                                                 r"MANO_RIGHT.pkl, models/MANO_RIGHT.pkl, mano_v1_2/models/MANO_RIGHT"):
        load_hand_model(download.parent.parent, "right")


def test_chumpy_expressions_evaluate_as_chumpy_computes_them(tmp_path: Path) -> None:
    reference = read_model_file(open_model_file("right"))
    layout = website_layout(reference)
    half = reference["v_template"] / 2.0
    layout["v_template"] = Python2Object("chumpy.ch_ops", "add", chumpy_state(a=ch(half), b=ch(half)))
    posedirs = np.asarray(reference["posedirs"], dtype=np.float64)
    layout["posedirs"] = Python2Object("chumpy.reordering", "Reshape", chumpy_state(
        a=Python2Object("chumpy.reordering", "transpose", chumpy_state(a=ch(posedirs.T), axes=None)),
        newshape=posedirs.shape))
    path = tmp_path / "MANO_RIGHT.pkl"
    path.write_bytes(Python2Pickler().dumps(layout))
    data = read_model_file(path)
    np.testing.assert_allclose(data["v_template"], reference["v_template"], atol=1e-12)
    np.testing.assert_array_equal(data["posedirs"], posedirs)

    layout["v_template"] = Python2Object("chumpy.reordering", "Select", chumpy_state(a=ch(half)))
    path.write_bytes(Python2Pickler().dumps(layout))
    with pytest.raises(HandModelFileError, match="'v_template' is a chumpy expression that cannot be evaluated "
                                                 r"\(chumpy.reordering.Select without its 'idxs'\)"):
        read_model_file(path)


@pytest.mark.parametrize(("module", "name", "refused"), [
    ("__builtin__", "eval", "refusing to load builtins.eval"),
    ("posix", "system", "refusing to load posix.system"),
    ("chumpy.ch", "MatVecMult", "refusing to load chumpy.ch.MatVecMult"),
])
def test_python2_pickles_naming_other_callables_are_refused(tmp_path: Path, module: str, name: str,
                                                           refused: str) -> None:
    path = tmp_path / "MANO_RIGHT.pkl"
    path.write_bytes(Python2Pickler().dumps({"v_template": Python2Object(module, name, {})}))
    with pytest.raises(HandModelFileError, match=f"MANO_RIGHT.pkl: not a readable MANO-format pickle \\({refused}"):
        read_model_file(path)


def test_copy_reg_reconstructor_builds_only_chumpy_and_sparse_objects(tmp_path: Path) -> None:
    pickler = Python2Pickler("reconstructor")
    path = tmp_path / "MANO_RIGHT.pkl"
    path.write_bytes(pickler.dumps({"v_template": Python2Object("__builtin__", "set", {})}))
    with pytest.raises(HandModelFileError, match="refusing to reconstruct 'set'"):
        read_model_file(path)


def test_hmp_fit_with_the_downloaded_folder(download: Path, reach_video: Path, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    project_path = Project(VideoRef.from_file(reach_video), detect_video(reach_video, max_frames=12)).save(
        tmp_path / "reach.hmp")
    assert main(["fit", str(project_path), "--hand-model", str(download), "--method", "no-prior",
                 "--iterations", "2", "2", "0", "--device", "cpu"]) == 0
    assert f"wrote {project_path}" in capsys.readouterr().out
    fit = load_project(project_path).fits["right"]
    assert fit.metadata["hand_model"] == "MANO_RIGHT" and np.isfinite(fit.arrays["hand_pose"]).all()
    assert main(["fit", str(project_path), "--hand-model", str(tmp_path), "--method", "no-prior"]) == 1
    assert "looked for MANO_RIGHT.pkl" in capsys.readouterr().err


def train_prior_command(argv: list[str]) -> int:
    """Run `hmp train-prior` through its own parser."""
    parser = argparse.ArgumentParser()
    train_prior.register(parser.add_subparsers())
    args = parser.parse_args(["train-prior", *argv])
    return args.func(args)


def test_hmp_train_prior_takes_the_mean_and_pca_from_the_downloaded_folder(download: Path, tmp_path: Path) -> None:
    frames = 48
    coefficients = np.random.default_rng(2).normal(0.0, 0.3, (frames, 6))
    hand = {"rot": np.zeros((frames, 3)), "trans": np.zeros((frames, 3)), "shape": np.zeros(10), "pose": coefficients}
    np.save(tmp_path / "s01_grab.npy", {"right": hand, "left": hand}, allow_pickle=True)
    output = tmp_path / "prior.pt"
    assert train_prior_command(["--data", str(tmp_path / "s01_grab.npy"), "--format", "arctic", "--pca",
                                "--mano-dir", str(download), "--steps", "1", "--window", "32", "--latent", "8",
                                "--width", "32", "--layers", "2", "--batch", "2", "--validate-every", "1",
                                "--device", "cpu", "-o", str(output)]) == 0
    state = load_checkpoint(output)
    assert state["training"]["step"] == 1 and state["data"]["formats"] == ["arctic"]

    mano = read_model_file(download / "models" / "MANO_RIGHT.pkl")
    assert np.abs(mano["hands_mean"]).max() > 0.1  # the file's own mean, not the open model's zeros
    right = [seq for seq in load_arctic(tmp_path / "s01_grab.npy", download, pca=True) if seq.source.endswith("right")]
    np.testing.assert_allclose(right[0].hand_pose[0], coefficients[0] @ mano["hands_components"][:6]
                               + mano["hands_mean"], atol=1e-5)


def test_hmp_bench_accuracy_with_the_downloaded_folder(download: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    truth = ground_truth.synthetic_truth(ground_truth.SPLIT_SEEDS["test"][0], seconds=1.0)
    frames = len(truth.hand_pose)
    hand = HandMotion(truth.global_orient, truth.hand_pose, truth.betas, truth.transl, np.ones(frames, bool))
    motion = tmp_path / "take.npz"
    write_motion(motion, Motion(fps=30.0, hand_model="MANO_RIGHT", right=hand))
    report_path = tmp_path / "report.json"
    assert main(["bench", "accuracy", "--motion", str(motion), "--hand-model", str(download / "models"),
                 "--methods", "per-frame", "--workers", "1", "--occlusion", "none", "-o", str(report_path)]) == 0
    report = json.loads(report_path.read_text())
    assert report["hand_model"] == str(download / "models")
    assert np.isfinite(report["methods"]["per-frame"]["all"]["pa_mpjpe_mm"])
    assert f"| per-frame | {frames} |" in capsys.readouterr().out
