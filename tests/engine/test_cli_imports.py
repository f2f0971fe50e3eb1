"""The command line answers without loading heavy libraries: `hmp --help`, `--version` and `info` import no torch."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from hmp_engine.cli import COMMANDS, build_parser
from hmp_engine.detection import DetectionResult, KeypointTrack
from hmp_engine.session import Project, VideoRef
from tests.paths import REPO_ROOT

HEAVY_MODULES = ("torch", "mediapipe", "pyrender", "bpy", "cv2", "scipy", "PySide6")

PROBE = """
import contextlib, io, json, sys
from hmp_engine.cli import main
with contextlib.redirect_stdout(io.StringIO()) as out:
    try:
        status = main(sys.argv[1:])
    except SystemExit as exit_:
        status = exit_.code
print(json.dumps({"status": status, "output": out.getvalue(),
                  "heavy": [name for name in %r if name in sys.modules]}))
"""


def run_cli(*argv: str) -> dict:
    """Run `hmp ARGV` in a fresh interpreter; its status, output and the heavy modules it imported."""
    result = subprocess.run([sys.executable, "-c", PROBE % (HEAVY_MODULES,), *argv], capture_output=True, text=True,
                            check=True, cwd=REPO_ROOT)
    return json.loads(result.stdout.splitlines()[-1])


@pytest.fixture(scope="module")
def small_project(tmp_path_factory: pytest.TempPathFactory, reach_video: Path) -> Path:
    """A saved project with one detected hand over 5 frames (no detector run)."""
    frames = 5
    keypoints = np.zeros((frames, 21, 3))
    keypoints[..., 2] = 0.9
    track = KeypointTrack(keypoints=keypoints, world=np.zeros((frames, 21, 3)), boxes=np.zeros((frames, 4)),
                          detected=np.ones(frames, bool), handedness="right", presence=np.ones(frames))
    detections = DetectionResult(tracks=[track], fps=25.0, timestamps=np.arange(frames) / 25.0,
                                 image_size=(640, 360))
    project = Project(video=VideoRef.from_file(reach_video), detections=detections)
    return project.save(tmp_path_factory.mktemp("project") / "small.hmp")


@pytest.mark.parametrize("argv", [("--help",), ("--version",), ()])
def test_help_and_version_import_nothing_heavy(argv: tuple[str, ...]) -> None:
    result = run_cli(*argv)
    assert result["heavy"] == []
    if argv != ("--version",):
        assert all(name in result["output"] for name in COMMANDS)


def test_info_imports_nothing_heavy(small_project: Path) -> None:
    result = run_cli("info", str(small_project))
    assert result["status"] == 0
    assert "track 0: right, detected in 5/5 frames" in result["output"]
    assert result["heavy"] == []


def test_a_sub_command_imports_its_own_module() -> None:
    result = run_cli("fit", "--help")
    assert result["status"] == 0 and "--preset" in result["output"]
    assert "torch" in result["heavy"]


def test_every_summary_matches_the_registered_command() -> None:
    for name in COMMANDS:
        parser = build_parser(name)
        subparsers = next(action for action in parser._actions if action.dest == "command")
        registered = {choice.dest: choice.help for choice in subparsers._choices_actions}
        assert registered[name] == COMMANDS[name][1], name
        assert subparsers.choices[name].add_help, name  # the real parser, not the summary placeholder
