"""The timeline's picture: per hand, a row of edit marks over 21 joint rows coloured by confidence; frames across."""

from __future__ import annotations

import numpy as np

from hmp_engine.detection import OCCLUSION_THRESHOLD
from hmp_engine.session import Project
from hmp_studio.model.review import JointStatus, joint_status

ROWS_PER_TRACK = 22
"""Row 0: frames with an edit of this hand; rows 1-21: joints in MediaPipe order."""
EDIT_MARK = np.array([0, 200, 255], dtype=np.uint8)
OCCLUDED = (np.array([104, 104, 104], dtype=np.uint8), np.array([72, 72, 72], dtype=np.uint8))
"""Two greys alternating by frame and joint: occluded cells read as hatched."""
_RAMP_AT = np.array([0.0, 0.5, 1.0])
_RAMP = np.array([[215, 48, 39], [254, 224, 139], [26, 152, 80]], dtype=np.float64)
"""Red -> yellow -> green (ColorBrewer RdYlGn ends and middle) from OCCLUSION_THRESHOLD to confidence 1."""


def confidence_colours(confidence: np.ndarray) -> np.ndarray:
    """RGB uint8 of confidences (any shape): red at OCCLUSION_THRESHOLD through yellow to green at 1."""
    t = np.clip((confidence - OCCLUSION_THRESHOLD) / (1 - OCCLUSION_THRESHOLD), 0, 1)
    channels = [np.interp(t, _RAMP_AT, _RAMP[:, c]) for c in range(3)]
    return np.stack(channels, axis=-1).round().astype(np.uint8)


def track_rgba(status: JointStatus, num_frames: int) -> np.ndarray:
    """(ROWS_PER_TRACK, num_frames, 4) uint8 of one track; transparent where the hand is absent or undetected."""
    image = np.zeros((ROWS_PER_TRACK, num_frames, 4), dtype=np.uint8)
    frames = min(num_frames, len(status.present))
    edited, present = status.edited[:frames].T, status.present[:frames].T
    joints = image[1:, :frames]
    joints[..., :3] = confidence_colours(status.confidence[:frames].T)
    checker = (np.add.outer(np.arange(21), np.arange(frames)) % 2).astype(bool)
    occluded = status.occluded[:frames].T
    joints[occluded & ~checker, :3] = OCCLUDED[0]
    joints[occluded & checker, :3] = OCCLUDED[1]
    joints[edited, :3] = joints[edited, :3] // 2 + EDIT_MARK // 2
    joints[..., 3] = np.where(present, 255, 0)
    image[0, :frames][edited.any(axis=0)] = (*EDIT_MARK, 255)
    return image


def timeline_rgba(project: Project, num_frames: int) -> np.ndarray:
    """(ROWS_PER_TRACK * tracks, num_frames, 4) uint8: every track's rows, most-detected track on top."""
    tracks = project.detections.tracks if project.detections is not None else []
    rows = [track_rgba(joint_status(project, index), num_frames) for index in range(len(tracks))]
    return np.concatenate(rows) if rows else np.zeros((0, num_frames, 4), dtype=np.uint8)
