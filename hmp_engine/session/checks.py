"""Checks of everything a project file holds, after migration and before a `Project` is built from it.

`check_contents` raises `Damage` naming the first entry that has the wrong type, shape or range, so that a
damaged or foreign file becomes one "damaged" message instead of an error deep inside a command.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from hmp_engine.session.model import FIT_ARRAYS, OPTIONAL_FIT_ARRAYS, EditState

HANDS = ("right", "left")
_TRACK_SHAPES = {"keypoints": (21, 3), "world": (21, 3), "boxes": (4,), "detected": (), "presence": ()}
_FIT_SHAPES = {"global_orient": (3,), "hand_pose": (45,), "transl": (3,), "valid": ()}  # per frame; betas: (10,)
_BOOL_ARRAYS = ("detected", "valid", "observed")


class Damage(ValueError):
    """What is wrong with a project file's contents, in a few words."""


def check_contents(manifest: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> None:
    """Raise Damage unless the schema-v1 manifest and its arrays make a consistent project."""
    _check_video(_entry(manifest, "video", dict))
    for name in ("created", "modified"):
        _entry(manifest, name, str)
    detection = manifest.get("detection", None)
    frames = 0 if detection is None else _check_detection(_value("detection", detection, dict), arrays)
    tracks = 0 if detection is None else len(detection["tracks"])
    _check_edits(_entry(manifest, "edits", dict), tracks, frames)
    fits = _entry(manifest, "fits", dict)
    if fits and detection is None:
        raise Damage("it has fits but no detection")
    for hand, fit in fits.items():
        _check_fit(hand, _value(f"fits.{hand}", fit, dict), arrays, frames)
    _check_weights(_entry(manifest, "weights", dict))


def _check_video(video: Mapping[str, Any]) -> None:
    """The video reference: path, hash, frame rate, frame count, size."""
    _entry(video, "path", str, "video.")
    _entry(video, "sha256", str, "video.")
    _positive_number("video.fps", video.get("fps"))
    _count("video.num_frames", video.get("num_frames"), minimum=1)
    _size("video.size", video.get("size"))
    if "quick_id" in video:
        _value("video.quick_id", video["quick_id"], str)


def _check_detection(detection: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> int:
    """The detection's metadata, timestamps and track arrays; returns its number of frames."""
    _positive_number("detection.fps", detection.get("fps"))
    _size("detection.image_size", detection.get("image_size"))
    _entry(detection, "settings", dict, "detection.")
    timestamps = _array(arrays, "detection/timestamps", (None,))
    if len(timestamps) == 0:
        raise Damage("detection/timestamps is empty")
    if not np.all(np.diff(timestamps) > 0):
        raise Damage("detection/timestamps do not increase from frame to frame")
    for index, track in enumerate(_entry(detection, "tracks", list, "detection.")):
        track = _value(f"detection.tracks[{index}]", track, dict)
        if track.get("handedness") not in HANDS:
            raise Damage(f"track {index} has handedness {track.get('handedness')!r}, not 'right' or 'left'")
        for name, shape in _TRACK_SHAPES.items():
            _array(arrays, f"track{index}/{name}", (len(timestamps), *shape))
        keypoints = arrays[f"track{index}/keypoints"]
        if np.any(keypoints[..., 2] < 0) or np.any(keypoints[..., 2] > 1):
            raise Damage(f"track{index}/keypoints has confidences outside 0..1")
    return len(timestamps)


def _check_edits(edits: Mapping[str, Any], tracks: int, frames: int) -> None:
    """Every edit names an existing track, frame and joint, finite coordinates and a known state."""
    states = {state.value for state in EditState}
    for track, rows in edits.items():
        if not (track.isdigit() and int(track) < tracks):
            raise Damage(f"edits name track {track!r}, which the project does not have")
        for row in _value(f"edits.{track}", rows, list):
            if not (isinstance(row, list) and len(row) == 5 and _is_int(row[0]) and _is_int(row[1])
                    and 0 <= row[0] < frames and 0 <= row[1] < 21 and _is_finite(row[2]) and _is_finite(row[3])
                    and row[4] in states):
                raise Damage(f"edit {row!r} of track {track} is not [frame, joint, x, y, state] of this project")


def _check_fit(hand: str, fit: Mapping[str, Any], arrays: Mapping[str, np.ndarray], frames: int) -> None:
    """A hand's fit: every array of FIT_ARRAYS, one row per detected frame, and a metadata object."""
    if hand not in HANDS:
        raise Damage(f"it has a fit of hand {hand!r}, not 'right' or 'left'")
    names = _entry(fit, "arrays", list, f"fits.{hand}.")
    listed = set(map(str, names))
    if not set(FIT_ARRAYS) <= listed <= {*FIT_ARRAYS, *OPTIONAL_FIT_ARRAYS}:
        raise Damage(f"the {hand} fit lists arrays {names!r}, not {', '.join(FIT_ARRAYS)} "
                     f"(and optionally {', '.join(OPTIONAL_FIT_ARRAYS)})")
    if "observed" in listed:
        _array(arrays, f"fit/{hand}/observed", (frames,))
    _check_fit_metadata(f"fits.{hand}.metadata", _entry(fit, "metadata", dict, f"fits.{hand}."))
    _array(arrays, f"fit/{hand}/betas", (10,))
    for name, shape in _FIT_SHAPES.items():
        _array(arrays, f"fit/{hand}/{name}", (frames, *shape))


def _check_fit_metadata(name: str, metadata: Mapping[str, Any]) -> None:
    """The metadata entries that rendering and export read: the camera, image size, hand model and refits."""
    camera = metadata.get("camera_K", [[1, 0, 0], [0, 1, 0], [0, 0, 1]])
    if not (isinstance(camera, list) and len(camera) == 3 and all(
            isinstance(row, list) and len(row) == 3 and all(map(_is_finite, row)) for row in camera)
            and camera[0][0] > 0 and camera[1][1] > 0):
        raise Damage(f"{name}.camera_K is not a 3x3 camera matrix with positive focal lengths")
    if "image_size" in metadata:
        _size(f"{name}.image_size", metadata["image_size"])
    if "hand_model" in metadata:
        _value(f"{name}.hand_model", metadata["hand_model"], str)
    refits = _value(f"{name}.refits", metadata.get("refits", []), list)
    if not all(isinstance(span, list) and len(span) == 2 and all(map(_is_int, span)) for span in refits):
        raise Damage(f"{name}.refits is not a list of [start, stop] frame pairs")


def _check_weights(weights: Mapping[str, Any]) -> None:
    """Stored fit settings: where they have stages, each with an iteration count, a learning rate and weights."""
    if "stages" not in weights:
        return
    stages = _entry(weights, "stages", list, "weights.")
    for index, stage in enumerate(stages):
        stage = _value(f"weights.stages[{index}]", stage, dict)
        _count(f"weights.stages[{index}].iterations", stage.get("iterations"), minimum=0)
        _positive_number(f"weights.stages[{index}].lr", stage.get("lr"))
        terms = _entry(stage, "weights", dict, f"weights.stages[{index}].")
        if not all(_is_finite(value) and value >= 0 for value in terms.values()):
            raise Damage(f"weights.stages[{index}].weights holds a value that is not a number >= 0")


def _array(arrays: Mapping[str, np.ndarray], name: str, shape: tuple[int | None, ...]) -> np.ndarray:
    """Array ``name``: present, of ``shape`` (None: any length), bool where it must be, else finite numbers."""
    if name not in arrays:
        raise Damage(f"it has no array {name}")
    array = arrays[name]
    if array.ndim != len(shape) or any(size not in (None, actual) for size, actual in zip(shape, array.shape)):
        expected = "x".join("T" if size is None else str(size) for size in shape)
        raise Damage(f"array {name} has shape {array.shape}, not {expected}")
    if name.rsplit("/", 1)[-1] in _BOOL_ARRAYS:
        if array.dtype != np.bool_:
            raise Damage(f"array {name} is {array.dtype}, not bool")
    elif not np.issubdtype(array.dtype, np.integer) and not np.issubdtype(array.dtype, np.floating):
        raise Damage(f"array {name} is {array.dtype}, not numbers")
    elif not np.all(np.isfinite(array)):
        raise Damage(f"array {name} holds values that are not finite")
    return array


def _entry(mapping: Mapping[str, Any], key: str, kind: type, prefix: str = "") -> Any:
    """``mapping[key]``, which must be of type ``kind``."""
    if key not in mapping:
        raise Damage(f"its manifest has no {prefix}{key}")
    return _value(f"{prefix}{key}", mapping[key], kind)


def _value(name: str, value: Any, kind: type) -> Any:
    """``value``, which must be of type ``kind`` (a JSON object, list or string)."""
    if not isinstance(value, kind):
        raise Damage(f"{name} is {type(value).__name__ if value is not None else 'null'}, not {_KIND_NAMES[kind]}")
    return value


_KIND_NAMES: dict[type, str] = {dict: "an object", list: "a list", str: "a string"}


def _is_int(value: Any) -> bool:
    """A JSON integer (not a boolean)."""
    return isinstance(value, int) and not isinstance(value, bool)


def _is_finite(value: Any) -> bool:
    """A finite JSON number (not a boolean)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _positive_number(name: str, value: Any) -> None:
    """A finite number > 0."""
    if not (_is_finite(value) and value > 0):
        raise Damage(f"{name} is {value!r}, not a positive number")


def _count(name: str, value: Any, minimum: int) -> None:
    """An integer >= minimum."""
    if not (_is_int(value) and value >= minimum):
        raise Damage(f"{name} is {value!r}, not a whole number >= {minimum}")


def _size(name: str, value: Any) -> None:
    """A [width, height] pair of whole numbers >= 1."""
    if not (isinstance(value, list) and len(value) == 2 and all(_is_int(side) and side >= 1 for side in value)):
        raise Damage(f"{name} is {value!r}, not [width, height] in pixels")
