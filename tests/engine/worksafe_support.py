"""A small fitted project on disk for the work-safety tests, and a file's fingerprint to prove it unchanged."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from hmp_engine.detection import detect_video
from hmp_engine.fitting import fit_project, preset
from hmp_engine.hand_model import load_hand_model
from hmp_engine.session import Project, VideoRef

FRAMES = 12


def fitted_project(video: Path, folder: Path) -> Path:
    """``video`` copied into ``folder``, its first FRAMES frames detected and fitted without a prior (a few
    iterations: only the files matter here), saved as ``folder/clip.hmp``."""
    copy = Path(shutil.copy(video, folder / f"clip{video.suffix}"))
    project = Project(VideoRef.from_file(copy), detect_video(copy, max_frames=FRAMES))
    models = {"right": load_hand_model("open", "right")}
    settings = preset("wild", "no-prior").with_iterations(3, 3, 0)
    project.fits.update(fit_project(project, models, settings, None, device="cpu").fits)
    project.weights = settings.to_dict()
    return project.save(folder / "clip.hmp")


def fingerprint(path: Path) -> tuple[str, int]:
    """SHA-256 and permission bits of a file."""
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mode & 0o777
