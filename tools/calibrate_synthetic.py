"""Compare the synthetic finger motion with real motion and write the tables of docs/synthetic_calibration.md.

    python tools/calibrate_synthetic.py [--minutes 60] [--write-key-poses] [-o docs/synthetic_calibration.md]

Real motion: the Qualisys marker recording fitted with the hand model, and the sample video's MediaPipe world
landmarks lifted by IK (raw, and low-passed at 6 Hz because MediaPipe's frame-to-frame jitter dominates its raw
acceleration). --write-key-poses first stores key poses picked from the first 60 % of the lifted video in
resources/key_poses/, so the last 40 % stays held out for the coverage check.
"""

from __future__ import annotations

import argparse
import pickle
import re
import time
from pathlib import Path

import numpy as np
from scipy.signal import butter, sosfiltfilt

from hmp_engine.anatomy import JOINT_LIMITS
from hmp_engine.hand_model import HandModel, load_hand_model
from hmp_engine.hand_model.joints import MANO_JOINT_NAMES
from hmp_engine.prior.key_poses import VIDEO_KEY_POSES
from hmp_engine.prior.motion_stats import MotionStats, finger_coverage_mm, hand_joints_mm, motion_stats
from hmp_engine.prior.real_motion import fit_marker_mocap, lift_landmark_sequence, load_marker_mocap
from hmp_engine.prior.synthetic import TRAIN_SEEDS, synthesize_corpus

ROOT = Path(__file__).resolve().parents[1]
VIDEO_LANDMARKS = ROOT / "tests" / "data" / "right_hand_gestures_mediapipe_world.pkl"
KEY_POSE_DIR = ROOT / "resources" / "key_poses"
KEY_POSE_FRACTION = 0.6
KEY_POSE_COUNT = 24
REFERENCE = {"speed": 1.2, "acceleration": 0.65}
"""Medians (mm/frame, mm/frame^2 at 30 fps) of real held-out hand mocap measured in issue 4: the target."""
BEGIN, END = "<!-- calibration tables: begin -->", "<!-- calibration tables: end -->"
COMPONENTS = ("twist", "abduction", "flexion")


def real_motion(model: HandModel) -> dict[str, np.ndarray]:
    """(T, 45) poses at 30 fps of each real source."""
    start = time.perf_counter()
    mocap = fit_marker_mocap(load_marker_mocap(), model)
    print(f"marker fit: {time.perf_counter() - start:.1f} s, per-marker median residual (mm): "
          + ", ".join(f"{name} {value:.2f}" for name, value in mocap.marker_residual_mm.items()))
    with VIDEO_LANDMARKS.open("rb") as stream:
        world = np.asarray(pickle.load(stream), dtype=np.float64)
    video, _ = lift_landmark_sequence(world, fps=30.0, model=model)
    return {"marker mocap": mocap.hand_pose, "video": video}


def low_pass(hand_pose: np.ndarray, cutoff_hz: float = 6.0, fps: float = 30.0) -> np.ndarray:
    """Zero-phase low-pass of a pose sequence, to see through per-frame detector jitter."""
    return sosfiltfilt(butter(2, cutoff_hz / (fps / 2.0), output="sos"), hand_pose, axis=0)


def farthest_poses(model: HandModel, hand_pose: np.ndarray, count: int) -> np.ndarray:
    """Indices of `count` poses spread over the pose space (farthest-point sampling on joint positions)."""
    joints = hand_joints_mm(model, hand_pose).reshape(len(hand_pose), -1)
    chosen = [int(np.argmin(np.linalg.norm(joints - joints.mean(0), axis=1)))]
    distance = np.linalg.norm(joints - joints[chosen[0]], axis=1)
    while len(chosen) < count:
        chosen.append(int(np.argmax(distance)))
        distance = np.minimum(distance, np.linalg.norm(joints - joints[chosen[-1]], axis=1))
    return np.array(sorted(chosen))


def write_key_poses(model: HandModel, video: np.ndarray) -> None:
    """Store key poses from the first part of the lifted video in resources/key_poses/."""
    usable = int(len(video) * KEY_POSE_FRACTION)
    frames = farthest_poses(model, video[:usable], KEY_POSE_COUNT)
    KEY_POSE_DIR.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(KEY_POSE_DIR / VIDEO_KEY_POSES, hand_pose=video[frames].astype(np.float32), frames=frames)
    print(f"wrote {len(frames)} key poses from frames < {usable} to {KEY_POSE_DIR / VIDEO_KEY_POSES}")


def speed_table(stats: dict[str, MotionStats]) -> str:
    """Markdown: median and 90th percentile fingertip speed and acceleration per source."""
    lines = ["| motion | speed median | speed p90 | acceleration median | acceleration p90 |",
             "|---|---|---|---|---|",
             f"| real hand mocap of issue 4 (target) | {REFERENCE['speed']:.2f} | "
             f"| {REFERENCE['acceleration']:.2f} | |"]
    for name, stat in stats.items():
        values = [stat.percentile(kind, q) for kind in ("speed", "acceleration") for q in (50, 90)]
        lines.append(f"| {name} | " + " | ".join(f"{value:.2f}" for value in values) + " |")
    return "\n".join(lines)


def range_table(real: MotionStats, synthetic: MotionStats) -> str:
    """Markdown: 1st-99th percentile of each joint component, real (pooled) vs synthetic, in degrees."""
    lines = ["| joint | " + " | ".join(f"{c} real / synthetic / limits" for c in COMPONENTS) + " |",
             "|---|---|---|---|"]
    real_range, synthetic_range = np.degrees(real.angle_range()), np.degrees(synthetic.angle_range())
    limits = np.degrees(JOINT_LIMITS)
    for row in range(15):
        cells = [f"{real_range[row, c, 0]:.0f}..{real_range[row, c, 1]:.0f} / "
                 f"{synthetic_range[row, c, 0]:.0f}..{synthetic_range[row, c, 1]:.0f} / "
                 f"{limits[row, c, 0]:.0f}..{limits[row, c, 1]:.0f}" for c in range(3)]
        lines.append(f"| {MANO_JOINT_NAMES[row + 1]} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def coverage_table(model: HandModel, real: dict[str, np.ndarray], synthetic: list[np.ndarray]) -> str:
    """Markdown: mean joint error (mm) from each real pose to its nearest synthetic pose, per finger and hand."""
    generated = hand_joints_mm(model, np.concatenate(synthetic)[::2])
    lines = ["| real motion | frames | thumb | index | middle | ring | pinky | whole hand |",
             "|---|---|---|---|---|---|---|---|"]
    for name, pose in real.items():
        coverage = finger_coverage_mm(hand_joints_mm(model, pose), generated)
        values = [coverage[key] for key in ("thumb", "index", "middle", "ring", "pinky", "hand")]
        lines.append(f"| {name} | {len(pose)} | " + " | ".join(f"{value:.1f}" for value in values) + " |")
    return "\n".join(lines)


def main() -> None:
    """Compute the statistics, print them, and replace the tables in the calibration document."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0, help="synthetic motion to compare (default 60)")
    parser.add_argument("--write-key-poses", action="store_true", help="store key poses from the video first")
    parser.add_argument("-o", "--output", type=Path, default=ROOT / "docs" / "synthetic_calibration.md")
    args = parser.parse_args()
    model = load_hand_model("open", "right")
    real = real_motion(model)
    if args.write_key_poses:
        write_key_poses(model, real["video"])
    start = time.perf_counter()
    seeds = TRAIN_SEEDS[:max(1, int(round(args.minutes)))]
    synthetic = synthesize_corpus(seeds, 60.0)
    print(f"synthesised {len(seeds)} minutes in {time.perf_counter() - start:.1f} s")
    held_out = int(len(real["video"]) * KEY_POSE_FRACTION)
    stats = {name: motion_stats(model, [pose]) for name, pose in real.items()}
    stats["video, 6 Hz low-pass"] = motion_stats(model, [low_pass(real["video"])])
    stats[f"synthetic ({len(seeds)} min)"] = synthetic_stats = motion_stats(model, synthetic)
    pooled = motion_stats(model, list(real.values()))
    coverage_sources = {**real, "video, held-out last 40 %": real["video"][held_out:]}
    tables = "\n\n".join([
        "### Fingertip speed (mm/frame) and acceleration (mm/frame²) at 30 fps, wrist-relative\n\n"
        + speed_table(stats),
        "### Joint ranges (degrees, 1st..99th percentile): real (mocap + video) / synthetic / limits\n\n"
        + range_table(pooled, synthetic_stats),
        "### Coverage: mean joint error (mm) from each real pose to its nearest synthetic pose\n\n"
        + coverage_table(model, coverage_sources, synthetic),
    ])
    print(tables)
    text = args.output.read_text() if args.output.exists() else f"{BEGIN}\n{END}\n"
    text = re.sub(f"{re.escape(BEGIN)}.*{re.escape(END)}", lambda _: f"{BEGIN}\n{tables}\n{END}", text, flags=re.S)
    args.output.write_text(text)
    print(f"updated {args.output}")


if __name__ == "__main__":
    main()
