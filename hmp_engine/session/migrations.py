"""Upgrades of older project schemas: one function per schema version step."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

Migration = Callable[[dict[str, Any], dict[str, np.ndarray]], tuple[dict[str, Any], dict[str, np.ndarray]]]


def _v0_to_v1(
    manifest: dict[str, Any], arrays: dict[str, np.ndarray]
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Pre-release layout (v0) -> v1.

    v0 had ``version: 0``, flat video fields (video_path, video_sha256, fps, num_frames, width, height), no
    created/modified times, track handedness as a list ``hands``, edits as objects
    ``{"track", "frame", "joint", "x", "y", "kind"}`` with kind 'moved' / 'occluded' / 'visible', no fits or
    weights, and arrays named ``track_{k}_{name}`` and ``timestamps``.
    """
    states = {"moved": "position", "occluded": "occluded", "visible": "visible"}
    edits: dict[str, list[list[Any]]] = {}
    for edit in manifest.get("edits", []):
        row = [edit["frame"], edit["joint"], edit["x"], edit["y"], states[edit["kind"]]]
        edits.setdefault(str(edit["track"]), []).append(row)
    renamed = {_v1_array_name(key): value for key, value in arrays.items()}
    hands = manifest.get("hands")
    upgraded = {
        "format": "HMP Studio project",
        "schema_version": 1,
        "app_version": manifest.get("app_version", "pre-release"),
        "created": manifest.get("saved", ""),
        "modified": manifest.get("saved", ""),
        "video": {
            "path": manifest["video_path"],
            "sha256": manifest["video_sha256"],
            "fps": manifest["fps"],
            "num_frames": manifest["num_frames"],
            "size": [manifest["width"], manifest["height"]],
        },
        "detection": None
        if hands is None
        else {
            "fps": manifest["fps"],
            "image_size": [manifest["width"], manifest["height"]],
            "settings": {},
            "tracks": [
                {"handedness": side, "detected_frames": int(arrays[f"track_{k}_detected"].sum())}
                for k, side in enumerate(hands)
            ],
        },
        "edits": {track: sorted(items) for track, items in edits.items()},
        "fits": {},
        "weights": {},
    }
    return upgraded, renamed


def _v1_array_name(v0_name: str) -> str:
    """'track_0_keypoints' -> 'track0/keypoints', 'timestamps' -> 'detection/timestamps'."""
    if v0_name.startswith("track_"):
        index, name = v0_name.removeprefix("track_").split("_", 1)
        return f"track{index}/{name}"
    return f"detection/{v0_name}"


MIGRATIONS: dict[int, Migration] = {0: _v0_to_v1}
"""``MIGRATIONS[v]`` upgrades a schema-v manifest and its arrays to schema v + 1."""
