"""The motion .npz of docs/conventions.md (both hands, joints included), optionally with posed vertices.

With vertices, each hand adds ``{side}_vertices`` (T, V, 3) float32 in the camera frame, metres (the hand
model's full skinning, pose correctives included) and ``{side}_faces`` (F, 3); motion-file readers skip both.
"""

from __future__ import annotations

import os

import numpy as np
import torch

from hmp_engine.export.clip import hand_tensors
from hmp_engine.export.errors import ExportError
from hmp_engine.hand_model import HandModel
from hmp_engine.motion_file import HandMotion, Motion, MotionFileError, write_motion


def hand_vertices(model: HandModel, hand: HandMotion) -> np.ndarray:
    """(T, V, 3) posed mesh vertices of a hand's motion in the camera frame, metres."""
    with torch.no_grad():
        return model(*hand_tensors(hand)).vertices.numpy()


def write_npz(path: str | os.PathLike, motion: Motion, models: dict[str, HandModel], vertices: bool = False) -> None:
    """Write the motion file (with each hand's posed vertices and faces if asked) atomically. Raises ExportError."""
    extra = {}
    if vertices:
        for side, hand in motion.hands().items():
            extra[f"{side}_vertices"] = hand_vertices(models[side], hand)
            extra[f"{side}_faces"] = np.asarray(models[side].faces, dtype=np.int32)
    try:
        write_motion(path, motion, extra)
    except MotionFileError as error:
        raise ExportError(str(error)) from error
