"""Detector output simulated from true joints, so the accuracy benchmark can run where no annotated video may be
shipped (HO3D, DexYCB): what our MediaPipe pipeline would hand the initialisation, with its kinds of error.

- 2D keypoints: the true joints projected by the camera, plus Gaussian pixel noise and, for OUTLIER_RATE of the
  joints, a jump of 15-40 % of the hand's box diagonal (a joint snapping to a wrong finger or the background).
- Per-joint confidence: high and uninformative on good joints (0.6-1), spread over 0.3-0.9 on outliers, below the
  detection's occlusion threshold (0.05-0.45) on occluded fingers, 0 where the hand is not detected, and lowered
  outside the image by the detection's own term (`detection.confidence`).
- World landmarks (MediaPipe's metric 3D, hand-centred, camera-aligned axes): the true joints with an error that
  drifts with the pose over about half a second (a network's errors follow what it sees, so they are correlated
  in time) plus frame-to-frame jitter, both twice as large in depth (which a monocular network sees worst), and a
  per-frame tilt of the whole hand. Their size puts the per-frame initialisation a little below the error of the
  per-frame regressor the paper starts from (8.5-9 mm PA-MPJPE here; PyMAF-X: 10.8 mm on HO3D).
- Occlusions: whole-hand gaps (no detection) of 5-60 frames, and single fingers hidden for 5-40 frames; a hidden
  finger is not dropped but hallucinated, as detectors do: its joints are displaced by a steady random offset
  growing toward the tip, consistently in 2D and 3D, with low confidence. "heavy" affects about a third of the
  frames, like an occlusion-focused subset (HO3D-OCC); "normal" about a tenth. The first and last EDGE_FRAMES are
  never gapped, so every method estimates every frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial.transform import Rotation

from hmp_engine.bench.ground_truth import smooth_path
from hmp_engine.camera import Camera
from hmp_engine.detection.confidence import SIGMA_OUTSIDE, gaussian, outside_distance
from hmp_engine.hand_model import mano21_to_mediapipe
from hmp_engine.hand_model.joints import FINGERS


@dataclass(frozen=True)
class Occlusion:
    """Shares of frames to cover with whole-hand gaps and with hidden fingers (runs are placed until reached)."""

    hand_fraction: float
    finger_fraction: float


OCCLUSION_LEVELS = {"none": Occlusion(0.0, 0.0), "normal": Occlusion(0.05, 0.05), "heavy": Occlusion(0.18, 0.14)}
HAND_GAP_FRAMES = (5, 60)
FINGER_GAP_FRAMES = (5, 40)
EDGE_FRAMES = 5
GAP_SPACING = 3  # frames detected at least between two whole-hand gaps

PIXEL_SIGMA = 3.0
OUTLIER_RATE = 0.02
OUTLIER_SIZE = (0.15, 0.4)  # of the box diagonal
WORLD_BIAS = 0.006  # metres, per joint and axis (x2 in depth): error drifting with the pose, over ~0.5 s
WORLD_BIAS_SECONDS = 0.5
WORLD_SIGMA = 0.002  # metres, per joint and axis (x2 in depth): jitter from frame to frame
WORLD_TILT = np.radians(3.0)  # per-frame rotation of the whole hand (standard deviation per axis)
HIDDEN_FINGER_OFFSET = 0.015  # metres at the first hidden joint, growing toward the tip
CONFIDENCE = {"good": (0.6, 1.0), "outlier": (0.3, 0.9), "hidden": (0.05, 0.45)}


@dataclass
class Observations:
    """Simulated detections of one hand over T frames, in MediaPipe order like `KeypointTrack`.

    keypoints (T, 21, 3): pixels and confidence; world (T, 21, 3) metres; detected (T,); occluded (T,): frames in a
    whole-hand gap or with a hidden finger.
    """

    keypoints: np.ndarray
    world: np.ndarray
    detected: np.ndarray
    occluded: np.ndarray


def _runs(rng: np.random.Generator, taken: np.ndarray, fraction: float, lengths: tuple[int, int],
          spacing: int) -> list[tuple[int, int]]:
    """Non-overlapping [start, stop) runs of random length on free frames (not ``taken``, not within EDGE_FRAMES of
    the ends, ``spacing`` from other runs) until they cover ``fraction`` of the frames; marks them taken."""
    count, runs, covered = len(taken), [], 0
    for _ in range(1000):
        if covered >= fraction * count:
            break
        need = int(np.ceil(fraction * count)) - covered
        length = int(rng.integers(lengths[0], max(lengths[0], min(lengths[1], need)) + 1))
        if count - 2 * EDGE_FRAMES - length < 0:
            continue
        start = int(rng.integers(EDGE_FRAMES, count - EDGE_FRAMES - length + 1))
        if taken[max(0, start - spacing):start + length + spacing].any():
            continue
        taken[start:start + length] = True
        runs.append((start, start + length))
        covered += length
    return runs


def _hidden_fingers(rng: np.random.Generator, gaps: np.ndarray, fraction: float,
                    joints: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The joints with hallucinated fingers (T, 21, 3) and which joints are hidden (T, 21)."""
    hidden = np.zeros(joints.shape[:2], dtype=bool)
    corrupted = joints.copy()
    names = list(FINGERS)
    for start, stop in _runs(rng, gaps.copy(), fraction, FINGER_GAP_FRAMES, 0):
        finger = list(FINGERS[names[rng.integers(len(names))]][1:])
        growth = np.arange(1, len(finger) + 1)[:, None]
        corrupted[start:stop, finger] += HIDDEN_FINGER_OFFSET * growth * rng.normal(size=(len(finger), 3))
        hidden[start:stop, finger] = True
    return corrupted, hidden


def _world_landmarks(rng: np.random.Generator, joints: np.ndarray, fps: float) -> np.ndarray:
    """(T, 21, 3) hand-centred noisy world landmarks (MANO-21 order) of camera-frame joints."""
    centred = joints - joints.mean(axis=1, keepdims=True)
    tilt = Rotation.from_rotvec(rng.normal(0.0, WORLD_TILT, size=(len(joints), 3))).as_matrix()
    depth_weighted = np.array([1.0, 1.0, 2.0])
    bias = smooth_path(rng, len(joints), fps, np.tile(WORLD_BIAS * depth_weighted, 21), WORLD_BIAS_SECONDS)
    noise = rng.normal(0.0, WORLD_SIGMA, size=joints.shape) * depth_weighted
    return centred @ np.swapaxes(tilt, 1, 2) + bias.reshape(joints.shape) + noise


def _keypoints(rng: np.random.Generator, joints: np.ndarray, hidden: np.ndarray,
               camera: Camera) -> np.ndarray:
    """(T, 21, 3) noisy pixel keypoints with outliers and per-joint confidence (MANO-21 order)."""
    pixels = camera.project_numpy(joints) + rng.normal(0.0, PIXEL_SIGMA, size=(*joints.shape[:2], 2))
    diagonal = np.linalg.norm(pixels.max(axis=1) - pixels.min(axis=1), axis=-1)
    outlier = (rng.random(hidden.shape) < OUTLIER_RATE) & ~hidden
    angle = rng.uniform(0.0, 2 * np.pi, size=hidden.shape)
    jump = rng.uniform(*OUTLIER_SIZE, size=hidden.shape) * diagonal[:, None]
    pixels += (outlier * jump)[..., None] * np.stack([np.cos(angle), np.sin(angle)], axis=-1)
    confidence = rng.uniform(*CONFIDENCE["good"], size=hidden.shape)
    confidence = np.where(outlier, rng.uniform(*CONFIDENCE["outlier"], size=hidden.shape), confidence)
    confidence = np.where(hidden, rng.uniform(*CONFIDENCE["hidden"], size=hidden.shape), confidence)
    confidence *= gaussian(outside_distance(pixels, camera.image_size), SIGMA_OUTSIDE)
    return np.concatenate([pixels, confidence[..., None]], axis=-1)


def simulate(joints: np.ndarray, fps: float, camera: Camera, occlusion: Occlusion,
             rng: np.random.Generator) -> Observations:
    """Detector output for (T, 21, 3) true camera-frame joints (MANO-21 order, metres) at ``fps`` under an
    occlusion level."""
    gaps = np.zeros(len(joints), dtype=bool)
    _runs(rng, gaps, occlusion.hand_fraction, HAND_GAP_FRAMES, GAP_SPACING)
    seen, hidden = _hidden_fingers(rng, gaps, occlusion.finger_fraction, joints)
    keypoints = _keypoints(rng, seen, hidden, camera)
    world = _world_landmarks(rng, seen, fps)
    keypoints[gaps], world[gaps] = 0.0, 0.0
    return Observations(mano21_to_mediapipe(keypoints), mano21_to_mediapipe(world), ~gaps, gaps | hidden.any(axis=1))
