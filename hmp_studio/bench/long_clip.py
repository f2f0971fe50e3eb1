"""Synthetic long-GOP test clip for the scrub benchmark: 1080p H.264 with keyframes far apart, like camera footage.

`python -m hmp_studio.bench.long_clip OUT.mp4 [--seconds 600] [--keyframe-seconds 8]` writes it (minutes of work:
keep it outside the repository). The picture is a scrolling noise texture with a moving bright square, so that
every P-frame carries motion and the decoder does real work, and each frame differs from its neighbours.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import av
import numpy as np


def write_long_gop_clip(path: Path, seconds: float = 600.0, fps: int = 30, keyframe_seconds: float = 8.0,
                        size: tuple[int, int] = (1920, 1080)) -> int:
    """Encode the clip to ``path`` (x264 ultrafast, a keyframe every ``keyframe_seconds``); returns the frame count."""
    width, height = size
    count = round(seconds * fps)
    keyint = round(keyframe_seconds * fps)
    rng = np.random.default_rng(0)
    texture = (rng.integers(40, 200, size=(height // 8, (width + 1024) // 8), dtype=np.uint8)
               .repeat(8, axis=0).repeat(8, axis=1))
    chroma = np.full((height // 2, width), 128, dtype=np.uint8)
    chroma[: height // 4] = np.linspace(90, 170, width, dtype=np.uint8)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"preset": "ultrafast", "crf": "26", "g": str(keyint), "keyint_min": str(keyint),
                          "x264-params": f"keyint={keyint}:min-keyint={keyint}:scenecut=0"}
        for index in range(count):
            shift = (index * 3) % 1024
            luma = texture[:, shift:shift + width].copy()
            x = (index * 7) % (width - 160)
            y = (height - 160) // 2 + int(300 * np.sin(index / 45))
            luma[y:y + 160, x:x + 160] = 235
            frame = av.VideoFrame.from_ndarray(np.vstack([luma, chroma]), format="yuv420p")
            frame.pts = index
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return count


def main(argv: list[str] | None = None) -> int:
    """Write the clip named on the command line."""
    parser = argparse.ArgumentParser(prog="python -m hmp_studio.bench.long_clip", description=__doc__.splitlines()[0])
    parser.add_argument("output", type=Path)
    parser.add_argument("--seconds", type=float, default=600.0)
    parser.add_argument("--keyframe-seconds", type=float, default=8.0)
    args = parser.parse_args(argv)
    frames = write_long_gop_clip(args.output, args.seconds, keyframe_seconds=args.keyframe_seconds)
    print(f"wrote {args.output}: {frames} frames")
    return 0


if __name__ == "__main__":
    sys.exit(main())
