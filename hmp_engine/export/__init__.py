"""Exports of a fitted project: motion .npz, AMASS-style .npz, FBX, glTF (.glb), BVH, and the 2D keypoints.

Modules: ``clip`` (the fits as a motion: hands, frames, frame rate), ``skeleton`` (the rig FBX, glTF and BVH share,
and its conventions), one writer per format (``npz``, ``amass``, ``fbx`` through Blender, ``gltf``, ``bvh``,
``keypoints``), ``output`` (atomic writes). Every writer leaves either the complete file or none, and fails with
an ExportError whose message says why.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from hmp_engine.export.amass import write_amass
from hmp_engine.export.bvh import write_bvh
from hmp_engine.export.clip import fitted_models, fitted_sides, project_motion
from hmp_engine.export.errors import ExportError
from hmp_engine.export.fbx import write_fbx
from hmp_engine.export.gltf import write_glb
from hmp_engine.export.keypoints import keypoint_tracks, write_keypoints
from hmp_engine.export.npz import write_npz
from hmp_engine.export.skeleton import UP_AXES, hand_skeleton
from hmp_engine.fitting import project_detections
from hmp_engine.hand_model import OPEN_MODEL
from hmp_engine.session import Project

FORMATS: tuple[str, ...] = ("npz", "amass", "fbx", "glb", "bvh", "keypoints")
ANIMATION_FORMATS: tuple[str, ...] = ("fbx", "glb", "bvh")
"""The formats that carry the skeleton, and so the up axis and the scale."""
SUFFIX_FORMATS = {".npz": "npz", ".fbx": "fbx", ".glb": "glb", ".bvh": "bvh", ".csv": "keypoints",
                  ".json": "keypoints"}
"""The format a file's suffix implies when none is named (an AMASS file must be asked for: it is an .npz too)."""


@dataclass(frozen=True)
class ExportOptions:
    """What to export: hands (default: all fitted), frames A:B, a new frame rate (not for keypoints), the up
    axis and scale (fbx, glb, bvh), posed vertices (npz), and the hand model the project was fitted with."""

    hands: tuple[str, ...] | None = None
    frames: slice = field(default_factory=lambda: slice(None))
    fps: float | None = None
    up: str = "y"
    scale: float = 1.0
    vertices: bool = False
    hand_model: str | os.PathLike = OPEN_MODEL


@dataclass(frozen=True)
class ExportResult:
    """What was written: the file, its format, the hands, the number of frames and their rate."""

    path: str | os.PathLike
    kind: str
    hands: tuple[str, ...]
    num_frames: int
    fps: float


def export_project(project: Project, path: str | os.PathLike, kind: str,
                   options: ExportOptions = ExportOptions()) -> ExportResult:
    """Export a project to ``path`` as ``kind`` (one of FORMATS). Raises ExportError, or HandModelFileError."""
    if kind not in FORMATS:
        raise ExportError(f"unknown export format {kind!r}: choose from {', '.join(FORMATS)}")
    if options.up not in UP_AXES or not options.scale > 0:
        raise ExportError(f"the up axis must be one of {', '.join(UP_AXES)} and the scale positive "
                          f"(got {options.up!r}, {options.scale})")
    if kind == "keypoints":
        if options.fps is not None:
            raise ExportError("keypoints are exported at the video's frames: a frame rate does not apply")
        tracks = keypoint_tracks(project, options.hands)
        frames = write_keypoints(path, project, tracks, options.frames)
        return ExportResult(path, kind, tuple(tracks), frames, project_detections(project).fps)
    sides = fitted_sides(project, options.hands)
    models = fitted_models(project, sides, options.hand_model)
    motion = project_motion(project, models, options.frames, options.fps)
    if kind == "npz":
        write_npz(path, motion, models, options.vertices)
    elif kind == "amass":
        write_amass(path, motion)
    else:
        up, scale = ("z", 1.0) if kind == "fbx" else (options.up, options.scale)  # FBX: Blender converts
        skeletons = {side: hand_skeleton(models[side], hand, side, up, scale) for side, hand in motion.hands().items()}
        if kind == "fbx":
            write_fbx(path, skeletons, motion.fps, options.up, options.scale)
        elif kind == "glb":
            write_glb(path, skeletons, motion.fps, options.up, options.scale)
        else:
            write_bvh(path, skeletons, motion.fps)
    return ExportResult(path, kind, sides, motion.num_frames, motion.fps)


__all__ = ["ANIMATION_FORMATS", "FORMATS", "SUFFIX_FORMATS", "ExportError", "ExportOptions", "ExportResult",
           "export_project", "fitted_models", "fitted_sides", "hand_skeleton", "project_motion", "write_amass",
           "write_bvh", "write_fbx", "write_glb", "write_keypoints", "write_npz"]
