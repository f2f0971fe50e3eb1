"""File > Settings: the MANO folder, the device fits run on and the default fit preset."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QWidget,
)

from hmp_engine.fitting.presets import PRESETS
from hmp_studio.settings import DEVICES, Preferences


class SettingsDialog(QDialog):
    """Edits the stored Preferences; OK stores them."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        preferences = Preferences.load()
        self.mano_folder = QLineEdit(preferences.mano_folder, placeholderText="bundled open hand model")
        self.mano_folder.setToolTip("The MANO download as unzipped (mano_v1_2/ or its models/), or a folder with "
                                    "MANO_RIGHT.pkl and MANO_LEFT.pkl; empty for the open hand model")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.mano_folder, stretch=1)
        folder_row.addWidget(browse)
        self.device = QComboBox()
        self.device.addItems(list(DEVICES))
        self.device.setCurrentText(preferences.device)
        self.preset = QComboBox()
        self.preset.addItems(list(PRESETS))
        self.preset.setCurrentText(preferences.default_preset)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("MANO folder", folder_row)
        form.addRow("Device", self.device)
        form.addRow("Default preset", self.preset)
        form.addRow(buttons)
        self.setMinimumWidth(480)

    def preferences(self) -> Preferences:
        """The preferences as the dialog shows them."""
        return Preferences(self.mano_folder.text().strip(), self.device.currentText(), self.preset.currentText())

    def accept(self) -> None:
        """Store the preferences and close."""
        self.preferences().save()
        super().accept()

    def _browse(self) -> None:
        """Choose the MANO folder."""
        folder = QFileDialog.getExistingDirectory(self, "MANO folder", self.mano_folder.text())
        if folder:
            self.mano_folder.setText(folder)
