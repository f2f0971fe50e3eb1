"""A scroll area that scrolls only vertically and is never narrower than its content's minimum width."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QFrame, QScrollArea, QStyle, QWidget


class VerticalScrollArea(QScrollArea):
    """Lets a tall panel scroll on a small screen while every control keeps its full width.

    A plain scroll area in a narrow dock scrolls sideways and hides the left or right part of the controls (form
    labels, buttons); this one asks its dock for the panel's minimum width plus a scroll bar instead.
    """

    def __init__(self, widget: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent, widgetResizable=True, frameShape=QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setWidget(widget)

    def minimumSizeHint(self) -> QSize:
        """The content's minimum width plus room for the vertical scroll bar; a little height."""
        hint = super().minimumSizeHint()
        content = self.widget()
        if content is None:
            return hint
        scroll_bar = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent, None, self)
        return QSize(content.minimumSizeHint().width() + scroll_bar + 2 * self.frameWidth(), hint.height())
