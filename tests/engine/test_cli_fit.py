"""`hmp fit` through the CLI entry point: a 25 fps video detected then fitted, a project refitted, bad inputs."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from hmp_engine.cli import main
from hmp_engine.fitting import FitSettings
from hmp_engine.motion_file import read_motion
from hmp_engine.session import load_project


def test_fit_a_video_then_refit_its_project(reach_video: Path, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    video = Path(shutil.copy(reach_video, tmp_path))
    motion_path = tmp_path / "reach.npz"
    assert main(["fit", str(video), "--iterations", "40", "40", "20", "--save-motion", str(motion_path)]) == 0
    captured = capsys.readouterr()
    project_path = tmp_path / "open_hand_reach_360p25.hmp"
    assert "detect [" in captured.err and "fit stage 2 [" in captured.err and "40/40 it" in captured.err
    assert "right: median reprojection error" in captured.out and "mm/frame^2" in captured.out
    assert f"wrote {project_path} and {motion_path}" in captured.out

    project = load_project(project_path)
    fit = project.fits["right"]
    assert fit.arrays["hand_pose"].shape == (202, 45) and fit.arrays["valid"].all()
    assert fit.metadata["method"] == "hmp" and fit.metadata["preset"] == "wild"
    assert fit.metadata["fit"]["acceleration_mm_per_frame2"] < fit.metadata["init"]["acceleration_mm_per_frame2"]
    settings = FitSettings.from_dict(project.weights)
    assert [stage.iterations for stage in settings.stages] == [40, 40, 20]

    motion = read_motion(motion_path)
    assert motion.fps == 25.0 and motion.num_frames == 202 and motion.left is None
    assert motion.right.joints.shape == (202, 21, 3) and np.allclose(motion.right.transl, fit.arrays["transl"])

    assert main(["fit", str(video)]) == 1
    assert "already exists" in capsys.readouterr().err

    project.weights["stages"][1]["weights"]["2d"] = 0.07  # an edited weight is kept by a refit
    project.save()
    assert main(["fit", str(project_path), "--iterations", "5", "5"]) == 0
    refit = load_project(project_path)
    assert refit.weights["stages"][1]["weights"]["2d"] == 0.07 and refit.fits["right"].metadata["preset"] == "wild"
    assert main(["fit", str(project_path), "--method", "no-prior", "--preset", "lab", "--iterations", "5", "5"]) == 0
    assert load_project(project_path).fits["right"].metadata["method"] == "no-prior"


def test_fit_reports_bad_inputs(reach_video: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fit", str(tmp_path / "missing.mp4")]) == 1
    assert "hmp fit:" in capsys.readouterr().err
    assert main(["fit", str(tmp_path / "missing.hmp")]) == 1
    assert "missing.hmp" in capsys.readouterr().err
    if not torch.cuda.is_available():
        assert main(["fit", str(reach_video), "--device", "cuda", "-o", str(tmp_path / "x.hmp")]) == 1
        assert "CUDA" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["fit", str(reach_video), "--method", "magic"])
