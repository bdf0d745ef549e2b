"""``run_app``: the desktop app's entry point (``vbg`` without a command).

Builds the QApplication, the controller (settings from the user's config folder, the command
line's options on top), the shell (window, tray, dialogs), and runs the event loop until Quit.
"""

from __future__ import annotations

import logging
import os
import signal
import sys

import PySide6
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from vbg import __version__
from vbg.app.backgrounds import user_backgrounds_dir
from vbg.app.settings import SettingsStore, settings_path
from vbg.config import AppConfig
from vbg.errors import VbgError
from vbg.ui.controller import AppController
from vbg.ui.icons import app_icon
from vbg.ui.shell import AppShell
from vbg.ui.single_instance import BROUGHT_UP, claim, server_name
from vbg.ui.theme import apply_theme

log = logging.getLogger(__name__)


class NoDisplayError(VbgError):
    """There is no screen to show the app on."""


def _check_display() -> None:
    """Qt aborts the process (no exception) when it can't reach a display; say it nicely
    before that can happen."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        raise NoDisplayError(
            "No display found (DISPLAY and WAYLAND_DISPLAY are unset); use `vbg run` for the "
            "headless mode, or start vbg from your desktop session."
        )


def pyside_version() -> str:
    """The PySide6 version, for reports (only vbg.ui may import Qt)."""
    return str(PySide6.__version__)


def make_application() -> QApplication:
    """The QApplication (reused if one exists), themed, not quitting when the window closes
    (the tray keeps the app alive; Quit ends it)."""
    app = QApplication.instance()
    if app is None:
        app = QApplication(["vbg"])  # not sys.argv: vbg's options are not Qt's
    if not isinstance(app, QApplication):
        raise RuntimeError("a non-widget Qt application already exists; vbg needs QApplication")
    app.setApplicationName("vbg")
    app.setApplicationDisplayName("vbg")  # X11/Windows title bars read "<title> — vbg"
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("vbg")
    app.setWindowIcon(app_icon("on"))
    app.setQuitOnLastWindowClosed(False)
    apply_theme(app)
    return app


def _log_unhandled(exc_type, exc, tb) -> None:  # sys.excepthook signature
    # An exception escaping a Qt slot is a bug: log it with its traceback instead of letting
    # it vanish in PySide's stderr print; the app carries on.
    log.error("unexpected error", exc_info=(exc_type, exc, tb))


def run_app(config: AppConfig, verbose: bool = False, tray: bool = False) -> int:
    """Run the desktop app with ``config`` from the command line; returns the exit status.

    Raises ``VbgError`` (a sentence) when there is no display. Settings are read from
    ``vbg.app.settings.settings_path()``; options given on the command line win for this run
    without being saved. ``verbose`` is part of the CLI's contract; the CLI already set the
    log level from it, and the app logs through ``logging`` only. ``tray`` (``vbg --tray``,
    what autostart runs): start in the tray without a window.

    One app per user (:mod:`vbg.ui.single_instance`): when one is running already, its window
    is brought up, one line says so on stderr, and this returns 0 (1 when it did not answer).
    """
    _check_display()
    app = make_application()
    instance = claim(server_name(str(settings_path())))
    if isinstance(instance, str):
        print(instance, file=sys.stderr)
        return 0 if instance == BROUGHT_UP else 1
    sys.excepthook = _log_unhandled
    controller = AppController(config, SettingsStore(settings_path()), user_backgrounds_dir())
    shell = AppShell(controller)
    instance.show_requested.connect(lambda: shell.set_preview_visible(True))
    # Ctrl+C in the terminal: Python only sees signals while it runs, so wake it regularly.
    signal.signal(signal.SIGINT, lambda *_: shell.quit())
    wake = QTimer()
    wake.timeout.connect(lambda: None)
    wake.start(250)
    QTimer.singleShot(0, lambda: shell.start(in_tray=tray))
    try:
        return app.exec()
    finally:
        wake.stop()
        instance.close()
        controller.shutdown()
