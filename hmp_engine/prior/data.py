"""Training data for the prior: every loader yields `HandSequence`s in our convention, then filters and windows.

Convention: right-hand finger poses (T, 45), flat-hand-mean axis-angle, 30 fps. Other frame rates are
resampled with SLERP (never decimated); left hands are mirrored into right hands (rotations.mirror_axis_angle).

Hand-mean conventions of the sources:
- AMASS (SMPL-H `poses` 156, SMPL-X `poses` 165) stores the full finger rotations: AMASS is produced and read
  with human_body_prior's BodyModel, which applies the hand pose as given and adds no hand mean, and the HMP
  reference feeds AMASS SMPL-X hands to MANO with flat_hand_mean=True. So AMASS poses are taken as
  flat-hand-mean; only a file carrying ``flat_hand_mean = False`` gets `hands_mean` (from --mano-dir) added.
- ARCTIC-style MANO dicts hold poses relative to the MANO mean (smplx MANO, flat_hand_mean=False): the
  `hands_mean` of the user's MANO file of the same side is added. PCA-coded poses (fewer than 45 columns, or
  ``pca=True``) are first expanded with that file's `hands_components`.

Filters: the first and last `CROP_FRACTION` of each mocap sequence are dropped (capture starts and ends in a
calibration pose); sequences whose mean per-value variance is below `STATIC_VARIANCE` rad^2 (about 4 degrees
RMS, the reference's threshold) are dropped as near-static; windows of `window_frames` are cut with a stride,
and sequences shorter than a window give none.
"""

from __future__ import annotations

import math
import os
import pickle
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from hmp_engine.hand_model import model_file, read_model_file
from hmp_engine.hand_model.safe_pickle import RestrictedUnpickler
from hmp_engine.motion_file import read_motion
from hmp_engine.rotations import (
    axis_angle_to_matrix,
    canonical_axis_angle,
    matrix_to_6d,
    mirror_axis_angle,
    slerp_resample,
)

TARGET_FPS = 30.0
CROP_FRACTION = 0.05
STATIC_VARIANCE = 5e-3
SYNTHETIC_SEQUENCE_S = 60.0
SYNTHETIC_VALIDATION_SEEDS = 4
"""The last 4 seeds of synthetic.HELD_OUT_SEEDS validate training; evaluation uses the held-out seeds before them."""
VALIDATION_BUCKETS = 10
FORMATS = ("amass", "arctic", "motion-npz", "synthetic")
AMASS_HANDS = {156: {"left": slice(66, 111), "right": slice(111, 156)},  # SMPL-H
               165: {"left": slice(75, 120), "right": slice(120, 165)}}  # SMPL-X


class DataError(ValueError):
    """Training data that cannot be read; the message names the file."""


@dataclass
class HandSequence:
    """Right-hand finger motion in our convention: (T, 45) flat-hand-mean axis-angle at `fps`."""

    hand_pose: np.ndarray
    fps: float = TARGET_FPS
    source: str = ""

    @property
    def num_frames(self) -> int:
        """Number of frames."""
        return len(self.hand_pose)


def resample(hand_pose: np.ndarray, fps: float, target_fps: float = TARGET_FPS) -> np.ndarray:
    """A (T, 45) pose sequence at target_fps by SLERP of every joint, covering the same time span, with every
    rotation's angle in [0, pi]: ARCTIC's fits store 6 % of their joint rotations as angles near 2 pi, which the
    encoder would read as large rotations."""
    if fps == target_fps:
        return canonical_axis_angle(hand_pose).astype(np.float32)
    times = np.arange(len(hand_pose)) / fps
    new_times = np.arange(math.floor(times[-1] * target_fps + 1e-6) + 1) / target_fps
    joints = np.asarray(hand_pose, dtype=np.float64).reshape(len(hand_pose), 15, 3)
    return slerp_resample(times, joints, new_times).reshape(len(new_times), 45).astype(np.float32)


def to_sequence(hand_pose: np.ndarray, fps: float, side: str, source: str) -> HandSequence:
    """Our convention from flat-hand-mean poses of one side: mirror a left hand, resample to 30 fps."""
    pose = np.asarray(hand_pose, dtype=np.float64)
    if side == "left":
        pose = mirror_axis_angle(pose)
    return HandSequence(resample(pose, fps), TARGET_FPS, f"{source}:{side}")


def pose_from_pca(coefficients: np.ndarray, components: np.ndarray, mean: np.ndarray | None = None) -> np.ndarray:
    """(T, k) PCA coefficients to (T, 45) axis-angle: coefficients @ components[:k] (+ mean)."""
    coefficients = np.asarray(coefficients, dtype=np.float64)
    pose = coefficients @ np.asarray(components, dtype=np.float64)[: coefficients.shape[1]]
    return pose if mean is None else pose + np.asarray(mean, dtype=np.float64)


def _mano_file(mano_dir: str | os.PathLike | None, side: str, why: str) -> dict:
    """The user's MANO file of one side (its hands_mean / hands_components), or a DataError saying why."""
    if mano_dir is None:
        raise DataError(f"{why}: give the MANO folder with --mano-dir")
    return read_model_file(model_file(mano_dir, side))


@dataclass
class CapturedHand:
    """One hand of a capture file, flat-hand-mean, at the file's frame rate and on its own side (not mirrored), with
    its global orientation (T, 3), translation (T, 3) and shape (10,) when the file holds them (AMASS keeps the
    hand's orientation in the body's kinematic chain, so it has none)."""

    side: str
    hand_pose: np.ndarray
    fps: float
    source: str
    global_orient: np.ndarray | None = None
    transl: np.ndarray | None = None
    betas: np.ndarray | None = None

    def sequence(self) -> HandSequence:
        """Its finger motion in our training convention (right hand, 30 fps)."""
        return to_sequence(self.hand_pose, self.fps, self.side, self.source)


def read_amass(path: Path, mano_dir: str | os.PathLike | None = None) -> list[CapturedHand]:
    """Both hands of an AMASS SMPL-H (156) or SMPL-X (165) npz, at its mocap frame rate."""
    with np.load(path, allow_pickle=False) as npz:
        data = {key: npz[key] for key in npz.files}
    if "poses" not in data or data["poses"].ndim != 2 or data["poses"].shape[1] not in AMASS_HANDS:
        raise DataError(f"{path}: not an AMASS npz (expected 'poses' with 156 (SMPL-H) or 165 (SMPL-X) columns)")
    rate = data.get("mocap_framerate", data.get("mocap_frame_rate"))
    if rate is None:
        raise DataError(f"{path}: no mocap_framerate / mocap_frame_rate")
    flat = bool(data.get("flat_hand_mean", True))
    hands = []
    for side, columns in AMASS_HANDS[data["poses"].shape[1]].items():
        pose = data["poses"][:, columns].astype(np.float64)
        if not flat:
            why = f"{path} stores hand poses relative to the MANO mean"
            pose = pose + _mano_file(mano_dir, side, why)["hands_mean"]
        hands.append(CapturedHand(side, pose, float(rate), str(path)))
    return hands


def load_amass(path: Path, mano_dir: str | os.PathLike | None = None) -> list[HandSequence]:
    """Both hands of an AMASS npz in our training convention."""
    return [hand.sequence() for hand in read_amass(path, mano_dir)]


def _load_object_npy(path: Path) -> object:
    """An object .npy (e.g. ARCTIC's MANO dicts) unpickled with only numpy classes allowed, so it cannot run code."""
    with path.open("rb") as stream:
        version = np.lib.format.read_magic(stream)
        read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        _, _, dtype = read_header(stream)
        if not dtype.hasobject:
            raise DataError(f"{path}: expected a pickled dict of MANO parameters, found a plain {dtype} array")
        try:
            array = RestrictedUnpickler(stream, encoding="latin1").load()
        except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError) as error:
            raise DataError(f"{path}: not a readable MANO parameter file ({error})") from error
    return array.item() if isinstance(array, np.ndarray) and array.shape == () else array


def read_arctic(path: Path, mano_dir: str | os.PathLike | None, pca: bool = False,
                fps: float = TARGET_FPS) -> list[CapturedHand]:
    """Hands of an ARCTIC-style `.npy` dict {right, left: {rot, pose, trans, shape}}, poses relative to the mean."""
    data = _load_object_npy(path)
    if not isinstance(data, dict) or not any(side in data for side in ("right", "left")):
        raise DataError(f"{path}: expected a dict with 'right' and/or 'left' MANO parameters")
    hands = []
    for side in ("right", "left"):
        if side not in data:
            continue
        params = data[side]
        pose = np.asarray(params["pose"], dtype=np.float64)
        mano = _mano_file(mano_dir, side, f"{path} stores poses relative to the MANO mean")
        if pca or pose.shape[1] < 45:
            pose = pose_from_pca(pose, mano["hands_components"])
        frames = len(pose)
        shape = np.asarray(params.get("shape", np.zeros(10)), dtype=np.float64).reshape(-1, 10)
        hands.append(CapturedHand(side, pose + mano["hands_mean"], float(data.get("fps", fps)), str(path),
                                  _optional(params, "rot", frames), _optional(params, "trans", frames),
                                  shape.mean(axis=0)))
    return hands


def _optional(params: dict, key: str, frames: int) -> np.ndarray | None:
    """A (frames, 3) parameter of a hand's dict, or None when the file has no such key."""
    return np.asarray(params[key], dtype=np.float64).reshape(frames, 3) if key in params else None


def load_arctic(path: Path, mano_dir: str | os.PathLike | None, pca: bool = False,
                fps: float = TARGET_FPS) -> list[HandSequence]:
    """Hands of an ARCTIC-style `.npy` dict in our training convention."""
    return [hand.sequence() for hand in read_arctic(path, mano_dir, pca, fps)]


def load_motion_npz(path: Path) -> list[HandSequence]:
    """Each run of valid frames of each hand of a motion interchange file."""
    motion = read_motion(path)
    sequences = []
    for side, hand in motion.hands().items():
        valid = np.concatenate([[False], hand.valid, [False]])
        edges = np.flatnonzero(np.diff(valid.astype(np.int8)))
        for start, stop in zip(edges[::2], edges[1::2]):
            sequence = to_sequence(hand.hand_pose[start:stop], motion.fps, side, f"{path}[{start}:{stop}]")
            sequences.append(sequence)
    return sequences


def synthetic_seeds(minutes: float, split: str = "train") -> Sequence[int]:
    """Seeds of a synthetic corpus: enough TRAIN_SEEDS for `minutes`, or the validation sub-range of HELD_OUT_SEEDS."""
    from hmp_engine.prior.synthetic import HELD_OUT_SEEDS, TRAIN_SEEDS

    if split == "validation":
        return HELD_OUT_SEEDS[-SYNTHETIC_VALIDATION_SEEDS:]
    count = max(1, math.ceil(minutes * 60.0 / SYNTHETIC_SEQUENCE_S))
    if count > len(TRAIN_SEEDS):
        raise DataError(f"{minutes} minutes needs {count} synthetic seeds; only {len(TRAIN_SEEDS)} are for training")
    return TRAIN_SEEDS[:count]


def load_synthetic(seeds: Iterable[int], duration_s: float = SYNTHETIC_SEQUENCE_S) -> list[HandSequence]:
    """Generated motion, one sequence per seed (already right-hand, flat-hand-mean, 30 fps)."""
    from hmp_engine.prior.synthetic import synthesize_corpus

    seeds = list(seeds)
    poses = synthesize_corpus(seeds, duration_s, fps=TARGET_FPS)
    return [HandSequence(np.asarray(pose, dtype=np.float32), TARGET_FPS, f"synthetic:{seed}")
            for seed, pose in zip(seeds, poses)]


def data_files(paths: Iterable[str | os.PathLike], suffix: str) -> list[Path]:
    """The given files, and every file with `suffix` under the given folders, sorted."""
    found: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found += sorted(path.rglob(f"*{suffix}"))
        elif path.is_file():
            found.append(path)
        else:
            raise DataError(f"{path}: no such file or folder")
    return found


SUFFIXES = {"amass": ".npz", "arctic": ".npy", "motion-npz": ".npz"}
"""File name ending of each format of capture files (what folders are searched for)."""


def read_captured(path: Path, data_format: str, mano_dir: str | os.PathLike | None = None,
                  pca: bool = False) -> list[CapturedHand]:
    """Every hand of an AMASS or ARCTIC file with all the parameters the file holds (motion-npz files are
    read whole by `motion_file.read_motion`)."""
    if data_format == "amass":
        return read_amass(path, mano_dir)
    if data_format == "arctic":
        return read_arctic(path, mano_dir, pca)
    raise DataError(f"{path}: no capture reader for format {data_format!r}; expected amass or arctic")


def load_sequences(paths: Iterable[str | os.PathLike], data_format: str, mano_dir: str | os.PathLike | None = None,
                   pca: bool = False) -> list[HandSequence]:
    """All sequences of files / folders in one format (not synthetic: see load_synthetic), cropped if mocap."""
    if data_format not in SUFFIXES:
        raise DataError(f"unknown data format {data_format!r}; expected one of {', '.join(FORMATS)}")
    files = data_files(paths, SUFFIXES[data_format])
    if data_format == "motion-npz":
        return [seq for path in files for seq in load_motion_npz(path)]
    return [crop_ends(hand.sequence()) for path in files for hand in read_captured(path, data_format, mano_dir, pca)]


def crop_ends(sequence: HandSequence, fraction: float = CROP_FRACTION) -> HandSequence:
    """Drop `fraction` of the frames at each end."""
    cut = int(sequence.num_frames * fraction)
    return HandSequence(sequence.hand_pose[cut: sequence.num_frames - cut], sequence.fps, sequence.source)


def is_static(sequence: HandSequence, threshold: float = STATIC_VARIANCE) -> bool:
    """Whether the mean per-value variance of the poses (rad^2) is below the threshold."""
    return sequence.num_frames < 2 or float(np.var(sequence.hand_pose, axis=0).mean()) < threshold


def split_validation(sequences: Sequence[HandSequence]) -> tuple[list[HandSequence], list[HandSequence]]:
    """(train, validation): about 1 in 10 sequences by a stable hash of the source; at least one if there are two."""
    held = [zlib.crc32(seq.source.encode()) % VALIDATION_BUCKETS == 0 for seq in sequences]
    if not any(held) and len(sequences) >= 2:
        held[-1] = True
    return ([seq for seq, h in zip(sequences, held) if not h], [seq for seq, h in zip(sequences, held) if h])


class WindowDataset(torch.utils.data.Dataset):
    """Fixed-length windows cut from sequences with a stride; the frames are stored once and gathered per batch."""

    def __init__(self, sequences: Sequence[HandSequence], window_frames: int, stride: int) -> None:
        usable = [seq for seq in sequences if seq.num_frames >= window_frames]
        self.window_frames = window_frames
        self.frames = torch.from_numpy(np.concatenate([seq.hand_pose for seq in usable])
                                       if usable else np.zeros((0, 45), np.float32)).float()
        offsets = np.cumsum([0] + [seq.num_frames for seq in usable])
        starts = [offset + np.arange(0, seq.num_frames - window_frames + 1, stride)
                  for offset, seq in zip(offsets, usable)]
        self.starts = torch.from_numpy(np.concatenate(starts) if starts else np.zeros(0, np.int64))
        self.num_sequences = len(usable)

    def __len__(self) -> int:
        return len(self.starts)

    def __getitem__(self, index: int) -> torch.Tensor:
        return self.batch(torch.tensor([index]))[0]

    def batch(self, indices: torch.Tensor) -> torch.Tensor:
        """(B, window_frames, 45) windows for B indices, in one gather."""
        frames = self.starts[indices].unsqueeze(1) + torch.arange(self.window_frames)
        return self.frames[frames]


def normalisation_stats(sequences: Sequence[HandSequence], floor: float = 1e-3) -> dict[str, torch.Tensor]:
    """Per-channel mean/std of the 6D rotations and std of their frame-to-frame change, over all frames."""
    sixd = [matrix_to_6d(axis_angle_to_matrix(torch.from_numpy(seq.hand_pose).double().reshape(-1, 15, 3)))
            .flatten(1) for seq in sequences]
    frames, delta = torch.cat(sixd), torch.cat([torch.diff(seq, dim=0) for seq in sixd])
    return {"sixd_mean": frames.mean(0).float(), "sixd_std": frames.std(0).clamp_min(floor).float(),
            "delta_std": delta.std(0).clamp_min(floor).float()}


def describe(sequences: Sequence[HandSequence], data_format: str, inputs: Sequence[str]) -> dict:
    """What a prior was trained on: format, inputs, number of sequences and minutes."""
    frames = sum(seq.num_frames for seq in sequences)
    return {"formats": [data_format], "inputs": [str(item) for item in inputs], "sequences": len(sequences),
            "minutes": round(frames / TARGET_FPS / 60.0, 3)}
