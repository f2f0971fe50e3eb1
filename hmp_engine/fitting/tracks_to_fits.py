"""Fitting a project: its hand tracks (edits applied) -> initialisation -> fit -> HandFit per side, and the motion
file of the result. Nothing in the project changes here; the caller stores the returned fits."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from hmp_engine.camera import Camera
from hmp_engine.detection import DetectionResult
from hmp_engine.detection.presence import DEFAULT_MAX_GAP_S
from hmp_engine.fitting.fit import FitResult, HandResult, fit_hands
from hmp_engine.fitting.metrics import mean_acceleration, reprojection_errors
from hmp_engine.fitting.presets import FitSettings
from hmp_engine.hand_model import HandModel
from hmp_engine.initialisation import HandInit, initialise_hand
from hmp_engine.motion_file import HandMotion, Motion
from hmp_engine.prior.model import MotionPrior
from hmp_engine.progress import CancelToken, ProgressCallback
from hmp_engine.session import HandFit, Project, ProjectError


@dataclass
class ProjectFit:
    """A project's fit: HandFits by side (arrays + metadata with settings and figures), and the raw result."""

    fits: dict[str, HandFit]
    result: FitResult
    inits: dict[str, HandInit]
    camera: Camera


def project_detections(project: Project) -> DetectionResult:
    """The project's detections; ProjectError when it has no hand tracks."""
    if project.detections is None or not project.detections.tracks:
        raise ProjectError("The project has no detections to fit: run detection first")
    return project.detections


def hand_tracks(project: Project) -> dict[str, int]:
    """Index of the most-detected track of each side present (right first)."""
    detections = project_detections(project)
    indices = {id(track): index for index, track in enumerate(detections.tracks)}
    return {side: indices[id(track)] for side in ("right", "left") if (track := detections.hand(side)) is not None}


def initialise_project(project: Project, models: dict[str, HandModel], camera: Camera,
                       frames: slice = slice(None), max_gap_s: float = DEFAULT_MAX_GAP_S) -> dict[str, HandInit]:
    """The initialisation of every hand with a track over ``frames``, from its keypoints with the user's edits
    applied and the edited frames marked (runs of missing frames longer than ``max_gap_s`` seconds are absent).

    ``models`` holds each side's model, and the right model also for a left hand alone (it lifts its landmarks).
    """
    detections = project_detections(project)
    inits = {}
    for side, index in hand_tracks(project).items():
        track = project.track(index)
        inits[side] = initialise_hand(models[side], project.effective_keypoints(index)[frames], track.world[frames],
                                      track.detected[frames], detections.timestamps[frames], camera,
                                      models.get("right"), max_gap_s, project.edited_frames(index)[frames])
    return inits


def fit_project(project: Project, models: dict[str, HandModel], settings: FitSettings,
                prior: MotionPrior | None = None, camera: Camera | None = None,
                device: str | torch.device | None = None, progress: ProgressCallback | None = None,
                cancel: CancelToken | None = None, frames: slice = slice(None)) -> ProjectFit:
    """Initialise and fit every hand of the project (or only its ``frames``, whose arrays then cover just that
    range: `splice_fits` puts them into the stored fits); the default camera comes from the video's image size."""
    camera = camera or Camera.default(project.detections.image_size if project.detections else project.video.size)
    inits = initialise_project(project, models, camera, frames, settings.max_gap_s)
    result = fit_hands(inits, models, camera, settings, prior, device, progress, cancel)
    fits = {side: HandFit(_arrays(hand), _metadata(hand, inits[side], result, settings, camera, models[side]))
            for side, hand in result.hands.items()}
    return ProjectFit(fits, result, inits, camera)


def splice_fits(stored: dict[str, HandFit], refit: dict[str, HandFit], start: int) -> dict[str, HandFit]:
    """The stored fits with the per-frame arrays of a range refit (from frame ``start``) replacing theirs on
    those frames. Each hand keeps its stored shape (betas): one hand has one shape over the whole video, and a
    short range estimates it worse. The metadata is the refit's, with the refitted ranges listed under "refits".
    Raises ProjectError when a refitted hand has no stored fit to splice into or the range overruns it."""
    spliced = dict(stored)
    for side, fit in refit.items():
        if side not in stored:
            raise ProjectError(f"the {side} hand has no fit yet: fit the whole video before refitting a range")
        arrays = {name: np.array(value, copy=True) for name, value in stored[side].arrays.items()}
        stop = start + len(fit.arrays["valid"])
        if not 0 <= start < stop <= len(arrays["valid"]):
            raise ProjectError(f"frames {start}:{stop} lie outside the {side} hand's fit of {len(arrays['valid'])}")
        arrays.setdefault("observed", np.array(arrays["valid"], copy=True))  # fits made before observed was kept
        for name in ("global_orient", "hand_pose", "transl", "valid", "observed"):
            arrays[name][start:stop] = fit.arrays[name]
        refits = [*stored[side].metadata.get("refits", []), [start, stop]]
        spliced[side] = HandFit(arrays, {**fit.metadata, "refits": refits})
    return spliced


def _arrays(hand: HandResult) -> dict[str, np.ndarray]:
    """The HandFit arrays of a fitted hand: session.FIT_ARRAYS and "observed" (fits stored before it lack it)."""
    return {"global_orient": hand.global_orient, "hand_pose": hand.hand_pose, "betas": hand.betas,
            "transl": hand.transl, "valid": hand.valid, "observed": hand.observed}


def fit_figures(joints: np.ndarray, init: HandInit, camera: Camera) -> dict[str, float]:
    """Median reprojection error (px) against the keypoints and mean joint acceleration of joints (T, 21, 3)."""
    errors = reprojection_errors(joints, camera, init.keypoints, init.confidence)
    acceleration = mean_acceleration(joints, init.times)
    return {"reprojection_median_px": float(np.median(errors)) if errors.size else float("nan"),
            "acceleration_mm_per_frame2": acceleration["mm_per_frame2"],
            "acceleration_m_per_s2": acceleration["m_per_s2"]}


def _metadata(hand: HandResult, init: HandInit, result: FitResult, settings: FitSettings, camera: Camera,
              model: HandModel) -> dict:
    """JSON metadata of a hand's fit: settings, camera, stage reports, figures of the fit and of its init."""
    return {
        "method": settings.method, "preset": settings.preset, "settings": settings.to_dict(),
        "hand_model": model.name, "camera_K": camera.K.tolist(), "image_size": list(camera.image_size),
        "stages": [{"stage": r.stage, "iterations": r.iterations, "losses": r.losses, "recoveries": r.recoveries,
                    "seconds": round(r.seconds, 3)} for r in result.stages],
        "fit": fit_figures(hand.joints, init, camera), "init": fit_figures(hand.init_joints, init, camera),
    }


def to_motion(fit: ProjectFit, fps: float, hand_model: str) -> Motion:
    """The motion file contents of a project fit, joints included."""
    hands = {side: HandMotion(hand.global_orient, hand.hand_pose, hand.betas, hand.transl, hand.valid, hand.joints,
                              hand.observed) for side, hand in fit.result.hands.items()}
    return Motion(fps=fps, hand_model=hand_model, camera_K=fit.camera.K, image_size=fit.camera.image_size, **hands)
