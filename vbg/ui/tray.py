"""The system tray icon: state icon, tooltip, and a menu rebuilt each time it opens.

Vorta-style: nothing in the menu is kept up to date in the background; ``aboutToShow`` asks the
controller for a snapshot and rebuilds the whole menu from ``vbg.app.menu.prepare``. The
object exists even where no tray is available (tests, some Linux desktops); the shell only
shows it when ``QSystemTrayIcon.isSystemTrayAvailable()``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from vbg.app.menu import PREVIEW, Action, prepare
from vbg.app.status import icon_state, tooltip
from vbg.ui.controller import AppController
from vbg.ui.icons import app_icon
from vbg.ui.menus import populate

log = logging.getLogger(__name__)

NOTIFY_MS = 6000


class Tray(QObject):
    """``perform`` executes the menu's actions; ``preview_visible()`` tells whether the
    preview window is showing (for the "Show preview" tick)."""

    def __init__(self, controller: AppController, perform: Callable[[Action], None],
                 preview_visible: Callable[[], bool], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self._perform = perform
        self._preview_visible = preview_visible
        self.state = "on"
        self.icon = QSystemTrayIcon(app_icon("on"), self)
        self.menu = QMenu()
        self.menu.setObjectName("trayMenu")
        self.menu.aboutToShow.connect(self.rebuild)
        self.icon.setContextMenu(self.menu)
        self.icon.activated.connect(self._activated)
        controller.changed.connect(self.refresh)
        self.rebuild()
        self.refresh()

    def rebuild(self) -> None:
        """Build the menu from the current state (on every ``aboutToShow``)."""
        c = self.controller
        c.session.refresh_backgrounds()
        c.refresh_cameras()
        state = c.session.menu_state(preview_visible=self._preview_visible())
        populate(self.menu, prepare(state), self._perform)

    def refresh(self) -> None:
        """Icon and tooltip for the current state (on every ``changed``)."""
        s = self.controller.session
        state = icon_state(s.status())
        if state != self.state:  # some trays flicker when the icon is set again
            self.state = state
            self.icon.setIcon(app_icon(state))
            log.info("tray icon: %s", state)
        text = tooltip(s.status())
        if text != self.icon.toolTip():
            self.icon.setToolTip(text)

    def show(self) -> None:
        self.icon.show()

    def hide(self) -> None:
        self.icon.hide()

    @property
    def visible(self) -> bool:
        return self.icon.isVisible()

    def notify(self, text: str, level: str = "info") -> None:
        """A desktop notification from the tray icon (when it is shown)."""
        if not self.icon.isVisible():
            return
        kind = {"warning": QSystemTrayIcon.MessageIcon.Warning,
                "error": QSystemTrayIcon.MessageIcon.Critical}.get(
                    level, QSystemTrayIcon.MessageIcon.Information)
        self.icon.showMessage("vbg", text, kind, NOTIFY_MS)

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        # A left click toggles the preview, the usual tray-app convention.
        if reason == QSystemTrayIcon.ActivationReason.Trigger:
            self._perform(Action(PREVIEW, not self._preview_visible()))

    def close(self) -> None:
        self.icon.hide()
        self.menu.deleteLater()
