"""Background frame decoding where only the newest request is served (SLEAP's loader pattern), with a proxy preview."""

from __future__ import annotations

import threading

import numpy as np
from PySide6.QtCore import QObject, Signal

from hmp_engine.video import DecodeCancelled, VideoError, VideoReader
from hmp_engine.video_proxy import ScrubProxy
from hmp_studio.workers.latest_request_thread import LatestRequestThread

PREVIEW_WAIT_S = 0.05
"""Longest wait for the GUI to paint a preview before the full decode starts anyway."""


class FrameLoader(LatestRequestThread):
    """Decodes requested frames off the GUI thread; a new request replaces any request still waiting.

    While the user scrubs, the slider asks for many frames; the loader serves the one asked for last and drops
    those it had no time for, so the display follows the slider without a backlog. A frame not in the decode
    cache of a video with a scrub proxy is first sent as its proxy frame (``preview_loaded``, a millisecond),
    then decoded in full; a newer request abandons that decode between two frames, so a long decode from a
    distant keyframe never holds the slider back, and the frames it decoded stay cached. The full decode waits
    until the preview is on screen (``preview_painted``, or ``PREVIEW_WAIT_S``): on two cores its decoder threads
    would otherwise take the CPU the GUI needs to paint the preview.
    """

    frame_loaded = Signal(object, int, object)  # (VideoReader, frame index, (H, W, 3) uint8 RGB)
    preview_loaded = Signal(object, int, object)  # (VideoReader, frame index, (h, w, 3) uint8 RGB of its proxy)
    load_failed = Signal(object, int, str)  # (VideoReader, frame index, reason)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._proxies: dict[int, tuple[VideoReader, ScrubProxy]] = {}
        self._preview_on_screen = threading.Event()

    def preview_painted(self) -> None:
        """The GUI has painted the preview last sent (any thread may call this)."""
        self._preview_on_screen.set()

    def set_proxy(self, video: VideoReader, proxy: ScrubProxy | None) -> None:
        """Preview ``video``'s frames from ``proxy`` from now on (None: no more; the old one is closed)."""
        with self._condition:
            _, old = self._proxies.pop(id(video), (None, None))
            if proxy is not None:
                self._proxies[id(video)] = (video, proxy)
        if old is not None:
            old.close()

    def request(self, video: VideoReader, index: int) -> None:
        """Ask for frame ``index`` of ``video``, replacing any request not yet started."""
        self._put((video, index))

    def _superseded(self) -> bool:
        """Whether a newer request is waiting (or the thread is stopping)."""
        return self._pending is not None or self._stopping

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
                _, proxy = self._proxies.get(id(video), (None, None))
            try:
                if proxy is not None and not video.is_decoded(index):
                    self._preview_on_screen.clear()
                    self.preview_loaded.emit(video, index, proxy.frame(index))
                    self._preview_on_screen.wait(PREVIEW_WAIT_S)
                    if self._superseded():
                        continue
                rgb: np.ndarray = video.frame(index, cancelled=self._superseded)
            except DecodeCancelled:
                continue
            except (VideoError, IndexError, ValueError) as exc:
                self.load_failed.emit(video, index, str(exc))
            else:
                self.frame_loaded.emit(video, index, rgb)
