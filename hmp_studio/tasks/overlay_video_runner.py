"""File > Render Overlay Video: the fitted hands drawn over the video into an mp4, rendered on the studio's one
rendering thread (its OpenGL context) while a worker thread waits for it, with progress and Cancel."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QWidget

from hmp_engine.hand_model import HandModelFileError
from hmp_engine.render import OverlayOptions, RenderError, fit_models, write_overlay_video
from hmp_engine.video import VideoError
from hmp_studio.model.document import Document
from hmp_studio.model.view_state import ViewState
from hmp_studio.tasks.task_progress import TaskProgress
from hmp_studio.tasks.task_runner import TaskRunner
from hmp_studio.workers.render_thread import RenderThread
from hmp_studio.workers.task_thread import TaskThread


class OverlayVideoRunner(TaskRunner):
    """Writes the overlay video of a frame range with what the canvas shows (meshes, keypoints, joints)."""

    def __init__(self, parent: QWidget, document: Document, progress: TaskProgress, renderer: RenderThread,
                 state: ViewState) -> None:
        super().__init__(parent, document, progress)
        self._parent, self._renderer, self._state = parent, renderer, state
        self.action = QAction("Render &Overlay Video…", self)
        self.action.triggered.connect(self.choose_and_start)
        document.fits_changed.connect(self._enable)
        self._enable()

    def choose_and_start(self) -> None:
        """Ask where to write the mp4, then render it."""
        source = self._document.source
        path, _ = QFileDialog.getSaveFileName(self._parent, "Render overlay video",
                                              str(source.with_name(f"{source.stem}_overlay.mp4")), "MP4 (*.mp4)")
        if path:
            self.start(Path(path))

    def start(self, path: Path, frames: slice = slice(None)) -> bool:
        """Render ``frames`` (default: all the fit covers) to ``path``; False without fits or while one runs."""
        project = self._document.project
        if project is None or not project.fits or self.running:
            return False
        state = self._state
        copy, source = project.snapshot(), state.hand_model
        options = OverlayOptions(mesh=state.meshes_visible, keypoints=state.keypoints_visible,
                                 joints=state.joints_visible)

        def job(progress, cancel) -> range:
            return self._renderer.call(lambda: write_overlay_video(copy, fit_models(copy, source), path, frames,
                                                                   options, progress, cancel))

        thread = TaskThread(job, (RenderError, VideoError, HandModelFileError, OSError), self)
        thread.succeeded.connect(lambda written: self._ended(f"Wrote {len(written)} frames to {path}"))
        self._run(thread, "Rendering overlay video", "Overlay video")
        return True

    def _enable(self) -> None:
        """Available with fitted hands and no video being rendered."""
        project = self._document.project
        self.action.setEnabled(project is not None and bool(project.fits) and not self.running)
