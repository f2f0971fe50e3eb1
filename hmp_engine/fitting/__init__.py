"""The HMP fit: losses, overlapping windows, presets, pose models (prior and baselines), stages, project glue.

Modules: ``losses`` (every term), ``windows`` (window layout and cross-fade), ``presets`` (settings),
``pose_models`` / ``baselines`` (where finger poses come from), ``problem`` (one hand's variables and terms),
``stages`` (the optimisation loop), ``fit`` (`fit_hands`), ``tracks_to_fits`` (`fit_project`), ``metrics``.
"""

from hmp_engine.fitting.fit import FitResult, HandResult, default_prior_path, fit_hands, resolve_device
from hmp_engine.fitting.presets import DEFAULT_PRESET, METHODS, PRESETS, FitSettings, StageSettings, preset
from hmp_engine.fitting.tracks_to_fits import (
    ProjectFit,
    fit_figures,
    fit_project,
    hand_tracks,
    initialise_project,
    project_detections,
    splice_fits,
    to_motion,
)

__all__ = [
    "DEFAULT_PRESET", "FitResult", "FitSettings", "HandResult", "METHODS", "PRESETS", "ProjectFit", "StageSettings",
    "default_prior_path", "fit_figures", "fit_hands", "fit_project", "hand_tracks", "initialise_project", "preset",
    "project_detections", "resolve_device", "splice_fits", "to_motion",
]
