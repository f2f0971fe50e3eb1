"""AMASS-style SMPL-X .npz of the finger motion, for AMASS tools and the SMPL-X Blender add-on. Hands only.

``poses`` (T, 165) holds SMPL-X's slots: root orientation 0:3, body 3:66, jaw 66:69, eyes 69:75, left hand
75:120, right hand 120:165; the split keys ``root_orient``, ``pose_body``, ``pose_hand`` (left then right),
``pose_jaw`` and ``pose_eye`` repeat them as AMASS's SMPL-X files do. Only the hand slots are filled, with the
full finger rotations (flat-hand-mean axis-angle: AMASS stores no hand mean, and hmp_engine.prior.data's AMASS
loader reads them so); each hand as fitted with its own side's model, as SMPL-X expects; a hand not exported stays
flat. The body, its root orientation, ``trans`` and the body shape ``betas`` are zero (neutral): a wrist's global
motion and the MANO hand shape have no place in a body model, so the motion .npz is the file that keeps them.
Also ``gender`` = "neutral", ``surface_model_type`` = "smplx", ``mocap_frame_rate``, ``mocap_time_length``.
"""

from __future__ import annotations

import io
import os

import numpy as np

from hmp_engine.export.output import write_output
from hmp_engine.motion_file import Motion

HAND_SLOTS = {"left": slice(75, 120), "right": slice(120, 165)}
"""Columns of each hand's 45 finger values in SMPL-X ``poses``."""

NUM_BODY_BETAS = 16


def amass_arrays(motion: Motion) -> dict[str, np.ndarray]:
    """The npz entries of an AMASS-style SMPL-X file holding the motion's finger poses."""
    frames = motion.num_frames
    poses = np.zeros((frames, 165))
    for side, hand in motion.hands().items():
        poses[:, HAND_SLOTS[side]] = hand.hand_pose
    return {
        "poses": poses, "root_orient": poses[:, :3], "pose_body": poses[:, 3:66], "pose_jaw": poses[:, 66:69],
        "pose_eye": poses[:, 69:75], "pose_hand": poses[:, 75:165], "trans": np.zeros((frames, 3)),
        "betas": np.zeros(NUM_BODY_BETAS), "num_betas": np.array(NUM_BODY_BETAS), "gender": np.array("neutral"),
        "surface_model_type": np.array("smplx"), "mocap_frame_rate": np.array(float(motion.fps)),
        "mocap_time_length": np.array(frames / motion.fps),
    }


def write_amass(path: str | os.PathLike, motion: Motion) -> None:
    """Write the motion's finger poses as an AMASS-style SMPL-X .npz atomically. Raises ExportError."""
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **amass_arrays(motion))
    write_output(path, buffer.getvalue())
