"""The motion interchange file (.npz, version 1, docs/conventions.md): hand motion that exports write and the
benchmark and the prior trainer read.

Keys: ``version``, ``fps``, ``num_frames``, ``hand_model``, optional ``camera_K`` (3, 3) and ``image_size``
(w, h); per side s in {right, left} present: ``{s}_global_orient`` (T, 3), ``{s}_hand_pose`` (T, 45),
``{s}_betas`` (10,), ``{s}_transl`` (T, 3), ``{s}_valid`` (T,) bool, optional ``{s}_joints`` (T, 21, 3) and
``{s}_observed`` (T,) bool. ``valid`` marks the frames that hold an estimate (the hand is in the picture, seen or
infilled); ``observed`` the valid frames where the hand was seen (valid and not observed: infilled, e.g. hidden
behind an object). Values on frames that are not valid are placeholders. Poses are flat-hand-mean axis-angle;
units are metres, seconds and radians.
"""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hmp_engine.atomic import write_bytes_atomic

FORMAT_VERSION = 1
SIDES = ("right", "left")


class MotionFileError(ValueError):
    """A motion file that cannot be read or written; the message names the file and the problem."""

    def __init__(self, path: Path | str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = Path(path)
        self.problem = problem


@dataclass
class HandMotion:
    """One hand over T frames: MANO parameters, which frames hold a real estimate, optional MANO-21 joints."""

    global_orient: np.ndarray  # (T, 3)
    hand_pose: np.ndarray  # (T, 45)
    betas: np.ndarray  # (10,)
    transl: np.ndarray  # (T, 3)
    valid: np.ndarray  # (T,) bool
    joints: np.ndarray | None = None  # (T, 21, 3)
    observed: np.ndarray | None = None  # (T,) bool

    @property
    def num_frames(self) -> int:
        """Number of frames T."""
        return len(self.hand_pose)

    def shape_problems(self) -> list[str]:
        """Every array whose shape or dtype breaks the format, as 'name: problem' (empty when fine)."""
        frames = self.num_frames
        expected = {"global_orient": (frames, 3), "hand_pose": (frames, 45), "betas": (10,),
                    "transl": (frames, 3), "valid": (frames,)}
        if self.joints is not None:
            expected["joints"] = (frames, 21, 3)
        if self.observed is not None:
            expected["observed"] = (frames,)
        problems = [f"{name} has shape {np.shape(getattr(self, name))}, expected {shape}"
                    for name, shape in expected.items() if np.shape(getattr(self, name)) != shape]
        for name in ("valid", "observed"):
            if (flags := getattr(self, name)) is not None and np.asarray(flags).dtype != bool:
                problems.append(f"{name} has dtype {np.asarray(flags).dtype}, expected bool")
        for name in ("global_orient", "hand_pose", "betas", "transl", "joints"):
            value = getattr(self, name)
            if value is not None and not np.all(np.isfinite(np.asarray(value, dtype=np.float64))):
                problems.append(f"{name} holds NaN or infinite values")
        return problems


@dataclass
class Motion:
    """Hand motion of one clip: frame rate, model name, optional camera, and a right and/or left hand."""

    fps: float
    hand_model: str
    right: HandMotion | None = None
    left: HandMotion | None = None
    camera_K: np.ndarray | None = None
    image_size: tuple[int, int] | None = None

    @property
    def num_frames(self) -> int:
        """Number of frames, shared by both hands."""
        return next(hand.num_frames for hand in self.hands().values())

    def hands(self) -> dict[str, HandMotion]:
        """The hands present, by side."""
        return {side: hand for side in SIDES if (hand := getattr(self, side)) is not None}

    def problems(self) -> list[str]:
        """Every way this motion breaks the format (empty when it can be written and read back)."""
        hands = self.hands()
        if not hands:
            return ["no hand: at least one of right/left is required"]
        problems = [] if self.fps > 0 and np.isfinite(self.fps) else [f"fps must be positive, not {self.fps}"]
        problems += [f"{side}_{problem}" for side, hand in hands.items() for problem in hand.shape_problems()]
        if len({hand.num_frames for hand in hands.values()}) > 1:
            problems.append("right and left hands have different frame counts")
        if self.camera_K is not None and np.shape(self.camera_K) != (3, 3):
            problems.append(f"camera_K has shape {np.shape(self.camera_K)}, expected (3, 3)")
        if self.image_size is not None and (len(self.image_size) != 2 or min(self.image_size) <= 0):
            problems.append(f"image_size must be (width, height) > 0, not {self.image_size}")
        return problems


def _arrays(motion: Motion) -> dict[str, np.ndarray]:
    """The npz entries of a motion, with the format's dtypes."""
    arrays = {"version": np.array(FORMAT_VERSION), "fps": np.array(float(motion.fps)),
              "num_frames": np.array(motion.num_frames), "hand_model": np.array(motion.hand_model)}
    if motion.camera_K is not None:
        arrays["camera_K"] = np.asarray(motion.camera_K, dtype=np.float64)
    if motion.image_size is not None:
        arrays["image_size"] = np.asarray(motion.image_size, dtype=np.int64)
    for side, hand in motion.hands().items():
        for name in ("global_orient", "hand_pose", "betas", "transl", "joints"):
            if (value := getattr(hand, name)) is not None:
                arrays[f"{side}_{name}"] = np.asarray(value, dtype=np.float32)
        arrays[f"{side}_valid"] = np.asarray(hand.valid, dtype=bool)
        if hand.observed is not None:
            arrays[f"{side}_observed"] = np.asarray(hand.observed, dtype=bool)
    return arrays


def write_motion(path: str | os.PathLike, motion: Motion, extra: Mapping[str, np.ndarray] | None = None) -> None:
    """Validate and write a motion file atomically: a temp file in the same folder replaces the target.

    ``extra`` arrays (e.g. an export's posed vertices) are stored beside the format's entries; readers skip them.
    """
    path = Path(path)
    if problems := motion.problems():
        raise MotionFileError(path, "cannot write an invalid motion: " + "; ".join(problems))
    arrays = _arrays(motion)
    if clashes := sorted(set(extra or {}) & set(arrays)):
        raise MotionFileError(path, f"extra entries clash with the format's: {', '.join(clashes)}")
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays, **(extra or {}))
    try:
        write_bytes_atomic(path, buffer.getvalue())
    except OSError as error:
        raise MotionFileError(path, f"cannot write ({error.strerror or error})") from error


def _hand(path: Path, data: dict[str, np.ndarray], side: str) -> HandMotion | None:
    """The hand of one side from the npz entries, or None when the file has no such hand."""
    if f"{side}_hand_pose" not in data:
        return None
    required = ("global_orient", "betas", "transl", "valid")
    missing = [f"{side}_{name}" for name in required if f"{side}_{name}" not in data]
    if missing:
        raise MotionFileError(path, f"{side} hand is missing {', '.join(missing)}")
    return HandMotion(
        global_orient=data[f"{side}_global_orient"], hand_pose=data[f"{side}_hand_pose"],
        betas=data[f"{side}_betas"], transl=data[f"{side}_transl"], valid=data[f"{side}_valid"],
        joints=data.get(f"{side}_joints"), observed=data.get(f"{side}_observed"),
    )


def read_motion(path: str | os.PathLike) -> Motion:
    """Read and validate a motion file; a MotionFileError names the file and every problem found."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as npz:
            data = {key: npz[key] for key in npz.files}
    except FileNotFoundError as error:
        raise MotionFileError(path, "file not found") from error
    except (OSError, ValueError, zipfile.BadZipFile) as error:
        raise MotionFileError(path, f"not a readable .npz file ({error})") from error
    if "version" not in data:
        raise MotionFileError(path, "not a motion file (no 'version' entry)")
    if int(data["version"]) != FORMAT_VERSION:
        raise MotionFileError(path, f"motion file version {int(data['version'])}; this build reads {FORMAT_VERSION}")
    missing = [key for key in ("fps", "num_frames", "hand_model") if key not in data]
    if missing:
        raise MotionFileError(path, f"missing {', '.join(missing)}")
    image_size = data.get("image_size")
    motion = Motion(
        fps=float(data["fps"]), hand_model=str(data["hand_model"]),
        right=_hand(path, data, "right"), left=_hand(path, data, "left"),
        camera_K=data.get("camera_K"),
        image_size=None if image_size is None else (int(image_size[0]), int(image_size[1])),
    )
    if problems := motion.problems():
        raise MotionFileError(path, "; ".join(problems))
    if motion.num_frames != int(data["num_frames"]):
        raise MotionFileError(path, f"num_frames says {int(data['num_frames'])} but the hands have "
                                    f"{motion.num_frames} frames")
    return motion
