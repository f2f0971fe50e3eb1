"""Tells a new user what to do next: the canvas of a video without hands offers Detect Hands, then the Fit
dock's Run fit stands out, then its Export button."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QAbstractButton, QDockWidget, QFrame, QLabel, QToolButton, QVBoxLayout, QWidget

from hmp_studio.model.document import Document

DETECT, FIT, EXPORT, NONE = "detect", "fit", "export", ""
HINTS = {DETECT: "Next: detect the hands (File > Detect Hands, Ctrl+D)",
         FIT: "Next: fit the hands (Run fit in the Fit dock)",
         EXPORT: "Next: export the fitted motion (Export… in the Fit dock, Ctrl+E)", NONE: ""}


class EmptyState(QFrame):
    """A card in the middle of the canvas: why there is nothing to see yet, and a button doing the next step."""

    def __init__(self, canvas: QWidget, detect: QAction) -> None:
        super().__init__(canvas)
        self.setObjectName("empty_state")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self.label = QLabel("No hands detected in this video yet.\nDetect them to get keypoints, then fit a hand "
                            "motion to them.", alignment=Qt.AlignmentFlag.AlignCenter)
        self.button = QToolButton(toolButtonStyle=Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.button.setDefaultAction(detect)  # the menu's action: same shortcut, same enabled state
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 16, 24, 16)
        layout.addWidget(self.label)
        layout.addWidget(self.button, alignment=Qt.AlignmentFlag.AlignCenter)
        canvas.installEventFilter(self)
        self.hide()

    def place(self) -> None:
        """Centre the card on the canvas."""
        self.adjustSize()
        canvas = self.parentWidget()
        self.move((canvas.width() - self.width()) // 2, (canvas.height() - self.height()) // 2)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Stay centred when the canvas is resized."""
        if event.type() == QEvent.Type.Resize:
            self.place()
        return False


class NextStep(QObject):
    """Follows the project through detect → fit → export and marks the control for the step it is at."""

    changed = Signal(str)  # the step now: DETECT, FIT, EXPORT or NONE

    def __init__(self, document: Document, empty_state: EmptyState, fit_dock: QDockWidget, run: QAbstractButton,
                 export: QAbstractButton, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._document, self.empty_state, self._fit_dock = document, empty_state, fit_dock
        self._buttons = {FIT: run, EXPORT: export}
        self.step = NONE
        for signal in (document.opened, document.detections_changed, document.fits_changed):
            signal.connect(self.update)

    def current(self) -> str:
        """The step the open project is at."""
        project = self._document.project
        if project is None:
            return NONE
        if project.detections is None or not project.detections.tracks:
            return DETECT
        return EXPORT if project.fits else FIT

    def update(self) -> None:
        """Show the empty state or mark the button of the step now; say it when it changed."""
        step = self.current()
        self.empty_state.setVisible(step == DETECT)
        if step == DETECT:
            self.empty_state.place()
            self.empty_state.raise_()
        for name, button in self._buttons.items():
            _mark(button, name == step)
        if step in self._buttons and step != self.step:
            self._fit_dock.show()
            self._fit_dock.raise_()
        if step != self.step:
            self.step = step
            self.changed.emit(step)


def _mark(button: QAbstractButton, marked: bool) -> None:
    """Make ``button`` the obvious one (default look, bold) or an ordinary one."""
    if hasattr(button, "setDefault"):
        button.setDefault(marked)
    font = button.font()
    font.setBold(marked)
    button.setFont(font)
