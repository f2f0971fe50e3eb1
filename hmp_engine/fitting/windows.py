"""Overlapping time windows over a sequence, and the cross-fade that blends per-window motion without seams.

A window spans the prior's window duration in seconds, so videos of any frame rate are cut alike and each window
decodes at the video's own frame times (mapped to [0, 1] over the window). Windows are spread evenly so the
first starts at the first frame and the last ends at the last; neighbours overlap by at least
``min_overlap`` of a window. In an overlap each window's weight ramps linearly from its edge, and the weights are
normalised to sum to 1 on every frame, so the blended motion passes continuously from one window to the next;
`WindowLayout.overlap_pairs` lists the frames two windows share, for the term that ties them together.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

DEFAULT_MIN_OVERLAP = 0.25
"""Smallest overlap of neighbouring windows as a fraction of the window (the reference had 16/128, untied)."""

_RAMP_FLOOR = 1e-3  # weight of a frame on a window's very edge, so every covered frame has a positive weight


@dataclass(frozen=True)
class WindowLayout:
    """Windows over T frames: ``starts`` (W,) seconds, and a padded frame table per window.

    frames (W, M) int frame indices (padding repeats a window's last frame); phase (W, M) in [0, 1], each frame's
    time within its window; weight (W, M) the normalised cross-fade weight (0 on padding).
    """

    starts: np.ndarray
    span: float
    frames: np.ndarray
    phase: np.ndarray
    weight: np.ndarray

    @property
    def num_windows(self) -> int:
        """Windows in the layout."""
        return len(self.starts)

    def frame_slots(self) -> tuple[np.ndarray, np.ndarray]:
        """For every frame, the flat (W * M) slots holding it and their weights, (T, K) each (padded with weight 0).

        Blending by gathering these (rather than scattering slots onto frames) adds each frame's windows in a
        fixed order, so the result is the same on every run, on the GPU too.
        """
        flat_frames, flat_weight = self.frames.reshape(-1), self.weight.reshape(-1)
        used = np.flatnonzero(flat_weight > 0)
        order = used[np.argsort(flat_frames[used], kind="stable")]
        counts = np.bincount(flat_frames[order], minlength=int(self.frames.max()) + 1)
        rank = np.arange(len(order)) - np.repeat(np.cumsum(counts) - counts, counts)
        slots = np.zeros((len(counts), counts.max()), dtype=np.int64)
        weights = np.zeros(slots.shape)
        slots[flat_frames[order], rank] = order
        weights[flat_frames[order], rank] = flat_weight[order]
        return slots, weights

    def overlap_pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """Flat indices into the (W * M) table of slots holding the same frame in neighbouring windows."""
        left, right = [], []
        width = self.frames.shape[1]
        for k in range(self.num_windows - 1):
            valid_a, valid_b = self.weight[k] > 0, self.weight[k + 1] > 0
            shared, slot_a, slot_b = np.intersect1d(self.frames[k][valid_a], self.frames[k + 1][valid_b],
                                                    return_indices=True)
            left.append(k * width + np.flatnonzero(valid_a)[slot_a])
            right.append((k + 1) * width + np.flatnonzero(valid_b)[slot_b])
        empty = np.zeros(0, dtype=np.int64)
        return (np.concatenate(left) if left else empty), (np.concatenate(right) if right else empty)


def window_starts(duration: float, span: float, min_overlap: float = DEFAULT_MIN_OVERLAP) -> np.ndarray:
    """Start times of the fewest windows of ``span`` seconds covering [0, duration] with the given overlap."""
    if duration <= span:
        return np.zeros(1)
    overlap = min_overlap * span
    count = math.ceil((duration - overlap) / (span - overlap) - 1e-9)
    return np.linspace(0.0, duration - span, max(count, 2))


def layout_windows(times: np.ndarray, span: float, min_overlap: float = DEFAULT_MIN_OVERLAP) -> WindowLayout:
    """Cut frames at ``times`` (T,) seconds into overlapping windows of ``span`` seconds with cross-fade weights."""
    times = np.asarray(times, dtype=np.float64) - times[0]
    starts = window_starts(float(times[-1]), span, min_overlap)
    tolerance = 1e-6 * max(span, 1.0)
    members = [np.flatnonzero((times >= start - tolerance) & (times <= start + span + tolerance)) for start in starts]
    width = max(len(frames) for frames in members)
    frames = np.stack([np.pad(m, (0, width - len(m)), mode="edge") for m in members])
    phase = np.clip((times[frames] - starts[:, None]) / span, 0.0, 1.0)
    used = np.arange(width)[None, :] < np.array([len(m) for m in members])[:, None]
    ramp_width = (span - (starts[1] - starts[0])) / span if len(starts) > 1 else 1.0
    ramp = np.clip(np.minimum(phase, 1.0 - phase) / ramp_width, _RAMP_FLOOR, 1.0)
    if len(starts) > 1:  # the sequence's own ends are not faded
        ramp[0] = np.where(phase[0] < 0.5, 1.0, ramp[0])
        ramp[-1] = np.where(phase[-1] > 0.5, 1.0, ramp[-1])
    ramp = np.where(used, ramp, 0.0)
    total = np.zeros(len(times))
    np.add.at(total, frames[used], ramp[used])
    weight = np.where(used, ramp / total[frames], 0.0)
    return WindowLayout(starts=starts, span=span, frames=frames, phase=phase, weight=weight)
