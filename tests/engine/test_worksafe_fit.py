"""`hmp fit` checks its arguments before any long work, keeps a finished detection when the fit is stopped, and
never rewrites the project when --save-motion cannot be written."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hmp_engine.cli import fit as fit_command
from hmp_engine.cli import main
from hmp_engine.session import load_project
from tests.engine.worksafe_support import fingerprint, fitted_project


@pytest.fixture()
def video(reach_video: Path, tmp_path: Path) -> Path:
    return Path(shutil.copy(reach_video, tmp_path / "clip.mp4"))


def one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    """The command's stderr, which must be a single line (no detection progress ran before it)."""
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def test_a_bad_prior_hand_model_or_focal_is_refused_before_detection(video: Path, tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes, not a checkpoint\n")
    assert main(["fit", str(video), "--prior", str(notes)]) == 1
    error = one_line_error(capsys)
    assert "not a readable prior checkpoint (not a PyTorch file)" in error and "weights_only" not in error
    assert main(["fit", str(video), "--hand-model", str(tmp_path / "no_such_mano")]) == 1
    assert "no_such_mano" in one_line_error(capsys)
    assert main(["fit", str(video), "--focal", "0"]) == 1
    assert one_line_error(capsys) == "hmp fit: --focal must be a positive number of pixels, not 0"
    assert not video.with_suffix(".hmp").exists()


def test_a_stopped_fit_keeps_the_finished_detection(video: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    class StoppedAtOnce(fit_command.StageProgress):
        """Ctrl+C as the fit starts."""

        def __call__(self, event: object) -> None:
            raise KeyboardInterrupt

    monkeypatch.setattr(fit_command, "StageProgress", StoppedAtOnce)
    assert main(["fit", str(video)]) == 130
    project = load_project(video.with_suffix(".hmp"))
    assert project.detections is not None and project.detections.num_frames == 202 and not project.fits


def test_an_unwritable_save_motion_leaves_the_project_as_it_was(reach_video: Path, tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    project_path = fitted_project(reach_video, tmp_path)
    before = fingerprint(project_path)
    assert main(["fit", str(project_path), "--save-motion", str(tmp_path / "missing" / "m.npz")]) == 1
    assert "cannot write" in one_line_error(capsys)
    assert fingerprint(project_path) == before
