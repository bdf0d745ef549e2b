"""The main window: live preview, controls, background picker, status bar.

Everything the user can do here is an :class:`~vbg.app.menu.Action` handed to ``perform``
(the shell dispatches it), the same as the tray's entries, so the window alone drives the app
where there is no system tray. Its menu bar is built from ``vbg.app.menu.prepare_menubar`` and
rebuilt each time a menu opens. The parts are built elsewhere and kept here, their widgets
as the window's attributes: the switches and the blur slider (:mod:`vbg.ui.main_controls`),
the status bar (:mod:`vbg.ui.status_bar`), the keys (:mod:`vbg.ui.main_keys`).

Keys (window-wide shortcuts, so they work whichever child has focus): b next colour, n / p
next / previous background, m mirror, a auto-framing, space pause (background only), f FPS
overlay, Ctrl+O cut out a photo, Ctrl+, settings, Ctrl+Q quit. The menu bar shows them as
hints only.
Dropping an image or video on the window makes it the background (copied into the
backgrounds folder).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSize, QTimer
from PySide6.QtGui import (
    QCloseEvent,
    QDragEnterEvent,
    QDragLeaveEvent,
    QDragMoveEvent,
    QDropEvent,
    QHideEvent,
    QShowEvent,
)
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMainWindow, QMenu, QVBoxLayout, QWidget

from vbg.app import backgrounds as bgs
from vbg.app.menu import (
    ADD_BACKGROUND,
    BACKGROUND,
    IMPORT_BACKGROUND,
    QUIT,
    REMOVE_BACKGROUND,
    Action,
    MenuState,
    prepare_menubar,
)
from vbg.app.status import icon_state, overlay_lines, status_line
from vbg.ui.controller import AppController
from vbg.ui.drops import dropped_files
from vbg.ui.icons import app_icon
from vbg.ui.main_controls import BlurSlider, ControlRow
from vbg.ui.main_keys import add_shortcuts
from vbg.ui.menus import populate
from vbg.ui.picker import BackgroundPicker
from vbg.ui.preview import PreviewView
from vbg.ui.status_bar import StatusBar
from vbg.ui.widgets import fit_to_screen

Perform = Callable[[Action], None]
OVERLAY_MS = 500
WINDOW_SIZE = QSize(1060, 800)  # the size the window opens at, where the screen has room


class MainWindow(QMainWindow):
    """See the module docstring. ``perform`` executes actions; ``quit_on_close``: closing
    the window quits the app (no tray) instead of hiding it."""

    def __init__(self, controller: AppController, perform: Perform,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self._perform = perform
        self.quit_on_close = True
        self.mask_view = False
        self.setWindowTitle("Virtual background")
        self._icon_state = "on"
        self.setWindowIcon(app_icon("on"))
        self.setAcceptDrops(True)

        self.preview = PreviewView(controller.session.latest_frame)
        self.picker = BackgroundPicker()
        self.picker.chosen.connect(lambda spec: self._perform(Action(BACKGROUND, spec)))
        self.picker.add_requested.connect(
            lambda: self._perform(Action(ADD_BACKGROUND)))
        self.picker.can_remove = lambda spec: bgs.removable(
            spec, controller.session.backgrounds_dir) is not None
        self.picker.remove_requested.connect(
            lambda spec: self._perform(Action(REMOVE_BACKGROUND, spec)))

        central = QWidget()
        outer = QVBoxLayout(central)
        outer.setContentsMargins(14, 12, 14, 8)
        outer.setSpacing(10)
        outer.addWidget(self.preview, 1)
        self.controls = ControlRow(self._perform)
        outer.addLayout(self.controls)
        c = self.controls
        self.on_button, self.pause_button, self.mirror_button = (
            c.on_button, c.pause_button, c.mirror_button)
        self.framing_button, self.mask_button, self.fps_button = (
            c.framing_button, c.mask_button, c.fps_button)
        self.stills_button, self.settings_button = c.stills_button, c.settings_button
        title = QLabel("BACKGROUND")
        title.setObjectName("sectionTitle")
        title_row = QHBoxLayout()
        title_row.addWidget(title)
        title_row.addStretch(1)
        self.blur = BlurSlider(title_row, self._perform)
        self.blur_label, self.blur_slider = self.blur.label, self.blur.slider
        outer.addLayout(title_row)
        outer.addWidget(self.picker)
        self.picker.setFixedHeight(2 * self.picker.gridSize().height() + 30)
        self.setCentralWidget(central)

        self._build_menubar()
        self.status_bar = StatusBar(self.statusBar(), self._perform)
        self.message_label = self.status_bar.message_label
        self.source_label, self.vcam_pill = self.status_bar.source_label, self.status_bar.vcam_pill
        self.shortcuts = add_shortcuts(self, controller.session, self._perform)
        self.fit_to_screen()

        self._overlay_timer = QTimer(self)
        self._overlay_timer.setInterval(OVERLAY_MS)
        self._overlay_timer.timeout.connect(self.refresh_overlay)
        self._overlay_timer.start()

        controller.changed.connect(self.refresh)  # (messages are routed here by the shell)
        self.refresh()

    # ----------------------------------------------------------------- building
    def fit_to_screen(self) -> None:
        """Open at :data:`WINDOW_SIZE`, but no larger than the screen's free area less a title
        bar (a 1366×768 laptop has ~700 px under its panel): the status bar, with the
        virtual-camera pill, must be on screen. The preview gives up the height."""
        fit_to_screen(self, WINDOW_SIZE)

    def _build_menubar(self) -> None:
        self._menus: list[QMenu] = []
        for index, top in enumerate(prepare_menubar(self._menu_state())):
            menu = self.menuBar().addMenu(top.text)
            menu.aboutToShow.connect(lambda i=index, m=menu: self._rebuild_menu(i, m))
            self._rebuild_menu(index, menu)
            self._menus.append(menu)

    def _rebuild_menu(self, index: int, menu: QMenu) -> None:
        if index == 1:
            self.controller.session.refresh_backgrounds()
        elif index == 2:
            self.controller.refresh_cameras()
        populate(menu, prepare_menubar(self._menu_state())[index].children, self._perform,
                 key_hints_as_text=True)

    def _menu_state(self) -> MenuState:
        return self.controller.session.menu_state(preview_visible=self.isVisible(),
                                                  mask_view=self.mask_view)

    def menu(self, title: str) -> QMenu:
        """The menu-bar menu called ``title`` (rebuilt first, as when it opens)."""
        for m in self._menus:
            if m.title().replace("&", "") == title:
                m.aboutToShow.emit()
                return m
        raise KeyError(title)

    # ----------------------------------------------------------------- state → widgets
    def refresh(self) -> None:
        """Make every control show the controller's state (on ``changed``)."""
        s = self.controller.session
        self.controls.show_state(s, self.mask_view)
        self.picker.set_choices(bgs.choices(s.backgrounds), s.background)
        self.blur.show_state(s.background)
        self.preview.show_overlay = s.settings.fps_overlay
        if not s.running:
            self.preview.badge = None
            # The button reads "Off" now, and there may be no tray: name what is on screen.
            self.preview.placeholder = "Off — click the power button below (or vbg ▸ On) to start"
        elif s.waiting_for:
            self.preview.badge = None
            self.preview.placeholder = f"Waiting for {s.waiting_for}…"
        else:
            self.preview.badge = "Paused — showing the background only" if s.paused else None
            self.preview.placeholder = "Starting…"
        self.status_bar.show_state(status_line(s.status()), s.vcam_device)
        state = icon_state(s.status())
        if state != self._icon_state:
            self._icon_state = state
            self.setWindowIcon(app_icon(state))
        self.preview.update()

    def refresh_overlay(self) -> None:
        pipe = self.controller.session.pipeline
        if pipe is None or not self.preview.show_overlay or not self.isVisible():
            return
        self.preview.overlay_lines = overlay_lines(pipe.stats(), self.preview.draw_rate.value())

    def set_mask_view(self, on: bool) -> None:
        self.mask_view = on
        self.mask_button.setChecked(on)
        session = self.controller.session
        self.preview.set_feed(session.latest_mask if on else session.latest_frame)

    def show_message(self, text: str, level: str = "info") -> None:
        """Show a sentence in the status bar (colour by level); it fades after a while."""
        self.status_bar.show_message(text, level)

    # ----------------------------------------------------------------- drag and drop
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # Qt override
        if event.mimeData().hasUrls() and dropped_files(event.mimeData().urls()):
            event.acceptProposedAction()
            self.preview.drop_hint = True
            self.preview.update()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:  # Qt override
        event.acceptProposedAction()

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:  # Qt override
        self.preview.drop_hint = False
        self.preview.update()

    def dropEvent(self, event: QDropEvent) -> None:  # Qt override
        self.preview.drop_hint = False
        self.preview.update()
        files = dropped_files(event.mimeData().urls()) if event.mimeData().hasUrls() else []
        if not files:
            event.ignore()
            return
        event.acceptProposedAction()
        self._perform(Action(IMPORT_BACKGROUND, str(files[0])))

    # ----------------------------------------------------------------- closing
    def closeEvent(self, event: QCloseEvent) -> None:  # Qt override
        if self.quit_on_close:
            event.accept()
            self._perform(Action(QUIT))
        else:
            event.accept()  # hidden; the tray keeps the app running

    def showEvent(self, event: QShowEvent) -> None:  # Qt override
        # A visible preview counts as someone watching (on-demand processing).
        self.controller.session.set_local_viewer(True)
        self.refresh()
        super().showEvent(event)

    def hideEvent(self, event: QHideEvent) -> None:  # Qt override
        self.controller.session.set_local_viewer(False)
        super().hideEvent(event)

