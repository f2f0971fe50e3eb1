"""Speed of the initialisation and of the full fit (default preset, HMP, bundled prior), on the CPU or a GPU.

Detections are computed once per (video, frames) and shared by the measurements. The fit is timed for one hand
at a quarter, half, all and twice the clip's length (the doubled clip plays the detections forward then
backward), to show how seconds per 100 frames grow with length, for two hands (the clip beside its mirror
image), and on request for a generated long clip (the detections played forward and backward for
``FitOptions.long_minutes``). Every fit entry names the device it ran on (`FitOptions.device`). Peak memory is the
process's peak resident set size so far (detection included), an upper bound; on a GPU the device's peak
allocation is added.
"""

from __future__ import annotations

import functools
import resource
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from hmp_engine.camera import Camera
from hmp_engine.detection import DetectionResult, KeypointTrack, detect_video
from hmp_engine.fitting import default_prior_path, fit_project, preset, resolve_device
from hmp_engine.fitting.fit import cpu_fit_processes
from hmp_engine.fitting.mirror import side_by_side_mirror
from hmp_engine.fitting.pose_models import native_bfloat16
from hmp_engine.hand_model import load_hand_model
from hmp_engine.initialisation import initialise_hand
from hmp_engine.prior.checkpoint import load_prior
from hmp_engine.session import Project, VideoRef

LENGTH_FACTORS = (0.25, 0.5, 1.0, 2.0)


@dataclass(frozen=True)
class FitOptions:
    """How the fit measurements run: device ("cpu", "cuda" or "auto"), stage iterations (None: the preset's) and
    the generated long clip's length in minutes."""

    device: str = "cpu"
    iterations: tuple[int, ...] | None = None
    long_minutes: float = 10.0


def describe_device(device: torch.device, hands: int = 1) -> str:
    """The device a fit of ``hands`` hands ran on, in words: "cuda:0 (GPU name)" or "cpu (N processes)" (one
    torch thread each), with ", bfloat16 decoder" where the CPU multiplies bfloat16 natively."""
    if device.type == "cuda":
        return f"{device.type}:{device.index or 0} ({torch.cuda.get_device_name(device)})"
    processes = cpu_fit_processes(hands)
    precision = ", bfloat16 decoder" if native_bfloat16(device) else ""
    return f"{device} ({processes} process{'es' if processes > 1 else ''}{precision})"


@functools.lru_cache(maxsize=2)
def detections(video: Path, frames: int | None) -> DetectionResult:
    """The default detection of the video (cached for the other measurements)."""
    return detect_video(video, max_frames=frames)


def _peak_memory_mb() -> float:
    """Peak resident set size of this process in MiB (ru_maxrss is KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (2**20 if sys.platform == "darwin" else 2**10), 1)


def resized(result: DetectionResult, count: int) -> DetectionResult:
    """The detections cut to ``count`` frames, or extended by playing them backward and forward again."""
    period = 2 * result.num_frames - 1 if result.num_frames > 1 else 1
    phase = np.arange(count) % period
    index = np.where(phase < result.num_frames, phase, period - phase)
    tracks = [KeypointTrack(track.keypoints[index], track.world[index], track.boxes[index], track.detected[index],
                            track.handedness, track.presence[index]) for track in result.tracks]
    return replace(result, tracks=tracks, timestamps=np.arange(count) / result.fps)


def timed_fit(video: Path, result: DetectionResult, options: FitOptions = FitOptions()) -> dict[str, Any]:
    """Seconds of one full default fit of every hand in ``result`` (initialisation included), with its device,
    stage times and median error. On a GPU the device is woken first, so its start-up is not counted."""
    device = resolve_device(options.device)
    project = Project(VideoRef.from_file(video), result)
    models = {side: load_hand_model("open", side) for side in {"right", *(t.handedness for t in result.tracks)}}
    prior = load_prior(default_prior_path(), "cpu")
    settings = preset() if options.iterations is None else preset().with_iterations(*options.iterations)
    if device.type == "cuda":
        torch.ones(1, device=device).matmul(torch.ones(1, device=device))
        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
    start = time.perf_counter()
    fit = fit_project(project, models, settings, prior, device=device)
    seconds = time.perf_counter() - start
    figures = {"frames": result.num_frames, "hands": len(fit.fits), "device": describe_device(device, len(fit.fits)),
               "seconds": round(seconds, 2), "seconds_per_100_frames": round(100 * seconds / result.num_frames, 2),
               "fps": round(result.num_frames / seconds, 2),
               "stage_seconds": [round(report.seconds, 2) for report in fit.result.stages],
               "reprojection_median_px": {side: round(f.metadata["fit"]["reprojection_median_px"], 2)
                                          for side, f in fit.fits.items()}}
    if device.type == "cuda":
        figures["gpu_peak_memory_mb"] = round(torch.cuda.max_memory_allocated(device) / 2**20, 1)
    return figures


def measure_init(video: Path, frames: int | None) -> dict[str, Any]:
    """Milliseconds per frame of the initialisation (IK, translation, infill) of the first track."""
    result = detections(video, frames)
    track = result.tracks[0]
    model, right = load_hand_model("open", track.handedness), load_hand_model("open", "right")
    camera = Camera.default(result.image_size)
    start = time.perf_counter()
    initialise_hand(model, track.keypoints, track.world, track.detected, result.timestamps, camera, right)
    seconds = time.perf_counter() - start
    return {"frames": result.num_frames, "seconds": round(seconds, 3),
            "ms_per_frame": round(1000 * seconds / result.num_frames, 3), "fps": round(result.num_frames / seconds, 1)}


def measure_fit(video: Path, frames: int | None, options: FitOptions = FitOptions()) -> dict[str, Any]:
    """The full fit of one hand at the clip's length (headline) and at 1/4, 1/2, 1 and 2 times it (scaling)."""
    result = detections(video, frames)
    one_hand = replace(result, tracks=result.tracks[:1])
    scaling = [timed_fit(video, resized(one_hand, max(3, round(factor * result.num_frames))), options)
               for factor in LENGTH_FACTORS]
    headline = next(entry for factor, entry in zip(LENGTH_FACTORS, scaling) if factor == 1.0)
    return {**headline, "scaling": scaling, "peak_memory_mb": _peak_memory_mb()}


def measure_fit_two_hands(video: Path, frames: int | None, options: FitOptions = FitOptions()) -> dict[str, Any]:
    """The full fit of two hands: the clip's first track and its mirror image side by side."""
    return {**timed_fit(video, side_by_side_mirror(detections(video, frames)), options),
            "peak_memory_mb": _peak_memory_mb()}


def measure_fit_long(video: Path, frames: int | None, options: FitOptions = FitOptions()) -> dict[str, Any]:
    """The full fit of one hand over a generated clip of ``options.long_minutes`` (the detections played forward
    and backward at the video's frame rate)."""
    result = detections(video, frames)
    one_hand = replace(result, tracks=result.tracks[:1])
    count = max(3, round(options.long_minutes * 60 * result.fps))
    return {**timed_fit(video, resized(one_hand, count), options), "minutes": round(count / result.fps / 60, 3),
            "peak_memory_mb": _peak_memory_mb()}
