"""Where exports write: atomically (a temp file beside the target renamed over it), failures as ExportError."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from hmp_engine.atomic import atomic_path
from hmp_engine.export.errors import ExportError


@contextlib.contextmanager
def output_path(target: str | os.PathLike) -> Iterator[Path]:
    """A temp path to write to that replaces ``target`` if the block succeeds; an OSError becomes ExportError."""
    try:
        with atomic_path(target) as temp:
            yield temp
    except OSError as error:
        raise ExportError(f"cannot write '{target}': {error.strerror or error}") from error


def write_output(target: str | os.PathLike, data: bytes) -> None:
    """Replace ``target`` by ``data`` atomically. Raises ExportError."""
    with output_path(target) as temp:
        temp.write_bytes(data)
