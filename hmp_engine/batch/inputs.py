"""The videos of a batch: INPUT arguments (files, folders, globs, text files of paths) -> video paths and names.

Every video gets a name, the folder of its outputs under OUTDIR. The name is the file's stem; videos whose stems
collide each get the stem plus a short hash of their absolute path, so a name never depends on the order of the
inputs or on which other videos a later run adds.
"""

from __future__ import annotations

import glob
import hashlib
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

VIDEO_SUFFIXES = frozenset({".mp4", ".mov", ".avi", ".mkv", ".m4v", ".webm"})
LIST_SUFFIXES = frozenset({".txt", ".lst"})
"""A file with one of these suffixes lists video paths, one a line (blank lines and # comments ignored)."""


class InputError(Exception):
    """An INPUT argument names nothing usable; the message says which and why."""


def discover_videos(inputs: Iterable[str]) -> list[Path]:
    """The absolute paths of the videos the inputs name, each once, in the order given (folders sorted).

    An input is a video file, a folder (searched recursively for video files), a glob pattern, or a text file
    (.txt, .lst) listing videos, folders or patterns (relative ones from the file's folder). Raises InputError
    for an input that names no video.
    """
    videos: dict[Path, None] = {}
    for text in inputs:
        for video in _expand(text, Path.cwd()):
            videos.setdefault(video, None)
    return list(videos)


def _expand(text: str, base: Path) -> list[Path]:
    """The videos one input names, relative paths taken from ``base``. Raises InputError."""
    path = Path(text).expanduser()
    path = path if path.is_absolute() else base / path
    if path.is_file() and path.suffix.lower() in LIST_SUFFIXES:
        return [video for line in _listed(path) for video in _expand(line, path.parent)]
    if path.is_file():
        return [path.resolve()]
    if path.is_dir():
        found = sorted(item.resolve() for item in path.rglob("*") if _is_video(item))
        if not found:
            raise InputError(f"no video ({', '.join(sorted(VIDEO_SUFFIXES))}) in the folder '{text}'")
        return found
    if glob.has_magic(str(path)):
        matches = sorted(Path(match).resolve() for match in glob.glob(str(path), recursive=True))
        found = [match for match in matches if _is_video(match)]
        if not found:
            raise InputError(f"the pattern '{text}' matches no video file")
        return found
    raise InputError(f"'{text}' is not a video, a folder, a pattern or a list of videos")


def _listed(path: Path) -> list[str]:
    """The entries of a list file. Raises InputError when it cannot be read or lists nothing."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"cannot read the list of videos '{path}': {error}") from error
    entries = [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
    if not entries:
        raise InputError(f"the list of videos '{path}' is empty")
    return entries


def _is_video(path: Path) -> bool:
    """Whether ``path`` is a file with a video suffix."""
    return path.suffix.lower() in VIDEO_SUFFIXES and path.is_file()


def video_names(videos: Iterable[Path], taken: dict[Path, str]) -> dict[Path, str]:
    """The output name of every video, stable from run to run.

    ``taken`` (the names earlier runs gave) are kept; the others get their stems, with a hash of the path added
    for stems that collide with each other or with a taken name.
    """
    names = dict(taken)
    used = set(taken.values())
    by_stem: dict[str, list[Path]] = defaultdict(list)
    for video in videos:
        if video not in names:
            by_stem[video.stem].append(video)
    for stem, group in by_stem.items():
        for video in group:
            names[video] = stem if len(group) == 1 and stem not in used else f"{stem}-{_path_hash(video)}"
    return names


def _path_hash(path: Path) -> str:
    """Eight hex digits that stand for an absolute path."""
    return hashlib.sha1(str(path).encode("utf-8")).hexdigest()[:8]
