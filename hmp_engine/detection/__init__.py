"""Hand keypoint detection: MediaPipe Hands over a video -> one keypoint track per hand with per-joint confidence.

Modules: ``mediapipe_hands`` (the detector, handedness convention, augmented views), ``tracker`` (hand
identity over time), ``confidence`` (the per-joint confidence formula), ``tracks`` (the output types),
``pipeline`` (``detect_video``).

The output types are imported at once; the detector and tracker (MediaPipe, SciPy) only when one of their
names is first used, so reading a project (``hmp info``, the studio's start) does not load MediaPipe.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from hmp_engine.detection.tracks import OCCLUSION_THRESHOLD, DetectionResult, KeypointTrack

if TYPE_CHECKING:
    from hmp_engine.detection.pipeline import CONFIDENCE_MODES, ConfidenceMode, build_tracks, detect_video
    from hmp_engine.detection.tracker import HandObservation, link_tracks

_LAZY_NAMES: dict[str, str] = {
    "CONFIDENCE_MODES": "pipeline",
    "ConfidenceMode": "pipeline",
    "build_tracks": "pipeline",
    "detect_video": "pipeline",
    "HandObservation": "tracker",
    "link_tracks": "tracker",
}

__all__ = [
    "CONFIDENCE_MODES",
    "ConfidenceMode",
    "DetectionResult",
    "HandObservation",
    "KeypointTrack",
    "OCCLUSION_THRESHOLD",
    "build_tracks",
    "detect_video",
    "link_tracks",
]


def __getattr__(name: str) -> Any:
    """Import the detector or tracker module the first time one of its names is asked for."""
    module = _LAZY_NAMES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
