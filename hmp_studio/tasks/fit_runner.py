"""The fit as a background task: run a FitRequest on a snapshot of the project, then put the result into it as
one undoable command (a range refit is spliced into the stored fits first)."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from hmp_engine.fitting import ProjectFit, splice_fits
from hmp_engine.hand_model import HandModelFileError
from hmp_engine.prior.checkpoint import CheckpointError
from hmp_engine.session import ProjectError
from hmp_studio.model.document import Document
from hmp_studio.model.undo_commands import fit_command
from hmp_studio.tasks.fit_job import FitRequest, run_fit
from hmp_studio.tasks.task_progress import TaskProgress
from hmp_studio.tasks.task_runner import TaskRunner
from hmp_studio.workers.task_thread import TaskThread

FIT_ERRORS = (ValueError, ProjectError, HandModelFileError, CheckpointError, FloatingPointError)
"""Failures whose message tells the user what to change (no detections, a bad MANO folder or checkpoint...)."""


class FitRunner(TaskRunner):
    """Runs one fit at a time; ``fitted(ProjectFit, first_frame)`` after its result went into the project."""

    fitted = Signal(object, int)
    progressed = Signal(object)  # ProgressEvent of the running fit

    def __init__(self, parent: QObject, document: Document, progress: TaskProgress) -> None:
        super().__init__(parent, document, progress)
        self._request: FitRequest | None = None

    def start(self, request: FitRequest) -> bool:
        """Fit the open project as ``request`` says; False when no project with detections is open or a fit runs."""
        project = self._document.project
        if project is None or project.detections is None or self.running:
            return False
        self._request = request
        copy = project.snapshot()
        thread = TaskThread(lambda progress, cancel: run_fit(copy, request, progress, cancel), FIT_ERRORS, self)
        thread.progressed.connect(self.progressed)
        thread.succeeded.connect(self._succeeded)
        self._run(thread, "Fitting", "Fit")
        return True

    def _succeeded(self, result: ProjectFit) -> None:
        """Put the fitted hands and their weights into the project (one undoable command)."""
        request = self._request
        if not self._is_current():
            self._ended("Fit finished for a project that is no longer open; result dropped")
            return
        first = 0 if request.frames is None else request.frames[0]
        fits = result.fits
        text = "Fit hands"
        if request.frames is not None:
            try:
                fits = splice_fits(self._document.project.fits, fits, first)
            except ProjectError as error:
                self._ended(f"Fit not applied: {error}")
                return
            text = f"Refit frames {request.frames[0]}-{request.frames[1]}"
        self._document.push(fit_command(self._document, fits, request.settings.to_dict(), text))
        figures = "; ".join(f"{side} median reprojection error {fit.metadata['init']['reprojection_median_px']:.1f}"
                            f" -> {fit.metadata['fit']['reprojection_median_px']:.1f} px"
                            for side, fit in result.fits.items())
        self._ended(f"{text}: {figures}")
        self.fitted.emit(result, first)
