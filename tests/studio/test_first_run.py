"""A new user's first run through the real window, nothing mocked: a video without hands shows what to do, its
button detects them, Run fit becomes the obvious next step, then Export, which writes the fitted motion."""

from __future__ import annotations

from pathlib import Path

import av
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from hmp_engine.motion_file import read_motion
from hmp_studio.dialogs.export_dialog import ExportDialog
from hmp_studio.main_window import MainWindow
from tests.studio.gui_helpers import open_and_show

CLIP_FRAMES = 24


@pytest.fixture(scope="module")
def short_clip(tmp_path_factory: pytest.TempPathFactory, sample_video: Path) -> Path:
    """The sample's first CLIP_FRAMES frames as a clip of their own (detection of the whole sample takes long)."""
    path = tmp_path_factory.mktemp("clip") / "first_run.mp4"
    with av.open(str(sample_video)) as source, av.open(str(path), "w") as target:
        stream = target.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = 1280, 720, "yuv420p"
        stream.options = {"preset": "ultrafast", "crf": "18"}
        for index, frame in enumerate(source.decode(video=0)):
            if index == CLIP_FRAMES:
                break
            image = av.VideoFrame.from_ndarray(frame.to_ndarray(format="yuv420p"), format="yuv420p")
            image.pts = index
            target.mux(stream.encode(image))
        target.mux(stream.encode(None))
    return path


def is_marked(button) -> bool:
    """Whether a button is the one standing out as the next step."""
    return button.isEnabled() and button.isDefault() and button.font().bold()


def test_first_run_from_empty_state_to_exported_file(window: MainWindow, qtbot, short_clip: Path,
                                                     tmp_path: Path) -> None:
    open_and_show(qtbot, window, short_clip)
    run, export = window.fit_panel.run_button, window.fit_panel.export_button

    # nothing detected: the canvas says so and offers the menu's own action; Run fit says why it is disabled
    empty = window.empty_state
    assert empty.isVisible() and empty.button.defaultAction() is window.detection.action
    assert window.view.rect().contains(empty.geometry().center())
    assert not run.isEnabled() and "Detect the hands first" in run.toolTip() and run.statusTip() == run.toolTip()
    assert "detect the hands" in window.statusBar().currentMessage()
    assert not export.isEnabled() and "Run a fit first" in export.toolTip()

    with qtbot.waitSignal(window.detection.finished, timeout=120_000):
        qtbot.mouseClick(empty.button, Qt.MouseButton.LeftButton)
    assert window.document.project.detections.num_frames == CLIP_FRAMES
    assert not empty.isVisible()
    assert is_marked(run) and not is_marked(export) and not window.fit_dock.visibleRegion().isEmpty()

    window.fit_panel.weights.set_iterations(5, 5, 2)  # a tiny fit
    with qtbot.waitSignal(window.fit_panel.runner.finished, timeout=120_000):
        qtbot.mouseClick(run, Qt.MouseButton.LeftButton)
    assert window.document.project.fits
    assert is_marked(export) and not is_marked(run) and run.isEnabled()
    assert "export" in window.statusBar().currentMessage().lower() or export.toolTip().startswith("Export")

    qtbot.mouseClick(export, Qt.MouseButton.LeftButton)
    dialog = next(w for w in QApplication.topLevelWidgets() if isinstance(w, ExportDialog) and w.isVisible())
    dialog.kind.setCurrentText("npz")
    dialog.path.setText(str(tmp_path / "first_run.npz"))
    with qtbot.waitSignal(dialog.runner.finished, timeout=120_000):
        qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    motion = read_motion(tmp_path / "first_run.npz")
    assert motion.num_frames == CLIP_FRAMES
    dialog.close()
