"""The main window's keys: window-wide shortcuts, so they work whichever child has focus. Each
makes its :class:`~vbg.app.menu.Action` from the session's state when pressed. The menu bar
shows the same keys as hints only (:func:`vbg.ui.menus.populate`)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget

from vbg.app import backgrounds as bgs
from vbg.app.menu import (
    BACKGROUND,
    FPS_OVERLAY,
    FRAMING,
    MIRROR,
    PAUSE,
    QUIT,
    SETTINGS,
    STILLS,
    Action,
)
from vbg.app.session import Session


def add_shortcuts(window: QWidget, s: Session,
                  perform: Callable[[Action], None]) -> dict[str, QAction]:
    """Add the keys to ``window``; the actions by key name ("b", "space", "ctrl+q"…)."""

    def key(sequence: str, make: Callable[[], Action]) -> QAction:
        act = QAction(window)
        act.setShortcut(QKeySequence(sequence))
        act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        act.triggered.connect(lambda _=False: perform(make()))
        window.addAction(act)
        return act

    return {
        "b": key("B", lambda: Action(BACKGROUND, bgs.next_color(s.background))),
        "n": key("N", lambda: Action(
            BACKGROUND, bgs.step(s.background, bgs.choices(s.backgrounds), 1))),
        "p": key("P", lambda: Action(
            BACKGROUND, bgs.step(s.background, bgs.choices(s.backgrounds), -1))),
        "m": key("M", lambda: Action(MIRROR, not s.config().output.mirror)),
        "a": key("A", lambda: Action(FRAMING, s.config().output.framing != "auto")),
        "space": key("Space", lambda: Action(PAUSE, not s.paused)),
        "f": key("F", lambda: Action(FPS_OVERLAY, not s.settings.fps_overlay)),
        "ctrl+o": key("Ctrl+O", lambda: Action(STILLS)),
        "ctrl+,": key("Ctrl+,", lambda: Action(SETTINGS)),
        "ctrl+q": key("Ctrl+Q", lambda: Action(QUIT)),
    }
