"""Never losing work, driven through the real window: autosave, recovery after a real crash, the question on
close, recent files, drag and drop of projects, and settings and layout that persist."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from PySide6.QtCore import QMimeData, QPointF, QSettings, Qt, QUrl
from PySide6.QtGui import QDropEvent

from hmp_engine.session import EditState, KeypointEdit, load_project
from hmp_studio.dialogs.settings_dialog import SettingsDialog
from hmp_studio.main_window import MainWindow
from hmp_studio.model.undo_commands import EditCommand
from hmp_studio.settings import Preferences
from tests.paths import REPO_ROOT
from tests.studio.gui_helpers import answer_next_dialog, make_window, open_and_show

EDIT = {0: {(4, 8): KeypointEdit(120.0, 80.0, EditState.POSITION)}}

CRASHING_SESSION = """
import os, sys, time
from pathlib import Path
from PySide6.QtCore import QSettings, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, sys.argv[3])
app = QApplication([])
from hmp_studio.main_window import MainWindow
window = MainWindow(autosave_folder=Path(sys.argv[2]))
window.show()
window.activateWindow()
assert QTest.qWaitForWindowActive(window)
assert window.open_path(sys.argv[1])
window.view_state.show_frame(4)  # frame 4 on the canvas: its layers and the edit actions follow
window.overlay.select(0, 8)
QTest.keyClick(window, Qt.Key.Key_O)  # mark the index fingertip of frame 4 occluded
assert window.document.modified
deadline = time.monotonic() + 20
while not any(Path(sys.argv[2]).glob("*.hmp")) and time.monotonic() < deadline:
    app.processEvents()
    time.sleep(0.01)
os._exit(3)  # die like a crash: no close event, no cleanup
"""


def autosaves(tmp_path: Path) -> list[Path]:
    """The autosave files in the test's autosave folder."""
    return sorted((tmp_path / "autosave").glob("*.hmp"))


def test_autosave_follows_changes_and_goes_away_on_save(window: MainWindow, qtbot, reach_project: Path,
                                                        tmp_path: Path) -> None:
    open_and_show(qtbot, window, reach_project)
    window.document.push(EditCommand(window.document, EDIT, "test edit"))
    qtbot.waitUntil(lambda: len(autosaves(tmp_path)) == 1, timeout=5000)  # after the autosave delay
    saved_copy = load_project(autosaves(tmp_path)[0])
    assert saved_copy.edits == window.document.project.edits
    assert window.document.project.path == reach_project and load_project(reach_project).edits == {}
    assert window.files.save()
    assert autosaves(tmp_path) == [] and load_project(reach_project).edits == window.document.project.edits


def test_a_crashed_session_is_recovered_on_next_open(qtbot, reach_project: Path, tmp_path: Path) -> None:
    folder, settings_dir = tmp_path / "autosave", tmp_path / "crash-settings"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    crashed = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(CRASHING_SESSION), str(reach_project), str(folder), str(settings_dir)],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert crashed.returncode == 3, crashed.stderr[-2000:]
    assert len(autosaves(tmp_path)) == 1 and load_project(reach_project).edits == {}

    window = make_window(qtbot, tmp_path)
    answer_next_dialog("Recover")
    open_and_show(qtbot, window, reach_project, frame=4)
    project = window.document.project
    assert project.edit(0, 4, 8).state is EditState.OCCLUDED
    assert project.path == reach_project and window.isWindowModified()
    assert window.overlay.points[0][8].pen().style() == Qt.PenStyle.DashLine
    assert window.files.save()
    assert autosaves(tmp_path) == [] and load_project(reach_project).edit(0, 4, 8).state is EditState.OCCLUDED


def test_declining_recovery_deletes_the_autosave(window: MainWindow, qtbot, reach_project: Path,
                                                 tmp_path: Path) -> None:
    open_and_show(qtbot, window, reach_project)
    window.document.push(EditCommand(window.document, EDIT, "test edit"))
    window.autosave.save_now()
    assert len(autosaves(tmp_path)) == 1
    other = make_window(qtbot, tmp_path)  # the first window stays open: as if it had crashed
    answer_next_dialog("Discard")
    open_and_show(qtbot, other, reach_project)
    assert other.document.project.edits == {} and not other.isWindowModified() and autosaves(tmp_path) == []


def test_closing_with_unsaved_changes_asks(window: MainWindow, qtbot, reach_project: Path, tmp_path: Path) -> None:
    open_and_show(qtbot, window, reach_project)
    window.document.push(EditCommand(window.document, EDIT, "test edit"))
    answer_next_dialog("Cancel")
    assert not window.close() and window.isVisible()
    answer_next_dialog("Save")
    assert window.close()
    assert load_project(reach_project).edits == EDIT and autosaves(tmp_path) == []


def test_recent_files_and_dropped_projects_open(window: MainWindow, qtbot, reach_project: Path,
                                                reach_video: Path) -> None:
    assert window.open_path(reach_video)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(reach_project))])
    window.dropEvent(QDropEvent(QPointF(5, 5), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                                Qt.KeyboardModifier.NoModifier))
    assert window.document.project.path == reach_project and window.overlay.points
    window.recent_menu.rebuild()
    entries = [action for action in window.recent_menu.actions() if action.toolTip().startswith("/")]
    assert [action.toolTip() for action in entries] == [str(reach_project), str(reach_video.resolve())]
    entries[1].trigger()
    assert window.document.project.path is None and window.document.source == reach_video.resolve()


def test_settings_and_layout_persist(qtbot, tmp_path: Path) -> None:
    dialog = SettingsDialog()
    qtbot.addWidget(dialog)
    assert dialog.preferences() == Preferences("", "auto", "wild")
    dialog.mano_folder.setText(str(tmp_path / "mano"))
    dialog.device.setCurrentText("cpu")
    dialog.preset.setCurrentText("lab")
    dialog.accept()
    assert Preferences.load() == Preferences(str(tmp_path / "mano"), "cpu", "lab")

    first = make_window(qtbot, tmp_path)
    first.history_dock.hide()
    size = (first.minimumSizeHint().width() + 8, 500)  # inside the offscreen screen (800 x 600), above the minimum
    first.resize(*size)
    first.close()
    second = MainWindow(autosave_folder=tmp_path / "autosave")  # as make_window, without its resize
    qtbot.addWidget(second)
    assert (second.width(), second.height()) == size and not second.history_dock.isVisible()
    assert QSettings("HMP", "HMP Studio").value("main_window/state") is not None
