"""Synthetic finger motion for the default prior and for tests: seeded, reproducible, calibrated to real motion.

A sequence is a chain of movements between targets drawn from the key-pose library (`key_poses`): random blends
of several key poses, partial moves toward them, moves of only a few fingers, and small adjustments. Each finger
reaches its target by a minimum-jerk sub-movement with a natural, random duration and onset lag; consecutive
sub-movements may overlap and superpose, as human movements do. Neighbouring fingers co-move (enslaving), DIP
flexion follows PIP, slow postural drift and physiological tremor (8-12 Hz) are added, and every component is
clipped to the joint limits of `hmp_engine.anatomy`. The constants below were tuned with
`tools/calibrate_synthetic.py` against real motion (docs/synthetic_calibration.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from scipy.signal import butter, sosfiltfilt

from hmp_engine.anatomy import FLEXION, JOINT_LIMITS, from_anatomical
from hmp_engine.prior.key_poses import FINGER_ORDER, FINGER_ROWS, key_pose_library

TRAIN_SEEDS: range = range(0, 100_000)
HELD_OUT_SEEDS: range = range(10**9, 10**9 + 1000)
"""Seeds for evaluation only; disjoint from TRAIN_SEEDS and never used for training."""


@dataclass(frozen=True)
class MotionStyle:
    """The tunable statistics of the generator (times in seconds, angles in radians)."""

    move_median_s: float = 0.45
    move_log_sigma: float = 0.45
    move_range_s: tuple[float, float] = (0.15, 1.6)
    overlap_probability: float = 0.35
    dwell_mean_s: float = 0.35
    whole_hand_probability: float = 0.45
    few_fingers_probability: float = 0.35
    partial_move_probability: float = 0.3
    finger_mix_probability: float = 0.3
    finger_lag_s: float = 0.04
    finger_duration_jitter: float = 0.15
    target_noise: tuple[float, float, float] = (0.08, 0.06, 0.09)  # twist, abduction, flexion
    adjustment_noise: tuple[float, float, float] = (0.05, 0.06, 0.15)
    enslaving: float = 0.15
    dip_ratio: tuple[float, float] = (0.5, 0.8)
    dip_noise: float = 0.08
    dip_free_probability: float = 0.3  # a finger's DIP keeps its target's own flexion (contact, not tendons, sets it)
    drift: tuple[float, float, float] = (0.02, 0.03, 0.05)
    drift_hz: float = 1.5
    tremor: float = 0.0014
    tremor_band_hz: tuple[float, float] = (8.0, 12.0)


    hinge_sideways: float = 0.3  # PIP, DIP and IP twist and bend sideways this much less than they flex
    thumb_noise: float = 1.6  # the thumb's targets and drift vary this much more than the fingers'


STYLE = MotionStyle()
_FINGER_OF_ROW = np.array([FINGER_ORDER.index(name) for name in FINGER_ROWS for _ in FINGER_ROWS[name]])
_HINGE_ROWS = [row for row in range(15) if row % 3 != 0]
_LONG_FINGER_ROWS = np.array([FINGER_ROWS[name] for name in ("index", "middle", "ring", "pinky")])


def _noise_scale(sigma: tuple[float, float, float], style: MotionStyle) -> np.ndarray:
    """(15, 3) standard deviations per joint component; hinge joints move little off their flexion axis."""
    scale = np.tile(np.asarray(sigma, dtype=float), (15, 1))
    scale[_HINGE_ROWS, :2] *= style.hinge_sideways
    scale[list(FINGER_ROWS["thumb"])] *= style.thumb_noise
    return scale


def _minimum_jerk(phase: np.ndarray) -> np.ndarray:
    """The minimum-jerk position profile 10s^3 - 15s^4 + 6s^5 for phases clipped to [0, 1]."""
    s = np.clip(phase, 0.0, 1.0)
    return s**3 * (10.0 - 15.0 * s + 6.0 * s**2)


def _clip(components: np.ndarray) -> np.ndarray:
    """Clip (..., 15, 3) anatomical components to the joint limits."""
    return np.clip(components, JOINT_LIMITS[..., 0], JOINT_LIMITS[..., 1])


def _couple(target: np.ndarray, previous: np.ndarray, rng: np.random.Generator, style: MotionStyle) -> np.ndarray:
    """Neighbouring long fingers share part of each other's flexion change; DIP follows PIP, except in a share of
    fingers where it keeps the target's value (pressing a pad on an object extends the DIP while the PIP flexes)."""
    target = target.copy()
    change = target[_LONG_FINGER_ROWS, FLEXION] - previous[_LONG_FINGER_ROWS, FLEXION]  # (4 fingers, 3 joints)
    shared = np.zeros_like(change)
    shared[1:] += change[:-1]
    shared[:-1] += change[1:]
    target[_LONG_FINGER_ROWS, FLEXION] += style.enslaving * shared
    pip, dip = _LONG_FINGER_ROWS[:, 1], _LONG_FINGER_ROWS[:, 2]
    ratio = rng.uniform(*style.dip_ratio, size=4)
    coupled = ratio * target[pip, FLEXION] + rng.normal(0.0, style.dip_noise, size=4)
    free = rng.random(4) < style.dip_free_probability
    target[dip, FLEXION] = np.where(free, target[dip, FLEXION], coupled)
    return target


def _next_target(current: np.ndarray, rng: np.random.Generator, style: MotionStyle) -> np.ndarray:
    """A new (15, 3) target: a blend of key poses, a few fingers changing, or a small adjustment."""
    _, library = key_pose_library()
    choice = rng.random()
    if choice < style.whole_hand_probability:
        picks = rng.choice(len(library), size=rng.integers(1, 4), replace=False)
        mixes = 5 if rng.random() < style.finger_mix_probability else 1  # each finger its own blend, or one
        weights = rng.dirichlet(np.full(len(picks), 0.6), size=mixes)[_FINGER_OF_ROW % mixes]  # (15, K)
        blend = np.einsum("jk,kjc->jc", weights, library[picks])
        amount = rng.uniform(0.4, 1.0) if rng.random() < style.partial_move_probability else 1.0
        target = current + amount * (blend - current)
    elif choice < style.whole_hand_probability + style.few_fingers_probability:
        target = current.copy()
        source = library[rng.integers(len(library))]
        first, count = rng.integers(len(FINGER_ORDER)), rng.integers(1, 4)
        for finger in np.take(FINGER_ORDER, range(first, first + count), mode="wrap"):
            rows = list(FINGER_ROWS[finger])
            target[rows] = source[rows]
    else:
        target = current + rng.normal(0.0, _noise_scale(style.adjustment_noise, style))
    target = target + rng.normal(0.0, _noise_scale(style.target_noise, style))
    return _clip(_couple(target, current, rng, style))


def _plan(duration_s: float, rng: np.random.Generator,
          style: MotionStyle) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Targets (K+1, 15, 3) and movement start times and durations (K,) covering the sequence."""
    _, library = key_pose_library()
    targets = [_clip(library[rng.integers(len(library))] + rng.normal(0.0, _noise_scale(style.target_noise, style)))]
    starts, durations = [], []
    clock = -rng.uniform(0.0, 1.0)
    while clock < duration_s:
        move = float(np.clip(np.exp(rng.normal(np.log(style.move_median_s), style.move_log_sigma)),
                             *style.move_range_s))
        starts.append(clock)
        durations.append(move)
        targets.append(_next_target(targets[-1], rng, style))
        if rng.random() < style.overlap_probability:
            clock += move * rng.uniform(0.5, 1.0)
        else:
            clock += move + rng.exponential(style.dwell_mean_s)
    return np.stack(targets), np.array(starts), np.array(durations)


def _movements(times: np.ndarray, rng: np.random.Generator, style: MotionStyle) -> np.ndarray:
    """(T, 15, 3) superposed minimum-jerk movements, each finger with its own onset lag and duration."""
    targets, starts, durations = _plan(float(times[-1]) + 1e-9, rng, style)
    steps = np.diff(targets, axis=0)  # (K, 15, 3)
    motion = np.broadcast_to(targets[0], (len(times), 15, 3)).copy()
    direction = rng.choice([-1.0, 1.0], size=len(starts))
    for order, finger in enumerate(FINGER_ORDER):
        rows = list(FINGER_ROWS[finger])
        lag = direction * (order - 2) * style.finger_lag_s * rng.random(len(starts)) + style.finger_lag_s
        scale = 1.0 + style.finger_duration_jitter * rng.uniform(-1.0, 1.0, size=len(starts))
        phase = (times[:, None] - (starts + lag)[None]) / (durations * scale)[None]
        motion[:, rows] += np.einsum("tk,kjc->tjc", _minimum_jerk(phase), steps[:, rows])
    return motion


def _filtered_noise(count: int, fps: float, band_hz: tuple[float, float] | float, sigma: np.ndarray,
                    rng: np.random.Generator) -> np.ndarray:
    """(count, 15, 3) Gaussian noise, low- or band-pass filtered, scaled to a per-component standard deviation."""
    nyquist = fps / 2.0
    white = rng.normal(size=(count + 64, 15, 3))
    if isinstance(band_hz, tuple):
        low, high = band_hz[0] / nyquist, min(band_hz[1] / nyquist, 0.95)
        if low >= high:
            return np.zeros((count, 15, 3))
        sos = butter(2, (low, high), btype="bandpass", output="sos")
    else:
        sos = butter(2, min(band_hz / nyquist, 0.95), output="sos")
    noise = sosfiltfilt(sos, white, axis=0)[32:32 + count]
    return noise / max(float(noise.std()), 1e-12) * sigma


def synthesize_sequence(seed: int, duration_s: float, fps: float = 30.0) -> np.ndarray:
    """(T, 45) float32 right-hand finger poses (flat-hand-mean axis-angle) of `duration_s` seconds at `fps`."""
    style = STYLE
    rng = np.random.default_rng(seed)
    count = max(1, int(round(duration_s * fps)))
    times = np.arange(count) / fps
    motion = _movements(times, rng, style)
    motion += _filtered_noise(count, fps, style.drift_hz, _noise_scale(style.drift, style), rng)
    motion += _filtered_noise(count, fps, style.tremor_band_hz, np.full(3, style.tremor), rng)
    return from_anatomical(_clip(motion)).astype(np.float32)


def synthesize_corpus(seeds: Iterable[int], duration_s: float, fps: float = 30.0) -> list[np.ndarray]:
    """One synthetic sequence per seed (see `synthesize_sequence`)."""
    return [synthesize_sequence(seed, duration_s, fps) for seed in seeds]
