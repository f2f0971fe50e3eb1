"""Where a hand is, frame by frame: observed, infilled (hidden or missed for a while) or absent (out of the picture).

A hand track has runs of frames without a detection. A run inside the track is *infilled* (the fit estimates the
hand there from its neighbours and the motion prior) when the hand plausibly stayed in the picture behind
something, and *absent* (nothing is estimated, shown or exported as valid) when:

- it left the picture: its box was last seen at the image border and moving out through it, or it comes back
  at a border moving in through it (whatever the run's length); or
- the run lasts longer than the longest infilled gap (``max_gap_s`` seconds; nobody can guess a hand's motion
  beyond that).

Frames before the first and after the last observation are absent too. "At the border" means the keypoint box
comes within ``BORDER_MARGIN`` of the image's shorter side of an edge (or crosses it); "moving out" means the box
centre moved toward that edge by more than ``MIN_EXIT_SPEED`` of the box diagonal per frame over the last
``EXIT_FRAMES`` frames it was seen. The thresholds were set on the 720p sample, a 360p clip whose hand leaves the
picture partly, and crops of the sample whose hand leaves and comes back (README, "Hands that leave the picture").
"""

from __future__ import annotations

import numpy as np

ABSENT, INFILLED, OBSERVED = 0, 1, 2
"""Frame states, as stored in per-frame state arrays (int8)."""

DEFAULT_MAX_GAP_S = 2.0
"""Seconds: the longest run of missing frames infilled inside the picture. 1 s would do for most occlusions; 2 s
keeps the accuracy benchmark's whole-hand gaps (up to 60 frames at 30 fps) infilled, where the prior still
beats interpolation (BENCHMARKS.md)."""

BORDER_MARGIN = 0.03
"""A box edge within this fraction of the image's shorter side of the image edge is at the border."""

EXIT_FRAMES = 3
"""Frames over which the outward motion at an exit (or inward motion at an entry) is measured."""

MIN_EXIT_SPEED = 0.01
"""Box diagonals per frame: slower motion toward the border does not count as leaving."""


def missing_runs(observed: np.ndarray) -> list[tuple[int, int]]:
    """[start, stop) of every run of unobserved frames strictly between two observed frames."""
    padded = np.concatenate([[True], np.asarray(observed, dtype=bool), [True]])
    edges = np.flatnonzero(np.diff(padded.astype(np.int8)))
    runs = list(zip(edges[::2], edges[1::2]))
    return [(int(a), int(b)) for a, b in runs if a > 0 and b < len(observed)]


def keypoint_boxes(keypoints: np.ndarray, seen: np.ndarray) -> np.ndarray:
    """(T, 4) x0, y0, x1, y1 around the (T, 21, 2+) keypoints where ``seen`` (T, 21); zeros on frames with none."""
    points = np.asarray(keypoints, dtype=np.float64)[..., :2]
    seen = np.asarray(seen, dtype=bool)[..., None]
    low, high = np.where(seen, points, np.inf).min(axis=1), np.where(seen, points, -np.inf).max(axis=1)
    boxes = np.concatenate([low, high], axis=-1)
    return np.where(seen.any(axis=1), boxes, 0.0)


def _border_crossing(boxes: np.ndarray, frames: np.ndarray, image_size: tuple[int, int]) -> bool:
    """Whether the box at the last of ``frames`` touches an edge and moved toward it over ``frames``."""
    width, height = image_size
    margin = BORDER_MARGIN * min(width, height)
    box, first = boxes[frames[-1]], boxes[frames[0]]
    diagonal = max(float(np.hypot(box[2] - box[0], box[3] - box[1])), 1.0)
    shift = ((box[:2] + box[2:]) - (first[:2] + first[2:])) / 2 / max(len(frames) - 1, 1) / diagonal
    edges = [(box[0] <= margin, -shift[0]), (box[2] >= width - margin, shift[0]),  # (touched, speed toward it)
             (box[1] <= margin, -shift[1]), (box[3] >= height - margin, shift[1])]
    return any(touched and speed > MIN_EXIT_SPEED for touched, speed in edges)


def left_the_picture(boxes: np.ndarray, observed: np.ndarray, start: int, stop: int,
                     image_size: tuple[int, int]) -> bool:
    """Whether the hand missing on frames [start, stop) left through a border or came back through one."""
    seen = np.flatnonzero(observed)
    before = seen[seen < start][-EXIT_FRAMES:]
    after = seen[seen >= stop][:EXIT_FRAMES][::-1]  # reversed: motion toward the border, back in time
    return (len(before) > 1 and _border_crossing(boxes, before, image_size)) or (
        len(after) > 1 and _border_crossing(boxes, after, image_size))


def frame_states(observed: np.ndarray, boxes: np.ndarray, times: np.ndarray, image_size: tuple[int, int],
                 max_gap_s: float = DEFAULT_MAX_GAP_S) -> np.ndarray:
    """(T,) int8 state of each frame (ABSENT, INFILLED, OBSERVED; see the module docstring) of a hand observed on
    ``observed`` (T,) frames with keypoint boxes (T, 4) px, at ``times`` (T,) seconds in an image (w, h)."""
    observed = np.asarray(observed, dtype=bool)
    states = np.where(observed, OBSERVED, ABSENT).astype(np.int8)
    if not observed.any():
        return states
    seen = np.flatnonzero(observed)
    states[seen[0]:seen[-1] + 1] = np.where(observed[seen[0]:seen[-1] + 1], OBSERVED, INFILLED)
    interval = float(np.median(np.diff(times))) if len(times) > 1 else 1.0
    longest = int(round(max_gap_s / max(interval, 1e-6)))
    for start, stop in missing_runs(observed):
        if stop - start > longest or left_the_picture(boxes, observed, start, stop, image_size):
            states[start:stop] = ABSENT
    return states

