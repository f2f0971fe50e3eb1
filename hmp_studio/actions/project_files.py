"""Opening, saving and recovering projects: the dialogs around the document's open and save."""

from __future__ import annotations

import datetime
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox, QWidget

from hmp_engine.session import Project, ProjectChanged, ProjectError, VideoRef, load_project
from hmp_engine.session.video_identity import check_video, relink
from hmp_engine.video import VideoError, VideoReader, open_video
from hmp_studio.model.autosave import Autosave
from hmp_studio.model.document import Document
from hmp_studio.settings import add_recent_file, settings

PROJECT_SUFFIX = ".hmp"
VIDEO_FILTER = "Videos (*.mp4 *.mov *.avi *.mkv *.m4v *.webm)"
OPEN_FILTER = (
    "Projects and videos (*.hmp *.mp4 *.mov *.avi *.mkv *.m4v *.webm);;Projects (*.hmp);;"
    f"{VIDEO_FILTER};;All files (*)"
)
PROJECT_FILTER = "Projects (*.hmp)"


class ProjectFiles(QObject):
    """File > Open / Save / Save As, recovery of autosaves, and the question before unsaved changes are lost."""

    message = Signal(str)  # a line for the status bar

    def __init__(self, parent: QWidget, document: Document, autosave: Autosave,
                 video_cache: Path | None = None) -> None:
        super().__init__(parent)
        self._parent = parent
        self._video_cache = video_cache  # where videos' packet indexes are kept between opens
        self._document = document
        self._autosave = autosave

    def choose_and_open(self) -> bool:
        """Ask for a project or video and open it."""
        store = settings()
        start = str(store.value("last_open_dir", str(Path.home())))
        path, _ = QFileDialog.getOpenFileName(self._parent, "Open Project or Video", start, OPEN_FILTER)
        if not path:
            return False
        store.setValue("last_open_dir", str(Path(path).parent))
        return self.open_path(Path(path))

    def open_path(self, path: Path) -> bool:
        """Open a project (.hmp) or a video as a new project; on failure say why and keep the open one."""
        path = Path(path)
        if not self.confirm_discard():
            return False
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            project, video = self._load(path)
        except (ProjectError, VideoError) as error:
            QApplication.restoreOverrideCursor()
            QMessageBox.critical(self._parent, "Cannot open", str(error))
            return False
        QApplication.restoreOverrideCursor()
        if video is None:
            return False
        recovered = self._offer_recovery(path, project)
        self._document.open(recovered or project, video, recovered=recovered is not None)
        add_recent_file(path)
        return True

    def _load(self, path: Path) -> tuple[Project, VideoReader | None]:
        """The project of ``path`` and its opened video (None: the user did not locate a missing video)."""
        if path.suffix.lower() == PROJECT_SUFFIX:
            project = load_project(path)
            video_path = self._locate_video(project, path)
            return project, open_video(video_path, cache_dir=self._video_cache) if video_path is not None else None
        video = open_video(path, cache_dir=self._video_cache)
        try:
            return Project(VideoRef.from_file(path)), video
        except VideoError:
            video.close()
            raise

    def _locate_video(self, project: Project, project_path: Path) -> Path | None:
        """The project's video, asking the user where it went if it is missing or another video is in its place."""
        path = Path(project.video.path)
        try:
            check_video(project.video)
            return path
        except VideoError as error:
            problem = str(error)
        QMessageBox.warning(self._parent, "Video not found", f"{problem}.\n\nPlease locate the video of "
                                                             f"{project_path.name}.")
        located, _ = QFileDialog.getOpenFileName(self._parent, f"Locate {path.name}", str(project_path.parent))
        if not located:
            return None
        project.video = relink(project.video, located)
        return Path(located)

    def relink_video(self) -> bool:
        """File > Relink Video: point the open project at its video in another file (moved, or re-encoded with
        the same frames); another video is refused."""
        project = self._document.project
        if project is None:
            return False
        path, _ = QFileDialog.getOpenFileName(self._parent, "Relink Video", str(Path(project.video.path).parent),
                                              f"{VIDEO_FILTER};;All files (*)")
        if not path:
            return False
        try:
            ref = relink(project.video, path)
            video = open_video(path)
        except VideoError as error:
            QMessageBox.critical(self._parent, "Cannot relink", str(error))
            return False
        self._document.relink_video(ref, video)
        self.message.emit(f"The project's video is now {path}")
        return True

    def _offer_recovery(self, source: Path, project: Project) -> Project | None:
        """The autosaved project a crashed session left for ``source`` if the user wants it back, else None."""
        found = self._autosave.find(source)
        if found is None:
            return None
        try:
            recovered = load_project(found)
        except ProjectError as error:
            QMessageBox.warning(self._parent, "Cannot recover", f"{error}\nThe file is kept at {found}.")
            return None
        if recovered.video.sha256 != project.video.sha256:
            QMessageBox.warning(self._parent, "Cannot recover",
                                f"Unsaved changes were found for {source.name}, but for another video content.\n"
                                f"They are kept at {found}.")
            return None
        when = datetime.datetime.fromtimestamp(found.stat().st_mtime).strftime("%Y-%m-%d %H:%M")
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Recover unsaved changes?",
            f"HMP Studio did not close properly while {source.name} had unsaved changes.\n"
            f"They were autosaved at {when}. Recover them?",
            parent=self._parent,
        )
        recover = box.addButton("Recover", QMessageBox.ButtonRole.AcceptRole)
        box.addButton("Discard", QMessageBox.ButtonRole.DestructiveRole)
        box.exec()
        if box.clickedButton() is not recover:
            found.unlink(missing_ok=True)
            return None
        recovered.path, recovered.video, recovered.file_stamp = project.path, project.video, project.file_stamp
        return recovered

    def save(self) -> bool:
        """Save to the project's file, asking for one the first time."""
        if self._document.project is None:
            return False
        if self._document.project.path is None:
            return self.save_as()
        return self._save_to(None)

    def save_as(self, path: Path | None = None) -> bool:
        """Save to ``path`` (a .hmp file), asking for one when not given."""
        if self._document.project is None:
            return False
        if path is None:
            source = self._document.source
            suggestion = source.with_suffix(PROJECT_SUFFIX) if source is not None else Path.home()
            chosen, _ = QFileDialog.getSaveFileName(self._parent, "Save Project", str(suggestion), PROJECT_FILTER)
            if not chosen:
                return False
            path = Path(chosen)
        return self._save_to(path.with_suffix(PROJECT_SUFFIX))

    def _save_to(self, path: Path | None) -> bool:
        """Save, reporting a failure (the previous file is intact then)."""
        try:
            saved = self._document.save(path)
        except ProjectChanged as error:
            return self._offer_save_as(str(error))
        except ProjectError as error:
            QMessageBox.critical(self._parent, "Cannot save", str(error))
            return False
        add_recent_file(saved)
        self.message.emit(f"Saved {saved}")
        return True

    def _offer_save_as(self, reason: str) -> bool:
        """The project's file changed under us: offer Save As (keeping both versions) instead of overwriting."""
        box = QMessageBox(QMessageBox.Icon.Warning, "Project changed on disk",
                          f"{reason}.\n\nSave your version to another file?", parent=self._parent)
        save_as = box.addButton("Save As…", QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        return box.clickedButton() is save_as and self.save_as()

    def confirm_discard(self) -> bool:
        """Before unsaved changes would be lost: save them, discard them, or cancel (False)."""
        if not self._document.modified:
            return True
        name = self._document.source.name if self._document.source else "the project"
        answer = QMessageBox.question(
            self._parent,
            "Unsaved changes",
            f"Save the changes to {name}?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Save,
        )
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        if answer == QMessageBox.StandardButton.Discard:
            self._autosave.discard()
            return True
        return False
