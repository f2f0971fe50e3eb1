"""File > Export: every export format with its options (hands, frames, frame rate, up axis, scale), written by
export_project on a worker thread with progress and Cancel; failures say why and leave no file."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from hmp_engine.export import ANIMATION_FORMATS, FORMATS, ExportError, ExportOptions, ExportResult, export_project
from hmp_engine.export.skeleton import UP_AXES
from hmp_engine.hand_model import HandModelFileError
from hmp_engine.progress import ProgressEvent
from hmp_engine.write_rule import WriteRefused, check_target
from hmp_studio.model.document import Document
from hmp_studio.tasks.task_progress import TaskProgress
from hmp_studio.tasks.task_runner import TaskRunner
from hmp_studio.views.form_row import row
from hmp_studio.workers.task_thread import TaskThread

SUFFIXES = {"npz": ".npz", "amass": "_amass.npz", "fbx": ".fbx", "glb": ".glb", "bvh": ".bvh", "keypoints": ".csv"}


class ExportRunner(TaskRunner):
    """Runs one export at a time on a snapshot of the project, in a task thread (an FBX export starts Blender in
    a child process, so a Blender crash cannot take the studio down)."""

    def start(self, path: Path, kind: str, options: ExportOptions) -> bool:
        """Export the open project; False when nothing is open or an export runs."""
        if self._document.project is None or self.running:
            return False
        copy = self._document.project.snapshot()

        def job(progress, cancel) -> ExportResult:
            progress(ProgressEvent("export", 0, 1))
            try:
                check_target(path, "file", inputs=[copy.path], source_video=copy.video.path)
            except WriteRefused as error:
                raise ExportError(str(error)) from error
            return export_project(copy, path, kind, options)

        thread = TaskThread(job, (ExportError, HandModelFileError), self)
        thread.succeeded.connect(lambda result: self._ended(
            f"Exported {result.num_frames} frames of the {' and '.join(result.hands)} hand(s) at "
            f"{result.fps:g} fps to {result.path}"))
        self._run(thread, f"Exporting {kind}", "Export")
        return True


class ExportDialog(QDialog):
    """Chooses the format, file and options; Export runs it and the dialog shows how it ended."""

    def __init__(self, document: Document, hand_model: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export")
        project = document.project
        self._hand_model = hand_model
        self.kind = QComboBox()
        self.kind.addItems(list(FORMATS))
        self.kind.currentTextChanged.connect(self._kind_changed)
        base = project.path or Path(project.video.path)
        self.path = QLineEdit(str(base.with_suffix(".npz")))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        self.hands = {side: QCheckBox(side, checked=True) for side in ("right", "left") if side in project.fits}
        frames = project.detections.num_frames if project.detections else project.video.num_frames
        self.first, self.last = QSpinBox(maximum=frames - 1), QSpinBox(maximum=frames - 1, value=frames - 1)
        self.fps = QDoubleSpinBox(maximum=1000.0, decimals=3, specialValueText="the video's", value=0.0)
        self.up = QComboBox()
        self.up.addItems(list(UP_AXES))
        self.scale = QDoubleSpinBox(minimum=0.001, maximum=1000.0, decimals=3, value=1.0)
        self.progress = TaskProgress()
        self.result = QLabel(wordWrap=True)
        self.runner = ExportRunner(self, document, self.progress)
        self.runner.message.connect(self.result.setText)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.export_button = buttons.addButton("Export", QDialogButtonBox.ButtonRole.ActionRole)
        self.export_button.clicked.connect(lambda: self.start())
        self.runner.finished.connect(lambda: self.export_button.setEnabled(True))
        buttons.rejected.connect(self.reject)

        form = QFormLayout(self)
        form.addRow("Format", self.kind)
        form.addRow("File", row(self.path, browse))
        form.addRow("Hands", row(*self.hands.values()))
        form.addRow("Frames", row(self.first, QLabel("to"), self.last))
        form.addRow("Frame rate", self.fps)
        form.addRow("Up axis", self.up)
        form.addRow("Scale", self.scale)
        form.addRow(self.progress)
        form.addRow(self.result)
        form.addRow(buttons)
        self.setMinimumWidth(520)

    def options(self) -> ExportOptions:
        """The options the controls describe."""
        hands = tuple(side for side, box in self.hands.items() if box.isChecked())
        return ExportOptions(hands=hands or None, frames=slice(self.first.value(), self.last.value() + 1),
                             fps=self.fps.value() or None, up=self.up.currentText(), scale=self.scale.value(),
                             hand_model=self._hand_model)

    def start(self) -> bool:
        """Export as the controls say."""
        started = self.runner.start(Path(self.path.text()), self.kind.currentText(), self.options())
        self.export_button.setEnabled(not started)
        return started

    def _kind_changed(self, kind: str) -> None:
        """Give the file the format's suffix; up axis and scale apply to the animation formats only."""
        path = Path(self.path.text())
        stem = path.name.removesuffix("_amass.npz").removesuffix(path.suffix)
        self.path.setText(str(path.with_name(stem + SUFFIXES[kind])))
        for widget in (self.up, self.scale):
            widget.setEnabled(kind in ANIMATION_FORMATS)
        self.fps.setEnabled(kind != "keypoints")

    def _browse(self) -> None:
        """Choose the file."""
        path, _ = QFileDialog.getSaveFileName(self, "Export to", self.path.text())
        if path:
            self.path.setText(path)

