"""File > Open Recent: the recently opened or saved projects and videos, rebuilt each time it opens."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QMenu, QWidget

from hmp_studio.settings import recent_files, settings


class RecentFilesMenu(QMenu):
    """Lists recent files; ``open_requested(path)`` when one is chosen."""

    open_requested = Signal(Path)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Open &Recent", parent)
        self.aboutToShow.connect(self.rebuild)
        self.rebuild()

    def rebuild(self) -> None:
        """List the recent files that still exist, newest first, the first nine numbered for the keyboard."""
        self.clear()
        paths = recent_files()
        for number, path in enumerate(paths, start=1):
            action = self.addAction(f"&{number} {path.name}" if number < 10 else path.name)
            action.setToolTip(str(path))
            action.triggered.connect(lambda _=False, p=path: self.open_requested.emit(p))
        if not paths:
            self.addAction("No recent files").setEnabled(False)
        self.addSeparator()
        self.addAction("Clear List", self._clear)

    def _clear(self) -> None:
        """Forget the recent files."""
        settings().remove("recent_files")
        self.rebuild()
