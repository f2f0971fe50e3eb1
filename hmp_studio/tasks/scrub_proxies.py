"""Gives the open video a scrub proxy: the kept one, else one made in the background with its progress shown."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QStandardPaths, Signal
from PySide6.QtWidgets import QProgressBar

from hmp_engine.video import VideoReader
from hmp_engine.video_cache import video_key
from hmp_engine.video_proxy import ScrubProxy, wants_proxy
from hmp_studio.workers.frame_loader import FrameLoader
from hmp_studio.workers.scrub_proxy_builder import ScrubProxyBuilder


def default_cache_folder() -> Path:
    """The per-user cache folder for video indexes and proxies."""
    return Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.CacheLocation)) / "video"


class ScrubProxies(QObject):
    """Follows the open video: loads or builds its proxy for ``loader``; ``bar`` shows a build's progress."""

    message = Signal(str)  # a line for the status bar
    ready = Signal()  # the open video's proxy serves previews now

    def __init__(self, loader: FrameLoader, folder: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.folder, self._loader = folder, loader
        self.bar = QProgressBar(maximumWidth=200, textVisible=True, format="Scrub proxy %p%")
        self.bar.setToolTip("Making a small copy of the video that any frame can be shown from at once while "
                            "scrubbing; the full frame follows")
        self.bar.hide()
        self._video: VideoReader | None = None
        self._builder: ScrubProxyBuilder | None = None
        self.proxy: ScrubProxy | None = None

    @property
    def building(self) -> bool:
        """Whether the open video's proxy is being made."""
        return self._builder is not None and self.proxy is None

    def follow(self, video: VideoReader) -> None:
        """Drop the previous video's proxy and get this one's if its keyframes are far apart."""
        self.stop()
        self._video = video
        if not wants_proxy(video):
            return
        proxy = ScrubProxy.load(self.folder, video_key(video.path), video.num_frames)
        if proxy is not None:
            self._adopt(video, proxy)
            return
        self._builder = ScrubProxyBuilder(video, self.folder, self)
        self._builder.progress.connect(self._show_progress)
        self._builder.ready.connect(self._adopt)
        self._builder.failed.connect(self._failed)
        self.bar.setValue(0)
        self.bar.show()
        self._builder.start()

    def _show_progress(self, done: int, total: int) -> None:
        """Move the progress bar."""
        self.bar.setRange(0, max(1, total))
        self.bar.setValue(done)

    def _adopt(self, video: VideoReader, proxy: ScrubProxy) -> None:
        """Serve previews of ``video`` from ``proxy`` if it is still the open video."""
        self.bar.hide()
        if video is not self._video:
            proxy.close()
            return
        self.proxy = proxy
        self._loader.set_proxy(video, proxy)
        self.ready.emit()

    def _failed(self, reason: str) -> None:
        """Say why there is no proxy; scrubbing decodes full frames only."""
        self.bar.hide()
        self.message.emit(reason)

    def stop(self) -> None:
        """Cancel a build in progress and release the current proxy."""
        if self._builder is not None:
            self._builder.cancel()
            self._builder.deleteLater()
            self._builder = None
        if self._video is not None:
            self._loader.set_proxy(self._video, None)
        self._video, self.proxy = None, None
        self.bar.hide()
