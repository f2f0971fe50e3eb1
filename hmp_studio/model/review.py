"""Which frames need a look: per-joint status of a track, the frames that are low-confidence, occluded or
edited, and jumps between runs of such frames."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hmp_engine.detection import OCCLUSION_THRESHOLD
from hmp_engine.session import EditState, Project

LOW_CONFIDENCE = 0.7
"""Below this (and at or above OCCLUSION_THRESHOLD) a joint is visible but worth checking: about the 5th
percentile of joint confidence on the bundled sample."""
REVIEW_KINDS: tuple[str, ...] = ("low confidence", "occluded", "edited")
EDIT_WORDS = {EditState.POSITION: "moved by you", EditState.OCCLUDED: "marked occluded",
              EditState.VISIBLE: "marked visible"}
"""How an edited keypoint is described in tooltips."""


@dataclass
class JointStatus:
    """(T, 21) arrays of one track over its frames: effective confidence, edited, present (detected or edited)."""

    confidence: np.ndarray
    edited: np.ndarray
    present: np.ndarray

    @property
    def occluded(self) -> np.ndarray:
        """Present joints the detector was unsure of or the user marked occluded."""
        return self.present & (self.confidence < OCCLUSION_THRESHOLD)

    @property
    def low_confidence(self) -> np.ndarray:
        """Present, not occluded, but below LOW_CONFIDENCE."""
        return self.present & (self.confidence >= OCCLUSION_THRESHOLD) & (self.confidence < LOW_CONFIDENCE)


def joint_status(project: Project, track: int) -> JointStatus:
    """The status of every joint of a track in every frame, with the user's edits applied."""
    raw = project.track(track)
    edited = np.zeros(raw.keypoints.shape[:2], dtype=bool)
    keys = np.array(list(project.edits.get(track, {})), dtype=np.int64).reshape(-1, 2)
    edited[keys[:, 0], keys[:, 1]] = True
    confidence = project.effective_keypoints(track)[..., 2]
    return JointStatus(confidence, edited, raw.detected[:, None] | edited)


def frame_flags(project: Project, num_frames: int) -> dict[str, np.ndarray]:
    """(num_frames,) bool per REVIEW_KINDS: frames where some hand has such a joint."""
    flags = {kind: np.zeros(num_frames, dtype=bool) for kind in REVIEW_KINDS}
    tracks = project.detections.tracks if project.detections is not None else []
    for index in range(len(tracks)):
        status = joint_status(project, index)
        frames = min(num_frames, len(status.edited))
        for kind, joints in zip(REVIEW_KINDS, (status.low_confidence, status.occluded, status.edited)):
            flags[kind][:frames] |= joints[:frames].any(axis=1)
    return flags


def next_run_start(flags: np.ndarray, current: int, forward: bool) -> int | None:
    """The first frame of the next (or previous) run of flagged frames after (before) ``current``, or None."""
    starts = np.flatnonzero(flags & ~np.concatenate([[False], flags[:-1]]))
    candidates = starts[starts > current] if forward else starts[starts < current]
    if candidates.size == 0:
        return None
    return int(candidates[0] if forward else candidates[-1])
