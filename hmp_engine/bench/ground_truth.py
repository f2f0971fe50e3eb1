"""Ground-truth hand motion for the accuracy benchmark: the built-in held-out set, or the user's motion files.

Built-in set, split into validation (weight tuning) and test (reporting) sequences of SEGMENT_SECONDS each:
- synthetic finger motion from seeds in `synthetic.HELD_OUT_SEEDS` that neither training (its last seeds
  validate training) nor `hmp bench prior` (its first seeds) uses;
- segments of the real marker mocap of `resources/mocap`, each fitted to the open hand on its own
  (`real_motion`): the first validates, the next ones test.
The finger motion is real (mocap) or synthetic; the hand's place in front of the camera is synthetic for both:
a seeded view (palm toward the camera, fingers up, turned up to ~40 degrees) and a smooth path of the hand's
centre through random key frames (cubic spline) at about 0.42-0.6 m, inside the 1280x720 image. The mocap's own
wrist rotation is kept, turned to face the camera.
Motion files are read in the formats `hmp train-prior` reads: motion interchange files (`hmp_engine.motion_file`) are
used as they are when they carry a camera; otherwise, and for ARCTIC-style MANO files, the hand's mean wrist is
placed 0.5 m in front of the default camera of a 1280x720 image; AMASS files carry no hand orientation, so their
finger motion is placed like the built-in set's. Sequences are handed around as
recipes (`Recipe`) so worker processes build them, the mocap fits included, in parallel.
"""

from __future__ import annotations

import functools
import zlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from scipy.interpolate import CubicSpline
from scipy.spatial.transform import Rotation

from hmp_engine.camera import Camera
from hmp_engine.hand_model import HandModel, load_hand_model
from hmp_engine.initialisation import posed_joints_numpy
from hmp_engine.motion_file import read_motion
from hmp_engine.prior.data import read_captured
from hmp_engine.prior.real_motion import MarkerMocap, fit_marker_mocap, load_marker_mocap
from hmp_engine.prior.synthetic import HELD_OUT_SEEDS, synthesize_sequence

FPS = 30.0
SEGMENT_SECONDS = 10.0
IMAGE_SIZE = (1280, 720)
SPLIT_SEEDS = {"validation": HELD_OUT_SEEDS[100:103], "test": HELD_OUT_SEEDS[200:204]}
"""Held-out synthetic seeds of each split (HELD_OUT_SEEDS[:8] evaluate the prior; its last 4 validate training)."""
MOCAP_SEGMENTS = {"validation": (0,), "test": (1, 2)}
"""Which SEGMENT_SECONDS segments of the fitted marker mocap belong to each split."""
FILE_DEPTH = 0.5
"""Metres in front of the camera where a motion file's hand is placed when the file has no camera."""

_PALM_TO_CAMERA = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
"""MANO's canonical hand (fingers -x, back +y) with fingers up (-y) and the back away from the camera (+z)."""
_KEY_FRAME_SECONDS = 1.2
_VIEW_TURN = np.radians([30.0, 40.0, 30.0])  # pitch, yaw, roll spread of the sequence's view
_WOBBLE = 0.3  # radians: standard deviation of the orientation's key frames about the view
_PLACE_LOW, _PLACE_HIGH = np.array([-0.06, -0.02, 0.42]), np.array([0.06, 0.02, 0.6])  # the hand's mean place
_DRIFT = np.array([0.04, 0.02, 0.04])  # metres: standard deviation of the path's key frames


Recipe = Callable[[], "GroundTruth"]
"""Builds one ground-truth sequence (picklable, so worker processes build their own)."""


@dataclass
class GroundTruth:
    """One hand's true motion in a camera's frame: rotations (T, 3) and (T, 45), shape (10,), translation (T, 3),
    and which frames (T,) hold a true value (a motion file's ``valid``; all frames of the built-in set)."""

    name: str
    side: str
    fps: float
    global_orient: np.ndarray
    hand_pose: np.ndarray
    betas: np.ndarray
    transl: np.ndarray
    camera: Camera
    valid: np.ndarray = None  # type: ignore[assignment]  # None: every frame (filled in by __post_init__)

    def __post_init__(self) -> None:
        if self.valid is None:
            self.valid = np.ones(self.num_frames, dtype=bool)

    @property
    def num_frames(self) -> int:
        """Frames in the sequence."""
        return len(self.hand_pose)

    @property
    def times(self) -> np.ndarray:
        """Each frame's time in seconds from the first."""
        return np.arange(self.num_frames) / self.fps

    def joints(self, model: HandModel) -> np.ndarray:
        """(T, 21, 3) true joints in metres in the camera frame."""
        return posed_joints_numpy(model, self.global_orient, self.hand_pose, self.betas) + self.transl[:, None]


def smooth_path(rng: np.random.Generator, count: int, fps: float, sigma: np.ndarray,
                key_seconds: float = _KEY_FRAME_SECONDS) -> np.ndarray:
    """(count, D) smooth random path: a cubic spline through zero-mean normal key frames (standard deviations
    ``sigma`` (D,)) about ``key_seconds`` apart."""
    keys = max(2, int(np.ceil(count / fps / key_seconds)) + 1)
    key_times = np.linspace(0.0, count / fps, keys)
    values = rng.normal(0.0, 1.0, size=(keys, len(sigma))) * sigma
    return CubicSpline(key_times, values, axis=0)(np.arange(count) / fps)


def camera_path(rng: np.random.Generator, count: int, fps: float,
                wrist_rotation: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """A seeded global orientation (count, 3 axis-angle) and path of the hand's centre (count, 3) in front of the
    camera. Without ``wrist_rotation`` the orientation wobbles about a random view; with it (count, 3
    axis-angle), that motion is kept and turned as a whole so its mean faces the view."""
    view = Rotation.from_euler("xyz", rng.uniform(-1.0, 1.0, 3) * _VIEW_TURN) * Rotation.from_matrix(_PALM_TO_CAMERA)
    if wrist_rotation is None:
        orientation = Rotation.from_rotvec(smooth_path(rng, count, fps, np.full(3, _WOBBLE))) * view
    else:
        own = Rotation.from_rotvec(wrist_rotation)
        orientation = view * own.mean().inv() * own
    return orientation.as_rotvec(), rng.uniform(_PLACE_LOW, _PLACE_HIGH) + smooth_path(rng, count, fps, _DRIFT)


@functools.lru_cache(maxsize=1)
def _open_right() -> HandModel:
    return load_hand_model("open", "right")


def _placed(name: str, rng: np.random.Generator, fps: float, hand_pose: np.ndarray, betas: np.ndarray,
            wrist_rotation: np.ndarray | None = None) -> GroundTruth:
    """A right hand's finger motion put in front of the default camera along `camera_path` (the mean of its joints
    follows the path)."""
    global_orient, centre = camera_path(rng, len(hand_pose), fps, wrist_rotation)
    joints = posed_joints_numpy(_open_right(), global_orient, hand_pose, betas)
    return GroundTruth(name, "right", fps, global_orient, hand_pose, betas, centre - joints.mean(axis=1),
                       Camera.default(IMAGE_SIZE))


def synthetic_truth(seed: int, seconds: float = SEGMENT_SECONDS, fps: float = FPS) -> GroundTruth:
    """Synthetic finger motion of a held-out seed, with a seeded shape and place in front of the default camera."""
    rng = np.random.default_rng(seed)
    hand_pose = synthesize_sequence(seed, seconds, fps).astype(np.float64)
    return _placed(f"synthetic {seed}", rng, fps, hand_pose, rng.normal(0.0, 0.5, 10))


def mocap_truth(segment: int, seconds: float = SEGMENT_SECONDS, fps: float = FPS) -> GroundTruth:
    """Segment ``segment`` (``seconds`` long) of the real marker mocap, fitted to the open right hand on its own
    and turned to face the default camera."""
    mocap = _marker_mocap()
    frames = slice(round(segment * seconds * mocap.fps), round((segment + 1) * seconds * mocap.fps))
    if frames.stop > len(mocap.positions):
        raise ValueError(f"the marker mocap has {len(mocap.positions) / mocap.fps:.0f} s, no segment {segment} of "
                         f"{seconds} s")
    fit = fit_marker_mocap(mocap, _open_right(), frames=frames, fps=fps)
    return _placed(f"marker mocap {segment * seconds:.0f}-{(segment + 1) * seconds:.0f} s",
                   np.random.default_rng(segment), fps, fit.hand_pose.astype(np.float64),
                   fit.betas.astype(np.float64), fit.global_orient.astype(np.float64))


@functools.lru_cache(maxsize=1)
def _marker_mocap() -> MarkerMocap:
    return load_marker_mocap()


def built_in_set(split: str) -> list[Recipe]:
    """Recipes of the built-in ground truth of a split ('validation' or 'test')."""
    synthetic: list[Recipe] = [functools.partial(synthetic_truth, seed) for seed in SPLIT_SEEDS[split]]
    return synthetic + [functools.partial(mocap_truth, segment) for segment in MOCAP_SEGMENTS[split]]


def file_recipes(path: str | Path, hand_model: str = "open", data_format: str = "motion-npz",
                 mano_dir: str | None = None, frames: int | None = None) -> list[Recipe]:
    """Recipes of every hand of a motion file in one of `prior.data.SUFFIXES`' formats (read here once to check it
    and find its hands), each cut to its first `frames` frames when given."""
    path = Path(path)
    if data_format == "motion-npz":
        return [functools.partial(file_truth, path, side, hand_model, frames) for side in read_motion(path).hands()]
    hands = read_captured(path, data_format, mano_dir)
    return [functools.partial(captured_truth, path, data_format, k, hand_model, mano_dir, frames)
            for k in range(len(hands))]


def file_truth(path: Path, side: str, hand_model: str = "open", frames: int | None = None) -> GroundTruth:
    """One hand of a motion file, placed FILE_DEPTH in front of the default camera when the file has no camera."""
    motion = read_motion(path)
    hand = motion.hands()[side]
    K, image_size = motion.camera_K, motion.image_size
    has_camera = K is not None and image_size is not None
    camera = Camera(K, image_size) if K is not None and image_size is not None else Camera.default(IMAGE_SIZE)
    cut = slice(0, frames)
    orient, pose, betas, transl = (np.asarray(a, dtype=np.float64) for a in (hand.global_orient[cut],
                                                                              hand.hand_pose[cut], hand.betas,
                                                                              hand.transl[cut]))
    truth = GroundTruth(f"{path.parent.name}/{path.name} {side}", side, motion.fps, orient, pose, betas, transl, camera,
                        np.asarray(hand.valid[cut], dtype=bool))
    return truth if has_camera else _in_front(truth, hand_model)


def captured_truth(path: Path, data_format: str, index: int, hand_model: str = "open", mano_dir: str | None = None,
                   frames: int | None = None) -> GroundTruth:
    """Hand `index` of an AMASS or ARCTIC file. With its own orientation and translation (ARCTIC) it is kept in the
    capture's frame, its mean wrist FILE_DEPTH in front of the default camera; with finger motion only (AMASS), the
    right hand (a left one mirrored) is placed in front of it like the built-in set, seeded by its name."""
    hand = read_captured(path, data_format, mano_dir)[index]
    name, cut = f"{path.parent.name}/{path.name} {hand.side}", slice(0, frames)
    betas = np.zeros(10) if hand.betas is None else hand.betas
    if hand.global_orient is None or hand.transl is None:
        pose = hand.sequence().hand_pose[cut].astype(np.float64)
        return _placed(name, np.random.default_rng(zlib.crc32(name.encode())), FPS, pose, betas)
    truth = GroundTruth(name, hand.side, hand.fps, hand.global_orient[cut], hand.hand_pose[cut], betas,
                        hand.transl[cut], Camera.default(IMAGE_SIZE))
    return _in_front(truth, hand_model)


def _in_front(truth: GroundTruth, hand_model: str) -> GroundTruth:
    """The truth moved so that its mean wrist (over valid frames) is FILE_DEPTH in front of its camera."""
    wrist = truth.joints(load_hand_model(hand_model, truth.side))[truth.valid, 0].mean(axis=0)
    return replace(truth, transl=truth.transl - wrist + np.array([0.0, 0.0, FILE_DEPTH]))
