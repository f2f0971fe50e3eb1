"""Is this the project's video? The file at the stored path (or a new one) against the stored identity.

The quick identity (size and the hash of the file's ends) is compared first; the full SHA-256 only where the
project has no quick identity (older projects, image folders). A video that is not the project's is refused
with `VideoMismatch`, so a fit is never drawn over the wrong video; `relink` points a project at its video's
new place, or at a copy of it in another encoding that has the same frames.
"""

from __future__ import annotations

import os
from pathlib import Path

from hmp_engine.session.model import VideoRef
from hmp_engine.video import VideoError, file_sha256, quick_id


class VideoMismatch(VideoError):
    """The video file is not the one the project was made from."""


def check_video(ref: VideoRef, path: str | os.PathLike | None = None) -> None:
    """Raise VideoMismatch unless ``path`` (default: the stored path) holds the video ``ref`` describes.

    Raises VideoError when there is no such file.
    """
    path = Path(path if path is not None else ref.path)
    if not path.exists():
        raise VideoError(f"The project's video '{path}' is missing")
    try:
        same = quick_id(path) == ref.quick_id if ref.quick_id is not None else file_sha256(path) == ref.sha256
    except OSError as error:
        raise VideoError(f"Cannot read video '{path}': {error.strerror or error}") from error
    if not same:
        raise VideoMismatch(f"'{path}' is not the video this project was made from (its content differs)")


def relink(ref: VideoRef, path: str | os.PathLike) -> VideoRef:
    """The reference to the project's video at ``path``: the same content, or the same frames (count, size, rate)
    in another file. Raises VideoMismatch for another video, VideoError for an unreadable one."""
    new = VideoRef.from_file(path)
    if new.sha256 == ref.sha256:
        return new
    if (new.num_frames, tuple(new.size)) != (ref.num_frames, tuple(ref.size)) or abs(new.fps - ref.fps) > 1e-3:
        raise VideoMismatch(
            f"'{path}' cannot be this project's video: it has {new.num_frames} frames of {new.size[0]}x{new.size[1]} "
            f"at {new.fps:g} fps, the project's video {ref.num_frames} of {ref.size[0]}x{ref.size[1]} at {ref.fps:g}")
    return new
