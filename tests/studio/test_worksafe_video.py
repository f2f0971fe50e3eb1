"""The project's video is checked against its stored identity: another video at its path is refused with a way
on (`--relink`, File > Relink Video), a moved or re-encoded copy with the same frames is accepted."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog

from hmp_engine.cli import main
from hmp_engine.session import load_project
from hmp_engine.session.video_identity import VideoMismatch, check_video
from hmp_studio.main_window import MainWindow
from tests.engine.worksafe_support import fingerprint, fitted_project
from tests.studio.gui_helpers import open_and_show


@pytest.fixture()
def project_path(reach_video: Path, tmp_path: Path) -> Path:
    return fitted_project(reach_video, tmp_path)


def test_render_refuses_another_video_at_the_projects_path(project_path: Path, sample_video: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    video = project_path.with_name("clip.mp4")
    moved = Path(shutil.move(video, project_path.with_name("moved.mp4")))
    shutil.copy(sample_video, video)  # another video where the project's was
    before = fingerprint(project_path)
    assert main(["render", str(project_path), "--frames", "0:2"]) == 1
    error = capsys.readouterr().err.strip()
    assert "is not the video this project was made from" in error and "--relink" in error
    assert main(["render", str(project_path), "--frames", "0:2", "--relink", str(video)]) == 1
    assert "cannot be this project's video: it has 621 frames" in capsys.readouterr().err
    assert fingerprint(project_path) == before and not project_path.with_name("clip_overlay.mp4").exists()

    assert main(["render", str(project_path), "--frames", "0:2", "--relink", str(moved)]) == 0
    assert load_project(project_path).video.path == str(moved)
    assert project_path.with_name("clip_overlay.mp4").is_file()


def test_projects_without_a_quick_identity_use_the_full_hash(project_path: Path, tmp_path: Path) -> None:
    ref = dataclasses.replace(load_project(project_path).video, quick_id=None)
    check_video(ref)
    changed = bytearray(Path(ref.path).read_bytes())
    changed[len(changed) // 2] ^= 0xFF
    other = tmp_path / "changed.mp4"
    other.write_bytes(bytes(changed))
    with pytest.raises(VideoMismatch):
        check_video(ref, other)


def test_the_studio_relinks_a_moved_video(window: MainWindow, qtbot, project_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    open_and_show(qtbot, window, project_path)
    moved = Path(shutil.copy(project_path.with_name("clip.mp4"), project_path.with_name("moved.mp4")))
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *args, **kwargs: (str(moved), "")))
    assert window.files.relink_video()
    assert window.document.project.video.path == str(moved) and window.document.modified
    assert window.files.save() and load_project(project_path).video.path == str(moved)
