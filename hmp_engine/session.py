"""The project a user works on, and its ``.hmp`` file.

A project holds the video reference, the raw detections, the user's manual keypoint edits (kept apart from
the raw detections so that every edit can be reverted), the fit result of each hand and the loss weights.

File format: a zip archive with ``manifest.json`` (schema version, app version, created/modified times,
video reference, detection settings and track metadata, edit lists, fit metadata, weights) and
``arrays.npz`` (every array, under sorted keys, written with fixed zip timestamps so that re-saving an
unchanged project gives a bit-identical ``arrays.npz``). Older schema versions are upgraded on load by the
functions in ``MIGRATIONS``, one per version step; a newer schema version is refused. Saving writes a temp
file in the target folder, fsyncs it and renames it over the target, so a failed save leaves the previous
file intact; it refuses to overwrite a file that is not a project this version can read.
"""

from __future__ import annotations

import datetime
import io
import json
import os
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

import numpy as np

from hmp_engine import __version__
from hmp_engine.atomic import write_bytes_atomic
from hmp_engine.detection import OCCLUSION_THRESHOLD, DetectionResult, KeypointTrack
from hmp_engine.video import file_sha256, open_video

SCHEMA_VERSION = 1
MANIFEST = "manifest.json"
ARRAYS = "arrays.npz"
FIT_ARRAYS: tuple[str, ...] = ("global_orient", "hand_pose", "betas", "transl", "valid")
"""Arrays of a hand's fit: (T, 3), (T, 45), (10,), (T, 3), (T,) bool."""
_TRACK_ARRAYS: tuple[str, ...] = ("keypoints", "world", "boxes", "detected", "presence")
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # fixed member timestamps: identical content gives identical bytes


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

    @classmethod
    def from_file(cls, path: str | os.PathLike) -> VideoRef:
        """Describe a video file (opens it and hashes its content). Raises VideoError."""
        with open_video(path) as video:
            return cls(str(Path(path).resolve()), file_sha256(path), video.fps, video.num_frames, video.size)


@dataclass
class HandFit:
    """A hand's fit result: arrays named in FIT_ARRAYS, and metadata (preset, losses, timings...)."""

    arrays: dict[str, np.ndarray]
    metadata: dict[str, Any] = field(default_factory=dict)


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


@dataclass
class Project:
    """Video reference, raw detections, manual edits per track, fit results per hand, loss weights."""

    video: VideoRef
    detections: DetectionResult | None = None
    edits: dict[int, dict[tuple[int, int], KeypointEdit]] = field(default_factory=dict)
    fits: dict[str, HandFit] = field(default_factory=dict)
    weights: dict[str, Any] = field(default_factory=dict)
    created: str = field(default_factory=_now)
    modified: str = ""
    path: Path | None = None

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

    @property
    def num_edits(self) -> int:
        """Number of edited keypoints over all tracks."""
        return sum(len(edits) for edits in self.edits.values())

    def save(self, path: str | os.PathLike | None = None) -> Path:
        """Write the project atomically to ``path`` (default: where it was loaded/saved). Raises ProjectError."""
        target = Path(path) if path is not None else self.path
        if target is None:
            raise ProjectError("The project has no file yet: give a path to save it to")
        self.modified = self._write(target)
        self.path = target
        return target

    def save_copy(self, path: str | os.PathLike) -> Path:
        """Write the project atomically to ``path`` without making it the project's file (autosave, backup)."""
        self._write(Path(path))
        return Path(path)

    def _write(self, target: Path) -> str:
        """Write the project atomically to ``target``; returns the modification time it wrote. Raises ProjectError."""
        if target.exists():
            _check_overwritable(target)
        modified = _now()
        manifest, arrays = _serialise(self, modified)
        try:
            data = _archive_bytes(manifest, arrays)
        except (TypeError, ValueError) as error:
            raise ProjectError(f"Cannot save project to '{target}': {error} (weights and metadata must be JSON)")
        _atomic_write(target, data)
        return modified


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


def load_project(path: str | os.PathLike) -> Project:
    """Read a ``.hmp`` file, upgrading older schema versions. Raises ProjectError."""
    path = Path(path)
    manifest, arrays = _read_archive(path)
    version = _schema_version(manifest, path)
    for step in range(version, SCHEMA_VERSION):
        manifest, arrays = MIGRATIONS[step](manifest, arrays)
    try:
        project = _deserialise(manifest, arrays)
    except (KeyError, TypeError, ValueError, IndexError, ProjectError) as error:
        raise ProjectError(f"Project file '{path}' is damaged: {_describe(error)}") from error
    project.path = path
    return project


# ---- archive: bytes in and out --------------------------------------------------------------------------


def _npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    """A deterministic .npz: members in sorted key order, fixed timestamps, deflated."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as npz:
        for key in sorted(arrays):
            member = io.BytesIO()
            np.lib.format.write_array(member, np.ascontiguousarray(arrays[key]), allow_pickle=False)
            info = zipfile.ZipInfo(f"{key}.npy", date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            npz.writestr(info, member.getvalue())
    return buffer.getvalue()


def _archive_bytes(manifest: dict[str, Any], arrays: dict[str, np.ndarray]) -> bytes:
    """The whole .hmp file: the manifest as indented JSON and the arrays as a stored .npz."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        manifest_info = zipfile.ZipInfo(MANIFEST, date_time=_ZIP_TIME)
        manifest_info.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(manifest_info, json.dumps(manifest, indent=2, allow_nan=False).encode())
        archive.writestr(zipfile.ZipInfo(ARRAYS, date_time=_ZIP_TIME), _npz_bytes(arrays))
    return buffer.getvalue()


def _atomic_write(target: Path, data: bytes) -> None:
    """Replace ``target`` by ``data`` via a fsynced temp file in the same folder; nothing changes on failure."""
    try:
        write_bytes_atomic(target, data)
    except OSError as error:
        raise ProjectError(f"Cannot save project to '{target}': {_describe(error)}") from error


def _read_archive(path: Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Manifest and arrays of a .hmp file, each failure turned into a ProjectError naming the problem."""
    try:
        with zipfile.ZipFile(path) as archive:
            missing = [member for member in (MANIFEST, ARRAYS) if member not in archive.namelist()]
            if missing:
                raise ProjectError(f"Project file '{path}' is damaged: it has no {missing[0]}")
            manifest_bytes, arrays_bytes = archive.read(MANIFEST), archive.read(ARRAYS)
    except FileNotFoundError as error:
        raise ProjectError(f"Cannot open project '{path}': no such file") from error
    except OSError as error:
        raise ProjectError(f"Cannot open project '{path}': {_describe(error)}") from error
    except zipfile.BadZipFile as error:
        raise ProjectError(f"Project file '{path}' is damaged or not a project (bad zip: {error})") from error
    try:
        manifest = json.loads(manifest_bytes)
    except ValueError as error:
        raise ProjectError(f"Project file '{path}' is damaged: {MANIFEST} is not valid JSON ({error})") from error
    if not isinstance(manifest, dict):
        raise ProjectError(f"Project file '{path}' is damaged: {MANIFEST} is not a JSON object")
    if not zipfile.is_zipfile(io.BytesIO(arrays_bytes)):
        raise ProjectError(f"Project file '{path}' is damaged: {ARRAYS} is not an .npz archive")
    try:
        with np.load(io.BytesIO(arrays_bytes), allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}
    except (ValueError, EOFError, OSError, zipfile.BadZipFile) as error:
        raise ProjectError(f"Project file '{path}' is damaged: {ARRAYS} cannot be read ({error})") from error
    return manifest, arrays


def _schema_version(manifest: dict[str, Any], path: Path) -> int:
    """The manifest's schema version; ProjectError if absent or newer than this version of the app reads."""
    version = manifest.get("schema_version", manifest.get("version"))
    if not isinstance(version, int) or version < 0:
        raise ProjectError(f"Project file '{path}' is damaged: its manifest has no schema version")
    if version > SCHEMA_VERSION:
        raise ProjectError(
            f"Project file '{path}' uses schema version {version}, newer than the {SCHEMA_VERSION} this "
            f"HMP Studio {__version__} can read: update HMP Studio to open it"
        )
    return version


def _check_overwritable(path: Path) -> None:
    """Refuse to replace a file that is not a project this version can read (it might be someone's data)."""
    try:
        load_project(path)
    except ProjectError as error:
        reason = f"it is not a project this version can read ({error})"
        raise ProjectError(f"Refusing to overwrite '{path}': {reason}") from error


def _describe(error: BaseException) -> str:
    """Short reason of an exception for a one-line message."""
    if isinstance(error, KeyError):
        return f"missing entry {error.args[0]!r}"
    return getattr(error, "strerror", None) or str(error) or type(error).__name__


# ---- schema v1: project <-> manifest + arrays ------------------------------------------------------------


def _serialise(project: Project, modified: str) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
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


def _deserialise(manifest: dict[str, Any], arrays: dict[str, np.ndarray]) -> Project:
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
            video["path"], video["sha256"], float(video["fps"]), int(video["num_frames"]), tuple(video["size"])
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


# ---- migrations: one function per schema step -------------------------------------------------------------

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
