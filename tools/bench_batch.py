"""Time `hmp batch` against a shell-style loop of `hmp fit` + `hmp export` over the same short clips.

Cuts N clips from the bundled sample (PyAV), then runs, back to back, one `hmp fit CLIP -o P.hmp` and one
`hmp export P.hmp -o P.npz` per clip, and `hmp batch CLIPS -o OUTDIR` (default settings, npz export, one
worker per usable core). Prints both wall times, their ratio and the load average around each run.

    python tools/bench_batch.py --clips 8 --frames 36 --width 480 --work /tmp/bench_batch
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import av

SAMPLE = Path(__file__).resolve().parents[1] / "resources" / "samples" / "right_hand_gestures_720p30.mp4"


def cut_clips(folder: Path, count: int, frames: int, width: int) -> list[Path]:
    """``count`` clips of ``frames`` frames, spread over the sample, scaled to ``width`` (16:9)."""
    folder.mkdir(parents=True)
    with av.open(str(SAMPLE)) as source:
        images = [frame.to_ndarray(width=width, height=width * 9 // 16, format="rgb24")
                  for frame in source.decode(video=0)]
    step = (len(images) - frames) // max(count - 1, 1)
    clips = []
    for index in range(count):
        path = folder / f"clip{index}.mp4"
        with av.open(str(path), "w") as target:
            stream = target.add_stream("libx264", rate=30)
            stream.width, stream.height, stream.pix_fmt = width, width * 9 // 16, "yuv420p"
            for image in images[index * step:index * step + frames]:
                target.mux(stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")))
            target.mux(stream.encode())
        clips.append(path)
    return clips


def timed(commands: list[list[str]]) -> float:
    """Run the commands one after another (each must succeed); their wall time in seconds."""
    start = time.perf_counter()
    for command in commands:
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    """Cut the clips, time both ways, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=8)
    parser.add_argument("--frames", type=int, default=36)
    parser.add_argument("--width", type=int, default=480)
    parser.add_argument("--work", type=Path, required=True, help="a scratch folder (replaced)")
    args = parser.parse_args()
    shutil.rmtree(args.work, ignore_errors=True)
    clips = cut_clips(args.work / "clips", args.clips, args.frames, args.width)
    hmp = str(Path(sys.executable).with_name("hmp"))
    loop_dir = args.work / "loop"
    loop_dir.mkdir()
    loop = [[hmp, kind, *arguments] for clip in clips for kind, arguments in (
        ("fit", [str(clip), "-o", str(loop_dir / f"{clip.stem}.hmp")]),
        ("export", [str(loop_dir / f"{clip.stem}.hmp"), "-o", str(loop_dir / f"{clip.stem}.npz")]))]
    batch = [[hmp, "batch", str(args.work / "clips"), "-o", str(args.work / "batch")]]
    load = [os.getloadavg()[0]]
    loop_s = timed(loop)
    load.append(os.getloadavg()[0])
    batch_s = timed(batch)
    load.append(os.getloadavg()[0])
    cores = len(os.sched_getaffinity(0))
    print(f"{len(clips)} clips x {args.frames} frames at {args.width}px, {cores} usable cores")
    print(f"loop of hmp fit + hmp export: {loop_s:.1f} s; hmp batch: {batch_s:.1f} s; ratio {loop_s / batch_s:.2f}x")
    print(f"1-minute load average before the loop, after it, after the batch: "
          f"{', '.join(f'{value:.1f}' for value in load)}")


if __name__ == "__main__":
    main()
