"""FBX exports fail in one line and leave no file: on a full disk (a file-size limit stands in for it), and when
only the parent is interrupted (its Blender child is terminated, not left to finish the file)."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hmp_engine.cli import main
from tests.engine.worksafe_support import fitted_project
from tests.paths import REPO_ROOT


@pytest.fixture(scope="module")
def project_path(reach_video: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return fitted_project(reach_video, tmp_path_factory.mktemp("fbx"))


def test_a_full_disk_gives_one_line_and_no_file(project_path: Path, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "hands.fbx"
    limits = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails instead of killing
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, limits[1]))  # the Blender child inherits it
    try:
        status = main(["export", str(project_path), "-o", str(target)])
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, limits)
        signal.signal(signal.SIGXFSZ, previous)
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 1 and len(err) == 1 and "nothing was written" in err[0], err
    assert list(tmp_path.iterdir()) == []


def _children(pid: int) -> list[int]:
    """The process ids of ``pid``'s multiprocessing children (Linux): the Blender child, not other helpers."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            cmdline = Path(f"/proc/{child}/cmdline")
            if cmdline.exists() and b"spawn_main" in cmdline.read_bytes():
                found.append(int(child))
    return found


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc to find the Blender child")
def test_interrupting_the_parent_stops_blender_and_leaves_no_file(project_path: Path, tmp_path: Path) -> None:
    target = tmp_path / "hands.fbx"
    command = [sys.executable, "-m", "hmp_engine", "export", str(project_path), "-o", str(target)]
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    parent = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + 120
    while not _children(parent.pid) and time.monotonic() < deadline and parent.poll() is None:
        time.sleep(0.05)
    children = _children(parent.pid)
    assert children, "the export never started its Blender child"
    os.kill(parent.pid, signal.SIGINT)  # the parent alone, as `kill -INT` does
    _, err = parent.communicate(timeout=120)
    assert parent.returncode == 130 and err.strip().splitlines()[-1] == "hmp export: interrupted", err
    assert not any(Path(f"/proc/{child}").exists() for child in children)
    assert list(tmp_path.iterdir()) == []
