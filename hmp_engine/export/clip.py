"""What an export writes: a project's fits as a motion (docs/conventions.md) of the chosen hands, frames and rate.

Frames ``A:B`` select fit frames A to B-1 (the rule of `hmp_engine.frame_span`: out of range is an error). A new
frame rate resamples that span at the video's real timestamps: rotations (global orientation and finger joints)
by SLERP, translation linearly, validity (valid, observed) from the nearest frame; motion is interpolated, never
decimated. A variable-frame-rate video is resampled to its average rate even without a new rate, so keys sit at
real times. Joints come from the hand model the project was fitted with.
"""

from __future__ import annotations

import math
import os

import numpy as np
import torch

from hmp_engine.export.errors import ExportError
from hmp_engine.frame_span import FrameSpanError, frame_span
from hmp_engine.hand_model import HandModel, load_hand_model
from hmp_engine.hand_model.joints import SIDES
from hmp_engine.motion_file import HandMotion, Motion
from hmp_engine.rotations import linear_resample, slerp_resample
from hmp_engine.session import Project


def fitted_sides(project: Project, hands: tuple[str, ...] | None = None) -> tuple[str, ...]:
    """The sides to export (default: every fitted hand, right first); ExportError if one has no fit."""
    if not project.fits:
        raise ExportError("the project has no fit to export: fit it first (hmp fit PROJECT, or Fit in the studio)")
    wanted = hands or tuple(side for side in SIDES if side in project.fits)
    if unknown := [side for side in wanted if side not in SIDES]:
        raise ExportError(f"unknown hand {unknown[0]!r}: choose from right, left")
    if missing := [side for side in wanted if side not in project.fits]:
        raise ExportError(f"the project has no fit of the {missing[0]} hand (fitted: {', '.join(project.fits)})")
    return wanted


def fitted_models(project: Project, sides: tuple[str, ...], source: str | os.PathLike) -> dict[str, HandModel]:
    """Each side's hand model from ``source`` (open or a MANO folder); ExportError if it is not the fitted one."""
    models = {}
    for side in sides:
        model = load_hand_model(source, side)
        fitted_with = project.fits[side].metadata.get("hand_model", model.name)
        if fitted_with != model.name:
            raise ExportError(f"the {side} hand was fitted with the hand model '{fitted_with}', not '{model.name}': "
                              "give the model it was fitted with (--hand-model)")
        models[side] = model
    return models


def frame_times(project: Project) -> np.ndarray:
    """Timestamps in seconds of the project's frames (the detector's, else frame / fps)."""
    if project.detections is not None:
        return np.asarray(project.detections.timestamps, dtype=np.float64)
    fit = next(iter(project.fits.values()))
    return np.arange(len(fit.arrays["hand_pose"])) / project.video.fps


def project_motion(project: Project, models: dict[str, HandModel], frames: slice = slice(None),
                   fps: float | None = None) -> Motion:
    """The motion of the hands in ``models`` over ``frames``, at the video's frame rate or resampled to ``fps``."""
    times = frame_times(project)
    try:
        indices = np.asarray(frame_span(frames, len(times)))
    except FrameSpanError as error:
        raise ExportError(str(error)) from error
    if fps is not None and not (fps > 0 and math.isfinite(fps)):
        raise ExportError(f"the frame rate must be positive, not {fps}")
    source_times = times[indices]
    video_rate = project.detections.fps if project.detections else project.video.fps
    if fps is None and not is_uniform(source_times, video_rate):
        fps = video_rate
    new_times = None
    if fps is not None:
        count = math.floor((source_times[-1] - source_times[0]) * fps + 1e-6) + 1
        new_times = source_times[0] + np.arange(count) / fps
    hands = {}
    for side, model in models.items():
        arrays = project.fits[side].arrays
        hand = HandMotion(**{name: arrays[name] if name == "betas" else arrays[name][indices]
                             for name in ("global_orient", "hand_pose", "betas", "transl", "valid")},
                          observed=np.asarray(arrays.get("observed", arrays["valid"]), dtype=bool)[indices])
        if new_times is not None:
            hand = resample_hand(hand, source_times, new_times)
        hand.joints = hand_joints(model, hand)
        hands[side] = hand
    metadata = project.fits[next(iter(models))].metadata
    camera_K, image_size = metadata.get("camera_K"), metadata.get("image_size")
    rate = fps if fps is not None else video_rate
    return Motion(fps=rate, hand_model=next(iter(models.values())).name,
                  camera_K=None if camera_K is None else np.asarray(camera_K),
                  image_size=None if image_size is None else tuple(image_size), **hands)


def is_uniform(times: np.ndarray, fps: float) -> bool:
    """Whether frames at ``times`` sit on a grid of ``fps`` from the first (within a tenth of a frame)."""
    grid = times[0] + np.arange(len(times)) / fps
    return bool(np.all(np.abs(times - grid) <= 0.1 / fps))


def resample_hand(hand: HandMotion, times: np.ndarray, new_times: np.ndarray) -> HandMotion:
    """A hand's motion at new times: SLERP of rotations, linear translation, validity of the nearest frame."""
    after = np.clip(np.searchsorted(times, new_times), 0, len(times) - 1)
    before = np.maximum(after - 1, 0)
    nearest = np.where(new_times - times[before] <= times[after] - new_times, before, after)
    return HandMotion(
        global_orient=slerp_resample(times, np.asarray(hand.global_orient)[:, None], new_times)[:, 0],
        hand_pose=slerp_resample(times, np.asarray(hand.hand_pose).reshape(-1, 15, 3), new_times).reshape(-1, 45),
        betas=hand.betas, transl=linear_resample(times, hand.transl, new_times),
        valid=np.asarray(hand.valid, dtype=bool)[nearest],
        observed=None if hand.observed is None else np.asarray(hand.observed, dtype=bool)[nearest],
    )


def hand_tensors(hand: HandMotion) -> tuple[torch.Tensor, ...]:
    """A hand's (global_orient, hand_pose, betas, transl) as float32 tensors: the hand model's inputs."""
    arrays = (hand.global_orient, hand.hand_pose, hand.betas, hand.transl)
    return tuple(torch.as_tensor(np.asarray(array), dtype=torch.float32) for array in arrays)


def hand_joints(model: HandModel, hand: HandMotion) -> np.ndarray:
    """(T, 21, 3) MANO-21 joints of a hand's motion in the camera frame, metres."""
    with torch.no_grad():
        return model.joints(*hand_tensors(hand)).numpy()
