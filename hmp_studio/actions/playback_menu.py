"""The Playback menu: play/pause, steps, first/last frame, loop over the timeline's range, speed."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMenu, QWidget

from hmp_studio.model.playback import Playback
from hmp_studio.views.timeline import Timeline

SPEEDS: tuple[float, ...] = (0.25, 0.5, 1.0, 2.0)


class PlaybackMenu(QMenu):
    """Actions on a Playback; looping covers the timeline's selected range, or the whole video without one."""

    def __init__(self, playback: Playback, timeline: Timeline, parent: QWidget | None = None) -> None:
        super().__init__("&Playback", parent)
        self._playback = playback
        self._timeline = timeline
        self._add("&Play / Pause", "Space", playback.toggle)
        self._add("&Next Frame", "Right", lambda: playback.step(1))
        self._add("P&revious Frame", "Left", lambda: playback.step(-1))
        self._add("&First Frame", "Home", lambda: playback.seek(0))
        self._add("&Last Frame", "End", lambda: playback.seek(playback.num_frames))
        self.addSeparator()
        self.loop_action = self._add("&Loop Range", "L", self._update_loop)
        self.loop_action.setCheckable(True)
        timeline.range_changed.connect(self._update_loop)
        speeds = self.addMenu("&Speed")
        group = QActionGroup(self)
        for speed in SPEEDS:
            action = QAction(f"{speed:g}×", group, checkable=True, checked=speed == 1.0)
            action.triggered.connect(lambda _=False, s=speed: playback.set_speed(s))
            speeds.addAction(action)

    def _add(self, text: str, shortcut: str, slot: Callable[[], object]) -> QAction:
        """Add an action with a shortcut."""
        action = self.addAction(text)
        action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(lambda _=False: slot())
        return action

    def _update_loop(self) -> None:
        """Loop over the selected range (or everything) while Loop Range is checked."""
        if not self.loop_action.isChecked():
            self._playback.set_loop(None)
            return
        self._playback.set_loop(self._timeline.selected_range() or (0, max(self._playback.num_frames - 1, 0)))
