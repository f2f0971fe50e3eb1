"""BVH: the shared skeleton (export.skeleton) with its rotations per frame, as text.

Rest offsets are the flat hand's bone vectors; rotations are written as ``Zrotation Xrotation Yrotation`` Euler
angles in degrees (the CMU order: R = Rz Rx Ry), unwrapped over time so no channel jumps by 360. Fingertips are
``End Site``s. One hand: its wrist is the ROOT, with six channels, at OFFSET 0 so its position channels are the
wrist's position. Two hands: a static ROOT ``hands`` at the origin holds both wrists, each with six channels at
OFFSET 0 (so readers that add OFFSET and readers that do not agree). Units: metres times the export's scale.
"""

from __future__ import annotations

import os

import numpy as np
from scipy.spatial.transform import Rotation

from hmp_engine.export.output import write_output
from hmp_engine.export.skeleton import NUM_ARTICULATED, Skeleton

ROTATION_CHANNELS = "Zrotation Xrotation Yrotation"
POSITION_CHANNELS = "Xposition Yposition Zposition"


def _joint_lines(skeleton: Skeleton, joint: int, depth: int, keyword: str) -> list[str]:
    """The HIERARCHY lines of a joint and everything below it."""
    pad, offset = "  " * depth, skeleton.offsets[joint] if joint else np.zeros(3)
    channels = f"6 {POSITION_CHANNELS} {ROTATION_CHANNELS}" if joint == 0 else f"3 {ROTATION_CHANNELS}"
    lines = [f"{pad}{keyword} {skeleton.names[joint]}", f"{pad}{{", f"{pad}  OFFSET {_numbers(offset)}",
             f"{pad}  CHANNELS {channels}"]
    for child in (k for k, parent in enumerate(skeleton.parents) if parent == joint):
        if child < NUM_ARTICULATED:
            lines += _joint_lines(skeleton, child, depth + 1, "JOINT")
        else:
            lines += [f"{pad}  End Site", f"{pad}  {{", f"{pad}    OFFSET {_numbers(skeleton.offsets[child])}",
                      f"{pad}  }}"]
    return lines + [f"{pad}}}"]


def _numbers(values: np.ndarray) -> str:
    """Space-separated fixed-point numbers (micro-units: a micrometre at metre scale)."""
    return " ".join(f"{value:.6f}" for value in values)


def _motion(skeleton: Skeleton) -> np.ndarray:
    """(T, 6 + 3 * 15) channel values of a hand: wrist position and rotation, then each finger joint's rotation."""
    frames = skeleton.num_frames
    angles = Rotation.from_matrix(skeleton.rotations.reshape(-1, 3, 3)).as_euler("ZXY", degrees=True)
    angles = np.unwrap(angles.reshape(frames, -1), period=360.0, axis=0)
    return np.concatenate([skeleton.root, angles], axis=1)


def write_bvh(path: str | os.PathLike, skeletons: dict[str, Skeleton], fps: float) -> None:
    """Write the hands' skeleton and motion as a .bvh atomically. Raises ExportError."""
    hands = list(skeletons.values())
    if len(hands) == 1:
        hierarchy = _joint_lines(hands[0], 0, 0, "ROOT")
    else:
        hierarchy = ["ROOT hands", "{", f"  OFFSET {_numbers(np.zeros(3))}",
                     f"  CHANNELS 6 {POSITION_CHANNELS} {ROTATION_CHANNELS}"]
        hierarchy += [line for hand in hands for line in _joint_lines(hand, 0, 1, "JOINT")] + ["}"]
    motion = np.concatenate([_motion(hand) for hand in hands], axis=1)
    if len(hands) > 1:
        motion = np.concatenate([np.zeros((len(motion), 6)), motion], axis=1)
    text = ["HIERARCHY", *hierarchy, "MOTION", f"Frames: {len(motion)}", f"Frame Time: {1.0 / fps:.9f}"]
    text += [_numbers(row) for row in motion]
    write_output(path, ("\n".join(text) + "\n").encode())
