"""The studio's MANO folder setting with the website's files as downloaded.

File > Settings stores the folder, the Fit dock offers it, and a fit through the real window uses the Python 2
chumpy pickles (written at test time).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from hmp_studio.dialogs.settings_dialog import SettingsDialog
from hmp_studio.settings import Preferences
from tests.engine.mano_website_pickle import write_website_download
from tests.studio.gui_helpers import make_window


def test_a_fit_uses_the_mano_folder_chosen_in_settings(qtbot, tmp_path: Path, reach_project: Path) -> None:
    download = write_website_download(tmp_path / "downloads")
    dialog = SettingsDialog()
    qtbot.addWidget(dialog)
    dialog.mano_folder.setText(str(download))
    dialog.accept()
    assert Preferences.load().mano_folder == str(download)

    window = make_window(qtbot, tmp_path)
    assert window.fit_panel.hand_model.currentData() == str(download)
    assert window.open_path(reach_project)
    window.fit_panel.weights.set_iterations(2, 2, 0)
    messages: list[str] = []
    window.fit_panel.runner.message.connect(messages.append)
    with qtbot.waitSignal(window.fit_panel.runner.finished, timeout=120_000):
        assert window.fit_panel.run()
    assert messages and messages[-1].startswith("Fit hands"), messages
    fit = window.document.project.fits["right"]
    assert fit.metadata["hand_model"] == "MANO_RIGHT" and np.isfinite(fit.arrays["hand_pose"]).all()
