"""Small pieces the windows share: a flat tool button with a line icon, and opening a window at
a size that fits the screen."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QToolButton, QWidget

from vbg.ui.icons import line_icon

TITLE_BAR_PX = 40  # the window manager's title bar, outside our geometry but on the screen


def tool_button(icon: str, text: str, slot: Callable[[], object], tip: str = "") -> QToolButton:
    """A flat tool button with a line icon and its text beside it (and ``tip`` as tooltip)."""
    b = QToolButton()
    b.setIcon(line_icon(icon))
    b.setText(text)
    if tip:
        b.setToolTip(tip)
    b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    b.clicked.connect(lambda _=False: slot())
    return b


def fit_to_screen(window: QWidget, size: QSize) -> None:
    """Resize ``window`` to ``size``, but no larger than its screen's free area less a title
    bar (never smaller than its minimum size hint): on a small screen it must not run past the
    edges."""
    screen = window.screen()
    free = screen.availableGeometry() if screen is not None else None
    if free is None or free.isEmpty():
        window.resize(size)
        return
    least = window.minimumSizeHint()
    window.resize(max(least.width(), min(size.width(), free.width())),
                  max(least.height(), min(size.height(), free.height() - TITLE_BAR_PX)))
