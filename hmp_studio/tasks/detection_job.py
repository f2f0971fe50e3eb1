"""Hand detection off the GUI thread: the engine's detect_video with its progress events and cancel token."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject

from hmp_engine.detection import detect_video
from hmp_engine.video import VideoError
from hmp_studio.workers.task_thread import TaskThread


def detection_thread(video: Path, max_frames: int | None = None, parent: QObject | None = None) -> TaskThread:
    """A thread detecting the hands of a video (or of its first ``max_frames`` frames); it succeeds with the
    DetectionResult."""
    return TaskThread(lambda progress, cancel: detect_video(video, progress=progress, cancel=cancel,
                                                            max_frames=max_frames), (VideoError,), parent)
