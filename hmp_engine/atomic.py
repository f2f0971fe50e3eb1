"""Atomic file replacement: write a temp file beside the target, fsync it, then rename it over the target.

A failure at any point (an error, Ctrl+C) removes the temp file and leaves the target as it was, so a reader
sees either the old file or the complete new one, never a partial file. A replaced file's permissions are kept
(a 0600 file stays 0600); a new file gets the permissions any new file gets (the umask applies), not the
owner-only ones of `tempfile.mkstemp`. A read-only target is refused (PermissionError), not replaced.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike) -> Iterator[Path]:
    """A temp path in ``target``'s folder to write to; it replaces ``target`` if the block succeeds. Raises OSError."""
    target = Path(target)
    mode = _kept_mode(target)
    temp = _create_temp(target)
    try:
        yield temp
        if mode is not None:
            os.chmod(temp, mode)
        _fsync_path(temp)
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    _fsync_folder(target.parent)


def write_bytes_atomic(target: str | os.PathLike, data: bytes) -> None:
    """Replace ``target`` by ``data`` atomically. Raises OSError."""
    with atomic_path(target) as temp, temp.open("wb") as file:
        _write_all(file, data)


def is_read_only(path: str | os.PathLike) -> bool:
    """Whether an existing file has no write permission bit at all (its owner keeps it unchanged). Raises OSError."""
    return not stat.S_IMODE(os.stat(path).st_mode) & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)


def _kept_mode(target: Path) -> int | None:
    """The permission bits the replacement keeps (None: no file yet); PermissionError if the target is read-only."""
    try:
        mode = stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        return None
    if is_read_only(target):
        raise PermissionError(errno.EACCES, "it is read-only: make it writable first, or write elsewhere", str(target))
    return mode


def _create_temp(target: Path) -> Path:
    """A new empty file beside ``target`` with the permissions of any new file (0o666 less the umask)."""
    while True:
        temp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
        try:
            os.close(os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
            return temp
        except FileExistsError:
            continue


def _write_all(file: BinaryIO, data: bytes) -> None:
    """Write all of ``data`` to the temp file (one place that a test can make fail half-way)."""
    file.write(data)


def _fsync_path(path: Path) -> None:
    """Push a written file's content to the disk before it is renamed."""
    descriptor = os.open(path, os.O_RDWR)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _fsync_folder(folder: Path) -> None:
    """Make the rename durable (best effort: not every platform can open a folder)."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
