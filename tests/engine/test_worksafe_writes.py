"""The write rule: no command replaces an input, the source video, a video or another project unasked; writes
keep the target's permissions and refuse read-only targets."""

from __future__ import annotations

import dataclasses
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from hmp_engine.cli import main
from hmp_engine.session import ProjectError, load_project
from hmp_engine.write_rule import WriteRefused, check_target
from tests.engine.worksafe_support import fingerprint, fitted_project


@pytest.fixture(scope="module")
def fitted(reach_video: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return fitted_project(reach_video, tmp_path_factory.mktemp("worksafe"))


@pytest.fixture()
def project_path(fitted: Path, tmp_path: Path) -> Path:
    """A fresh copy of the fitted project and its video in this test's folder."""
    shutil.copy(fitted.with_name("clip.mp4"), tmp_path / "clip.mp4")
    project = load_project(fitted)
    project.video = dataclasses.replace(project.video, path=str(tmp_path / "clip.mp4"))
    return project.save_copy(tmp_path / "clip.hmp")


def refused(argv: list[str], capsys: pytest.CaptureFixture[str], protected: Path, reason: str) -> None:
    """The command exits 1 with a one-line message naming the reason, and ``protected`` is unchanged."""
    before = fingerprint(protected)
    assert main(argv) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and reason in err and "--force" in err, err
    assert fingerprint(protected) == before


def test_render_and_export_refuse_the_source_video_and_the_project(project_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    video = project_path.with_name("clip.mp4")
    refused(["render", str(project_path), "-o", str(video)], capsys, video, "source video")
    refused(["render", str(project_path), "-o", str(project_path)], capsys, project_path, "input of this command")
    for kind in ("npz", "glb"):
        refused(["export", str(project_path), "-o", str(project_path), "--format", kind], capsys, project_path,
                "input of this command")
    other = shutil.copy(video, project_path.with_name("other.mp4"))
    refused(["export", str(project_path), "-o", str(other), "--format", "glb"], capsys, Path(other), "is a video")
    assert main(["export", str(project_path), "-o", str(other), "--format", "glb", "--force"]) == 0
    assert Path(other).read_bytes()[:4] == b"glTF"


def test_fit_refuses_to_replace_another_project(project_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    other = project_path.with_name("other.hmp")
    shutil.copy(project_path, other)
    refused(["fit", str(project_path), "-o", str(other)], capsys, other, "another project")
    assert main(["fit", str(project_path), "-o", str(other), "--iterations", "1", "1", "0", "--force"]) == 0
    assert load_project(other).fits["right"].metadata["fit"]


def test_saves_and_exports_keep_permissions_and_refuse_read_only(project_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    os.chmod(project_path, 0o600)
    project = load_project(project_path)
    project.weights["note"] = 1
    project.save()
    assert project_path.stat().st_mode & 0o777 == 0o600
    motion = project_path.with_name("motion.npz")
    assert main(["export", str(project_path), "-o", str(motion)]) == 0
    os.chmod(motion, 0o640)
    assert main(["export", str(project_path), "-o", str(motion)]) == 0
    assert motion.stat().st_mode & 0o777 == 0o640

    os.chmod(project_path, 0o444)
    before = fingerprint(project_path)
    with pytest.raises(ProjectError, match="read-only"):
        project.save()
    assert main(["fit", str(project_path), "--iterations", "1", "1", "0"]) == 1
    err = capsys.readouterr().err
    assert "read-only" in err and len(err.strip().splitlines()) == 1
    assert fingerprint(project_path) == before
    os.chmod(motion, 0o444)
    assert main(["export", str(project_path), "-o", str(motion), "--force"]) == 1
    assert "read-only" in capsys.readouterr().err


def test_the_rule_for_studio_exports(project_path: Path) -> None:
    project = load_project(project_path)
    with pytest.raises(WriteRefused, match="input of this command"):
        check_target(project_path, "file", inputs=[project.path], source_video=project.video.path)
    with pytest.raises(WriteRefused, match="source video"):
        check_target(project.video.path, "video", inputs=[project.path], source_video=project.video.path)
    check_target(project_path, "project", opened=project.path)  # saving the open project is its job
    fresh = project_path.with_name("fresh.npz")
    np.savez(fresh, a=np.zeros(1))
    check_target(fresh, "file", inputs=[project.path], source_video=project.video.path)  # a re-export


def test_detect_refuses_a_read_only_project_before_detecting(project_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    os.chmod(project_path, 0o444)
    before = fingerprint(project_path)
    assert main(["detect", str(project_path.with_name("clip.mp4")), "-o", str(project_path), "--force"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "read-only" in err[0]  # no detection progress before it
    assert fingerprint(project_path) == before
