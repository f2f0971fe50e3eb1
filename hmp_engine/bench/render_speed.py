"""Speed of the overlay: rendering the fitted hands over each frame, and writing the overlay video.

The clip's first track is fitted once with the default preset (shared by both measurements). ``overlay_render``
times `OverlayRenderer.render` alone (crop viewport, mesh compositing included; decoding excluded) on every frame
after a first one that makes the GL context, and the same on every fourth frame with the whole frame rendered
(no crop) for comparison. ``overlay_video`` times `write_overlay_video` end to end: decoding, rendering, encoding.
Both report the process's CPU time beside wall-clock time: on a machine shared with other work the CPU time is
what the step itself costs.
"""

from __future__ import annotations

import functools
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from hmp_engine.bench.fit_speed import detections
from hmp_engine.fitting import default_prior_path, fit_project, preset
from hmp_engine.hand_model import load_hand_model
from hmp_engine.prior.checkpoint import load_prior
from hmp_engine.render import OverlayOptions, fit_models, overlay_renderer, write_overlay_video
from hmp_engine.session import Project, VideoRef
from hmp_engine.video import open_video

FULL_FRAME_STRIDE = 4


@functools.lru_cache(maxsize=1)
def fitted_project(video: Path, frames: int | None) -> Project:
    """The clip's first track fitted with the default preset on the CPU (cached for both measurements)."""
    result = detections(video, frames)
    project = Project(VideoRef.from_file(video), replace(result, tracks=result.tracks[:1]))
    models = {side: load_hand_model("open", side) for side in {"right", result.tracks[0].handedness}}
    fit = fit_project(project, models, preset(), load_prior(default_prior_path(), "cpu"), device="cpu")
    project.fits.update(fit.fits)
    return project


def _render_times(project: Project, options: OverlayOptions, stride: int) -> tuple[np.ndarray, np.ndarray]:
    """Wall-clock and process CPU seconds (N, 2) of each timed render (every ``stride``-th frame after the
    first), and those of the first render."""
    times = []
    renderer = overlay_renderer(project, fit_models(project, "open"), options)
    with open_video(project.video.path) as video:
        count = min(video.num_frames, renderer.num_frames)
        for index, image in zip(range(count), video):
            if index % stride and index:
                continue
            start = time.perf_counter(), time.process_time()
            renderer.render(index, image)
            times.append((time.perf_counter() - start[0], time.process_time() - start[1]))
    return np.array(times[1:]), np.array(times[0])


def measure_render(video: Path, frames: int | None) -> dict[str, Any]:
    """Milliseconds per frame of the overlay (mesh, crop viewport) at the video's size, and without the crop."""
    project = fitted_project(video, frames)
    cropped, first = _render_times(project, OverlayOptions(), 1)
    whole, _ = _render_times(project, OverlayOptions(crop=False), FULL_FRAME_STRIDE)
    wall, cpu = 1000 * cropped.mean(axis=0)
    return {"frames": len(cropped), "image_size": list(project.video.size), "ms_per_frame": round(wall, 2),
            "cpu_ms_per_frame": round(cpu, 2), "p95_ms": round(1000 * float(np.percentile(cropped[:, 0], 95)), 2),
            "fps": round(1000 / wall, 1), "first_frame_ms": round(1000 * float(first[0]), 1),
            "full_frame_ms_per_frame": round(1000 * float(whole[:, 0].mean()), 2),
            "full_frame_cpu_ms_per_frame": round(1000 * float(whole[:, 1].mean()), 2), "full_frame_frames": len(whole)}


def measure_render_video(video: Path, frames: int | None) -> dict[str, Any]:
    """Frames per second of writing the overlay video (decode, render, H.264 encode) of the fitted clip."""
    project = fitted_project(video, frames)
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter(), time.process_time()
        written = write_overlay_video(project, fit_models(project, "open"), Path(folder) / "overlay.mp4")
        seconds, cpu_seconds = time.perf_counter() - start[0], time.process_time() - start[1]
    return {"frames": len(written), "seconds": round(seconds, 2), "cpu_seconds": round(cpu_seconds, 2),
            "fps": round(len(written) / seconds, 1)}
