"""Speed benchmark: one JSON report with the machine description and one entry per measured step.

Each step is a function ``(video, frames) -> dict`` registered in ``MEASUREMENTS``, or for the fits
``(video, frames, FitOptions) -> dict`` in ``FIT_MEASUREMENTS`` (device, iterations, long clip). ``DEFAULT_STEPS``
run unless steps are named; the long clip's fit only runs when asked for.
"""

from __future__ import annotations

import datetime
import os
import platform
import time
from collections.abc import Callable
from importlib import metadata, resources
from pathlib import Path
from typing import Any

from hmp_engine.bench.fit_speed import FitOptions, measure_fit, measure_fit_long, measure_fit_two_hands, measure_init
from hmp_engine.bench.render_speed import measure_render, measure_render_video
from hmp_engine.detection import detect_video
from hmp_engine.fitting import resolve_device

Measurement = Callable[[Path, int | None], dict[str, Any]]
FitMeasurement = Callable[[Path, int | None, FitOptions], dict[str, Any]]


def sample_video() -> Path:
    """The bundled 1280x720, 30 fps right-hand sample, the default benchmark input."""
    return Path(str(resources.files("hmp_resources") / "samples" / "right_hand_gestures_720p30.mp4"))


def _cpu_model() -> str:
    """The CPU's marketing name from /proc/cpuinfo, or what the platform module knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _version(package: str) -> str | None:
    """Installed version of a distribution, None if absent (read from metadata: nothing is imported)."""
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def machine_info() -> dict[str, Any]:
    """Where the figures were measured: CPU, usable cores, RAM, OS, Python and key library versions, date."""
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") if hasattr(os, "sysconf") else None
    return {
        "cpu": _cpu_model(),
        "cores": usable,
        "ram_gib": round(ram / 2**30, 1) if ram else None,
        "os": platform.platform(),
        "python": platform.python_version(),
        "torch": _version("torch"),
        "mediapipe": _version("mediapipe"),
        "numpy": _version("numpy"),
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
    }


def measure_detection(video: Path, frames: int | None) -> dict[str, Any]:
    """Frames per second of ``detect_video`` with default settings, decoding and graph set-up included."""
    start = time.perf_counter()
    result = detect_video(video, max_frames=frames)
    seconds = time.perf_counter() - start
    return {
        "frames": result.num_frames,
        "seconds": round(seconds, 3),
        "fps": round(result.num_frames / seconds, 2),
        "image_size": list(result.image_size),
        "settings": result.settings,
    }


MEASUREMENTS: dict[str, Measurement] = {"detection": measure_detection, "init": measure_init,
                                         "overlay_render": measure_render, "overlay_video": measure_render_video}
FIT_MEASUREMENTS: dict[str, FitMeasurement] = {"fit": measure_fit, "fit_two_hands": measure_fit_two_hands,
                                               "fit_long": measure_fit_long}
STEPS: tuple[str, ...] = ("detection", "init", "fit", "fit_two_hands", "overlay_render", "overlay_video", "fit_long")
DEFAULT_STEPS: tuple[str, ...] = STEPS[:-1]


def speed_report(video: Path | None = None, frames: int | None = None, steps: tuple[str, ...] = DEFAULT_STEPS,
                 fit_options: FitOptions = FitOptions()) -> dict[str, Any]:
    """Run the named steps on ``video`` (default: the bundled sample) and describe the machine; ValueError for an
    unknown step or an absent CUDA device."""
    unknown = sorted(set(steps) - set(STEPS))
    if unknown:
        raise ValueError(f"unknown step(s) {', '.join(unknown)}; choose from {', '.join(STEPS)}")
    if any(name in FIT_MEASUREMENTS for name in steps):
        resolve_device(fit_options.device)  # a missing GPU fails before anything is measured
    video = Path(video) if video is not None else sample_video()
    measurements = {}
    for name in steps:
        if name in FIT_MEASUREMENTS:
            measurements[name] = FIT_MEASUREMENTS[name](video, frames, fit_options)
        else:
            measurements[name] = MEASUREMENTS[name](video, frames)
    return {
        "benchmark": "speed",
        "video": str(video),
        "machine": machine_info(),
        "fit_device": fit_options.device,
        "measurements": measurements,
    }
