"""`hmp bench speed` fit options: the device the fits run on is recorded, and the GPU figures' command (sample
fit, two hands, generated long clip) runs end to end on the CPU at tiny sizes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from hmp_engine.cli import main
from hmp_engine.fitting.fit import cpu_fit_processes


def test_fit_steps_record_their_device_and_the_long_clip(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    report_path = tmp_path / "speed.json"
    status = main(["bench", "speed", "--frames", "6", "--steps", "fit,fit_two_hands,fit_long", "--device", "cpu",
                   "--iterations", "2", "2", "2", "--long-minutes", "0.01", "-o", str(report_path)])
    assert status == 0
    report = json.loads(report_path.read_text())
    measurements = report["measurements"]
    assert report["fit_device"] == "cpu" and list(measurements) == ["fit", "fit_two_hands", "fit_long"]
    assert all(entry["device"].startswith("cpu") for entry in measurements.values())
    assert measurements["fit"]["device"].startswith("cpu (1 process")
    assert measurements["fit_two_hands"]["device"].startswith(f"cpu ({cpu_fit_processes(2)} process")
    assert measurements["fit"]["frames"] == 6 and len(measurements["fit"]["scaling"]) == 4
    assert measurements["fit_two_hands"]["hands"] == 2
    assert measurements["fit_long"]["frames"] == 18 and measurements["fit_long"]["minutes"] == 0.01
    assert all(len(entry["stage_seconds"]) == 3 for entry in measurements.values())
    assert "fit_long: " in capsys.readouterr().out


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message shown where there is no GPU")
def test_asking_for_cuda_without_a_gpu_is_a_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    status = main(["bench", "speed", "--frames", "3", "--steps", "fit", "--device", "cuda",
                   "-o", str(tmp_path / "speed.json")])
    assert status == 1
    assert capsys.readouterr().err.strip() == "hmp bench: CUDA was asked for but no CUDA device is available"
    assert not (tmp_path / "speed.json").exists()


def test_unknown_steps_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit):
        main(["bench", "speed", "--steps", "fit,warp", "-o", str(tmp_path / "speed.json")])
    assert "choose from detection" in capsys.readouterr().err
