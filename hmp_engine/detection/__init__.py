"""Hand keypoint detection: MediaPipe Hands over a video -> one keypoint track per hand with per-joint confidence.

Modules: ``mediapipe_hands`` (the detector, handedness convention, augmented views), ``tracker`` (hand
identity over time), ``confidence`` (the per-joint confidence formula), ``tracks`` (the output types),
``pipeline`` (``detect_video``).
"""

from hmp_engine.detection.pipeline import CONFIDENCE_MODES, ConfidenceMode, build_tracks, detect_video
from hmp_engine.detection.tracker import HandObservation, link_tracks
from hmp_engine.detection.tracks import OCCLUSION_THRESHOLD, DetectionResult, KeypointTrack

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
