"""One video of a batch: detect -> fit -> save its project -> the asked exports (-> the overlay video).

Everything is written into a hidden staging folder ``OUTDIR/.<name>.partial`` that is renamed to ``OUTDIR/<name>``
only when every step has succeeded; a failure or a cancel (KeyboardInterrupt, which Ray raises in a cancelled
task) removes it, so a video's folder is either complete or absent. Nothing here knows about Ray.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from hmp_engine.batch.manifest import VideoEntry, now
from hmp_engine.batch.settings import BatchSettings, output_files
from hmp_engine.detection import detect_video
from hmp_engine.export import ExportOptions, export_project
from hmp_engine.fitting import fit_project, hand_tracks
from hmp_engine.hand_model import HandModel
from hmp_engine.prior.model import MotionPrior
from hmp_engine.render import fit_models, write_overlay_video
from hmp_engine.session import Project, VideoRef

STAGING_SUFFIX = ".partial"


class NoHandError(Exception):
    """The detector found no hand in the video."""


@dataclass(frozen=True)
class SharedModels:
    """What every task of a batch uses and the driver loads once: the hand model of each side and the prior."""

    models: dict[str, HandModel]
    prior: MotionPrior | None


def staging_folder(outdir: Path, name: str) -> Path:
    """Where a video's outputs are written until all of them are complete."""
    return outdir / f".{name}{STAGING_SUFFIX}"


def process_video(name: str, video: str, outdir: Path, settings: BatchSettings, shared: SharedModels) -> VideoEntry:
    """Run every step on one video into ``outdir / name``; the entry is done, or failed with a one-line reason.

    Cancelling (KeyboardInterrupt) leaves no folder for the video and propagates.
    """
    entry = VideoEntry(name, video, host=socket.gethostname())
    staging = staging_folder(outdir, name)
    shutil.rmtree(staging, ignore_errors=True)
    start = time.perf_counter()
    try:
        staging.mkdir(parents=True)
        entry.outputs = _run_steps(entry, staging, settings, shared)
        _publish(staging, outdir / name)
        entry.status = "done"
    except Exception as error:  # one bad video must never stop the batch: its reason goes to the manifest
        shutil.rmtree(staging, ignore_errors=True)
        entry.status, entry.error = "failed", one_line(error)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    entry.seconds["total"] = round(time.perf_counter() - start, 3)
    entry.finished = now()
    return entry


def _run_steps(entry: VideoEntry, folder: Path, settings: BatchSettings, shared: SharedModels) -> dict[str, str]:
    """Detect, fit, save, export and render into ``folder``, filling the entry's figures; the files written."""
    files = output_files(entry.name, settings)
    with _timed(entry, "detect"):
        detections = detect_video(entry.video)
    entry.frames = detections.num_frames
    if not detections.tracks:
        raise NoHandError(f"no hand found in any of the {detections.num_frames} frames")
    project = Project(VideoRef.from_file(entry.video), detections)
    fit_settings = settings.fit_settings()
    with _timed(entry, "fit"):
        models = {side: shared.models[side] for side in {"right", *hand_tracks(project)}}
        fit = fit_project(project, models, fit_settings, shared.prior, device=settings.device)
    project.fits.update(fit.fits)
    project.weights = fit_settings.to_dict()
    project.save(folder / files["project"])
    entry.hands = [side for side in ("right", "left") if side in fit.fits]
    entry.fit = {side: {"reprojection_median_px": hand.metadata["fit"]["reprojection_median_px"],
                        "acceleration_mm_per_frame2": hand.metadata["fit"]["acceleration_mm_per_frame2"]}
                 for side, hand in fit.fits.items()}
    with _timed(entry, "export"):
        for kind in settings.exports:
            export_project(project, folder / files[kind], kind, ExportOptions(hand_model=settings.hand_model))
    if settings.render:
        with _timed(entry, "render"):
            write_overlay_video(project, fit_models(project, settings.hand_model), folder / files["overlay"])
    return files


@contextlib.contextmanager
def _timed(entry: VideoEntry, step: str) -> Iterator[None]:
    """Record the seconds the block takes as the step's time."""
    start = time.perf_counter()
    yield
    entry.seconds[step] = round(time.perf_counter() - start, 3)


def _publish(staging: Path, final: Path) -> None:
    """Put the complete staging folder in place of ``final`` (an older folder there is replaced)."""
    if final.exists():
        old = final.with_name(f".{final.name}.old{STAGING_SUFFIX}")
        shutil.rmtree(old, ignore_errors=True)
        os.replace(final, old)
        os.replace(staging, final)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(staging, final)


def one_line(error: BaseException) -> str:
    """An error as one short line: its message (its type too when that is not one of ours), whitespace folded."""
    message = " ".join(str(error).split()) or type(error).__name__
    if not type(error).__module__.startswith("hmp_engine"):
        message = f"{type(error).__name__}: {message}"
    return message if len(message) <= 300 else message[:297] + "..."
