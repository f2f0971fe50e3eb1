"""A row of widgets for forms: several controls on one line of a QFormLayout."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QWidget


def row(*widgets: QWidget, stretch_first: bool = False) -> QWidget:
    """``widgets`` side by side in one widget (the first taking the spare width when ``stretch_first``)."""
    container = QWidget()
    layout = QHBoxLayout(container)
    layout.setContentsMargins(0, 0, 0, 0)
    for index, widget in enumerate(widgets):
        layout.addWidget(widget, stretch=1 if stretch_first and index == 0 else 0)
    return container
