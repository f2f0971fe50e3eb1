"""Inputs that used to give silently wrong results: frame ranges (one rule for export and render), a variable
frame rate exported without --fps, an image folder with an image of another size, a cut-short mp4."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from hmp_engine.cli import main
from hmp_engine.cli.detect import warn_if_cut_short
from hmp_engine.motion_file import read_motion
from hmp_engine.session import load_project
from hmp_engine.video import open_video
from tests.engine.worksafe_support import fitted_project


@pytest.fixture(scope="module")
def project_path(reach_video: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return fitted_project(reach_video, tmp_path_factory.mktemp("inputs"))


def last_line(capsys: pytest.CaptureFixture[str]) -> str:
    return capsys.readouterr().err.strip().splitlines()[-1]


def test_export_and_render_share_one_frame_range_rule(project_path: Path, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "motion.npz"
    assert main(["export", str(project_path), "-o", str(out), "--frames", "5:500"]) == 1
    assert "frames 5:500 are not a non-empty range of the 12 frames 0:12" in last_line(capsys)
    assert main(["render", str(project_path), "-o", str(tmp_path / "o.mp4"), "--frames", "5:500"]) == 1
    assert "frames 5:500 are not a non-empty range of the 202 frames 0:202" in last_line(capsys)
    for command, target in (("export", out), ("render", tmp_path / "o.mp4")):
        assert main([command, str(project_path), "-o", str(target), "--frames=-3:"]) == 1
        assert "negative numbers are not accepted" in last_line(capsys)
    assert not out.exists()
    assert main(["export", str(project_path), "-o", str(out), "--frames", "2:7"]) == 0
    assert read_motion(out).num_frames == 5


def test_a_variable_frame_rate_is_exported_at_its_real_times(project_path: Path, tmp_path: Path) -> None:
    project = load_project(project_path)
    times = np.arange(12) / 25.0
    times[6:] += 0.2  # five frames' time missing after frame 5, as in a variable-frame-rate recording
    project.detections.timestamps = times
    vfr = project.save(tmp_path / "vfr.hmp")
    assert main(["export", str(vfr), "-o", str(tmp_path / "motion.npz")]) == 0
    motion = read_motion(tmp_path / "motion.npz")
    assert motion.fps == 25.0 and motion.num_frames == 17  # 0 .. 0.64 s on the 25 fps grid
    right = project.fits["right"].arrays["transl"]
    np.testing.assert_allclose(motion.right.transl[16], right[11])
    np.testing.assert_allclose(motion.right.transl[8], right[5] + (right[6] - right[5]) * (0.32 - 0.2) / 0.24)


def test_an_image_folder_with_an_image_of_another_size_is_refused(reach_video: Path, tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "images"
    folder.mkdir()
    with open_video(reach_video) as video:
        for index in range(3):
            image = cv2.cvtColor(video.frame(index), cv2.COLOR_RGB2BGR)
            cv2.imwrite(str(folder / f"frame{index}.png"), cv2.resize(image, (320, 180)) if index == 2 else image)
    assert main(["detect", str(folder)]) == 1
    error = last_line(capsys)
    assert "Frame 2 of" in error and "is 320x180, not 640x360" in error
    assert not (tmp_path / "images.hmp").exists()


def test_a_cut_short_mp4_is_reported(reach_video: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cut = tmp_path / "cut.mp4"
    data = reach_video.read_bytes()
    cut.write_bytes(data[: len(data) // 3])
    with open_video(cut) as video:
        assert video.declared_frames == 202 and video.num_frames < 202
        warn_if_cut_short(video)
    assert f"states 202 frames but only {video.num_frames} can be read" in capsys.readouterr().err
    with open_video(reach_video) as whole:
        warn_if_cut_short(whole)
    assert capsys.readouterr().err == ""
