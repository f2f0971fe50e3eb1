"""Help > Keyboard Shortcuts: every menu action that has a shortcut, grouped by menu, read from the menus
themselves so the sheet is always what the keys do."""

from __future__ import annotations

from html import escape

from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QDialog, QLabel, QMenu, QMenuBar, QScrollArea, QVBoxLayout, QWidget

MOUSE_HELP: tuple[tuple[str, str], ...] = (
    ("Drag a keypoint", "move it (one undo step per drag)"),
    ("Right-click a keypoint", "edit menu for it"),
    ("Wheel / drag on the video", "zoom / pan"),
    ("Click or drag on the timeline", "go to that frame"),
    ("Shift + drag on the timeline", "select a range of frames"),
    ("Wheel on the timeline", "zoom the timeline"),
)


def shortcut_rows(menu: QMenu) -> list[tuple[str, str]]:
    """(shortcut, action text) of every action with a shortcut in ``menu`` and its submenus."""
    rows = []
    for action in menu.actions():
        if action.menu() is not None:
            rows += shortcut_rows(action.menu())
        elif not action.shortcut().isEmpty():
            text = action.text().replace("&", "").replace("…", "")
            rows.append((action.shortcut().toString(QKeySequence.SequenceFormat.NativeText), text))
    return rows


def cheat_sheet_html(menu_bar: QMenuBar) -> str:
    """The sheet as HTML tables: one per menu, then the mouse."""
    parts = []
    for action in menu_bar.actions():
        rows = shortcut_rows(action.menu()) if action.menu() is not None else []
        if rows:
            parts.append(_table(action.text().replace("&", ""), rows))
    parts.append(_table("Mouse", list(MOUSE_HELP)))
    return "".join(parts)


def _table(title: str, rows: list[tuple[str, str]]) -> str:
    """One titled two-column table: what to press (bold), what it does."""
    cells = "".join(f"<tr><td><b>{escape(press)}</b></td><td>{escape(does)}</td></tr>" for press, does in rows)
    return f"<h3>{escape(title)}</h3><table cellspacing='4'>{cells}</table>"


class CheatSheet(QDialog):
    """A non-modal window listing the shortcuts of the window's menus."""

    def __init__(self, menu_bar: QMenuBar, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard Shortcuts")
        self.label = QLabel(cheat_sheet_html(menu_bar))
        self.label.setMargin(12)
        scroll = QScrollArea(widgetResizable=True)
        scroll.setWidget(self.label)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll)
        self.resize(460, 640)
