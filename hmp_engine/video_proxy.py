"""Scrub proxy: a small all-intra copy of a long-GOP video, so any frame can be shown at once while scrubbing.

A frame of an H.264 video with keyframes seconds apart costs a decode from the keyframe before it (hundreds of
frames at 1080p). The proxy holds every frame as its own JPEG at ``PROXY_HEIGHT`` rows, so frame ``k`` is one
small JPEG decode: editors show it while the full frame decodes. It is made once per video in the background and
kept in the cache folder under the video's content key: ``<key>.proxy.mjpeg`` (the JPEGs back to back) and
``<key>.proxy.npy`` (their byte offsets, written last, so a proxy without offsets is incomplete and ignored).
"""

from __future__ import annotations

import mmap
import threading
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from hmp_engine.atomic import atomic_path
from hmp_engine.video import DecodeCancelled, VideoError, VideoReader, upright

PROXY_HEIGHT = 360
PROXY_MIN_KEYFRAME_INTERVAL = 30
"""Videos whose keyframes are at most this many frames apart seek fast enough without a proxy."""
JPEG_QUALITY = "4"  # FFmpeg's qscale: 2 (best) to 31


def wants_proxy(video: VideoReader) -> bool:
    """Whether random access to ``video`` is slow enough (keyframes far apart) that scrubbing needs a proxy."""
    return video.keyframe_interval > PROXY_MIN_KEYFRAME_INTERVAL


def _paths(folder: Path, key: str) -> tuple[Path, Path]:
    """The proxy's JPEG data and offsets files."""
    return folder / f"{key}.proxy.mjpeg", folder / f"{key}.proxy.npy"


class ScrubProxy:
    """Frames of a finished proxy, decoded one JPEG at a time; ``frame()`` is thread-safe."""

    def __init__(self, data: Path, offsets: np.ndarray) -> None:
        self.offsets = offsets
        self._file = data.open("rb")
        self._bytes = mmap.mmap(self._file.fileno(), 0, access=mmap.ACCESS_READ)
        self._decoder = av.CodecContext.create("mjpeg", "r")
        self._lock = threading.Lock()

    @classmethod
    def load(cls, folder: Path, key: str, num_frames: int) -> ScrubProxy | None:
        """The complete proxy of ``num_frames`` frames kept for ``key``, or None when there is none."""
        data, offsets_path = _paths(folder, key)
        try:
            offsets = np.load(offsets_path)
            if len(offsets) != num_frames + 1 or data.stat().st_size != int(offsets[-1]):
                return None
            return cls(data, offsets)
        except (OSError, ValueError):
            return None

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def frame(self, index: int) -> np.ndarray:
        """Proxy frame ``index`` as a (h, w, 3) uint8 RGB array (upright, as the video's frames)."""
        with self._lock:
            start, end = int(self.offsets[index]), int(self.offsets[index + 1])
            frames = self._decoder.decode(av.Packet(self._bytes[start:end]))
            if not frames:
                raise VideoError(f"Cannot decode proxy frame {index}")
            return frames[0].to_ndarray(format="rgb24")

    def close(self) -> None:
        """Release the mapped file."""
        with self._lock:
            self._bytes.close()
            self._file.close()


def write_proxy(video: VideoReader, folder: Path, key: str, progress: Callable[[int, int], None] | None = None,
                cancelled: Callable[[], bool] | None = None) -> ScrubProxy:
    """Decode ``video`` sequentially into a proxy kept under ``key``; the proxy.

    ``progress(done, total)`` is called every 30 frames; DecodeCancelled when ``cancelled()`` turns true (nothing
    is left behind). Raises VideoError on an undecodable video, OSError when the folder cannot be written.
    """
    folder.mkdir(parents=True, exist_ok=True)
    data, offsets_path = _paths(folder, key)
    offsets = [0]
    width, height = video.size
    size = (2 * round(width * min(PROXY_HEIGHT, height) / height / 2), min(PROXY_HEIGHT, height))
    encoder = _jpeg_encoder(*size)
    with atomic_path(data) as temp, temp.open("wb") as file:
        for index, decoded in enumerate(video.iter_decoded()):
            for packet in encoder.encode(_small(decoded, size)):
                offsets.append(offsets[-1] + file.write(bytes(packet)))
            if index % 30 == 0:
                if cancelled is not None and cancelled():
                    raise DecodeCancelled(f"the proxy of '{video.path}' is no longer wanted")
                if progress is not None:
                    progress(index, video.num_frames)
        if len(offsets) != video.num_frames + 1:
            raise VideoError(f"Cannot make a proxy of '{video.path}': {len(offsets) - 1} of {video.num_frames} "
                             "frames decoded")
    with atomic_path(offsets_path) as temp, temp.open("wb") as file:
        np.save(file, np.array(offsets, dtype=np.int64))
    if progress is not None:
        progress(video.num_frames, video.num_frames)
    proxy = ScrubProxy.load(folder, key, video.num_frames)
    if proxy is None:
        raise VideoError(f"Cannot read back the proxy of '{video.path}' written to '{folder}'")
    return proxy


def _small(decoded: av.VideoFrame, size: tuple[int, int]) -> av.VideoFrame:
    """``decoded`` scaled to ``size`` (width, height upright) in the JPEG encoder's pixel format.

    Scaling straight to YUV with a bilinear filter costs a fifth of an RGB round trip at 1080p; only a rotated
    video goes through RGB to be turned upright.
    """
    if round(decoded.rotation / 90) % 4 == 0:
        return decoded.reformat(*size, format="yuvj420p", interpolation="BILINEAR")
    stored = size if round(decoded.rotation / 90) % 2 == 0 else size[::-1]
    rgb = upright(decoded.reformat(*stored, format="rgb24", interpolation="BILINEAR").to_ndarray(), decoded.rotation)
    return av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuvj420p")


def _jpeg_encoder(width: int, height: int) -> av.VideoCodecContext:
    """An MJPEG encoder at fixed quality: every frame is a standalone JPEG."""
    encoder = av.CodecContext.create("mjpeg", "w")
    encoder.width, encoder.height, encoder.pix_fmt = width, height, "yuvj420p"
    encoder.time_base = Fraction(1, 30)
    encoder.options = {"qmin": JPEG_QUALITY, "qmax": JPEG_QUALITY}
    encoder.open()
    return encoder


def main(argv: list[str] | None = None) -> int:
    """`python -m hmp_engine.video_proxy VIDEO FOLDER`: make VIDEO's proxy in FOLDER at low priority.

    Prints 'progress DONE TOTAL' lines; exits 0 when the proxy is complete, 1 with a one-line reason otherwise.
    SIGTERM stops it and removes the partial file. The studio runs it as a child process so that building never
    holds the GUI's interpreter lock.
    """
    import argparse
    import os
    import signal
    import sys

    from hmp_engine.video import open_video
    from hmp_engine.video_cache import video_key

    parser = argparse.ArgumentParser(prog="python -m hmp_engine.video_proxy",
                                     description="Make a video's scrub proxy in a folder at low priority.")
    parser.add_argument("video", type=Path)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--niceness", type=int, default=10, help="how much lower than normal to run")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # exit through atomic_path's cleanup
    os.nice(args.niceness)
    try:
        with open_video(args.video, cache_dir=args.folder) as video:
            write_proxy(video, args.folder, video_key(args.video),
                        lambda done, total: print(f"progress {done} {total}", flush=True)).close()
    except (VideoError, OSError) as exc:
        print(f"No scrub proxy: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
