"""`hmp detect`, `hmp info` and `hmp bench speed` through the CLI entry point, on real videos."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from hmp_engine.cli import main


def test_detect_writes_a_project_and_info_summarises_it(
    reach_video: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    video = Path(shutil.copy(reach_video, tmp_path))
    assert main(["detect", str(video)]) == 0
    project = tmp_path / "open_hand_reach_360p25.hmp"
    captured = capsys.readouterr()
    assert project.is_file() and f"wrote {project}" in captured.out
    assert "202/202 frames" in captured.err and "frames/s" in captured.err

    assert main(["info", str(project)]) == 0
    out = capsys.readouterr().out
    print(out)
    assert f"Video:    {video}" in out
    assert "Frames:   202 at 25 fps" in out and "640x360" in out
    assert "track 0: right, detected in 202/202 frames (100.0%)" in out
    assert "Edits:    0" in out and "Fits:     none" in out

    assert main(["detect", str(video)]) == 1
    assert "already exists" in capsys.readouterr().err


def test_detect_without_hands_fails_and_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    video = tmp_path / "plain.mp4"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"mp4v"), 25.0, (320, 240))
    for shade in np.linspace(40, 200, 25):
        writer.write(np.full((240, 320, 3), (shade, 120, 80), dtype=np.uint8))
    writer.release()
    assert main(["detect", str(video), "-o", str(tmp_path / "plain.hmp")]) == 1
    err = capsys.readouterr().err
    assert "hmp detect: no hand found in any of the 25 frames" in err and "no project written" in err
    assert sorted(path.name for path in tmp_path.iterdir()) == ["plain.mp4"]


def test_detect_and_info_report_bad_inputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["detect", str(tmp_path / "missing.mp4")]) == 1
    assert "Cannot open video" in capsys.readouterr().err
    damaged = tmp_path / "damaged.hmp"
    damaged.write_bytes(b"not a project")
    assert main(["info", str(damaged)]) == 1
    assert "damaged" in capsys.readouterr().err


def test_bench_speed_writes_a_report(reach_video: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report_path = tmp_path / "report.json"
    assert main(["bench", "speed", "--video", str(reach_video), "--frames", "10", "-o", str(report_path)]) == 0
    report = json.loads(report_path.read_text())
    assert {"cpu", "cores", "ram_gib", "python", "torch", "mediapipe", "date"} <= set(report["machine"])
    detection = report["measurements"]["detection"]
    assert detection["frames"] == 10 and detection["fps"] > 0
    assert detection["settings"]["confidence_mode"] == "fast"
    assert "detection:" in capsys.readouterr().out
