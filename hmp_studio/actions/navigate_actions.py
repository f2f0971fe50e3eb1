"""Navigate menu: jump to the next or previous low-confidence, occluded or edited frame."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QKeySequence

from hmp_studio.model.document import Document
from hmp_studio.model.playback import Playback
from hmp_studio.model.review import REVIEW_KINDS, frame_flags, next_run_start

SHORTCUT_KEYS = {"low confidence": "C", "occluded": "X", "edited": "E"}
"""Key of the next-frame jump per kind; Shift+key jumps back."""


class Navigator(QObject):
    """Jump actions over the document's review flags, recomputed after each change."""

    message = Signal(str)

    def __init__(self, document: Document, playback: Playback, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._document = document
        self._playback = playback
        self._flags: dict[str, np.ndarray] | None = None
        self.actions: list[QAction] = []
        for kind in REVIEW_KINDS:
            key = SHORTCUT_KEYS[kind]
            for forward, word, shortcut in ((True, "Next", key), (False, "Previous", f"Shift+{key}")):
                action = QAction(f"{word} {kind.capitalize()} Frame", self, shortcut=QKeySequence(shortcut))
                action.triggered.connect(lambda _=False, k=kind, f=forward: self.jump(k, f))
                self.actions.append(action)
        for signal in (document.opened, document.detections_changed, document.edits_changed):
            signal.connect(self._invalidate)

    def jump(self, kind: str, forward: bool) -> int | None:
        """Go to the start of the next (previous) run of ``kind`` frames; returns it, None if there is none."""
        if self._document.project is None:
            return None
        if self._flags is None:
            self._flags = frame_flags(self._document.project, self._playback.num_frames)
        target = next_run_start(self._flags[kind], self._playback.index, forward)
        if target is None:
            self.message.emit(f"No {'later' if forward else 'earlier'} {kind} frame")
        else:
            self._playback.pause()
            self._playback.seek(target)
        return target

    def _invalidate(self) -> None:
        """The flags changed with the project; recompute them on the next jump."""
        self._flags = None
