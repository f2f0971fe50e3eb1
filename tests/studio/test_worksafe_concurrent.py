"""Concurrent writers: a save that would discard someone else's change to the project file is refused (API,
`hmp fit`), and the studio offers Save As instead of overwriting."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog

from hmp_engine.cli import fit as fit_command
from hmp_engine.cli import main
from hmp_engine.fitting import fit_project, preset
from hmp_engine.hand_model import load_hand_model
from hmp_engine.session import EditState, KeypointEdit, ProjectChanged, load_project
from hmp_studio.main_window import MainWindow
from hmp_studio.model.undo_commands import EditCommand
from tests.engine.worksafe_support import fitted_project
from tests.studio.gui_helpers import answer_next_dialog, open_and_show

THEIRS = {0: {(2, 8): KeypointEdit(101.0, 99.0, EditState.POSITION)}}
MINE = {0: {(3, 4): KeypointEdit(55.0, 44.0, EditState.POSITION)}}


@pytest.fixture()
def project_path(reach_video: Path, tmp_path: Path) -> Path:
    return fitted_project(reach_video, tmp_path)


def save_their_edit(path: Path) -> None:
    """Someone else (another window, a script) saves an edit to the project file."""
    theirs = load_project(path)
    theirs.apply_edits(0, THEIRS[0])
    theirs.save()


def test_an_edit_saved_during_a_fit_is_not_discarded(project_path: Path) -> None:
    project = load_project(project_path)
    edited = []

    def progress(event: object) -> None:
        if not edited:
            edited.append(True)
            save_their_edit(project_path)

    settings = preset("wild", "no-prior").with_iterations(2, 2, 0)
    fit = fit_project(project, {"right": load_hand_model("open", "right")}, settings, None, progress=progress)
    project.fits.update(fit.fits)
    with pytest.raises(ProjectChanged, match="changed by someone else"):
        project.save()
    assert load_project(project_path).edits == THEIRS
    project.save(project_path.with_name("mine.hmp"))  # the way on: another file
    assert load_project(project_path.with_name("mine.hmp")).fits["right"]


def test_the_second_of_two_fits_on_one_project_refuses_to_save(project_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    inner: list[int] = []

    class OtherFitFirst(fit_command.StageProgress):
        """While this fit runs, another `hmp fit` of the same project runs to its end."""

        def __call__(self, event: object) -> None:
            if not inner:
                inner.append(-1)
                inner[0] = main(["fit", str(project_path), "--iterations", "1", "1", "0"])
            super().__call__(event)

    monkeypatch.setattr(fit_command, "StageProgress", OtherFitFirst)
    status = main(["fit", str(project_path), "--iterations", "2", "2", "0", "--seed", "3"])
    saved_by_other = load_project(project_path).weights
    assert inner == [0] and status == 1
    error = capsys.readouterr().err.strip().splitlines()[-1]  # after the progress bars
    assert error.startswith("hmp fit: ") and "changed by someone else" in error
    assert [stage["iterations"] for stage in saved_by_other["stages"]] == [1, 1, 0]


def test_the_studio_offers_save_as_when_the_file_changed(window: MainWindow, qtbot, project_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    open_and_show(qtbot, window, project_path)
    window.document.push(EditCommand(window.document, MINE, "my edit"))
    save_their_edit(project_path)
    mine = project_path.with_name("mine.hmp")
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *args, **kwargs: (str(mine), "")))
    answer_next_dialog("Save As…")
    assert window.files.save()
    assert load_project(project_path).edits == THEIRS and load_project(mine).edits == MINE
    assert not window.document.modified and window.document.project.path == mine
