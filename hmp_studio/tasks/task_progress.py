"""A status-bar strip for a long background task: what it does, a progress bar with rate and time left, Cancel."""

from __future__ import annotations

import time

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QToolButton, QWidget

from hmp_engine.progress import ProgressEvent


class TaskProgress(QWidget):
    """Shows a task's ProgressEvents; ``cancel_requested`` when the user presses Cancel."""

    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel()
        self.bar = QProgressBar(maximumWidth=220, textVisible=True)
        self.cancel_button = QToolButton(text="Cancel")
        self.cancel_button.clicked.connect(self._cancel)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        layout.addWidget(self.cancel_button)
        self._start = time.monotonic()
        self.hide()

    def begin(self, title: str) -> None:
        """Show the strip for a task that is starting."""
        self._start = time.monotonic()
        self.label.setText(title)
        self.bar.setRange(0, 0)  # busy until the first event gives a total
        self.cancel_button.setEnabled(True)
        self.show()

    def update_progress(self, event: ProgressEvent) -> None:
        """Show how far the task has got, its rate and the time left."""
        self.bar.setRange(0, max(1, event.total))
        self.bar.setValue(event.done)
        elapsed = time.monotonic() - self._start
        rate = event.values.get("fps") or event.done / max(elapsed, 1e-9)
        left = (event.total - event.done) / rate if rate > 0 else 0.0
        self.bar.setFormat(f"{event.done}/{event.total}  {rate:.1f}/s  {int(left) // 60}:{int(left) % 60:02d} left")

    def end(self) -> None:
        """Hide the strip: the task finished, failed or was cancelled."""
        self.hide()

    def _cancel(self) -> None:
        """Ask the task to stop; it reports back when it has."""
        self.cancel_button.setEnabled(False)
        self.label.setText(f"{self.label.text()} (cancelling…)")
        self.cancel_requested.emit()
