"""Autosave: a copy of a modified project is written shortly after each change, so a crash loses nothing.

The copy goes to the autosave folder (by default the per-user application data folder), named after the file
the project came from (its .hmp file, or its video while unsaved). It is removed when the project is saved or
its changes are discarded; one still there when that file is opened again is offered for recovery.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from PySide6.QtCore import QObject, QStandardPaths, QTimer, Signal

from hmp_engine.session import ProjectError
from hmp_studio.model.document import Document

AUTOSAVE_DELAY_MS = 2000


def default_folder() -> Path:
    """The per-user autosave folder (under the application data location)."""
    location = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    return Path(location) / "autosave"


class Autosave(QObject):
    """Writes the document's project to its autosave file ``delay_ms`` after the last change."""

    failed = Signal(str)  # why an autosave could not be written

    def __init__(self, document: Document, folder: Path | None = None, delay_ms: int = AUTOSAVE_DELAY_MS) -> None:
        super().__init__(document)
        self.folder = folder or default_folder()
        self._document = document
        self._written: Path | None = None
        self._timer = QTimer(self, singleShot=True, interval=delay_ms)
        self._timer.timeout.connect(self.save_now)
        document.undo_stack.indexChanged.connect(lambda _: self._timer.start())
        document.opened.connect(self._adopt)
        document.modified_changed.connect(self._on_modified)

    def path_for(self, source: Path) -> Path:
        """The autosave file of a project that came from ``source`` (a .hmp file or a video)."""
        digest = hashlib.sha1(str(source.resolve()).encode()).hexdigest()[:12]
        return self.folder / f"{source.stem}-{digest}.hmp"

    def find(self, source: Path) -> Path | None:
        """The autosave a previous session left for ``source``, if any."""
        path = self.path_for(source)
        return path if path.is_file() else None

    def save_now(self) -> None:
        """Write the autosave now if the project has unsaved changes."""
        self._timer.stop()
        source = self._document.source
        if source is None or not self._document.modified:
            return
        target = self.path_for(source)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._document.project.save_copy(target)
        except (OSError, ProjectError) as error:
            self.failed.emit(f"Autosave failed: {error}")
            return
        if self._written not in (None, target):
            self._written.unlink(missing_ok=True)  # saved under a new name since: one autosave per project
        self._written = target

    def discard(self) -> None:
        """Remove the autosave of the current project (its changes were saved or thrown away)."""
        self._timer.stop()
        if self._written is not None:
            self._written.unlink(missing_ok=True)
        self._written = None

    def _adopt(self) -> None:
        """A new project is open: the autosave it was recovered from (if any) is the one to replace or remove."""
        source = self._document.source
        self._written = self.find(source) if source is not None else None

    def _on_modified(self, modified: bool) -> None:
        """Remove the autosave once the project matches its file again."""
        if not modified:
            self.discard()
