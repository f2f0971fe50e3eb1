"""What one studio fit needs and does, free of widgets: the request, and the job a worker thread runs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hmp_engine.fitting import FitSettings, ProjectFit, default_prior_path, fit_project, hand_tracks, resolve_device
from hmp_engine.hand_model import load_hand_model
from hmp_engine.prior.checkpoint import load_prior
from hmp_engine.progress import CancelToken, ProgressCallback
from hmp_engine.session import Project


@dataclass(frozen=True)
class FitRequest:
    """A fit to run: the settings (weights, iterations), the prior checkpoint (None: bundled), the hand model
    ('open' or a MANO folder), the device, and the frames first..last to refit (None: the whole video)."""

    settings: FitSettings
    prior: Path | None = None
    hand_model: str = "open"
    device: str = "auto"
    frames: tuple[int, int] | None = None

    @property
    def frame_slice(self) -> slice:
        """The frames to fit as a slice."""
        return slice(None) if self.frames is None else slice(self.frames[0], self.frames[1] + 1)


def run_fit(project: Project, request: FitRequest, progress: ProgressCallback, cancel: CancelToken) -> ProjectFit:
    """Load the hand models and prior, then fit the project's hands (on a worker thread: all of it is slow)."""
    device = resolve_device(request.device)
    models = {side: load_hand_model(request.hand_model, side) for side in {"right", *hand_tracks(project)}}
    settings = request.settings
    prior = load_prior(request.prior or default_prior_path(), device) if settings.method != "no-prior" else None
    return fit_project(project, models, settings, prior, device=device, progress=progress, cancel=cancel,
                       frames=request.frame_slice)
