"""A worker thread fed by requests where the newest replaces any not yet started (SLEAP's frame loader pattern)."""

from __future__ import annotations

import threading
from typing import Any

from PySide6.QtCore import QObject, QThread


class LatestRequestThread(QThread):
    """Holds at most one pending request under ``_condition``; subclasses serve it in ``run`` until
    ``_stopping``."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._condition = threading.Condition()
        self._pending: Any = None
        self._stopping = False

    def _put(self, request: Any) -> None:
        """Make ``request`` the pending one, replacing any not yet started, and wake the thread."""
        with self._condition:
            self._pending = request
            self._condition.notify()

    def stop(self) -> None:
        """Finish the request in hand, drop the pending one and end the thread."""
        with self._condition:
            self._stopping = True
            self._pending = None
            self._condition.notify()
        self.wait()
