"""Take the README's fit screenshots under Xvfb: `xvfb-run -a -s "-screen 0 1920x1080x24" python
tools/studio_fit_screenshots.py` (the sample's first 120 frames detected and fitted, frame 60 shown)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEventLoop, QSettings, QTimer
from PySide6.QtWidgets import QApplication

from hmp_engine.bench.speed import sample_video

OUTPUT = Path(__file__).resolve().parents[1] / "docs" / "screenshots"


def wait(signal: object | None = None, ms: int = 600_000) -> None:
    """Run the event loop until ``signal`` fires (or for ``ms`` without one)."""
    loop = QEventLoop()
    if signal is not None:
        signal.connect(loop.quit)
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def main() -> None:
    """Fit the sample in the real window and save the overlay and the fit panel."""
    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, "/tmp/hmp_screenshot_settings")
    app = QApplication.instance() or QApplication([])
    from hmp_studio.main_window import MainWindow

    window = MainWindow(autosave_folder=Path("/tmp/hmp_screenshot_settings/autosave"))
    window.resize(1600, 1000)
    window.show()
    window.open_path(sample_video())
    window.detection.start(max_frames=120)
    wait(window.detection.finished)
    window.fit_panel.weights.set_iterations(150, 150, 80)
    window.fit_panel.run()
    wait(window.fit_panel.runner.finished)
    window.overlay_actions[1].trigger()  # keypoints off: the mesh alone
    window.playback.seek(60)
    wait(window.meshes.drawn, 20_000)
    wait(ms=500)
    window.grab().save(str(OUTPUT / "studio_fit.png"))
    window.fit_dock.setFloating(True)  # the panel at a readable size, its loss plot included
    window.fit_dock.resize(560, 980)
    wait(ms=500)
    window.fit_dock.grab().save(str(OUTPUT / "studio_fit_panel.png"))
    window.document.undo_stack.setClean()
    window.close()
    app.processEvents()


if __name__ == "__main__":
    main()
