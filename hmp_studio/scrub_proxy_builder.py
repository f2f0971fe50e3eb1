"""Makes the open video's scrub proxy on a background thread, at low priority, and hands it to the frame loader."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from PySide6.QtCore import QObject, QThread, Signal

from hmp_engine.video import DecodeCancelled, VideoError, VideoReader, open_video
from hmp_engine.video_cache import video_key
from hmp_engine.video_proxy import write_proxy

BACKGROUND_NICENESS = 10
"""How much lower than the studio's other threads the proxy thread runs: it must not slow decoding or the GUI."""


class ScrubProxyBuilder(QThread):
    """Builds the proxy of one video (its own decoder, so the frame loader is never blocked); reports progress."""

    progress = Signal(int, int)  # frames done, total
    ready = Signal(object, object)  # (the document's VideoReader, ScrubProxy)
    failed = Signal(str)

    def __init__(self, video: VideoReader, folder: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.video, self.folder = video, folder
        self._cancelled = threading.Event()

    def run(self) -> None:
        """Decode the video into its proxy; say when it is ready, or why not."""
        try:
            thread = threading.get_native_id()
            os.setpriority(os.PRIO_PROCESS, thread, os.getpriority(os.PRIO_PROCESS, thread) + BACKGROUND_NICENESS)
        except (OSError, AttributeError):
            pass  # not Linux, or not allowed: run at normal priority
        try:
            with open_video(self.video.path, cache_dir=self.folder) as source:
                proxy = write_proxy(source, self.folder, video_key(self.video.path),
                                    lambda done, total: self.progress.emit(done, total), self._cancelled.is_set)
        except DecodeCancelled:
            return
        except (VideoError, OSError) as exc:
            self.failed.emit(f"No scrub proxy: {exc}")
            return
        self.ready.emit(self.video, proxy)

    def cancel(self) -> None:
        """Stop building (the partial proxy is removed) and wait for the thread to end."""
        self._cancelled.set()
        self.wait()
