"""The studio's main window: open a video, show its frames, play and scrub."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PySide6.QtCore import QByteArray, QSettings, Qt
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import QApplication, QFileDialog, QMainWindow, QMenu, QMessageBox, QVBoxLayout, QWidget

from hmp_engine.video import VideoError, VideoReader, open_video
from hmp_studio.frame_loader import FrameLoader
from hmp_studio.playback import Playback
from hmp_studio.player import PlayerControls
from hmp_studio.video_view import VideoView

VIDEO_FILTER = "Videos (*.mp4 *.mov *.avi *.mkv *.m4v *.webm);;All files (*)"


def settings() -> QSettings:
    """The studio's persistent settings."""
    return QSettings("HMP", "HMP Studio")


class MainWindow(QMainWindow):
    """Video canvas over transport controls; File > Open, drag and drop, or ``open_video(path)``."""

    def __init__(self) -> None:
        super().__init__()
        self.video: VideoReader | None = None
        self.playback = Playback(self)
        self.view = VideoView()
        self.controls = PlayerControls(self.playback)
        self.loader = FrameLoader(self)

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.view, stretch=1)
        layout.addWidget(self.controls)
        self.setCentralWidget(central)
        self.setAcceptDrops(True)
        self._build_menus()

        self.playback.frame_changed.connect(self._request_frame)
        self.loader.frame_loaded.connect(self._show_frame)
        self.loader.load_failed.connect(self._report_frame_error)
        self.loader.start()

        self._update_title()
        self.resize(1200, 800)
        geometry = settings().value("main_window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)

    def _build_menus(self) -> None:
        """File and Playback menus; their shortcuts work wherever the focus is in the window."""
        file_menu = self.menuBar().addMenu("&File")
        self._add_action(file_menu, "&Open Video…", QKeySequence.StandardKey.Open, self.choose_video)
        file_menu.addSeparator()
        self._add_action(file_menu, "&Quit", QKeySequence.StandardKey.Quit, self.close)

        play_menu = self.menuBar().addMenu("&Playback")
        self._add_action(play_menu, "&Play / Pause", Qt.Key.Key_Space, self.playback.toggle)
        self._add_action(play_menu, "&Next Frame", Qt.Key.Key_Right, lambda: self.playback.step(1))
        self._add_action(play_menu, "P&revious Frame", Qt.Key.Key_Left, lambda: self.playback.step(-1))
        self._add_action(play_menu, "&First Frame", Qt.Key.Key_Home, lambda: self.playback.seek(0))
        self._add_action(play_menu, "&Last Frame", Qt.Key.Key_End, lambda: self.playback.seek(self.playback.num_frames))

    def _add_action(
        self, menu: QMenu, text: str, shortcut: QKeySequence.StandardKey | Qt.Key, slot: Callable[[], object]
    ) -> None:
        """Add a menu action with a keyboard shortcut."""
        action = QAction(text, self, shortcut=QKeySequence(shortcut))
        action.triggered.connect(slot)
        menu.addAction(action)

    def choose_video(self) -> None:
        """Ask for a video file and open it."""
        store = settings()
        start = str(store.value("last_video_dir", str(Path.home())))
        path, _ = QFileDialog.getOpenFileName(self, "Open Video", start, VIDEO_FILTER)
        if path:
            store.setValue("last_video_dir", str(Path(path).parent))
            self.open_video(path)

    def open_video(self, path: str | os.PathLike) -> bool:
        """Open ``path`` and show its first frame; on failure explain why and keep the current video."""
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            video = open_video(path)
        except VideoError as exc:
            QApplication.restoreOverrideCursor()
            QMessageBox.critical(self, "Cannot open video", str(exc))
            return False
        QApplication.restoreOverrideCursor()
        previous, self.video = self.video, video
        self.playback.set_video(video.timestamps)  # requests frame 0 of the new video first
        if previous is not None:
            previous.close()
        self._update_title()
        width, height = video.size
        self.statusBar().showMessage(f"{width}×{height}   {video.fps:.3g} fps   {video.num_frames} frames")
        return True

    def _request_frame(self, index: int) -> None:
        """Have the loader decode the frame the playback moved to."""
        if self.video is not None:
            self.loader.request(self.video, index)

    def _show_frame(self, video: VideoReader, index: int, rgb: np.ndarray) -> None:
        """Display a decoded frame unless it belongs to a video closed since it was requested."""
        if video is self.video:
            self.view.show_frame(index, rgb)

    def _report_frame_error(self, video: VideoReader, index: int, reason: str) -> None:
        """Tell the user about a frame that cannot be decoded."""
        if video is self.video:
            self.statusBar().showMessage(reason)

    def _update_title(self) -> None:
        """Name the open video in the title bar."""
        name = self.video.path.name if self.video is not None else "no video"
        self.setWindowTitle(f"HMP Studio — {name}")

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        """Accept a drag carrying a local file."""
        if any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        """Open the first dropped local file."""
        paths = [url.toLocalFile() for url in event.mimeData().urls() if url.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.open_video(paths[0])

    def closeEvent(self, event: QCloseEvent) -> None:
        """Remember the window geometry and stop playback and decoding."""
        settings().setValue("main_window/geometry", self.saveGeometry())
        self.playback.pause()
        self.loader.stop()
        if self.video is not None:
            self.video.close()
        super().closeEvent(event)
