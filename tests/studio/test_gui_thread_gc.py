"""While a studio window is open, cyclic garbage (Qt objects of closed dialogs among it) is collected on the GUI
thread only, however hard worker threads allocate; with the last window gone, Python collects by itself again."""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import QObject

from hmp_studio.main_window import MainWindow


class CyclicQObject(QObject):
    """A Qt object in a reference cycle, as closed widgets with Python slots are; says on which thread it died."""

    died_on: list[int] = []

    def __init__(self) -> None:
        super().__init__()
        self.myself = self

    def __del__(self) -> None:
        CyclicQObject.died_on.append(threading.get_ident())


def allocate_cycles_in_a_worker() -> None:
    """Make enough short-lived container objects on another thread that automatic collection would run there."""

    def churn() -> None:
        for _ in range(200_000):
            pair: list = []
            pair.append(pair)

    worker = threading.Thread(target=churn)
    worker.start()
    worker.join()


@pytest.fixture
def open_window(tmp_path: Path) -> Iterator[Callable[[], MainWindow]]:
    """Opens shown main windows with no project; destroys those the test left."""
    opened: list[MainWindow] = []

    def open_one() -> MainWindow:
        opened.append(MainWindow(autosave_folder=tmp_path / f"autosave{len(opened)}"))
        opened[-1].show()
        return opened[-1]

    yield open_one
    for window in opened:
        if shiboken6.isValid(window):
            destroy(window)


def destroy(window: MainWindow) -> None:
    """Close the window and delete it at the next turn of the event loop, as the app does."""
    window.close()
    window.deleteLater()


def test_garbage_dies_on_the_gui_thread_while_a_window_is_open(qtbot, open_window) -> None:
    window = open_window()
    assert not gc.isenabled()
    CyclicQObject.died_on.clear()
    CyclicQObject()
    allocate_cycles_in_a_worker()
    assert CyclicQObject.died_on == [], "nothing may be collected on the worker thread"
    qtbot.waitUntil(lambda: bool(CyclicQObject.died_on), timeout=5000)
    assert CyclicQObject.died_on == [threading.get_ident()]

    destroy(window)
    qtbot.waitUntil(gc.isenabled, timeout=5000)


def test_collection_stays_on_the_gui_thread_until_the_last_window_is_gone(qtbot, open_window) -> None:
    first, second = open_window(), open_window()
    destroy(first)
    qtbot.waitUntil(lambda: not shiboken6.isValid(first), timeout=5000)
    assert not gc.isenabled()
    destroy(second)
    qtbot.waitUntil(gc.isenabled, timeout=5000)
