"""Per-video files kept in a cache folder and keyed by the video's content: its packet index and its scrub proxy.

Opening a long video demuxes every packet once to learn its frame times and keyframes; the index is saved under
the video's key so the next open skips that pass. The key hashes the file's size and its first and last MiB,
which changes whenever the content does in practice and costs milliseconds where a full hash of a long video
costs seconds. Files are written atomically; an unreadable cache file is ignored and rebuilt.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np

from hmp_engine.atomic import atomic_path

KEY_SAMPLE_BYTES = 1 << 20
INDEX_VERSION = 1


def video_key(path: str | os.PathLike) -> str:
    """Hex key of a video file's content: SHA-256 of its size, first and last MiB."""
    path = Path(path)
    size = path.stat().st_size
    digest = hashlib.sha256(str(size).encode() + b"\0")
    with path.open("rb") as file:
        digest.update(file.read(KEY_SAMPLE_BYTES))
        file.seek(max(0, size - KEY_SAMPLE_BYTES))
        digest.update(file.read(KEY_SAMPLE_BYTES))
    return digest.hexdigest()[:32]


def _index_path(folder: Path, key: str) -> Path:
    """Where the packet index of the video with ``key`` is kept."""
    return folder / f"{key}.index.npz"


def load_packet_index(folder: Path, key: str) -> list[tuple[int, bool]] | None:
    """The saved (pts, is keyframe) packets in decode order, or None when absent or unreadable."""
    try:
        with np.load(_index_path(folder, key)) as saved:
            if int(saved["version"]) != INDEX_VERSION:
                return None
            return list(zip(saved["pts"].tolist(), saved["keyframe"].tolist(), strict=True))
    except (OSError, KeyError, ValueError):
        return None


def save_packet_index(folder: Path, key: str, packets: list[tuple[int, bool]]) -> None:
    """Keep the packet index for the next open; a folder that cannot be written is skipped silently."""
    pts = np.array([p for p, _ in packets], dtype=np.int64)
    keyframe = np.array([k for _, k in packets], dtype=bool)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with atomic_path(_index_path(folder, key)) as temp, temp.open("wb") as file:
            np.savez(file, version=INDEX_VERSION, pts=pts, keyframe=keyframe)
    except OSError:
        pass
