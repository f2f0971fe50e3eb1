"""Who else writes a project: the file's stamp when a project was loaded or saved, checked under a lock at save.

A save to the file a project came from first takes an advisory lock on that file (``flock``; none where the
platform has no ``fcntl``), then compares the file with the stamp taken when the project was loaded or last
saved: size first, then the SHA-256 of the content. If another program (a second ``hmp fit``, a studio window,
a script) saved it in between, the save is refused with `ProjectChanged`, so nobody's change is discarded
silently. The lock is held until the new file has replaced the old one.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from hmp_engine.session.model import ProjectError

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; the stamp check still runs
    fcntl = None  # type: ignore[assignment]


class ProjectChanged(ProjectError):
    """The project file changed since this project was loaded or saved: saving would discard that change."""


@dataclass(frozen=True)
class FileStamp:
    """A project file's size and content hash, when it was read or written."""

    size: int
    sha256: str

    @classmethod
    def of_bytes(cls, data: bytes) -> FileStamp:
        """The stamp of a file holding ``data``."""
        return cls(len(data), hashlib.sha256(data).hexdigest())


def check_unchanged(path: Path, stamp: FileStamp) -> None:
    """Raise ProjectChanged unless ``path`` still holds what ``stamp`` describes (or is gone: nothing to lose)."""
    try:
        size = path.stat().st_size
        changed = size != stamp.size or FileStamp.of_bytes(path.read_bytes()) != stamp
    except FileNotFoundError:
        return
    except OSError as error:
        raise ProjectError(f"Cannot save project to '{path}': {error.strerror or error}") from error
    if changed:
        raise ProjectChanged(
            f"'{path}' was changed by someone else (another fit, a studio window or a script) since it was "
            "loaded: not replacing it, so their change is kept; save to another file instead")


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive advisory lock on the existing file ``path`` (nothing to lock if it does not exist)."""
    if fcntl is None or not path.is_file():
        yield
        return
    try:
        descriptor = os.open(path, os.O_RDONLY)
    except OSError:
        yield
        return
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)
