"""A project's fits as overlay inputs: the fit's camera, the hand models it was fitted with, and its keypoints."""

from __future__ import annotations

import os

import numpy as np

from hmp_engine.camera import Camera
from hmp_engine.fitting import hand_tracks
from hmp_engine.hand_model import HandModel, load_hand_model
from hmp_engine.render.context import RenderError
from hmp_engine.render.hands import HandSequence
from hmp_engine.render.overlay import STYLES, OverlayOptions, OverlayRenderer
from hmp_engine.session import Project


def _require_fits(project: Project) -> None:
    """RenderError unless the project holds at least one fitted hand."""
    if not project.fits:
        raise RenderError("the project has no fit to render: fit it first (hmp fit PROJECT, or Fit in the studio)")


def fit_camera(project: Project) -> Camera:
    """The camera the hands were fitted with (stored with each fit), else the default for the video's size."""
    _require_fits(project)
    cameras = {side: Camera(np.asarray(fit.metadata["camera_K"]), tuple(fit.metadata["image_size"]))
               if "camera_K" in fit.metadata else Camera.default(project.video.size)
               for side, fit in project.fits.items()}
    first = next(iter(cameras.values()))
    if any(camera != first for camera in cameras.values()):
        raise RenderError("the hands were fitted with different cameras: refit them together")
    return first


def fit_models(project: Project, source: str | os.PathLike) -> dict[str, HandModel]:
    """The hand model of each fitted side from ``source`` (open or a MANO folder); RenderError if a fit was made
    with another model, whose mesh would not match the fitted pose. Raises HandModelFileError."""
    _require_fits(project)
    models = {side: load_hand_model(source, side) for side in project.fits}
    for side, model in models.items():
        fitted_with = project.fits[side].metadata.get("hand_model", model.name)
        if fitted_with != model.name:
            raise RenderError(f"the {side} hand was fitted with the hand model '{fitted_with}', not '{model.name}': "
                              "give the model it was fitted with (--hand-model)")
    return models


def project_keypoints(project: Project) -> dict[str, np.ndarray]:
    """Each side's detected keypoints (T, 21, 3) with the user's edits applied; none without detections."""
    if project.detections is None or not project.detections.tracks:
        return {}
    return {side: project.effective_keypoints(index) for side, index in hand_tracks(project).items()}


def overlay_renderer(project: Project, models: dict[str, HandModel],
                     options: OverlayOptions = OverlayOptions()) -> OverlayRenderer:
    """The overlay renderer of a project's fits (models: `fit_models`). Raises RenderError."""
    camera = fit_camera(project)
    hands = {side: HandSequence(models[side], fit, camera, STYLES[side].mesh) for side, fit in project.fits.items()}
    return OverlayRenderer(hands, camera, project_keypoints(project), options)
