"""Python's cyclic garbage collector runs on the GUI thread only, while a studio window is open.

Automatic collection runs on whichever thread happens to allocate. On the render, decode or fit thread it
finalised Qt objects of closed windows and dialogs there: Qt objects must die on the GUI thread, and the app
crashed, deadlocked, or stalled the window for over a second. So while a window is open automatic collection is
off and pyqtgraph's GarbageCollector collects from a GUI-thread timer, by the same generation thresholds;
when the last window is gone, automatic collection is back.

A full collection looks at every object Python tracks, about half a million once torch, Qt and pyqtgraph are
loaded: 260 ms on the GUI thread. What is loaded when the first window opens (modules, classes, functions) never
becomes garbage, so it is frozen out of the collector's sight and full collections scan only what the session made.
"""

from __future__ import annotations

import gc

from pyqtgraph.util.garbage_collector import GarbageCollector
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QWidget

COLLECT_INTERVAL_S = 0.5
"""How often the GUI thread checks whether a collection is due (worker threads allocate fast during a fit)."""

_collector: GarbageCollector | None = None
_open_windows = 0


def collect_on_gui_thread_while_open(window: QWidget) -> None:
    """Collect garbage on the GUI thread (the caller's) until ``window`` and every other window so registered
    have been destroyed."""
    global _collector, _open_windows
    if _collector is None:
        gc.collect()
        gc.freeze()
        _collector = GarbageCollector(interval=COLLECT_INTERVAL_S)
    elif _open_windows == 0:
        gc.disable()
        _collector.timer.start()
    _open_windows += 1
    window.destroyed.connect(_window_destroyed)


def _window_destroyed() -> None:
    """One window fewer: collect what it left as soon as it is gone (the wrappers of its thousands of Qt objects take
    up to a second to finalise: better now than in the middle of another window's fit)."""
    global _open_windows
    _open_windows -= 1
    QTimer.singleShot(0, _collect_what_windows_left)  # once the window's destructor has finished


def _collect_what_windows_left() -> None:
    """Collect on the GUI thread; with no window open any more, automatic collection takes over again (only now:
    before this collection another thread could have finalised the closed windows' Qt objects)."""
    gc.collect()
    if _open_windows == 0:
        _collector.timer.stop()
        gc.enable()
