"""Makes the open video's scrub proxy in a child process at low priority, and hands it over when it is complete.

A child process, not a thread: a low-priority thread that the OS deschedules while it holds Python's interpreter
lock would stall the GUI thread for as long (hundreds of milliseconds on a loaded machine).
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QObject, QProcess, Signal

from hmp_engine.video import VideoReader
from hmp_engine.video_cache import video_key
from hmp_engine.video_proxy import ScrubProxy

BACKGROUND_NICENESS = 10
"""How much lower than the studio the proxy process runs: it must not slow decoding or the GUI."""


class ScrubProxyBuilder(QObject):
    """Runs `python -m hmp_engine.video_proxy` for one video; reports its progress, the proxy or why not."""

    progress = Signal(int, int)  # frames done, total
    ready = Signal(object, object)  # (the document's VideoReader, ScrubProxy)
    failed = Signal(str)

    def __init__(self, video: VideoReader, folder: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.video, self.folder = video, folder
        self._process = QProcess(self)
        self._process.readyReadStandardOutput.connect(self._read_progress)
        self._process.finished.connect(self._finished)
        self._cancelled = False

    def start(self) -> None:
        """Start the child process."""
        self._process.start(sys.executable, ["-m", "hmp_engine.video_proxy", str(self.video.path), str(self.folder),
                                             "--niceness", str(BACKGROUND_NICENESS)])

    def _read_progress(self) -> None:
        """Forward the child's 'progress DONE TOTAL' lines."""
        while self._process.canReadLine():
            words = bytes(self._process.readLine().data()).decode(errors="replace").split()
            if len(words) == 3 and words[0] == "progress":
                self.progress.emit(int(words[1]), int(words[2]))

    def _finished(self, exit_code: int, status: QProcess.ExitStatus) -> None:
        """Load the finished proxy, or say why there is none."""
        if self._cancelled:
            return
        key = video_key(self.video.path)
        proxy = ScrubProxy.load(self.folder, key, self.video.num_frames) if exit_code == 0 else None
        if proxy is not None:
            self.ready.emit(self.video, proxy)
            return
        reason = bytes(self._process.readAllStandardError().data()).decode(errors="replace").strip().splitlines()
        self.failed.emit(reason[-1] if reason else f"No scrub proxy: the proxy process ended with code {exit_code}")

    def cancel(self) -> None:
        """Stop building (the partial proxy is removed) and wait for the process to end."""
        self._cancelled = True
        if self._process.state() != QProcess.ProcessState.NotRunning:
            self._process.terminate()
            if not self._process.waitForFinished(3000):
                self._process.kill()
                self._process.waitForFinished(1000)
