"""The commands' side of the write rule (`hmp_engine.write_rule`): a refused output as a one-line CommandError."""

from __future__ import annotations

import os
from collections.abc import Iterable

from hmp_engine.cli import CommandError
from hmp_engine.write_rule import WriteKind, WriteRefused, check_target


def check_output(target: str | os.PathLike, writes: WriteKind, *, force: bool,
                 inputs: Iterable[str | os.PathLike | None] = (), source_video: str | os.PathLike | None = None,
                 opened: str | os.PathLike | None = None) -> None:
    """Refuse (CommandError) an output the write rule protects, saying how to go on."""
    try:
        check_target(target, writes, inputs=inputs, source_video=source_video, opened=opened, force=force)
    except WriteRefused as error:
        raise CommandError(f"{error}; use --force to replace it, or -o to write elsewhere" if error.forceable
                           else str(error)) from error
