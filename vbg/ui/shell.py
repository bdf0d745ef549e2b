"""The shell: owns the windows, the tray and the dialogs, and dispatches every Action.

The tray menu, the window's menu bar, its buttons, keys, picker and drops all produce
:class:`~vbg.app.menu.Action` values; :meth:`AppShell.perform` is the one place that maps a verb
to what happens (mostly a controller call). Messages from the controller go to the status bar
and, when the window is hidden and a tray is shown, to a tray notification.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox, QSystemTrayIcon

from vbg.app import autostart, menu
from vbg.app.menu import Action
from vbg.app.messages import Level, MessageLog
from vbg.app.settings import Settings
from vbg.app.vcam import doctor as vcam_doctor
from vbg.app.vcam import setup as vcam_setup
from vbg.config import BackgroundConfig
from vbg.errors import VbgError
from vbg.imaging import IMAGE_EXTENSIONS, VIDEO_EXTENSIONS
from vbg.ui.controller import AppController
from vbg.ui.files import pictures_dir
from vbg.ui.messages_dialog import MessagesDialog
from vbg.ui.settings_dialog import SettingsDialog
from vbg.ui.stills_window import StillsWindow
from vbg.ui.tray import Tray
from vbg.ui.vcam_flow import VcamFlow
from vbg.ui.window import MainWindow

log = logging.getLogger(__name__)

MEDIA_FILTER = "Images and videos (" + " ".join(
    f"*{e}" for e in sorted(IMAGE_EXTENSIONS | VIDEO_EXTENSIONS)) + ")"


class AppShell(QObject):
    """See the module docstring.

    ``tray_available``: None asks ``QSystemTrayIcon.isSystemTrayAvailable()``. ``open_url``,
    ``ask_open_media`` and ``autostart_entry`` are seams for tests (no desktop, no real
    autostart folder). ``on_quit`` is called after everything stopped (the app's event loop
    exit). ``diagnose_vcam(load_error)`` / ``setup_vcam(diagnosis)``: the virtual-camera
    diagnosis and one-click setup, handed to :class:`~vbg.ui.vcam_flow.VcamFlow` (default:
    :mod:`vbg.app.vcam.doctor` on this machine; tests pass a fake root and command runner).
    """

    TRAY_WAIT_S = 30.0  # at login the panel's tray may appear after vbg starts

    def __init__(self, controller: AppController, *, tray_available: bool | None = None,
                 open_url: Callable[[QUrl], object] = QDesktopServices.openUrl,
                 autostart_entry: Callable[[], autostart.AutostartEntry] =
                 autostart.current_entry,
                 on_quit: Callable[[], object] | None = None,
                 stills_factory: Callable[[], StillsWindow] | None = None,
                 diagnose_vcam: Callable[[str], vcam_doctor.Diagnosis] | None = None,
                 setup_vcam: Callable[[vcam_doctor.Diagnosis], vcam_setup.SetupOutcome]
                 | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self._open_url = open_url
        self._autostart_entry = autostart_entry
        self._on_quit = on_quit or (lambda: QApplication.instance().quit())  # type: ignore[union-attr]
        self._stills_factory = stills_factory or (
            lambda: StillsWindow(model=controller.session.settings.model))
        self.ask_open_media: Callable[[], str] = lambda: QFileDialog.getOpenFileName(
            self.window, "Add a background", str(pictures_dir()), MEDIA_FILTER)[0]
        # Asks before a file is deleted (a seam: tests answer it).
        self.confirm: Callable[[str, str], bool] = self._ask_yes_no
        self.window = MainWindow(controller, self.perform)
        self.tray = Tray(controller, self.perform, self.window.isVisible, self)
        if tray_available is None:
            tray_available = QSystemTrayIcon.isSystemTrayAvailable()
        self.tray_available = tray_available
        self.tray_probe: Callable[[], bool] = QSystemTrayIcon.isSystemTrayAvailable
        self.window.quit_on_close = not tray_available
        # The virtual-camera dialog and its diagnosis/setup (it listens to the controller).
        self.vcam = VcamFlow(controller, self.window, self._notify, diagnose_vcam, setup_vcam,
                             self)
        self.settings_dialog: SettingsDialog | None = None
        self.messages_dialog: MessagesDialog | None = None
        self.messages = MessageLog()  # everything shown, for View → Messages…
        self.stills: StillsWindow | None = None
        self.quitting = False
        controller.message.connect(self._notify)
        self._handlers: dict[str, Callable[[object], object]] = {
            menu.RUNNING: lambda on: controller.set_running(bool(on)),
            menu.PAUSE: lambda on: controller.session.set_paused(bool(on)),
            menu.BACKGROUND: lambda spec: controller.session.set_background(str(spec)),
            menu.ADD_BACKGROUND: lambda _: self.add_background(),
            menu.IMPORT_BACKGROUND: lambda path: controller.session.library.import_file(str(path)),
            menu.REMOVE_BACKGROUND: lambda spec: self.remove_background(str(spec)),
            menu.OPEN_BACKGROUNDS: lambda _: self.open_folder(controller.session.backgrounds_dir),
            menu.CAMERA: lambda arg: controller.session.set_camera(*arg),  # type: ignore[misc]
            menu.MODEL: lambda key: controller.session.set_model(str(key)),
            menu.OPEN_MODELS: lambda _: self.open_models_folder(),
            menu.MIRROR: lambda on: controller.session.set_mirror(bool(on)),
            menu.FRAMING: lambda on: controller.session.set_framing(bool(on)),
            menu.LIGHT: lambda on: controller.session.set_light(bool(on)),
            menu.PREVIEW: lambda on: self.set_preview_visible(bool(on)),
            menu.MASK_VIEW: lambda on: self.window.set_mask_view(bool(on)),
            menu.FPS_OVERLAY: lambda on: controller.session.change(fps_overlay=bool(on)),
            menu.STILLS: lambda _: self.show_stills(),
            menu.SETTINGS: lambda _: self.show_settings(),
            menu.VCAM_HELP: lambda _: self.vcam.show_vcam_help(None),
            menu.MESSAGES: lambda _: self.show_messages(),
            menu.QUIT: lambda _: self.quit(),
        }

    # ----------------------------------------------------------------- startup
    def start(self, show_window: bool | None = None, in_tray: bool = False) -> None:
        """Show the tray (where there is one) and the window (unless the user asked to start
        hidden and a tray can bring it back), then turn the pipeline on.

        ``in_tray`` (``vbg --tray``, what autostart runs): no window. Where no tray is there
        yet (the desktop's panel may start after vbg at login) it waits up to
        :attr:`TRAY_WAIT_S` for one, then shows the window so the app is never invisible."""
        if in_tray:
            show_window = False
            if not self.tray_available:
                self._wait_for_tray(self.TRAY_WAIT_S)
        if self.tray_available:
            self.tray.show()
        if show_window is None:
            show_window = not (self.tray_available
                               and self.controller.session.settings.start_hidden)
        if show_window:
            self.window.show()
        if self.controller.session.in_force.load_warning:
            self._notify(self.controller.session.in_force.load_warning, "warning")
        self.controller.start()

    def _wait_for_tray(self, seconds: float) -> None:
        timer = QTimer(self)
        timer.setInterval(500)
        left = [int(seconds * 2)]

        def poll() -> None:
            if self.quitting:
                timer.stop()
            elif self.tray_probe():
                timer.stop()
                self.tray_available = True
                self.window.quit_on_close = False
                self.tray.show()
                log.info("tray: found after start-up; vbg lives there")
            else:
                left[0] -= 1
                if left[0] <= 0:
                    timer.stop()
                    log.info("tray: none found, showing the window instead")
                    self.window.show()

        timer.timeout.connect(poll)
        timer.start()
        self._tray_timer = timer

    # ----------------------------------------------------------------- dispatch
    def perform(self, action: Action) -> None:
        """Do what ``action`` says; a VbgError is shown, never raised into Qt."""
        handler = self._handlers.get(action.verb)
        if handler is None:
            log.error("no handler for action %r", action)
            return
        try:
            handler(action.arg)
        except VbgError as exc:
            self._notify(str(exc), "error")

    # ----------------------------------------------------------------- verbs
    def set_preview_visible(self, visible: bool) -> None:
        if visible:
            self.window.show()
            self.window.raise_()
            self.window.activateWindow()
        else:
            self.window.hide()

    def add_background(self) -> None:
        path = self.ask_open_media()
        if path:
            self.controller.session.library.import_file(path)

    def remove_background(self, spec: str) -> bool:
        """The picker's "Remove": ask, then delete the added file (the controller's job)."""
        path = Path(spec.partition(":")[2])
        if not self.confirm("Remove background",
                            f"Remove “{path.name}” from your backgrounds?\n\nThe file is "
                            f"deleted from {path.parent}."):
            return False
        return self.controller.session.library.remove(spec)

    def _ask_yes_no(self, title: str, text: str) -> bool:
        box = QMessageBox(QMessageBox.Icon.Question, title, text,
                          QMessageBox.StandardButton.Cancel, self.window)
        remove = box.addButton("Remove", QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        return box.clickedButton() is remove

    def open_folder(self, folder: Path) -> None:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            self._notify(f"Could not create {folder} ({exc.strerror}).", "error")
            return
        if not self._open_url(QUrl.fromLocalFile(str(folder))):
            self._notify(f"Could not open a file manager; the folder is {folder}.", "warning")

    def open_models_folder(self) -> None:
        from vbg.matting.registry import user_models_dir

        self.open_folder(user_models_dir())

    def show_stills(self) -> StillsWindow:
        if self.stills is None:
            self.stills = self._stills_factory()
            self.stills.video_background_of = self._chosen_background
        self.stills.show()
        self.stills.raise_()
        return self.stills

    def _chosen_background(self) -> BackgroundConfig:
        """The main window's background, for videos made in the cut-out window."""
        try:
            return BackgroundConfig.parse(self.controller.session.background)
        except ValueError:
            return BackgroundConfig()

    def show_settings(self) -> SettingsDialog:
        """Open the settings dialog; OK applies (and saves) what changed."""
        s = self.controller.session
        # Show whether start-at-login is really in place (the user may have removed it).
        shown = replace(s.settings, autostart=self._autostart_in_place(s.settings.autostart))
        dialog = SettingsDialog(shown, s.cameras, s.models, s.in_force.store.path, self.window)
        self.settings_dialog = dialog
        dialog.accepted.connect(lambda: self.apply_settings(dialog.result_settings()))
        dialog.open()
        return dialog

    def _autostart_in_place(self, fallback: bool) -> bool:
        try:
            return autostart.autostart_enabled(self._autostart_entry())
        except (VbgError, OSError):
            return fallback

    def apply_settings(self, new: Settings) -> None:
        """Apply the dialog's settings; start-at-login is switched here (it is not the
        engine's business), and stays as it was when switching fails."""
        old_autostart = self._autostart_in_place(self.controller.session.settings.autostart)
        if new.autostart != old_autostart:
            try:
                autostart.set_autostart(new.autostart, self._autostart_entry())
            except VbgError as exc:
                self._notify(str(exc), "error")
                new = replace(new, autostart=old_autostart)
        self.controller.session.apply_settings(new)

    # ----------------------------------------------------------------- messages
    def show_messages(self) -> MessagesDialog:
        """View → Messages… (or a click on the status bar's message): the whole log."""
        if self.messages_dialog is None:
            self.messages_dialog = MessagesDialog(self.messages, self.window)
        self.messages_dialog.refresh()
        self.messages_dialog.show()
        self.messages_dialog.raise_()
        return self.messages_dialog

    def _notify(self, text: str, level: Level) -> None:
        self.messages.add(text, level)
        if self.messages_dialog is not None and self.messages_dialog.isVisible():
            self.messages_dialog.refresh()
        self.window.show_message(text, level)
        if not self.window.isVisible():
            self.tray.notify(text, level)

    # ----------------------------------------------------------------- quitting
    def quit(self) -> None:
        """Stop the pipeline, close every window, hide the tray, leave the event loop."""
        if self.quitting:
            return
        self.quitting = True
        self.controller.shutdown()
        for w in (self.vcam.dialog, self.settings_dialog, self.messages_dialog, self.stills):
            if w is not None:
                w.close()
        self.window.quit_on_close = False
        self.window.close()
        self.tray.close()
        self._on_quit()
