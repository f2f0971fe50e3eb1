"""The 2D keypoints of a project with the user's edits applied, as CSV or JSON rows for other tools.

One row per frame, hand and joint (MediaPipe order, docs/conventions.md): ``frame``, ``time`` (seconds),
``hand``, ``joint`` (name), ``x``, ``y`` (pixels; empty in CSV and null in JSON where the hand was not detected
and the user never placed the keypoint), ``confidence`` (0 where marked occluded, 1 where placed or marked
visible), ``edited`` (the user changed this keypoint). JSON: ``{"fps", "image_size", "joints", "rows"}`` with the
same rows as objects. The format follows the file's suffix (.csv or .json). No fit is needed.
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path
from typing import Any

from hmp_engine.export.errors import ExportError
from hmp_engine.export.output import write_output
from hmp_engine.fitting import hand_tracks, project_detections
from hmp_engine.frame_span import FrameSpanError, frame_span
from hmp_engine.hand_model import MEDIAPIPE_JOINT_NAMES
from hmp_engine.session import EditState, Project, ProjectError

COLUMNS = ("frame", "time", "hand", "joint", "x", "y", "confidence", "edited")
SUFFIXES = (".csv", ".json")


def keypoint_tracks(project: Project, hands: tuple[str, ...] | None = None) -> dict[str, int]:
    """The detection track of each chosen side (default: every detected side, right first); ExportError."""
    try:
        tracks = hand_tracks(project)
    except ProjectError as error:
        raise ExportError(str(error)) from error
    if missing := [side for side in hands or () if side not in tracks]:
        raise ExportError(f"the project has no detected {missing[0]} hand (detected: {', '.join(tracks)})")
    return {side: tracks[side] for side in hands or tracks}


def keypoint_rows(project: Project, tracks: dict[str, int], frames: slice = slice(None)) -> list[dict[str, Any]]:
    """The rows of the given tracks by side over ``frames`` (see the module docstring)."""
    times = project_detections(project).timestamps
    try:
        span = frame_span(frames, len(times))
    except FrameSpanError as error:
        raise ExportError(str(error)) from error
    rows = []
    for side, index in tracks.items():
        keypoints, detected = project.effective_keypoints(index), project.track(index).detected
        for frame in span:
            for joint, name in enumerate(MEDIAPIPE_JOINT_NAMES):
                edit = project.edit(index, frame, joint)
                placed = detected[frame] or (edit is not None and edit.state is not EditState.OCCLUDED)
                x, y, confidence = (float(value) for value in keypoints[frame, joint])
                rows.append({"frame": frame, "time": float(times[frame]), "hand": side, "joint": name,
                             "x": x if placed else None, "y": y if placed else None, "confidence": confidence,
                             "edited": edit is not None})
    return rows


def _csv(rows: list[dict[str, Any]]) -> str:
    """The rows as CSV text with a header line; missing positions are empty fields."""
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows({**row, "edited": int(row["edited"])} for row in rows)
    return text.getvalue()


def write_keypoints(path: str | os.PathLike, project: Project, tracks: dict[str, int],
                    frames: slice = slice(None)) -> int:
    """Write the keypoint rows as CSV or JSON (by suffix) atomically; returns the number of frames. ExportError."""
    suffix = Path(path).suffix.lower()
    if suffix not in SUFFIXES:
        raise ExportError(f"keypoints are written as .csv or .json, not '{suffix or Path(path).name}'")
    rows = keypoint_rows(project, tracks, frames)
    if suffix == ".csv":
        text = _csv(rows)
    else:
        detections = project_detections(project)
        text = json.dumps({"fps": detections.fps, "image_size": list(detections.image_size),
                           "joints": list(MEDIAPIPE_JOINT_NAMES), "rows": rows}, allow_nan=False)
    write_output(path, text.encode())
    return len({row["frame"] for row in rows})
