"""The studio's main window: composes the document, the video canvas with keypoints, the transport controls, the
timeline and history docks, and the menus. Each part lives in its own module; this one only wires them."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PySide6.QtCore import QByteArray, Qt
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMenu, QUndoView, QVBoxLayout, QWidget

from hmp_engine.hand_model.joints import MEDIAPIPE_JOINT_NAMES
from hmp_engine.video import VideoReader
from hmp_studio.actions.edit_actions import Editor
from hmp_studio.actions.navigate_actions import Navigator
from hmp_studio.actions.next_step import HINTS, EmptyState, NextStep
from hmp_studio.actions.playback_menu import PlaybackMenu
from hmp_studio.actions.project_files import ProjectFiles
from hmp_studio.actions.recent_files_menu import RecentFilesMenu
from hmp_studio.dialogs.cheat_sheet import CheatSheet
from hmp_studio.dialogs.export_dialog import ExportDialog
from hmp_studio.docks.compare_plot import ComparePlot
from hmp_studio.docks.fit_panel import FitPanel
from hmp_studio.model.autosave import Autosave
from hmp_studio.model.document import Document
from hmp_studio.model.playback import Playback
from hmp_studio.model.view_state import ViewState
from hmp_studio.settings import settings
from hmp_studio.tasks.detection_runner import DetectionRunner
from hmp_studio.tasks.overlay_video_runner import OverlayVideoRunner
from hmp_studio.tasks.scrub_proxies import ScrubProxies, default_cache_folder
from hmp_studio.tasks.task_progress import TaskProgress
from hmp_studio.tasks.task_runner import TaskRunner
from hmp_studio.views.hand_view import HandView
from hmp_studio.views.keypoint_overlay import KeypointOverlay
from hmp_studio.views.mesh_overlay import MeshOverlay
from hmp_studio.views.timeline import Timeline
from hmp_studio.views.transport_controls import PlayerControls
from hmp_studio.views.vertical_scroll import VerticalScrollArea
from hmp_studio.views.video_view import VideoView
from hmp_studio.workers.frame_loader import FrameLoader
from hmp_studio.workers.gui_thread_gc import collect_on_gui_thread_while_open
from hmp_studio.workers.render_thread import RenderThread

SCREEN_SHARE = 0.9
"""Share of the available screen's width and height the first window takes (later ones restore the last layout)."""
GIL_SWITCH_S = 0.001
"""Python's thread switch interval while the studio runs: the GUI thread shares the GIL with the fit, render and
decode threads, and waits up to one interval per thread each time it needs it (Python's default is 5 ms)."""


class MainWindow(QMainWindow):
    """Video and keypoints over transport controls; timeline and edit history in docks; File/Edit/Navigate/
    Playback/View/Help menus. ``autosave_folder`` overrides where autosaves go (default: app data folder);
    ``video_cache`` where video indexes and scrub proxies go (default: beside the autosaves if their folder is
    given, else the user's cache folder)."""

    def __init__(self, autosave_folder: Path | None = None, video_cache: Path | None = None) -> None:
        super().__init__()
        sys.setswitchinterval(GIL_SWITCH_S)
        collect_on_gui_thread_while_open(self)
        self.document = Document(self)
        self.view_state = ViewState(self)
        self.playback = Playback(self)
        self.view = VideoView()
        self.overlay = KeypointOverlay(self.view.view_box, self.document, self.view_state, self)
        self.controls = PlayerControls(self.playback)
        self.timeline = Timeline(self.document)
        self.loader = FrameLoader(self)
        self.autosave = Autosave(self.document, autosave_folder)
        if video_cache is None:
            video_cache = autosave_folder.parent / "video_cache" if autosave_folder else default_cache_folder()
        self.proxies = ScrubProxies(self.loader, video_cache, self)
        self.files = ProjectFiles(self, self.document, self.autosave, video_cache)
        self.editor = Editor(self.document, self.view_state, self.overlay, self.timeline, self)
        self.navigator = Navigator(self.document, self.playback, self)
        self.task_progress = TaskProgress()
        self.detection = DetectionRunner(self, self.document, self.task_progress)
        self.renderer = RenderThread(self)
        self.meshes = MeshOverlay(self.view.view_box, self.document, self.view_state, self.renderer, self)
        self.fit_panel = FitPanel(self.document, self.view_state, self.timeline.selected_range)
        self.compare = ComparePlot()
        self.hand_view = HandView()
        self.overlay_actions = self._overlay_actions()
        self.overlay_video = OverlayVideoRunner(self, self.document, self.task_progress, self.renderer,
                                                self.view_state)
        self.runners: list[TaskRunner] = [self.detection, self.fit_panel.runner, self.overlay_video]
        """Every long-lived task runner: the window reports their messages and stops them when it closes."""

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.view, stretch=1)
        layout.addWidget(self.controls)
        self.setCentralWidget(central)
        self.statusBar().addPermanentWidget(self.task_progress)
        self.statusBar().addPermanentWidget(self.proxies.bar)
        self.setAcceptDrops(True)
        self._build_menus()
        self.timeline_dock = self.add_dock("Timeline", self.timeline, Qt.DockWidgetArea.BottomDockWidgetArea)
        self.history_dock = self.add_dock("History", QUndoView(self.document.undo_stack),
                                          Qt.DockWidgetArea.RightDockWidgetArea)
        fit_scroll = VerticalScrollArea(self.fit_panel)  # a small window scrolls the panel instead of growing
        self.fit_dock = self.add_dock("Fit", fit_scroll, Qt.DockWidgetArea.RightDockWidgetArea)
        self.view_3d_dock = self.add_dock("3D View", self.hand_view, Qt.DockWidgetArea.RightDockWidgetArea)
        self.compare_dock = self.add_dock("Compare", self.compare, Qt.DockWidgetArea.BottomDockWidgetArea)
        self.tabifyDockWidget(self.history_dock, self.view_3d_dock)
        self.tabifyDockWidget(self.timeline_dock, self.compare_dock)
        self.timeline_dock.raise_()
        self.history_dock.raise_()
        self.empty_state = EmptyState(self.view, self.detection.action)
        self.next_step = NextStep(self.document, self.empty_state, self.fit_dock, self.fit_panel.run_button,
                                  self.fit_panel.export_button, self)
        self._connect()
        self._update_title()
        self._fill_screen()
        store = settings()
        for key, restore in (("geometry", self.restoreGeometry), ("state", self.restoreState)):
            value = store.value(f"main_window/{key}")
            if isinstance(value, QByteArray):
                restore(value)

    def _fill_screen(self) -> None:
        """First-run layout: most of the available screen, centred; docks as wide as their controls need."""
        screen = (self.screen() or QGuiApplication.primaryScreen()).availableGeometry()
        width, height = round(screen.width() * SCREEN_SHARE), round(screen.height() * SCREEN_SHARE)
        self.setGeometry(screen.x() + (screen.width() - width) // 2, screen.y() + (screen.height() - height) // 2,
                         width, height)
        self.resizeDocks([self.timeline_dock], [max(190, height // 5)], Qt.Orientation.Vertical)
        dock_width = max(self.fit_dock.minimumSizeHint().width(), round(width * 0.28))
        self.resizeDocks([self.fit_dock], [dock_width], Qt.Orientation.Horizontal)
        self.resizeDocks([self.history_dock, self.fit_dock], [height // 5, height], Qt.Orientation.Vertical)

    @property
    def video(self) -> VideoReader | None:
        """The open video."""
        return self.document.video

    def add_dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        """Put ``widget`` in a dock (its layout persists) and list it under View."""
        dock = QDockWidget(title, self)
        dock.setObjectName(f"{title.lower().replace(' ', '_')}_dock")
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        self.view_menu.addAction(dock.toggleViewAction())
        return dock

    def open_path(self, path: str | os.PathLike) -> bool:
        """Open a project (.hmp) or a video; on failure explain why and keep what is open."""
        return self.files.open_path(Path(path))

    def _build_menus(self) -> None:
        """The menus; their shortcuts work wherever the focus is in the window."""
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self._add(file_menu, "&Open…", QKeySequence.StandardKey.Open, self.files.choose_and_open)
        self.recent_menu = RecentFilesMenu(self)
        self.recent_menu.open_requested.connect(self.open_path)
        file_menu.addMenu(self.recent_menu)
        self._add(file_menu, "&Save", QKeySequence.StandardKey.Save, self.files.save)
        self._add(file_menu, "Save &As…", QKeySequence("Ctrl+Shift+S"), self.files.save_as)
        self._add(file_menu, "&Relink Video…", QKeySequence(), self.files.relink_video)
        file_menu.addSeparator()
        file_menu.addAction(self.detection.action)
        self._add(file_menu, "&Export…", QKeySequence("Ctrl+E"), self.show_export)
        file_menu.addAction(self.overlay_video.action)
        file_menu.addSeparator()
        self._add(file_menu, "Se&ttings…", QKeySequence("Ctrl+,"), self._show_settings)
        self._add(file_menu, "&Quit", QKeySequence.StandardKey.Quit, self.close)

        edit_menu = bar.addMenu("&Edit")
        undo = self.document.undo_stack.createUndoAction(self, "&Undo")
        undo.setShortcut(QKeySequence.StandardKey.Undo)
        redo = self.document.undo_stack.createRedoAction(self, "&Redo")
        redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        edit_menu.addActions([undo, redo])
        edit_menu.addSeparator()
        edit_menu.addActions(self.editor.actions)
        edit_menu.addSeparator()
        edit_menu.addActions(self.editor.scope_group.actions())

        bar.addMenu("&Navigate").addActions(self.navigator.actions)
        bar.addMenu(PlaybackMenu(self.playback, self.timeline, self))

        self.view_menu = bar.addMenu("&View")
        self._add(self.view_menu, "&Fit Frame to Window", QKeySequence("F"), self.view.fit_frame)
        self.view_menu.addActions(self.timeline.actions)
        self.view_menu.addSeparator()
        self.view_menu.addActions(self.overlay_actions)
        self.view_menu.addSeparator()

        help_menu = bar.addMenu("&Help")
        self._add(help_menu, "&Keyboard Shortcuts", QKeySequence.StandardKey.HelpContents, self.show_cheat_sheet)

    def _add(self, menu: QMenu, text: str, shortcut: QKeySequence | QKeySequence.StandardKey,
             slot: Callable[[], object]) -> QAction:
        """Add a menu action with a keyboard shortcut."""
        action = QAction(text, self, shortcut=QKeySequence(shortcut))
        action.triggered.connect(lambda _=False: slot())
        menu.addAction(action)
        return action

    def _connect(self) -> None:
        """Wire the parts: the document drives the views, the playback drives the frame loader."""
        self.document.opened.connect(self._on_opened)
        self.document.modified_changed.connect(self.setWindowModified)
        self.document.modified_changed.connect(self._update_title)
        self.playback.frame_changed.connect(self._request_frame)
        self.playback.frame_changed.connect(self.timeline.set_frame)
        self.timeline.frame_requested.connect(self.playback.seek)
        self.loader.frame_loaded.connect(self._show_frame)
        self.loader.preview_loaded.connect(self._show_preview)
        self.view.frame_shown.connect(lambda _: self.loader.preview_painted() if self.view.shown_preview else None)
        self.view.frame_set.connect(self.view_state.show_frame)
        self.meshes.drawn.connect(self.hand_view.show_render)
        self.fit_panel.runner.fitted.connect(self.compare.show_fit)
        self.document.opened.connect(self.compare.clear_curves)
        self.playback.frame_changed.connect(self.compare.set_frame)
        self.renderer.start()
        self.loader.load_failed.connect(self._report_frame_error)
        self.loader.start()
        self.overlay.menu_requested.connect(lambda position: self.editor.context_menu().exec(position))
        self.view_state.selection_changed.connect(self._show_selection)
        for source in (self.files, self.editor, self.navigator, self.meshes, *self.runners, self.proxies):
            source.message.connect(self.statusBar().showMessage)
        self.autosave.failed.connect(self.statusBar().showMessage)
        self.fit_panel.export_button.clicked.connect(self.show_export)
        self.next_step.changed.connect(lambda step: self.statusBar().showMessage(HINTS[step]) if step else None)

    def _on_opened(self) -> None:
        """A project is open: show its video from the first frame."""
        video = self.document.video
        self.proxies.follow(video)
        self.playback.set_video(video.timestamps)
        self._update_title()
        width, height = video.size
        hint = HINTS[self.next_step.current()]
        self.statusBar().showMessage(f"{width}×{height}   {video.fps:.3g} fps   {video.num_frames} frames   {hint}")

    def _request_frame(self, index: int) -> None:
        """Have the loader decode the frame the playback moved to."""
        if self.document.video is not None:
            self.loader.request(self.document.video, index)

    def _show_frame(self, video: VideoReader, index: int, rgb: np.ndarray) -> None:
        """Display a decoded frame (its layers follow), unless its video was closed since it was requested."""
        if video is self.document.video:
            self.view.show_frame(index, rgb)

    def _show_preview(self, video: VideoReader, index: int, rgb: np.ndarray) -> None:
        """Display a frame's scrub-proxy preview while its full decode runs, unless its video was closed."""
        if video is self.document.video:
            self.view.show_frame(index, rgb, size=video.size)

    def _report_frame_error(self, video: VideoReader, index: int, reason: str) -> None:
        """Tell the user about a frame that cannot be decoded."""
        if video is self.document.video:
            self.statusBar().showMessage(reason)

    def _show_selection(self) -> None:
        """Name the selected keypoint in the status bar."""
        if self.view_state.selection is not None:
            track, joint = self.view_state.selection
            side = self.document.project.track(track).handedness
            self.statusBar().showMessage(f"Selected: {side} hand, {MEDIAPIPE_JOINT_NAMES[joint]}")

    def _update_title(self) -> None:
        """Name the open project or video in the title bar (with * while modified)."""
        source = self.document.source
        self.setWindowTitle(f"HMP Studio — {source.name if source else 'no video'}[*]")

    def _overlay_actions(self) -> list[QAction]:
        """Checkable View actions showing the fitted meshes, the detected keypoints and the reprojected joints."""
        actions = []
        state = self.view_state
        for text, key, slot, checked in (("Show &Meshes", "M", state.set_meshes_visible, state.meshes_visible),
                                         ("Show Detected &Keypoints", "K", state.set_keypoints_visible,
                                          state.keypoints_visible),
                                         ("Show Reprojected &Joints", "J", state.set_joints_visible,
                                          state.joints_visible)):
            action = QAction(text, self, shortcut=QKeySequence(key), checkable=True, checked=checked)
            action.toggled.connect(slot)
            actions.append(action)
        return actions

    def show_export(self) -> ExportDialog | None:
        """Open the export dialog for the open project."""
        if self.document.project is None:
            return None
        dialog = ExportDialog(self.document, self.view_state.hand_model, self)
        dialog.runner.message.connect(self.statusBar().showMessage)
        dialog.show()
        return dialog

    def show_cheat_sheet(self) -> CheatSheet:
        """Open the keyboard shortcut sheet."""
        sheet = CheatSheet(self.menuBar(), self)
        sheet.show()
        return sheet

    def _show_settings(self) -> None:
        """Open the settings dialog."""
        from hmp_studio.dialogs.settings_dialog import SettingsDialog  # imports the fitting presets (torch)

        SettingsDialog(self).exec()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        """Accept a drag carrying a local file."""
        if any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        """Open the first dropped local file."""
        paths = [url.toLocalFile() for url in event.mimeData().urls() if url.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.open_path(paths[0])

    def closeEvent(self, event: QCloseEvent) -> None:
        """Offer to save unsaved changes, remember the layout, stop playback, detection and decoding."""
        if not self.files.confirm_discard():
            event.ignore()
            return
        store = settings()
        store.setValue("main_window/geometry", self.saveGeometry())
        store.setValue("main_window/state", self.saveState())
        self.playback.pause()
        for runner in self.runners:
            runner.stop()
        self.proxies.stop()
        self.loader.stop()
        self.renderer.stop()
        self.document.close()
        super().closeEvent(event)
