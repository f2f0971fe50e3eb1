"""The Fit dock: preset and its editable weights, prior checkpoint, hand model, device, the frames to refit;
Run with a progress bar and Cancel, and a live plot of the loss terms."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import (QCheckBox, QComboBox, QFileDialog, QFormLayout, QLineEdit, QPushButton,
                               QVBoxLayout, QWidget)

from hmp_engine.fitting import PRESETS, FitSettings, preset
from hmp_engine.hand_model import OPEN_MODEL
from hmp_studio.document import Document
from hmp_studio.fit_job import FitRequest
from hmp_studio.fit_runner import FitRunner
from hmp_studio.loss_plot import LossPlot
from hmp_studio.rows import row
from hmp_studio.settings import DEVICES, Preferences
from hmp_studio.task_progress import TaskProgress
from hmp_studio.weights_tree import WeightsTree

Range = Callable[[], "tuple[int, int] | None"]


class FitPanel(QWidget):
    """Builds a FitRequest from its controls and runs it; ``selected_range`` gives the timeline's selection."""

    def __init__(self, document: Document, selected_range: Range, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._document, self._selected_range = document, selected_range
        preferences = Preferences.load()
        self.preset = QComboBox()
        self.preset.addItems(list(PRESETS))
        self.preset.setCurrentText(preferences.default_preset)
        self.preset.currentTextChanged.connect(self.reset_weights)
        reset = QPushButton("Reset to preset")
        reset.clicked.connect(self.reset_weights)
        self.weights = WeightsTree()
        self.weights.load(preset(preferences.default_preset))
        self.prior = QLineEdit(placeholderText="bundled motion prior")
        self.hand_model = QComboBox(editable=False)
        self.hand_model.addItem("open hand model", OPEN_MODEL)
        if preferences.mano_folder:
            self.hand_model.addItem(f"MANO: {preferences.mano_folder}", preferences.mano_folder)
            self.hand_model.setCurrentIndex(1)
        self.device = QComboBox()
        self.device.addItems(list(DEVICES))
        self.device.setCurrentText(preferences.device)
        self.range_only = QCheckBox("Refit only the timeline's selected frames")
        self.run_button = QPushButton("Run fit")
        self.run_button.clicked.connect(lambda: self.run())
        self.progress = TaskProgress()
        self.plot = LossPlot()
        self.runner = FitRunner(self, document, self.progress)
        self.runner.progressed.connect(self.plot.add_event)
        self.runner.finished.connect(self._enable)
        document.opened.connect(self._on_opened)
        document.detections_changed.connect(self._enable)

        form = QFormLayout()
        form.addRow("Preset", row(self.preset, reset, stretch_first=True))
        form.addRow("Prior", row(self.prior, _button("Open…", self._choose_prior), stretch_first=True))
        form.addRow("Hand model", row(self.hand_model, _button("MANO folder…", self._choose_mano),
                                      stretch_first=True))
        form.addRow("Device", self.device)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.weights, stretch=2)
        layout.addWidget(self.range_only)
        layout.addWidget(self.run_button)
        layout.addWidget(self.progress)  # on its own line: a running fit must not widen the panel
        layout.addWidget(self.plot, stretch=2)
        self._enable()

    def reset_weights(self) -> None:
        """Show the chosen preset's settings again."""
        self.weights.load(preset(self.preset.currentText()))

    def request(self) -> FitRequest:
        """The fit the controls describe."""
        prior = self.prior.text().strip()
        frames = self._selected_range() if self.range_only.isChecked() else None
        return FitRequest(self.weights.settings(), Path(prior) if prior else None, self.hand_model.currentData(),
                          self.device.currentText(), frames)

    def run(self) -> bool:
        """Start the fit the controls describe (the plot starts over)."""
        self.plot.clear_losses()
        started = self.runner.start(self.request())
        self._enable()
        return started

    def _on_opened(self) -> None:
        """A project opened: show the weights its last fit used, else the preset's."""
        project = self._document.project
        if project is not None and project.weights:
            self.weights.load(FitSettings.from_dict(project.weights))
        self._enable()

    def _enable(self) -> None:
        """Run needs detections and no fit running."""
        project = self._document.project
        self.run_button.setEnabled(project is not None and project.detections is not None and not self.runner.running)

    def _choose_prior(self) -> None:
        """Choose a prior checkpoint."""
        path, _ = QFileDialog.getOpenFileName(self, "Motion prior checkpoint", self.prior.text(), "Checkpoints (*.pt)")
        if path:
            self.prior.setText(path)

    def _choose_mano(self) -> None:
        """Choose a folder with MANO_RIGHT.pkl / MANO_LEFT.pkl."""
        folder = QFileDialog.getExistingDirectory(self, "MANO folder")
        if folder:
            self.hand_model.addItem(f"MANO: {folder}", folder)
            self.hand_model.setCurrentIndex(self.hand_model.count() - 1)


def _button(text: str, slot: Callable[[], None]) -> QPushButton:
    """A push button calling ``slot``."""
    button = QPushButton(text)
    button.clicked.connect(lambda: slot())
    return button
