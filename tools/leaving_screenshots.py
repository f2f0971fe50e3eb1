"""Take the README's screenshots of a hand that leaves the picture under Xvfb: `xvfb-run -a -s "-screen 0
1920x1080x24" python tools/leaving_screenshots.py` (the crop clip of the tests, detected and fitted; one shot on a
frame the fit infilled, one on a frame where the hand is absent)."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "tools"), str(REPO)]  # the screenshot helpers and the test clip's maker

from studio_fit_screenshots import OUTPUT, wait  # noqa: E402

from hmp_engine.bench.speed import sample_video  # noqa: E402
from tests.engine.leaving_clip import BLANKED, OUT, make_leaving_clip  # noqa: E402


def main() -> None:
    """Detect and fit the crop clip in the real window and save it on an infilled and an absent frame."""
    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, "/tmp/hmp_screenshot_settings")
    app = QApplication.instance() or QApplication([])
    from hmp_studio.main_window import MainWindow

    clip = make_leaving_clip(sample_video(), Path(tempfile.mkdtemp()) / "leaving_hand.mp4")
    window = MainWindow(autosave_folder=Path("/tmp/hmp_screenshot_settings/autosave"))
    window.resize(1500, 900)
    window.show()
    window.open_path(clip.path)
    window.detection.start()
    wait(window.detection.finished)
    window.fit_panel.weights.set_iterations(100, 100, 50)
    window.fit_panel.run()
    wait(window.fit_panel.runner.finished)
    for frame, name in ((BLANKED.start + 2, "leaving_infilled.png"), (OUT.start + 20, "leaving_absent.png")):
        window.playback.seek(frame)
        wait(window.meshes.drawn, 5_000)
        wait(ms=800)
        window.grab().save(str(OUTPUT / name))
    window.document.undo_stack.setClean()
    window.close()
    app.processEvents()


if __name__ == "__main__":
    main()
