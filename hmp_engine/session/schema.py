"""Schema v1: a project as a JSON manifest and a dict of arrays, and back."""

from __future__ import annotations

from typing import Any

import numpy as np

from hmp_engine import __version__
from hmp_engine.detection import DetectionResult, KeypointTrack
from hmp_engine.session.model import EditState, HandFit, KeypointEdit, Project, VideoRef

SCHEMA_VERSION = 1
_TRACK_ARRAYS: tuple[str, ...] = ("keypoints", "world", "boxes", "detected", "presence")


def serialise(project: Project, modified: str) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Schema-v1 manifest and arrays of a project."""
    video = project.video
    arrays: dict[str, np.ndarray] = {}
    detection = None
    if project.detections is not None:
        result = project.detections
        arrays["detection/timestamps"] = result.timestamps
        for index, track in enumerate(result.tracks):
            for name in _TRACK_ARRAYS:
                arrays[f"track{index}/{name}"] = getattr(track, name)
        detection = {
            "fps": result.fps,
            "image_size": list(result.image_size),
            "settings": result.settings,
            "tracks": [
                {"handedness": track.handedness, "detected_frames": int(track.detected.sum())}
                for track in result.tracks
            ],
        }
    for hand, fit in project.fits.items():
        for name, array in fit.arrays.items():
            arrays[f"fit/{hand}/{name}"] = array
    manifest = {
        "format": "HMP Studio project",
        "schema_version": SCHEMA_VERSION,
        "app_version": __version__,
        "created": project.created,
        "modified": modified,
        "video": {
            "path": video.path,
            "sha256": video.sha256,
            "fps": video.fps,
            "num_frames": video.num_frames,
            "size": list(video.size),
            **({"quick_id": video.quick_id} if video.quick_id is not None else {}),
        },
        "detection": detection,
        "edits": {
            str(track): [
                [frame, joint, edit.x, edit.y, edit.state.value] for (frame, joint), edit in sorted(edits.items())
            ]
            for track, edits in sorted(project.edits.items())
        },
        "fits": {
            hand: {"arrays": sorted(fit.arrays), "metadata": fit.metadata} for hand, fit in project.fits.items()
        },
        "weights": project.weights,
    }
    return manifest, arrays


def deserialise(manifest: dict[str, Any], arrays: dict[str, np.ndarray]) -> Project:
    """A project from a schema-v1 manifest and its arrays (KeyError/TypeError/ValueError if inconsistent)."""
    video = manifest["video"]
    detections = None
    if manifest["detection"] is not None:
        info = manifest["detection"]
        tracks = [
            KeypointTrack(
                handedness=meta["handedness"], **{name: arrays[f"track{i}/{name}"] for name in _TRACK_ARRAYS}
            )
            for i, meta in enumerate(info["tracks"])
        ]
        timestamps = arrays["detection/timestamps"]
        if any(track.keypoints.shape != (len(timestamps), 21, 3) for track in tracks):
            raise ValueError("track arrays do not match the number of frames")
        size = tuple(info["image_size"])
        detections = DetectionResult(tracks, float(info["fps"]), timestamps, size, info["settings"])
    project = Project(
        video=VideoRef(
            video["path"], video["sha256"], float(video["fps"]), int(video["num_frames"]), tuple(video["size"]),
            video.get("quick_id"),
        ),
        detections=detections,
        fits={
            hand: HandFit({name: arrays[f"fit/{hand}/{name}"] for name in fit["arrays"]}, fit["metadata"])
            for hand, fit in manifest["fits"].items()
        },
        weights=manifest["weights"],
        created=manifest["created"],
        modified=manifest["modified"],
    )
    for track, edits in manifest["edits"].items():
        for frame, joint, x, y, state in edits:
            project.set_edit(int(track), int(frame), int(joint), KeypointEdit(float(x), float(y), EditState(state)))
    return project
