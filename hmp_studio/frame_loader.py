"""Background frame decoding where only the newest request is served (SLEAP's loader pattern)."""

from __future__ import annotations

import threading

import numpy as np
from PySide6.QtCore import QObject, QThread, Signal

from hmp_engine.video import VideoError, VideoReader


class FrameLoader(QThread):
    """Decodes requested frames off the GUI thread; a new request replaces any request still waiting.

    While the user scrubs, the slider asks for many frames; the loader decodes the one asked for last
    and drops those it had no time for, so the display follows the slider without a backlog.
    """

    frame_loaded = Signal(object, int, object)  # (VideoReader, frame index, (H, W, 3) uint8 RGB)
    load_failed = Signal(object, int, str)  # (VideoReader, frame index, reason)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._condition = threading.Condition()
        self._pending: tuple[VideoReader, int] | None = None
        self._stopping = False

    def request(self, video: VideoReader, index: int) -> None:
        """Ask for frame ``index`` of ``video``, replacing any request not yet started."""
        with self._condition:
            self._pending = (video, index)
            self._condition.notify()

    def stop(self) -> None:
        """Finish the frame being decoded, drop the pending request and end the thread."""
        with self._condition:
            self._stopping = True
            self._pending = None
            self._condition.notify()
        self.wait()

    def run(self) -> None:
        """Serve the newest request until stopped."""
        while True:
            with self._condition:
                while self._pending is None and not self._stopping:
                    self._condition.wait()
                if self._stopping:
                    return
                video, index = self._pending
                self._pending = None
            try:
                rgb: np.ndarray = video.frame(index)
            except (VideoError, IndexError) as exc:
                self.load_failed.emit(video, index, str(exc))
            else:
                self.frame_loaded.emit(video, index, rgb)
