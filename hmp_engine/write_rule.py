"""The one rule for what a command or studio action that writes a file may replace.

Every writer (``detect``, ``fit``, ``render``, ``export``, ``--save-motion``, the studio's saves and exports)
asks `check_target` before it writes. Unless the user asked for it (``--force``, or a confirmed dialog), a write
never replaces:

- an input of the command (the project or video it reads),
- the project's source video,
- a video, when what is written is not a video (``render`` may replace an earlier overlay video),
- a project, unless it is the project the command opened and what is written is that project.

A read-only file is never replaced, asked or not: its owner made it so. Writes themselves are atomic and keep
the replaced file's permissions (`hmp_engine.atomic`).
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

from hmp_engine.atomic import is_read_only

WriteKind = Literal["project", "video", "file"]
"""What a writer writes: a project, a video (the overlay), or any other file (exports, motion files)."""

VIDEO_SUFFIXES = frozenset({".mp4", ".mov", ".avi", ".mkv", ".m4v", ".webm"})
_VIDEO_MAGIC = ((4, b"ftyp"), (0, b"\x1a\x45\xdf\xa3"), (8, b"AVI "))  # mp4/mov, mkv/webm, avi


class WriteRefused(Exception):
    """A write that would replace a file it must not; ``forceable`` says whether asking (``--force``) allows it."""

    def __init__(self, message: str, forceable: bool) -> None:
        super().__init__(message)
        self.forceable = forceable


def check_target(target: str | os.PathLike, writes: WriteKind, *, inputs: Iterable[str | os.PathLike | None] = (),
                 source_video: str | os.PathLike | None = None, opened: str | os.PathLike | None = None,
                 force: bool = False) -> None:
    """Raise WriteRefused unless writing ``target`` keeps the rule of the module docstring.

    ``inputs`` are the files the command reads, ``source_video`` the video of the project it works on, and
    ``opened`` the project file it opened (which a project save may replace).
    """
    target = Path(target)
    if target.is_dir():
        raise WriteRefused(f"'{target}' is a folder, not a file to write", forceable=False)
    if not target.exists():
        return
    if is_read_only(target):
        raise WriteRefused(f"'{target}' is read-only: make it writable first, or write elsewhere", forceable=False)
    if writes == "project" and opened is not None and same_file(target, opened):
        return
    reason = _protected(target, writes, inputs, source_video)
    if reason is not None and not force:
        raise WriteRefused(f"refusing to replace '{target}': {reason}", forceable=True)


def _protected(target: Path, writes: WriteKind, inputs: Iterable[str | os.PathLike | None],
               source_video: str | os.PathLike | None) -> str | None:
    """Why ``target`` (an existing file) must not be replaced without asking, or None when it may be."""
    if any(path is not None and same_file(target, path) for path in inputs):
        return "it is an input of this command"
    if source_video is not None and same_file(target, source_video):
        return "it is the project's source video"
    if writes != "video" and is_video(target):
        return "it is a video"
    if is_project(target):
        return "it is another project (its edits and fits would be lost)"
    return None


def same_file(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    """Whether two paths name the same file (through links and relative paths)."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return Path(a).resolve() == Path(b).resolve()


def is_video(path: Path) -> bool:
    """Whether an existing file is a video: by its suffix, or by the signature of an mp4/mov, mkv/webm or avi."""
    if path.suffix.lower() in VIDEO_SUFFIXES:
        return True
    try:
        with path.open("rb") as file:
            head = file.read(12)
    except OSError:
        return False
    return any(head[offset:offset + len(magic)] == magic for offset, magic in _VIDEO_MAGIC)


def is_project(path: Path) -> bool:
    """Whether an existing file is an HMP Studio project (a zip archive with a ``manifest.json``)."""
    try:
        with zipfile.ZipFile(path) as archive:
            return "manifest.json" in archive.namelist()
    except (OSError, zipfile.BadZipFile, ValueError):
        return False
