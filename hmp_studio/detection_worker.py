"""Hand detection off the GUI thread: the engine's detect_video with its progress events and cancel token."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QThread, Signal

from hmp_engine.detection import detect_video
from hmp_engine.progress import CancelToken, Cancelled
from hmp_engine.video import VideoError


class DetectionThread(QThread):
    """Detects the hands of a video (or of its first ``max_frames`` frames); emits exactly one of
    ``succeeded(DetectionResult)``, ``failed(reason)`` or ``cancelled()`` when it ends."""

    progressed = Signal(object)  # ProgressEvent
    succeeded = Signal(object)  # DetectionResult
    failed = Signal(str)
    cancelled = Signal()

    def __init__(self, video: Path, max_frames: int | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.video, self.max_frames = video, max_frames
        self._token = CancelToken()

    def cancel(self) -> None:
        """Ask the detection to stop before its next frame."""
        self._token.cancel()

    def run(self) -> None:
        """Run the detection, reporting each frame."""
        try:
            result = detect_video(
                self.video, progress=self.progressed.emit, cancel=self._token, max_frames=self.max_frames
            )
        except Cancelled:
            self.cancelled.emit()
        except VideoError as error:
            self.failed.emit(str(error))
        else:
            self.succeeded.emit(result)

