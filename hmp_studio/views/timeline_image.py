"""The timeline's picture: per hand, a row of edit marks over 21 joint rows coloured by confidence; frames across.

Once a hand is fitted, its track's frames without keypoints are shaded by what the fit made of them: infilled
(hidden or missed, estimated) in blue-grey stripes, absent (out of the picture, not estimated) in dark red.
"""

from __future__ import annotations

import numpy as np

from hmp_engine.detection import OCCLUSION_THRESHOLD
from hmp_engine.fitting import hand_tracks
from hmp_engine.session import Project
from hmp_studio.model.review import JointStatus, joint_status

ROWS_PER_TRACK = 22
"""Row 0: frames with an edit of this hand; rows 1-21: joints in MediaPipe order."""
EDIT_MARK = np.array([0, 200, 255], dtype=np.uint8)
OCCLUDED = (np.array([104, 104, 104], dtype=np.uint8), np.array([72, 72, 72], dtype=np.uint8))
"""Two greys alternating by frame and joint: occluded cells read as hatched."""
INFILLED_STRIPES = (np.array([92, 122, 178], dtype=np.uint8), np.array([62, 86, 132], dtype=np.uint8))
"""Two blue-greys alternating by frame: frames the fit infilled."""
ABSENT_FILL = np.array([74, 28, 32], dtype=np.uint8)
"""Frames where the fitted hand is absent (out of the picture, or missing too long to infill)."""
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


def shade_fit_states(image: np.ndarray, valid: np.ndarray, observed: np.ndarray) -> None:
    """Shade the joint rows of a track's (ROWS_PER_TRACK, T, 4) image where its fit infilled or left out frames.

    Only frames without keypoints (transparent) are shaded, so an edit or a detection always shows."""
    frames = min(image.shape[1], len(valid))
    joints = image[1:, :frames]
    empty = joints[..., 3] == 0
    infilled = (np.asarray(valid[:frames], dtype=bool) & ~np.asarray(observed[:frames], dtype=bool))[None] & empty
    absent = ~np.asarray(valid[:frames], dtype=bool)[None] & empty
    stripe = (np.arange(frames) // 2 % 2).astype(bool)[None].repeat(21, axis=0)
    joints[infilled & ~stripe, :3] = INFILLED_STRIPES[0]
    joints[infilled & stripe, :3] = INFILLED_STRIPES[1]
    joints[absent, :3] = ABSENT_FILL
    joints[infilled | absent, 3] = 255


def track_rows(project: Project, index: int, num_frames: int) -> np.ndarray:
    """(ROWS_PER_TRACK, num_frames, 4) uint8 of one track, with its fit's infilled and absent frames shaded when
    it is the track a hand was fitted from."""
    image = track_rgba(joint_status(project, index), num_frames)
    fitted = {track: side for side, track in hand_tracks(project).items()}
    fit = project.fits.get(fitted.get(index, ""))
    if fit is not None and "valid" in fit.arrays:
        valid = fit.arrays["valid"]
        shade_fit_states(image, valid, fit.arrays.get("observed", valid))
    return image


def timeline_rgba(project: Project, num_frames: int) -> np.ndarray:
    """(ROWS_PER_TRACK * tracks, num_frames, 4) uint8: every track's rows, most-detected track on top."""
    tracks = project.detections.tracks if project.detections is not None else []
    rows = [track_rows(project, index, num_frames) for index in range(len(tracks))]
    return np.concatenate(rows) if rows else np.zeros((0, num_frames, 4), dtype=np.uint8)
