"""Take the README's first-run screenshots under Xvfb at 1920x1080: `xvfb-run -a -s "-screen 0 1920x1080x24" python
tools/studio_first_run_screenshots.py` (fresh settings, so the window takes its first-run size; the sample opened,
its first 120 frames detected, a short fit, an npz export)."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the screenshot helpers

from studio_fit_screenshots import OUTPUT, wait  # noqa: E402

from hmp_engine.bench.speed import sample_video  # noqa: E402


def shoot(name: str) -> None:
    """Save the whole screen (the window and any dialog over it)."""
    wait(ms=800)
    QApplication.primaryScreen().grabWindow(0).save(str(OUTPUT / name))


def main() -> None:
    """Walk through open, detect, fit and export in the real window, a screenshot after each."""
    scratch = Path(tempfile.mkdtemp(prefix="hmp_first_run_"))
    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(scratch / "settings"))
    app = QApplication.instance() or QApplication([])
    from hmp_studio.main_window import MainWindow

    window = MainWindow(autosave_folder=scratch / "autosave")
    window.show()
    window.open_path(sample_video())
    shoot("first_run_1_open.png")
    window.detection.start(max_frames=120)  # the empty state's button detects all 621 frames; 120 are quicker
    wait(window.detection.finished)
    shoot("first_run_2_detected.png")
    window.fit_panel.weights.set_iterations(60, 60, 30)
    window.fit_panel.run_button.click()
    wait(window.fit_panel.runner.finished)
    window.playback.seek(60)
    wait(window.meshes.drawn, 20_000)
    shoot("first_run_3_fitted.png")
    window.fit_panel.export_button.click()
    dialog = next(widget for widget in app.topLevelWidgets() if widget.windowTitle() == "Export")
    dialog.path.setText(str(scratch / "sample.npz"))
    dialog.export_button.click()
    wait(dialog.runner.finished)
    shoot("first_run_4_exported.png")
    dialog.close()
    window.document.undo_stack.setClean()
    window.close()
    app.processEvents()


if __name__ == "__main__":
    main()
