"""Work around PySide6 6.12.0 dropping references to None and True on Python 3.11.

That build returns ``None`` from void methods (``setText``, ``setEnabled``, ...) and ``True`` from
``Signal.emit()`` without a new reference, as if they were immortal, which they are only from Python 3.12.
Every such call takes a reference away, and after some tens of thousands of calls (seconds of playback)
the interpreter aborts with "none_dealloc" or "bool_dealloc: deallocating True or False".
PySide6 6.11.3 is sound. When trial calls show the loss, None, True and False get a reserve of
references no session can use up; with a sound PySide6, or on Python >= 3.12, nothing changes.
"""

from __future__ import annotations

import ctypes
import functools
import sys

from PySide6.QtCore import QObject, Signal

_SINGLETONS = (None, True, False)
_TRIALS = 16
_RESERVE = 1 << 40  # references each: about 10^12 calls


class _Probe(QObject):
    """An object with a signal and a void setter to try."""

    ping = Signal()


@functools.cache
def protect_singletons() -> bool:
    """Give None, True and False a reserve of references if PySide6 loses them; returns whether it did."""
    probe = _Probe()
    before = [sys.getrefcount(obj) for obj in _SINGLETONS]
    for _ in range(_TRIALS):
        probe.ping.emit()
        probe.setObjectName("probe")
    after = [sys.getrefcount(obj) for obj in _SINGLETONS]
    if all(b - a < _TRIALS for b, a in zip(before, after)):
        return False
    for obj in _SINGLETONS:
        ctypes.c_ssize_t.from_address(id(obj)).value += _RESERVE  # ob_refcnt, a CPython object's first field
    return True
