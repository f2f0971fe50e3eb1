"""Blender's work in a child process that never outlives or outtalks its parent.

The child ignores Ctrl+C (the parent decides), is killed when the parent dies (Linux), and keeps Blender's own
tracebacks off the terminal: a failure comes back as one line. If the parent is interrupted, it terminates the
child, whose atomic write then removes its temp file, so an interrupted export leaves no file, half or whole.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from typing import Any

from hmp_engine.export.errors import ExportError

_PR_SET_PDEATHSIG = 1


def run_in_blender_child(job: Callable[..., None], target: str | os.PathLike, *args: Any) -> None:
    """Run ``job(target, *args)`` in a fresh child process. Raises ExportError (one line), KeyboardInterrupt."""
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(sender, job, target, *args), daemon=True)
    try:
        with _ctrl_c_deferred():  # a start cut short would leave the child a truncated pickle to complain about
            child.start()
            sender.close()
        child.join()
    except BaseException:
        if child.pid is not None:
            child.terminate()  # SIGTERM: the child's atomic write removes its temp file on the way out
            child.join()
        raise
    failure = receiver.recv() if receiver.poll() else f"Blender crashed while writing '{target}'"
    if failure is not None:
        raise ExportError(f"{failure}; nothing was written")


@contextlib.contextmanager
def _ctrl_c_deferred() -> Iterator[None]:
    """Hold a Ctrl+C that arrives during the block until its end (main thread only: others get no signals)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda number, _frame: caught.append(number))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if caught:
        raise KeyboardInterrupt


def _child(sender: Connection, job: Callable[..., None], target: str | os.PathLike, *args: Any) -> None:
    """The child's side: quiet, interruptible only by its parent, reporting None or one line of failure."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    if sys.platform == "linux":
        ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    os.dup2(os.open(os.devnull, os.O_WRONLY), 2)  # Blender prints its operators' tracebacks to stderr
    _forget_blender_paths()
    try:
        job(target, *args)
    except Exception as error:  # noqa: BLE001 - any failure of Blender's is reported as one line
        sender.send(one_line(error))
        return
    sender.send(None)


def one_line(error: BaseException) -> str:
    """The last non-empty line of an error's text (Blender wraps the real reason in its traceback)."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[-1] if lines else type(error).__name__


def _forget_blender_paths() -> None:
    """Drop the script folders an earlier ``import bpy`` in the parent added to the sys.path the child inherits:
    through them ``import bpy`` would find Blender's pure-Python package instead of the module that loads it."""
    marker = f"{os.sep}bpy{os.sep}"
    sys.path[:] = [entry for entry in sys.path if marker not in entry]
