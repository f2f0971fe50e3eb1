"""The project a user works on: video reference, raw detections, manual edits, fits and loss weights.

The user's manual keypoint edits are kept apart from the raw detections so that every edit can be reverted.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from hmp_engine.detection import OCCLUSION_THRESHOLD, DetectionResult, KeypointTrack
from hmp_engine.video import file_sha256, open_video, quick_id

if TYPE_CHECKING:
    from hmp_engine.session.ownership import FileStamp

FIT_ARRAYS: tuple[str, ...] = ("global_orient", "hand_pose", "betas", "transl", "valid")
OPTIONAL_FIT_ARRAYS: tuple[str, ...] = ("observed",)
"""Arrays a fit may also hold: ``observed`` (T,) bool, the frames the hand was seen in (fits made before it was
kept lack it and count every valid frame as observed)."""
"""Arrays of a hand's fit: (T, 3), (T, 45), (10,), (T, 3), (T,) bool."""


class ProjectError(Exception):
    """A project file cannot be read or written; the message names the file and the reason."""


class EditState(str, Enum):
    """What a manual edit of one keypoint says."""

    POSITION = "position"  # moved by the user: visible, at (x, y)
    OCCLUDED = "occluded"  # marked occluded: ignored by the fit
    VISIBLE = "visible"  # marked visible: trusted at (x, y) even where the detector was unsure


@dataclass(frozen=True)
class KeypointEdit:
    """The effective pixel position of an edited keypoint and what the edit says about it."""

    x: float
    y: float
    state: EditState

    @property
    def confidence(self) -> float:
        """Confidence the edited keypoint gets: 0 if marked occluded, 1 otherwise (the user has checked it)."""
        return 0.0 if self.state is EditState.OCCLUDED else 1.0


EditChanges = dict[tuple[int, int], KeypointEdit | None]
"""New edits of one track's keypoints by (frame, joint); None reverts a keypoint to its raw detection."""


@dataclass(frozen=True)
class VideoRef:
    """The video a project is about, identified by its content hash."""

    path: str
    sha256: str
    fps: float
    num_frames: int
    size: tuple[int, int]
    quick_id: str | None = None
    """Size and hash of the file's ends (`hmp_engine.video.quick_id`): checked first, before the full hash."""

    @classmethod
    def from_file(cls, path: str | os.PathLike) -> VideoRef:
        """Describe a video file (opens it and hashes its content). Raises VideoError."""
        with open_video(path) as video:
            return cls(str(Path(path).resolve()), file_sha256(path), video.fps, video.num_frames, video.size,
                       quick_id(path))


@dataclass
class HandFit:
    """A hand's fit result: arrays named in FIT_ARRAYS, and metadata (preset, losses, timings...)."""

    arrays: dict[str, np.ndarray]
    metadata: dict[str, Any] = field(default_factory=dict)


def now() -> str:
    """The current UTC time as an ISO string, to the second (a project's created/modified times)."""
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


@dataclass
class Project:
    """Video reference, raw detections, manual edits per track, fit results per hand, loss weights."""

    video: VideoRef
    detections: DetectionResult | None = None
    edits: dict[int, dict[tuple[int, int], KeypointEdit]] = field(default_factory=dict)
    fits: dict[str, HandFit] = field(default_factory=dict)
    weights: dict[str, Any] = field(default_factory=dict)
    created: str = field(default_factory=now)
    modified: str = ""
    path: Path | None = None
    file_stamp: FileStamp | None = field(default=None, repr=False, compare=False)
    """What ``path`` held when this project was loaded from or saved to it (see `ownership`)."""

    def track(self, index: int) -> KeypointTrack:
        """Raw detection track ``index``; ProjectError if there is none."""
        if self.detections is None or not 0 <= index < len(self.detections.tracks):
            raise ProjectError(f"The project has no detection track {index}")
        return self.detections.tracks[index]

    def _check_keypoint(self, track: int, frame: int, joint: int) -> None:
        """ProjectError unless the track has this frame and joint."""
        if not (0 <= frame < self.track(track).num_frames and 0 <= joint < 21):
            raise ProjectError(f"No keypoint {joint} in frame {frame} of track {track}")

    def edit(self, track: int, frame: int, joint: int) -> KeypointEdit | None:
        """The user's edit of one keypoint, or None where the raw detection stands."""
        return self.edits.get(track, {}).get((frame, joint))

    def set_edit(self, track: int, frame: int, joint: int, edit: KeypointEdit | None) -> KeypointEdit | None:
        """Set (or with None, revert) the edit of one keypoint; returns the edit it replaces (for undo)."""
        self._check_keypoint(track, frame, joint)
        edits = self.edits.setdefault(track, {})
        previous = edits.pop((frame, joint), None)
        if edit is not None:
            edits[(frame, joint)] = edit
        if not edits:
            del self.edits[track]
        return previous

    def apply_edits(self, track: int, changes: Mapping[tuple[int, int], KeypointEdit | None]) -> EditChanges:
        """Set (None: revert) several edits of a track at once; returns the changes that undo it.

        Every keypoint is checked first, so a change naming a keypoint the track lacks changes nothing.
        """
        for frame, joint in changes:
            self._check_keypoint(track, frame, joint)
        return {(frame, joint): self.set_edit(track, frame, joint, edit) for (frame, joint), edit in changes.items()}

    def move_keypoint(self, track: int, frame: int, joint: int, x: float, y: float) -> KeypointEdit | None:
        """Place a keypoint at (x, y) pixels; returns the replaced edit."""
        return self.set_edit(track, frame, joint, KeypointEdit(float(x), float(y), EditState.POSITION))

    def mark_keypoint(self, track: int, frame: int, joint: int, occluded: bool) -> KeypointEdit | None:
        """Mark a keypoint occluded or visible at its current effective position; returns the replaced edit."""
        self._check_keypoint(track, frame, joint)
        x, y, _ = self.frame_keypoints(track, frame)[joint]
        state = EditState.OCCLUDED if occluded else EditState.VISIBLE
        return self.set_edit(track, frame, joint, KeypointEdit(float(x), float(y), state))

    def frame_keypoints(self, track: int, frame: int) -> np.ndarray:
        """(21, 3) pixel x, y, confidence of one frame: the raw detection with this frame's edits applied."""
        keypoints = self.track(track).keypoints[frame].copy()
        for joint in range(21):
            edit = self.edit(track, frame, joint)
            if edit is not None:
                keypoints[joint] = (edit.x, edit.y, edit.confidence)
        return keypoints

    def effective_keypoints(self, track: int) -> np.ndarray:
        """(T, 21, 3) pixel x, y, confidence: the raw detections with this track's edits applied."""
        keypoints = self.track(track).keypoints.copy()
        for (frame, joint), edit in self.edits.get(track, {}).items():
            keypoints[frame, joint] = (edit.x, edit.y, edit.confidence)
        return keypoints

    def edited_frames(self, track: int) -> np.ndarray:
        """(T,) bool: the frames where the user edited at least one of this track's keypoints."""
        edited = np.zeros(len(self.track(track).keypoints), dtype=bool)
        edited[[frame for frame, _ in self.edits.get(track, {})]] = True
        return edited

    def marking_edits(self, track: int, frames: Iterable[int], joints: Iterable[int], occluded: bool) -> EditChanges:
        """The changes that mark keypoints occluded or visible where they are now, leaving out no-ops.

        Marking visible skips keypoints that have no position (hand undetected and never placed by the user):
        a visible mark would pin them to the image corner with full confidence.
        """
        state = EditState.OCCLUDED if occluded else EditState.VISIBLE
        joints = list(joints)
        detected = self.track(track).detected
        changes: EditChanges = {}
        for frame in frames:
            keypoints = self.frame_keypoints(track, frame)
            for joint in joints:
                if occluded or detected[frame] or self.edit(track, frame, joint) is not None:
                    x, y, _ = keypoints[joint]
                    changes[(frame, joint)] = KeypointEdit(float(x), float(y), state)
        return {key: edit for key, edit in changes.items() if self.edit(track, *key) != edit}

    def revert_edits(self, track: int, frames: Iterable[int]) -> EditChanges:
        """The changes that return every edited keypoint of the given frames to its raw detection."""
        wanted = set(frames)
        return {key: None for key in self.edits.get(track, {}) if key[0] in wanted}

    def interpolation_edits(self, track: int, first: int, last: int, joints: Iterable[int]) -> EditChanges:
        """The changes that fill detection gaps in frames first..last by interpolating between trusted positions.

        Per joint, a frame is trusted where the user placed or marked the keypoint visible, or where the raw
        detection is confident (not occluded by OCCLUSION_THRESHOLD); it is a gap where it is unedited and the
        detection missing or unsure; a user's occlusion mark is neither. Only runs of gaps with a trusted frame
        on both sides inside the range are filled, linearly in time, so nothing trusted is overwritten and
        nothing is interpolated across an occlusion or beyond the range.
        """
        first, last = max(0, first), min(self.track(track).num_frames - 1, last)
        times = self.detections.timestamps
        changes: EditChanges = {}
        for joint in joints:
            kinds = [self._interpolation_kind(track, frame, joint) for frame in range(first, last + 1)]
            for start, stop in _gap_runs(kinds):
                before, after = first + start - 1, first + stop
                a = self.frame_keypoints(track, before)[joint, :2]
                b = self.frame_keypoints(track, after)[joint, :2]
                for frame in range(before + 1, after):
                    weight = (times[frame] - times[before]) / (times[after] - times[before])
                    x, y = (1 - weight) * a + weight * b
                    changes[(frame, joint)] = KeypointEdit(float(x), float(y), EditState.POSITION)
        return changes

    def _interpolation_kind(self, track: int, frame: int, joint: int) -> str:
        """A keypoint's role in interpolation: 'trusted', 'gap', or 'occluded' (marked so by the user)."""
        edit = self.edit(track, frame, joint)
        if edit is None:
            raw = self.track(track)
            unsure = not raw.detected[frame] or raw.keypoints[frame, joint, 2] < OCCLUSION_THRESHOLD
            return "gap" if unsure else "trusted"
        return "occluded" if edit.state is EditState.OCCLUDED else "trusted"

    def snapshot(self) -> Project:
        """A copy a worker may read while the user keeps editing this project.

        The detections are replaced whole, never changed in place, so they are shared.
        """
        return dataclasses.replace(self, edits=copy.deepcopy(self.edits), fits=dict(self.fits))

    @property
    def num_edits(self) -> int:
        """Number of edited keypoints over all tracks."""
        return sum(len(edits) for edits in self.edits.values())

    def save(self, path: str | os.PathLike | None = None) -> Path:
        """Write the project atomically to ``path`` (default: where it was loaded/saved). Raises ProjectError."""
        target = Path(path) if path is not None else self.path
        if target is None:
            raise ProjectError("The project has no file yet: give a path to save it to")
        self.modified, self.file_stamp = self._write(target)
        self.path = target
        return target

    def save_copy(self, path: str | os.PathLike) -> Path:
        """Write the project atomically to ``path`` without making it the project's file (autosave, backup)."""
        self._write(Path(path))
        return Path(path)

    def _write(self, target: Path) -> tuple[str, FileStamp]:
        """Write the project atomically to ``target``; returns the modification time and stamp it wrote.

        Raises ProjectError, and ProjectChanged when ``target`` is this project's file and someone else changed
        it since it was loaded or saved.
        """
        from hmp_engine.session.archive import write_project  # the archive module needs this one: import late

        modified = now()
        return modified, write_project(self, target, modified)


def _gap_runs(kinds: list[str]) -> Iterator[tuple[int, int]]:
    """(start, stop) of each run of 'gap' entries with a 'trusted' entry right before and right after it."""
    start: int | None = None
    for index, kind in enumerate(kinds):
        if kind == "gap":
            start = index if start is None else start
            continue
        if start is not None and start > 0 and kind == "trusted" and kinds[start - 1] == "trusted":
            yield start, index
        start = None
