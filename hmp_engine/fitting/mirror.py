"""A two-hand scene from a one-hand detection: the video beside its mirror image, for two-hand tests and benchmarks.

The frame is doubled in width; the original track keeps its pixels and a left-hand copy is reflected about the new
centre (x -> 2W - x, world x -> -x). Under the default camera (principal point at the centre) that reflection is
the 3D mirror x -> -x, so a correct two-hand fit returns the left hand as the mirror image of the right one.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from hmp_engine.detection import DetectionResult, KeypointTrack

_OTHER_SIDE = {"right": "left", "left": "right"}


def mirrored_track(track: KeypointTrack, width: float) -> KeypointTrack:
    """The track of the other hand seen in a mirror about the vertical line x = width / 2."""
    keypoints, world, boxes = track.keypoints.copy(), track.world.copy(), track.boxes.copy()
    keypoints[..., 0] = np.where(track.detected[:, None], width - keypoints[..., 0], 0.0)
    world[..., 0] *= -1.0
    boxes[:, [0, 2]] = np.where(track.detected[:, None], width - boxes[:, [2, 0]], 0.0)
    return replace(track, keypoints=keypoints, world=world, boxes=boxes, handedness=_OTHER_SIDE[track.handedness])


def side_by_side_mirror(result: DetectionResult) -> DetectionResult:
    """The first track of ``result`` and its mirrored copy in a frame twice as wide."""
    width, height = result.image_size
    track = result.tracks[0]
    return replace(result, tracks=[track, mirrored_track(track, 2 * width)], image_size=(2 * width, height))
