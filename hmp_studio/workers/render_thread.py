"""The studio's one long-lived worker thread for work bound to a thread: OpenGL rendering (mesh overlays of single
frames, newest request wins, and the overlay video on the same context: pyrender contexts must never be deleted,
and each rendering thread makes one, see hmp_engine.render.context)."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
from PySide6.QtCore import QObject, Signal

from hmp_engine.hand_model import HandModelFileError
from hmp_engine.render import MeshLayer, OverlayOptions, OverlayRenderer, RenderError, fit_models, overlay_renderer
from hmp_engine.session import Project
from hmp_studio.workers.latest_request_thread import LatestRequestThread

T = TypeVar("T")


@dataclass(frozen=True)
class FrameRender:
    """What the overlay shows of one frame: the meshes' layer (None when no hand is fitted there), each side's
    reprojected joints (21, 2) pixels, and its mesh (vertices (V, 3) in the camera frame, faces (F, 3))."""

    layer: MeshLayer | None
    joints: dict[str, np.ndarray] = field(default_factory=dict)
    meshes: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)


class RenderThread(LatestRequestThread):
    """Renders frames of the current fits and runs submitted calls, all on this thread.

    ``set_fits(generation, project, model_source)`` names what to render (None: nothing); ``request(generation,
    frame)`` asks for a frame, replacing any frame request not yet started; ``call(fn)`` runs ``fn`` here
    before any frame and returns its result to the calling (worker) thread.
    """

    rendered = Signal(int, int, object)  # generation, frame, FrameRender
    failed = Signal(int, str)  # generation, reason

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._fits: tuple[int, Project | None, str] = (0, None, "open")
        self._calls: deque[tuple[Callable[[], Any], Future]] = deque()
        self._renderer: tuple[int, OverlayRenderer | None] = (-1, None)

    def set_fits(self, generation: int, project: Project | None, model_source: str) -> None:
        """Render ``project``'s fits with the hand models of ``model_source`` from now on."""
        with self._condition:
            self._fits = (generation, project, model_source)

    def request(self, generation: int, frame: int) -> None:
        """Ask for ``frame`` of the fits of ``generation``."""
        self._put((generation, frame))

    def call(self, function: Callable[[], T]) -> T:
        """Run ``function`` on this thread and return its result (or raise its exception); blocks the caller."""
        future: Future = Future()
        with self._condition:
            if self._stopping:
                raise RenderError("the studio is closing")
            self._calls.append((function, future))
            self._condition.notify()
        return future.result()

    def stop(self) -> None:
        """Finish the work in hand, drop the frame request, fail waiting calls and end the thread."""
        super().stop()
        for _, future in self._calls:
            future.set_exception(RenderError("the studio is closing"))

    def run(self) -> None:
        """Serve calls first, then the newest frame request, until stopped."""
        while True:
            with self._condition:
                while self._pending is None and not self._calls and not self._stopping:
                    self._condition.wait()
                if self._stopping:
                    return
                if self._calls:
                    function, future = self._calls.popleft()
                    frame_request = None
                else:
                    frame_request, self._pending = self._pending, None
                fits = self._fits
            if frame_request is None:
                _resolve(future, function)
            elif frame_request[0] == fits[0]:
                self._render(fits, frame_request[1])

    def _render(self, fits: tuple[int, Project | None, str], frame: int) -> None:
        """Render one frame of the fits (making their renderer first if they are new)."""
        generation, project, source = fits
        try:
            if self._renderer[0] != generation:
                self._renderer = (generation, None)
                if project is not None and project.fits:
                    renderer = overlay_renderer(project, fit_models(project, source), OverlayOptions(crop=True))
                    self._renderer = (generation, renderer)
            renderer = self._renderer[1]
            if renderer is None:
                return
            frames = {side: hand_frame for side, hand in renderer.hands.items()
                      if (hand_frame := hand.frame(frame)) is not None}
            result = FrameRender(renderer.render_meshes(frames),
                                 {side: hand_frame.joints for side, hand_frame in frames.items()},
                                 {side: (hand_frame.positions, renderer.hands[side].faces)
                                  for side, hand_frame in frames.items()})
        except (RenderError, HandModelFileError, ValueError) as error:
            self.failed.emit(generation, str(error))
        else:
            self.rendered.emit(generation, frame, result)


def _resolve(future: Future, function: Callable[[], Any]) -> None:
    """Run a submitted call and hand its result or exception to the waiting thread."""
    try:
        future.set_result(function())
    except BaseException as error:  # noqa: BLE001 - re-raised in the caller's thread
        future.set_exception(error)
