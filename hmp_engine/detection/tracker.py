"""Hand identity over time: link per-frame hand detections into tracks so that a hand keeps its track.

Identity comes from motion, not from the detector's handedness label, which flips on ambiguous frames.
Each frame, detections are matched to existing tracks by the Hungarian algorithm on

    cost = mean_j |x_j - x_j(track's last detection)| / diagonal(track's last box)  +  LABEL_COST * [label differs]

where a pair is allowed only if the distance term is at most ``max_distance`` (scaled by the number of
frames since the track was last seen, up to ``MAX_GAP_SCALE``). The label is a weak vote: it only decides
between tracks at similar distances. A detection that matches no track by motion re-joins the most recently
seen unmatched track of the same majority side (a hand that left the picture and came back), otherwise it
starts a new track. Near-duplicate detections of one hand in a frame (box IoU above ``duplicate_iou``, or the
smaller box lying almost wholly in the larger: ``DUPLICATE_CONTAINMENT``) keep only the one that continues a track
best. A track's side is the score-weighted majority of its labels.

Short tracks (fewer than ``MIN_TRACK_FRAMES`` detections) beside a real hand are misreads of it: one that lies in
a longer track's gap, near where that hand was last (or next) seen, is merged into it; one that shares a frame
with a longer track is dropped. A short track alone in its stretch of video is kept (a hand seen briefly).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linear_sum_assignment

SIDES = ("right", "left")
LABEL_COST = 0.25  # added when a detection's label differs from the track's majority side
MAX_GAP_SCALE = 5.0  # the motion gate widens with the gap in frames, at most this many times
MIN_TRACK_FRAMES = 5
"""Tracks with fewer detections are merged into or dropped beside a longer track (phantom 1-3 frame tracks on
real clips were misreads of the real hand; README, "Hands that leave the picture")."""
NEAR_DIAGONALS = 2.0
"""A short track continues a longer one across its gap when its box centre lies within this many box diagonals
of the longer track's box on the nearest frame it was seen."""
DUPLICATE_CONTAINMENT = 0.9
"""Share of the smaller box inside the larger above which two detections are one hand: a hand cut by the image
border was also read as a smaller hand of the other side nested in its box (IoU about 0.5; README, "Hands that
leave the picture")."""
_FORBIDDEN = 1e9


@dataclass(frozen=True)
class HandObservation:
    """One hand found in one frame: 2D keypoints (21, 2) in pixels and the detector's side label and score.

    ``side`` is the person's real hand ('right' or 'left'); ``score`` is the detector's probability for it.
    """

    keypoints: np.ndarray
    side: str
    score: float

    @property
    def box(self) -> np.ndarray:
        """Tight keypoint box x0, y0, x1, y1 in pixels."""
        return np.concatenate([self.keypoints.min(axis=0), self.keypoints.max(axis=0)])


@dataclass
class _Track:
    """A track under construction: its (frame, detection index) pairs, last position and side votes."""

    members: list[tuple[int, int]]
    last: HandObservation
    votes: dict[str, float] = field(default_factory=lambda: dict.fromkeys(SIDES, 0.0))

    @property
    def last_frame(self) -> int:
        return self.members[-1][0]

    @property
    def side(self) -> str:
        return _winner(self.votes)

    def add(self, frame: int, index: int, observation: HandObservation) -> None:
        self.members.append((frame, index))
        self.last = observation
        for side, vote in side_votes(observation).items():
            self.votes[side] += vote


def side_votes(observation: HandObservation) -> dict[str, float]:
    """The detection's probability for each side: its score for its label, the complement for the other."""
    other = SIDES[1 - SIDES.index(observation.side)]
    return {observation.side: observation.score, other: 1.0 - observation.score}


def majority_side(observations: Sequence[HandObservation]) -> str:
    """The side with the larger summed probability over a track's detections (ties go to 'right')."""
    totals = dict.fromkeys(SIDES, 0.0)
    for observation in observations:
        for side, vote in side_votes(observation).items():
            totals[side] += vote
    return _winner(totals)


def _winner(totals: dict[str, float]) -> str:
    """The side with the largest total; 'right' on a tie."""
    return max(SIDES, key=totals.__getitem__)


def _motion_distance(observation: HandObservation, track: _Track) -> float:
    """Mean keypoint displacement from the track's last detection, in units of its box diagonal."""
    box = track.last.box
    diagonal = max(float(np.hypot(box[2] - box[0], box[3] - box[1])), 1.0)
    return float(np.linalg.norm(observation.keypoints - track.last.keypoints, axis=1).mean()) / diagonal


def _overlaps(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Intersection over union of two x0, y0, x1, y1 boxes, and the share of the smaller box inside the other."""
    width = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    height = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = width * height
    areas = ((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    union = sum(areas) - inter
    return (inter / union if union > 0 else 0.0), (inter / min(areas) if min(areas) > 0 else 0.0)


def _duplicates(a: np.ndarray, b: np.ndarray, duplicate_iou: float) -> bool:
    """Whether two boxes of one frame are one hand read twice."""
    iou, contained = _overlaps(a, b)
    return iou > duplicate_iou or contained > DUPLICATE_CONTAINMENT


def _costs(
    observations: Sequence[HandObservation], tracks: list[_Track], frame: int, max_distance: float
) -> np.ndarray:
    """Matching cost of each detection (rows) to each track (columns); _FORBIDDEN outside the motion gate."""
    costs = np.full((len(observations), len(tracks)), _FORBIDDEN)
    for k, track in enumerate(tracks):
        gate = max_distance * min(frame - track.last_frame, MAX_GAP_SCALE)
        for i, observation in enumerate(observations):
            distance = _motion_distance(observation, track)
            if distance <= gate:
                costs[i, k] = distance + LABEL_COST * (observation.side != track.side)
    return costs


def _without_duplicates(
    observations: Sequence[HandObservation], costs: np.ndarray, duplicate_iou: float
) -> list[int]:
    """Indices of the detections to keep: of overlapping ones, the best track continuation (then best score)."""
    best = costs.min(axis=1) if costs.shape[1] else np.full(len(observations), _FORBIDDEN)
    order = sorted(range(len(observations)), key=lambda i: (best[i], -observations[i].score))
    kept: list[int] = []
    for i in order:
        if not any(_duplicates(observations[i].box, observations[j].box, duplicate_iou) for j in kept):
            kept.append(i)
    return sorted(kept)


def link_tracks(
    frames: Sequence[Sequence[HandObservation]], max_distance: float = 1.0, duplicate_iou: float = 0.5
) -> list[list[tuple[int, int]]]:
    """Group the detections of each frame into tracks; each track is a list of (frame, detection index).

    Pure function of the detections (see the module docstring); tracks come in order of creation.
    """
    tracks: list[_Track] = []
    for frame, observations in enumerate(frames):
        costs = _costs(observations, tracks, frame, max_distance)
        kept = _without_duplicates(observations, costs, duplicate_iou)
        rows, cols = linear_sum_assignment(costs[kept]) if tracks and kept else ([], [])
        matched: dict[int, int] = {}
        for row, col in zip(rows, cols):
            if costs[kept[row], col] < _FORBIDDEN:
                matched[kept[row]] = int(col)
        for i in kept:
            if i not in matched:
                matched[i] = _rejoin_or_new(observations[i], tracks, set(matched.values()), frame)
            tracks[matched[i]].add(frame, i, observations[i])
    return absorb_short_tracks([track.members for track in tracks], frames)


def absorb_short_tracks(tracks: list[list[tuple[int, int]]],
                        frames: Sequence[Sequence[HandObservation]]) -> list[list[tuple[int, int]]]:
    """The tracks with every short one merged into a longer track whose gap it fills near that hand, dropped when
    it shares a frame with a longer track, and kept otherwise (see the module docstring); order kept."""
    long = [members for members in tracks if len(members) >= MIN_TRACK_FRAMES]
    kept: list[list[tuple[int, int]]] = []
    for members in tracks:
        if len(members) >= MIN_TRACK_FRAMES:
            kept.append(members)
            continue
        host = _gap_host(members, long, frames)
        if host is not None:
            host.extend(members)
            host.sort()
        elif not any({t for t, _ in members} & {t for t, _ in other} for other in long):
            kept.append(members)
    return kept


def _gap_host(members: list[tuple[int, int]], long: list[list[tuple[int, int]]],
              frames: Sequence[Sequence[HandObservation]]) -> list[tuple[int, int]] | None:
    """The longer track in one of whose gaps the short track lies, nearest to where it was seen, or None."""
    first, last = members[0][0], members[-1][0]
    best, best_distance = None, NEAR_DIAGONALS
    for other in long:
        times = [t for t, _ in other]
        slot = int(np.searchsorted(times, first))
        if slot < len(times) and times[slot] <= last:
            continue  # shares or interleaves frames: not inside one gap
        neighbours = [(members[0], other[slot - 1])] if slot > 0 else []
        neighbours += [(members[-1], other[slot])] if slot < len(times) else []
        for (t, i), (u, j) in neighbours:
            distance = _box_distance(frames[t][i], frames[u][j])
            if distance <= best_distance:
                best, best_distance = other, distance
    return best


def _box_distance(observation: HandObservation, reference: HandObservation) -> float:
    """Distance between two detections' box centres in units of the reference's box diagonal."""
    a, b = observation.box, reference.box
    diagonal = max(float(np.hypot(b[2] - b[0], b[3] - b[1])), 1.0)
    return float(np.hypot(*((a[:2] + a[2:]) - (b[:2] + b[2:])) / 2)) / diagonal


def _rejoin_or_new(observation: HandObservation, tracks: list[_Track], taken: set[int], frame: int) -> int:
    """Index of the most recently seen free track of the detection's side, or of a new empty track."""
    free = [
        k
        for k, track in enumerate(tracks)
        if k not in taken and track.last_frame < frame and track.side == observation.side
    ]
    if free:
        return max(free, key=lambda k: tracks[k].last_frame)
    tracks.append(_Track(members=[], last=observation))
    return len(tracks) - 1
