"""`hmp batch` on a real local Ray: short clips cut from the sample, one broken; resume, retry, Ctrl+C, the studio."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import av
import pytest

from hmp_engine.batch.inputs import InputError, discover_videos, video_names
from hmp_engine.cli import main
from hmp_engine.motion_file import read_motion
from hmp_engine.session import load_project
from tests.paths import REPO_ROOT, SAMPLE_VIDEO
from tests.studio.gui_helpers import make_window

CLIP_FRAMES = 30
CLIP_WIDTH, CLIP_HEIGHT = 320, 180
FASTEST = ["--iterations", "0", "0", "0"]
"""No optimisation: the test is about the batch, the fit itself is covered elsewhere."""


def cut_clip(path: Path, start: int) -> Path:
    """Frames start .. start + CLIP_FRAMES of the sample at 320x180 as an mp4 (the right hand is in all of them)."""
    with av.open(str(SAMPLE_VIDEO)) as source, av.open(str(path), "w") as target:
        stream = target.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = CLIP_WIDTH, CLIP_HEIGHT, "yuv420p"
        for index, frame in enumerate(source.decode(video=0)):
            if index >= start + CLIP_FRAMES:
                break
            if index >= start:
                image = frame.to_ndarray(width=CLIP_WIDTH, height=CLIP_HEIGHT, format="rgb24")
                target.mux(stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")))
        target.mux(stream.encode())
    return path


@pytest.fixture
def ray_tmp(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A short private folder for Ray's sessions and logs (its socket paths must stay under ~100 characters)."""
    folder = tempfile.mkdtemp(prefix="hmpray")
    monkeypatch.setenv("RAY_TMPDIR", folder)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def read_manifest(outdir: Path) -> dict[str, dict]:
    """The entries of OUTDIR/batch.json by name."""
    return {entry["name"]: entry for entry in json.loads((outdir / "batch.json").read_text())["videos"]}


def leftovers(outdir: Path) -> list[str]:
    """Staging folders and temp files a clean batch never leaves behind."""
    return sorted(path.name for path in outdir.rglob(".*"))


def test_batch_with_a_broken_clip_then_resume_and_retry(tmp_path: Path, ray_tmp: str, qtbot,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    clips = tmp_path / "clips"
    clips.mkdir()
    cut_clip(clips / "wave.mp4", 0)
    cut_clip(clips / "pinch.mp4", 300)
    broken = clips / "broken.mp4"
    broken.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 8)  # an mp4 header, then garbage
    outdir = tmp_path / "out"
    command = ["batch", str(clips), "-o", str(outdir), "--workers", "2", "--export", "npz,bvh", *FASTEST]

    assert main(command) == 1
    captured = capsys.readouterr()
    entries = read_manifest(outdir)
    assert {name: entry["status"] for name, entry in entries.items()} == {
        "broken": "failed", "pinch": "done", "wave": "done"}
    assert "broken.mp4" in entries["broken"]["error"] and "\n" not in entries["broken"]["error"]
    assert "batch [" in captured.err and "3/3 videos (1 failed)" in captured.err and "videos/min" in captured.err
    assert "Videos:   3: 2 done, 1 failed" in captured.out
    for name in ("wave", "pinch"):
        entry = entries[name]
        assert entry["frames"] == CLIP_FRAMES and entry["hands"] == ["right"]
        assert 0 < entry["fit"]["right"]["reprojection_median_px"] < 20
        assert set(entry["seconds"]) == {"detect", "fit", "export", "total"}
        assert sorted(os.listdir(outdir / name)) == sorted([f"{name}.hmp", f"{name}.npz", f"{name}.bvh"])
        project = load_project(outdir / name / f"{name}.hmp")
        assert project.fits["right"].arrays["valid"].shape == (CLIP_FRAMES,)
        assert read_motion(outdir / name / f"{name}.npz").num_frames == CLIP_FRAMES
    assert not (outdir / "broken").exists() and leftovers(outdir) == []
    table = (outdir / "batch.csv").read_text().splitlines()
    assert table[0].startswith("name,video,status,error,frames") and len(table) == 4

    modified = {name: (outdir / name / f"{name}.hmp").stat().st_mtime_ns for name in ("wave", "pinch")}
    assert main([*command, "--resume"]) == 1  # nothing more to do: Ray is not even started
    assert "nothing to do" in capsys.readouterr().out
    assert read_manifest(outdir) == entries
    assert main(["batch", str(clips), "-o", str(outdir)]) == 1  # a batch is never replaced unasked
    assert "--resume" in capsys.readouterr().err
    assert main([*command, "--resume", "--preset", "lab"]) == 1  # nor resumed with other settings
    assert "preset" in capsys.readouterr().err

    cut_clip(broken, 150)
    assert main(["batch", "-o", str(outdir), "--retry-failed"]) == 0  # inputs and settings from the manifest
    capsys.readouterr()
    retried = read_manifest(outdir)
    assert retried["broken"]["status"] == "done" and retried["broken"]["error"] == ""
    assert {name: retried[name] for name in ("wave", "pinch")} == {name: entries[name] for name in ("wave", "pinch")}
    assert {name: (outdir / name / f"{name}.hmp").stat().st_mtime_ns for name in modified} == modified
    assert (outdir / "broken" / "broken.bvh").is_file() and leftovers(outdir) == []

    assert main(["info", str(outdir)]) == 0
    assert "Videos:   3: 3 done" in capsys.readouterr().out

    from PySide6.QtCore import QSettings  # the studio opens a project of the batch, fit included
    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(tmp_path / "settings"))
    window = make_window(qtbot, tmp_path)
    assert window.open_path(outdir / "pinch" / "pinch.hmp")
    assert set(window.document.project.fits) == {"right"} and not window.document.modified


def test_ctrl_c_mid_batch_leaves_a_valid_manifest(tmp_path: Path, ray_tmp: str) -> None:
    for index in range(3):
        cut_clip(tmp_path / f"clip{index}.mp4", 150 * index)
    outdir = tmp_path / "out"
    environment = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    process = subprocess.Popen([sys.executable, "-m", "hmp_engine", "batch", str(tmp_path / "clip*.mp4"), "-o",
                                str(outdir), "--workers", "1", *FASTEST], env=environment,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 150
        while '"done"' not in _text(outdir / "batch.json") and time.monotonic() < deadline:
            assert process.poll() is None, process.communicate()
            time.sleep(0.2)
        process.send_signal(signal.SIGINT)  # what Ctrl+C sends
        output, errors = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 130, errors
    assert "stopped by Ctrl+C" in errors and "--resume" in errors
    statuses = {name: entry["status"] for name, entry in read_manifest(outdir).items()}
    assert statuses["clip0"] == "done" and "skipped" in statuses.values()
    assert set(statuses.values()) <= {"done", "skipped"}  # nothing left pending, nothing marked failed
    assert sorted(path.name for path in outdir.iterdir() if path.is_dir()) == sorted(
        name for name, status in statuses.items() if status == "done")
    assert leftovers(outdir) == []
    assert load_project(outdir / "clip0" / "clip0.hmp").fits["right"].arrays["valid"].all()
    assert len((outdir / "batch.csv").read_text().splitlines()) == 4


def _text(path: Path) -> str:
    """A file's text, or '' while it does not exist."""
    try:
        return path.read_text()
    except OSError:
        return ""


def test_inputs_and_names(tmp_path: Path) -> None:
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        for name in ("take.mp4", "notes.txt"):
            (tmp_path / folder / name).write_bytes(b"")
    (tmp_path / "a" / "solo.MOV").write_bytes(b"")
    listing = tmp_path / "videos.txt"
    listing.write_text("# takes\nb/take.mp4\n\na/*.MOV\n")
    videos = discover_videos([str(tmp_path / "a"), str(listing), str(tmp_path / "b" / "take.mp4")])
    assert videos == [tmp_path / "a" / "solo.MOV", tmp_path / "a" / "take.mp4", tmp_path / "b" / "take.mp4"]
    names = video_names(videos, {})
    assert names[videos[0]] == "solo"
    assert names[videos[1]].startswith("take-") and names[videos[2]].startswith("take-")
    assert names[videos[1]] != names[videos[2]]
    assert video_names(reversed(videos), {}) == names  # stable: order does not matter
    assert video_names(videos[:2], {videos[1]: "take"})[videos[1]] == "take"  # an earlier run's name is kept
    for bad in ("missing.mp4", str(tmp_path / "*.avi"), str(tmp_path / "a" / "notes.txt")):
        with pytest.raises(InputError):
            discover_videos([bad])
    assert all(video.is_absolute() for video in videos)
