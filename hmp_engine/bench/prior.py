"""`hmp bench prior`: how well a motion prior reconstructs and infills held-out synthetic and real motion."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from hmp_engine.detection import detect_video
from hmp_engine.hand_model import load_hand_model
from hmp_engine.ik import single_thread
from hmp_engine.prior.checkpoint import load_prior
from hmp_engine.prior.data import HandSequence
from hmp_engine.prior.evaluate import evaluate
from hmp_engine.prior.real_motion import fit_marker_mocap, lift_landmark_sequence, load_marker_mocap
from hmp_engine.prior.synthetic import HELD_OUT_SEEDS, synthesize_sequence
from hmp_engine.video import open_video

EVALUATION_SEEDS = HELD_OUT_SEEDS[:8]
"""Held-out synthetic seeds for evaluation (the last held-out seeds validate training, these never do)."""
SYNTHETIC_SECONDS = 60.0
VIDEO_HELD_OUT_FRACTION = 0.4
"""Key poses were lifted from the first 60 % of the sample video; only its last 40 % is evaluated."""


def held_out_sets(sample_video: Path, fps: float) -> dict[str, list[np.ndarray]]:
    """Held-out synthetic seeds, the fitted marker mocap, and the lifted end of the sample video, at `fps`."""
    model = load_hand_model("open", "right")
    mocap = fit_marker_mocap(load_marker_mocap(), model, fps=fps)
    with open_video(sample_video) as video:
        detections = detect_video(video, max_hands=1)
    track = detections.tracks[0]
    world = track.world[track.detected]
    video_pose, _ = lift_landmark_sequence(world, detections.fps, model, target_fps=fps)
    start = int(len(video_pose) * (1.0 - VIDEO_HELD_OUT_FRACTION))
    return {
        "synthetic, held-out seeds": [synthesize_sequence(seed, SYNTHETIC_SECONDS, fps) for seed in EVALUATION_SEEDS],
        "real: marker mocap (60 s)": [mocap.hand_pose],
        "real: sample video, last 40 % (lifted)": [video_pose[start:]],
    }


MOTION_SET = "real: --motion files"


def prior_report(checkpoint: Path, sample_video: Path | None, motion: list[HandSequence] | None = None) -> dict:
    """Reconstruction and infilling scores of a prior checkpoint on the held-out sets (none without a sample
    video) and on the given motion files' sequences (already in the prior's convention, at 30 fps).

    Runs on one torch thread: its small batches gain little from more, and spinning threads crawl whenever
    another process shares the cores."""
    with single_thread():
        prior = load_prior(checkpoint, "cpu")
        sets = held_out_sets(sample_video, prior.fps) if sample_video is not None else {}
        if motion:
            sets[f"{MOTION_SET} ({len(motion)} sequences)"] = [sequence.hand_pose for sequence in motion]
        return {"checkpoint": str(checkpoint), "sets": evaluate(prior, load_hand_model("open", "right"), sets)}
