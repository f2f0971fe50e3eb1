"""Frame-accurate video access: random access by frame index, real timestamps, rotation, a decode cache.

A video file is decoded with PyAV (FFmpeg). At open time the packets of the video stream are demuxed once,
without decoding, into an index of presentation timestamps (PTS): this gives the exact frame count and each
frame's real time, so variable frame rate needs no special case. Frame ``k`` is the ``k``-th frame in
presentation order. Seeking jumps to a keyframe at or before ``k`` and decodes forward, matching decoded
frames to the index by their PTS, so random access returns exactly the frame sequential decoding returns.
Frames passed on the way are kept in an LRU cache, and the decoder stays where it stopped so that
requests a little further ahead continue decoding instead of seeking again. A decode can be abandoned between
frames (a newer request came): the frames decoded so far stay cached and the decoder keeps its place. Given a
cache folder, the packet index is saved there under the video's content key, so reopening skips the demux pass.

A folder of images (natural sort order, ``frame2.png`` before ``frame10.png``) is read the same way, with a
frame rate given by the caller (30 by default).

All frames are returned as (H, W, 3) uint8 RGB arrays with the container's rotation metadata applied.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import av
import numpy as np

from hmp_engine.video_cache import load_packet_index, save_packet_index, video_key

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"})
DEFAULT_FPS = 30.0  # frame rate of an image folder unless given
CACHE_BYTES = 384 * 1024 * 1024  # budget of the decoded-frame cache (frames are kept as YUV, ~1.4 MB at 720p)


class VideoError(Exception):
    """A video or image folder cannot be opened or decoded; the message names the file and the reason."""


class DecodeCancelled(Exception):
    """A frame's decode was abandoned because the caller no longer wants it; what was decoded stays cached."""


def _rgb(frame: av.VideoFrame) -> np.ndarray:
    """Decoded frame as a contiguous (H, W, 3) uint8 RGB array, turned upright by its display matrix."""
    return upright(frame.to_ndarray(format="rgb24"), frame.rotation)


def upright(rgb: np.ndarray, rotation: float) -> np.ndarray:
    """An (H, W, 3) image of a frame with display ``rotation`` (degrees, as PyAV gives it), turned upright."""
    quarter_turns = round(rotation / 90) % 4  # counter-clockwise, as np.rot90 turns
    return np.ascontiguousarray(np.rot90(rgb, quarter_turns)) if quarter_turns else rgb


def _reason(exc: BaseException) -> str:
    """Short human-readable reason of an FFmpeg/OS error, without the errno prefix."""
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


def _natural_key(path: Path) -> list[int | str]:
    """Sort key putting 'frame2' before 'frame10'."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", path.name.lower())]


class _FileSource:
    """One video stream of a media file: PTS index at open, keyframe seeks, forward decoding."""

    def __init__(self, path: Path, cache_dir: Path | None = None) -> None:
        self.path = path
        self._container = self._open()
        stream = self._container.streams.video[0]
        key = video_key(path) if cache_dir is not None else ""
        packets = load_packet_index(cache_dir, key) if cache_dir is not None else None
        if packets is None:
            packets = self._index_packets(stream)
            if cache_dir is not None and packets:
                save_packet_index(cache_dir, key, packets)
        pts = np.array(sorted({p for p, _ in packets}), dtype=np.int64)
        if len(pts) == 0:
            raise VideoError(f"Cannot open video '{path}': it contains no decodable frames")
        self.pts = pts
        self.declared_frames: int | None = stream.frames or None
        self._index_of = {int(p): i for i, p in enumerate(pts)}
        self._key_of = self._keyframe_table(packets)
        keys = np.flatnonzero(self._key_of == np.arange(len(pts)))
        self.keyframe_interval = int(np.diff(np.append(keys, len(pts))).max())
        time_base = stream.time_base
        if time_base is None:
            raise VideoError(f"Cannot open video '{path}': its video stream has no time base")
        self.timestamps = (pts - pts[0]).astype(np.float64) * time_base.numerator / time_base.denominator
        rate = stream.average_rate or stream.guessed_rate
        if rate:
            self.fps = float(rate)
        else:
            self.fps = (len(pts) - 1) / self.timestamps[-1] if len(pts) > 1 else DEFAULT_FPS
        self._cursor = -1  # index of the last frame the decoder returned; -1: decoder must seek first
        self._frames: Iterator[tuple[int, av.VideoFrame]] | None = None

    def _open(self) -> av.container.InputContainer:
        """Open the container with frame-threaded decoding of its first video stream."""
        try:
            container = av.open(str(self.path))
        except (av.FFmpegError, OSError) as exc:
            raise VideoError(f"Cannot open video '{self.path}': not a readable video file ({_reason(exc)})") from exc
        if not container.streams.video:
            container.close()
            raise VideoError(f"Cannot open video '{self.path}': it has no video stream")
        container.streams.video[0].thread_type = "AUTO"
        return container

    def _index_packets(self, stream: av.VideoStream) -> list[tuple[int, bool]]:
        """(pts, is keyframe) of every intact packet in decode order, from the first keyframe.

        Demuxing stops at the first read error, so a truncated file lists only the packets it really holds.
        """
        packets: list[tuple[int, bool]] = []
        try:
            for packet in self._container.demux(stream):
                if packet.size == 0 or packet.is_corrupt or packet.is_discard or packet.pts is None:
                    continue
                if packets or packet.is_keyframe:
                    packets.append((packet.pts, packet.is_keyframe))
        except av.FFmpegError:
            pass
        return packets

    def _keyframe_table(self, packets: list[tuple[int, bool]]) -> np.ndarray:
        """For each frame, the index of the keyframe to decode it from.

        The keyframe is the last one before the frame in decode order that is also not after it in
        presentation order (so leading pictures of an open GOP are decoded from the previous keyframe).
        """
        key_of = np.zeros(len(self.pts), dtype=np.int64)
        keys: list[int] = []
        for pts, is_key in packets:
            index = self._index_of[pts]
            if is_key:
                keys.append(index)
            key_of[index] = next((k for k in reversed(keys) if k <= index), keys[0])
        return key_of

    def read(self, index: int) -> Iterator[tuple[int, av.VideoFrame]]:
        """Decode up to frame ``index``, yielding every frame passed on the way, the last one ``index``."""
        key = int(self._key_of[index])
        if not key <= self._cursor < index:
            self._seek(key)
        assert self._frames is not None
        for i, frame in self._frames:
            yield i, frame
            if i >= index:
                break
        if self._cursor != index:
            self._cursor = -1
            raise VideoError(f"Cannot decode frame {index} of '{self.path}': the decoder did not return it")

    def _seek(self, key: int) -> None:
        """Position the decoder on keyframe ``key`` or an earlier one, else restart from the file's start.

        Demuxers seek by presentation time (MP4, Matroska) or by a timestamp never later than it (AVI),
        so seeking to the keyframe's PTS lands on it; the first packet read back confirms it.
        """
        stream = self._container.streams.video[0]
        try:
            self._container.seek(int(self.pts[key]), stream=stream, backward=True)
            packets = self._container.demux(stream)
            first = next(packets, None)
        except av.FFmpegError:
            first = None
        if (first is not None and first.pts is not None and first.is_keyframe
                and self._index_of.get(first.pts, key + 1) <= key):
            self._frames = self._decode(stream, itertools.chain([first], packets))
        else:
            self._container.close()
            self._container = self._open()
            stream = self._container.streams.video[0]
            self._frames = self._decode(stream, self._container.demux(stream))

    def _decode(self, stream: av.VideoStream, packets: Iterable[av.Packet]) -> Iterator[tuple[int, av.VideoFrame]]:
        """Decode packets into indexed frames in presentation order, tracking the cursor."""
        for i, frame in _decode_indexed(stream, packets, self._index_of):
            self._cursor = i
            yield i, frame
        self._cursor = -1  # end of stream: the next request must seek

    def iter_frames(self) -> Iterator[av.VideoFrame]:
        """Decode the whole file sequentially on a private container; one frame per index entry."""
        container = self._open()
        try:
            stream = container.streams.video[0]
            expected = 0
            for i, frame in _decode_indexed(stream, container.demux(stream), self._index_of):
                if i != expected:
                    raise VideoError(f"Cannot decode frame {expected} of '{self.path}': the decoder skipped it")
                expected += 1
                yield frame
            if expected != len(self.pts):
                raise VideoError(f"Cannot decode frame {expected} of '{self.path}': the stream ended early")
        finally:
            container.close()

    def close(self) -> None:
        """Release the container."""
        self._container.close()


def _decode_indexed(
    stream: av.VideoStream, packets: Iterable[av.Packet], index_of: dict[int, int]
) -> Iterator[tuple[int, av.VideoFrame]]:
    """Decode ``packets`` and yield (frame index, frame) for frames whose PTS is indexed.

    Frames presented before the first packet (leading pictures of a keyframe we started on, which may
    reference frames we never decoded) are dropped; corrupt packets are not decoded; a read error ends the
    stream and flushes the decoder, so a truncated file yields the frames that really decode.
    """
    first_pts: int | None = None
    iterator = iter(packets)
    while True:
        try:
            packet = next(iterator, None)
        except av.FFmpegError:
            packet = None
        if packet is not None and packet.is_corrupt:
            continue
        if packet is not None and first_pts is None:
            first_pts = packet.pts
        try:
            frames = stream.decode(packet)
        except av.FFmpegError:
            frames = []
        for frame in frames:
            if frame.pts is None or first_pts is None:
                continue
            index = index_of.get(frame.pts)
            if index is not None and frame.pts >= first_pts:
                yield index, frame
        if packet is None or packet.size == 0:
            return


class _ImageFolderSource:
    """A folder of images, one frame per image in natural sort order, at a given frame rate."""

    def __init__(self, path: Path, fps: float) -> None:
        self.path = path
        self.files = sorted(
            (p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file()), key=_natural_key
        )
        if not self.files:
            raise VideoError(f"Cannot open image folder '{path}': it contains no images")
        if fps <= 0:
            raise VideoError(f"Cannot open image folder '{path}': fps must be positive, got {fps}")
        self.fps = float(fps)
        self.timestamps = np.arange(len(self.files), dtype=np.float64) / self.fps
        self.keyframe_interval = 1

    def read(self, index: int) -> Iterator[tuple[int, av.VideoFrame]]:
        """Decode image ``index``."""
        path = self.files[index]
        try:
            with av.open(str(path)) as container:
                yield index, next(container.decode(video=0))
        except (av.FFmpegError, OSError, StopIteration) as exc:
            raise VideoError(f"Cannot read image '{path}': {_reason(exc)}") from exc

    def iter_frames(self) -> Iterator[av.VideoFrame]:
        """Decode every image in order."""
        for index in range(len(self.files)):
            yield from (frame for _, frame in self.read(index))

    def close(self) -> None:
        """Nothing to release."""


class VideoReader:
    """Frame-accurate random and sequential access to a video file or an image folder.

    Attributes: ``path``; ``num_frames``; ``fps`` (the container's average rate; timing is in
    ``timestamps``); ``timestamps`` (num_frames,) float64 seconds of each frame's presentation time,
    relative to the first frame; ``size`` (width, height) after rotation; ``declared_frames`` the frame count
    the container states (None: none), more than ``num_frames`` in a cut-short file; ``keyframe_interval``, the
    most frames a random access may have to decode (1 for an image folder). ``frame()`` is thread-safe.
    ``cache_dir`` keeps the packet index of video files between opens.
    """

    def __init__(self, path: str | os.PathLike, fps: float | None = None, cache_dir: Path | None = None) -> None:
        self.path = Path(path)
        if self.path.is_dir():
            self._source: _FileSource | _ImageFolderSource | None = _ImageFolderSource(
                self.path, DEFAULT_FPS if fps is None else fps
            )
        elif not self.path.exists():
            raise VideoError(f"Cannot open video '{self.path}': no such file or folder")
        elif self.path.stat().st_size == 0:
            raise VideoError(f"Cannot open video '{self.path}': the file is empty")
        else:
            self._source = _FileSource(self.path, cache_dir)
        self.keyframe_interval: int = self._source.keyframe_interval
        self.fps: float = self._source.fps
        self.timestamps: np.ndarray = self._source.timestamps
        self.num_frames: int = len(self.timestamps)
        self.declared_frames: int | None = getattr(self._source, "declared_frames", None)
        self._lock = threading.Lock()
        self._cache: OrderedDict[int, av.VideoFrame] = OrderedDict()
        self._cache_size = 2
        self.size: tuple[int, int] = (0, 0)
        first = self.frame(0)
        self.size = (first.shape[1], first.shape[0])
        self._cache_size = max(8, CACHE_BYTES // max(1, first.nbytes // 2))  # cached frames are YUV 4:2:0

    def frame(self, index: int, cancelled: Callable[[], bool] | None = None) -> np.ndarray:
        """Frame ``index`` as a new (H, W, 3) uint8 RGB array; IndexError if out of range, VideoError if undecodable.

        ``cancelled`` is asked after each frame decoded on the way; when it says yes, DecodeCancelled is raised.
        """
        index = int(index)
        if not 0 <= index < self.num_frames:
            raise IndexError(f"frame {index} out of range [0, {self.num_frames}) of '{self.path}'")
        with self._lock:
            if self._source is None:
                raise VideoError(f"Cannot read frame {index} of '{self.path}': the reader is closed")
            decoded = self._cache.get(index)
            if decoded is None:
                for i, decoded in self._source.read(index):
                    self._remember(i, decoded)
                    if i != index and cancelled is not None and cancelled():
                        raise DecodeCancelled(f"frame {index} of '{self.path}' is no longer wanted")
                if decoded is None:  # read() yields frame ``index`` last or raises
                    raise VideoError(f"Cannot decode frame {index} of '{self.path}'")
            else:
                self._cache.move_to_end(index)
            rgb = _rgb(decoded)  # under the lock: PyAV keeps one scaler per frame
        if self.size != (0, 0):
            self._check_size(index, rgb)
        return rgb

    def _check_size(self, index: int, rgb: np.ndarray) -> None:
        """VideoError unless frame ``index`` has the first frame's size (an image folder may mix sizes)."""
        if (rgb.shape[1], rgb.shape[0]) != self.size:
            raise VideoError(f"Frame {index} of '{self.path}' is {rgb.shape[1]}x{rgb.shape[0]}, not "
                             f"{self.size[0]}x{self.size[1]} like the first: every frame must have one size")

    def is_decoded(self, index: int) -> bool:
        """Whether frame ``index`` is in the decode cache, so ``frame()`` returns it without decoding."""
        return index in self._cache

    def _remember(self, index: int, decoded: av.VideoFrame) -> None:
        """Put a decoded frame in the LRU cache, evicting the least recently used."""
        self._cache[index] = decoded
        self._cache.move_to_end(index)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)

    def __len__(self) -> int:
        return self.num_frames

    def __iter__(self) -> Iterator[np.ndarray]:
        """Decode all frames in order, independently of (and faster than) repeated ``frame()`` calls."""
        for index, decoded in enumerate(self.iter_decoded()):
            rgb = _rgb(decoded)
            self._check_size(index, rgb)
            yield rgb

    def iter_decoded(self) -> Iterator[av.VideoFrame]:
        """Decode all frames in order as PyAV frames, not converted (rotation still in their metadata)."""
        if self._source is None:
            raise VideoError(f"Cannot iterate '{self.path}': the reader is closed")
        try:
            yield from self._source.iter_frames()
        except av.FFmpegError as exc:
            raise VideoError(f"Cannot decode '{self.path}': {_reason(exc)}") from exc

    def close(self) -> None:
        """Release the file and the cache; further reads raise VideoError."""
        with self._lock:
            if self._source is not None:
                self._source.close()
                self._source = None
            self._cache.clear()

    def __enter__(self) -> VideoReader:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        width, height = self.size
        return f"VideoReader('{self.path}', {self.num_frames} frames, {self.fps:g} fps, {width}x{height})"


def open_video(path: str | os.PathLike, fps: float | None = None, cache_dir: Path | None = None) -> VideoReader:
    """Open a video file or an image folder; ``fps`` sets an image folder's frame rate (video files carry
    their own timing and ignore it); ``cache_dir`` keeps a video's packet index between opens. Raises VideoError."""
    return VideoReader(path, fps, cache_dir)


QUICK_ID_SPAN = 1 << 20  # bytes hashed at each end of a video file for its quick identity


def quick_id(path: str | os.PathLike) -> str | None:
    """A fast identity of a video file: its size and the SHA-256 of its first and last MiB (None: an image folder).

    Files of the same quick identity are taken as the same video; a differing one proves a different file
    without reading it all.
    """
    path = Path(path)
    if path.is_dir():
        return None
    digest = hashlib.sha256()
    with path.open("rb") as file:
        size = os.fstat(file.fileno()).st_size
        digest.update(file.read(QUICK_ID_SPAN))
        file.seek(max(size - QUICK_ID_SPAN, 0))
        digest.update(file.read(QUICK_ID_SPAN))
    return f"{size}:{digest.hexdigest()}"


def file_sha256(path: str | os.PathLike) -> str:
    """SHA-256 hex digest of a file's content, streamed; for an image folder, of its images' names and content."""
    path = Path(path)
    if not path.is_dir():
        with path.open("rb") as file:
            return hashlib.file_digest(file, "sha256").hexdigest()
    digest = hashlib.sha256()
    for image in _ImageFolderSource(path, DEFAULT_FPS).files:
        digest.update(image.name.encode() + b"\0")
        with image.open("rb") as file:
            digest.update(hashlib.file_digest(file, "sha256").digest())
    return digest.hexdigest()
