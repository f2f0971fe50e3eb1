"""Background frame decoding where only the newest request is served (SLEAP's loader pattern)."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Signal

from hmp_engine.video import VideoError, VideoReader
from hmp_studio.workers.latest_request_thread import LatestRequestThread


class FrameLoader(LatestRequestThread):
    """Decodes requested frames off the GUI thread; a new request replaces any request still waiting.

    While the user scrubs, the slider asks for many frames; the loader decodes the one asked for last
    and drops those it had no time for, so the display follows the slider without a backlog.
    """

    frame_loaded = Signal(object, int, object)  # (VideoReader, frame index, (H, W, 3) uint8 RGB)
    load_failed = Signal(object, int, str)  # (VideoReader, frame index, reason)

    def request(self, video: VideoReader, index: int) -> None:
        """Ask for frame ``index`` of ``video``, replacing any request not yet started."""
        self._put((video, index))

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
