"""The current frame of the open video and play/pause, paced by the video's real frame times, at a chosen
speed, optionally looping over a range."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QElapsedTimer, QObject, Qt, QTimer, Signal


class Playback(QObject):
    """Observable playback state: controls change it, views follow ``frame_changed``.

    Playing follows a wall clock (scaled by ``speed``) against the frames' timestamps, so the speed is real
    time whatever the frame rate (variable rates included), and a slow display skips frames instead of
    drifting. With a ``loop`` range set, playing wraps from its last frame to its first.
    """

    video_changed = Signal()
    frame_changed = Signal(int)
    playing_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.timestamps = np.zeros(0)
        self.index = 0
        self.speed = 1.0
        self.loop: tuple[int, int] | None = None
        self._playing = False
        self._clock = QElapsedTimer()
        self._clock_origin = 0.0  # video time when the clock was started
        self._timer = QTimer(self, singleShot=True, timerType=Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._advance)

    @property
    def num_frames(self) -> int:
        """Number of frames of the open video (0 when none)."""
        return len(self.timestamps)

    @property
    def playing(self) -> bool:
        """Whether the video is playing."""
        return self._playing

    def set_video(self, timestamps: np.ndarray) -> None:
        """Switch to a video with these frame times (seconds), stopped on its first frame."""
        self.pause()
        self.timestamps = np.asarray(timestamps, dtype=np.float64)
        self.index = -1
        self.video_changed.emit()
        self.seek(0)

    def seek(self, index: int) -> None:
        """Go to frame ``index`` (clamped to the video); playing continues from there."""
        if self.num_frames == 0:
            return
        index = int(np.clip(index, 0, self.num_frames - 1))
        if index != self.index:
            self.index = index
            self.frame_changed.emit(index)
        if self.playing and index < self._last_played():
            self._start_clock(index)
            self._schedule_next()
        elif self.playing and self.loop is None:
            self.pause()
        elif self.playing:
            self._timer.start(0)  # wrap to the loop's start

    def step(self, delta: int) -> None:
        """Move ``delta`` frames forward (negative: backward) and pause."""
        self.pause()
        self.seek(self.index + delta)

    def set_speed(self, speed: float) -> None:
        """Play ``speed`` times faster than real time (0.5: half speed)."""
        self.speed = float(speed)
        if self.playing and self.index < self._last_played():
            self._start_clock(self.index)
            self._schedule_next()

    def set_loop(self, frames: tuple[int, int] | None) -> None:
        """Loop over frames first..last while playing (None: play to the end and stop)."""
        self.loop = frames

    def play(self) -> None:
        """Start playing from the current frame; from the start (of the loop) when at or past its end."""
        if self.playing or self.num_frames < 2:
            return
        first = self.loop[0] if self.loop else 0
        if not first <= self.index < self._last_played():
            self.seek(first)
        self._playing = True
        self._start_clock(self.index)
        self._schedule_next()
        self.playing_changed.emit(True)

    def pause(self) -> None:
        """Stop on the current frame."""
        if self.playing:
            self._playing = False
            self._timer.stop()
            self.playing_changed.emit(False)

    def toggle(self) -> None:
        """Play if paused, pause if playing."""
        if self.playing:
            self.pause()
        else:
            self.play()

    def _start_clock(self, index: int) -> None:
        """Start the playing clock at frame ``index``'s time."""
        self._clock_origin = float(self.timestamps[index])
        self._clock.start()

    def _last_played(self) -> int:
        """The frame playing stops (or loops) at."""
        return min(self.loop[1], self.num_frames - 1) if self.loop else self.num_frames - 1

    def _now(self) -> float:
        """Current video time of the playing clock, in seconds."""
        return self._clock_origin + self._clock.nsecsElapsed() * 1e-9 * self.speed

    def _schedule_next(self) -> None:
        """Arm the timer for the next frame's presentation time."""
        wait = (self.timestamps[self.index + 1] - self._now()) / self.speed
        self._timer.start(max(0, round(wait * 1000)))

    def _advance(self) -> None:
        """Show the frame due now; after the last one stop, or wrap to the loop's first frame."""
        last = self._last_played()
        if self.loop is not None and self.index >= last:
            self.index = self.loop[0]
            self._start_clock(self.index)
        else:
            due = int(np.searchsorted(self.timestamps, self._now(), side="right")) - 1
            self.index = min(max(due, self.index + 1), last)
        self.frame_changed.emit(self.index)
        if not self._playing:  # a listener paused
            return
        if self.index < last:
            self._schedule_next()
        elif self.loop is None:
            self._playing = False
            self.playing_changed.emit(False)
        else:
            self._timer.start(round(self._frame_period() * 1000))

    def _frame_period(self) -> float:
        """Time the last frame of the loop stays on screen before wrapping: the previous frame interval."""
        index = max(self.index, 1)
        return float(self.timestamps[index] - self.timestamps[index - 1]) / self.speed
