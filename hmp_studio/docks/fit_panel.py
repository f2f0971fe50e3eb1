"""The Fit dock: preset and its editable weights, prior checkpoint, hand model, device, the frames to refit;
Run with a progress bar and Cancel, a live plot of the loss terms, and Export for the result. A disabled button
says why in its tooltip and status tip."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from hmp_engine.fitting import PRESETS, FitSettings, preset
from hmp_engine.hand_model import OPEN_MODEL
from hmp_studio.docks.loss_plot import LossPlot
from hmp_studio.docks.weights_tree import WeightsTree
from hmp_studio.model.document import Document
from hmp_studio.model.view_state import ViewState
from hmp_studio.settings import DEVICES, Preferences
from hmp_studio.tasks.fit_job import FitRequest
from hmp_studio.tasks.fit_runner import FitRunner
from hmp_studio.tasks.task_progress import TaskProgress
from hmp_studio.views.form_row import row

Range = Callable[[], "tuple[int, int] | None"]


class FitPanel(QWidget):
    """Builds a FitRequest from its controls and runs it; ``selected_range`` gives the timeline's selection. Its
    hand model choice is also the one the view state draws and exports fits with."""

    def __init__(self, document: Document, state: ViewState, selected_range: Range,
                 parent: QWidget | None = None) -> None:
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
        self.hand_model = QComboBox(editable=False, minimumContentsLength=12,
                                    sizeAdjustPolicy=QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.hand_model.currentTextChanged.connect(self.hand_model.setToolTip)  # a long MANO path shows in full
        self.hand_model.addItem("open hand model", OPEN_MODEL)
        if preferences.mano_folder:
            self.hand_model.addItem(f"MANO: {preferences.mano_folder}", preferences.mano_folder)
            self.hand_model.setCurrentIndex(1)
        state.set_hand_model(self.hand_model.currentData())
        self.hand_model.currentIndexChanged.connect(lambda _index: state.set_hand_model(self.hand_model.currentData()))
        self.device = QComboBox()
        self.device.addItems(list(DEVICES))
        self.device.setCurrentText(preferences.device)
        self.range_only = QCheckBox("Refit only the timeline's selected frames")
        self.run_button = QPushButton("Run fit")
        self.run_button.clicked.connect(lambda: self.run())
        self.export_button = QPushButton("Export…")  # the window connects it to File > Export
        self.progress = TaskProgress()
        self.plot = LossPlot()
        self.runner = FitRunner(self, document, self.progress)
        self.runner.progressed.connect(self.plot.add_event)
        self.runner.finished.connect(self._enable)
        document.opened.connect(self._on_opened)
        document.detections_changed.connect(self._enable)
        document.fits_changed.connect(self._enable)

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
        layout.addWidget(self.export_button)
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
            with contextlib.suppress(KeyError, TypeError, ValueError):  # not fit settings: the preset's stay shown
                self.weights.load(FitSettings.from_dict(project.weights))
        self._enable()

    def run_blocked_reason(self) -> str:
        """Why Run fit is disabled ('' when it is not)."""
        project = self._document.project
        if project is None:
            return "Open a video first (File > Open)"
        if project.detections is None or not project.detections.tracks:
            return "Detect the hands first (File > Detect Hands, Ctrl+D): the fit starts from their keypoints"
        return "A fit is running" if self.runner.running else ""

    def _enable(self) -> None:
        """Run needs detections and no fit running, Export a fit; a disabled button says why."""
        reason = self.run_blocked_reason()
        _explain(self.run_button, "Fit the hand model to the keypoints with the motion prior", reason)
        project = self._document.project
        _explain(self.export_button, "Export the fitted hands (File > Export, Ctrl+E)",
                 "" if project is not None and project.fits else "Run a fit first: Export writes the fitted hands")

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


def _explain(button: QPushButton, purpose: str, blocked: str) -> None:
    """Enable ``button`` unless ``blocked`` says why not; its tooltip and status-bar tip say which."""
    button.setEnabled(not blocked)
    tip = f"Disabled: {blocked}" if blocked else purpose
    button.setToolTip(tip)
    button.setStatusTip(tip)


def _button(text: str, slot: Callable[[], None]) -> QPushButton:
    """A push button calling ``slot``."""
    button = QPushButton(text)
    button.clicked.connect(lambda: slot())
    return button
