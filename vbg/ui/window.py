"""The main window: live preview, controls, background picker, status bar.

Everything the user can do here is an :class:`~vbg.app.menu.Action` handed to ``perform``
(the shell dispatches it), the same as the tray's entries, so the window alone drives the app
where there is no system tray. Its menu bar is built from ``vbg.app.menu.prepare_menubar`` and
rebuilt each time a menu opens.

Keys (window-wide shortcuts, so they work whichever child has focus): b next colour, n / p
next / previous background, m mirror, a auto-framing, space pause (background only), f FPS
overlay, Ctrl+O cut out a photo, Ctrl+, settings, Ctrl+Q quit. The menu bar shows them as
hints only.
Dropping an image or video on the window makes it the background (copied into the
backgrounds folder).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSize, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDragEnterEvent,
    QDragLeaveEvent,
    QDragMoveEvent,
    QDropEvent,
    QHideEvent,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMenu,
    QPushButton,
    QSizePolicy,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from vbg.app import backgrounds as bgs
from vbg.app.menu import (
    ADD_BACKGROUND,
    BACKGROUND,
    FPS_OVERLAY,
    FRAMING,
    IMPORT_BACKGROUND,
    MASK_VIEW,
    MESSAGES,
    MIRROR,
    PAUSE,
    QUIT,
    REMOVE_BACKGROUND,
    RUNNING,
    SETTINGS,
    STILLS,
    VCAM_HELP,
    Action,
    MenuState,
    prepare_menubar,
)
from vbg.app.status import icon_state, overlay_lines, status_line
from vbg.config import BackgroundConfig
from vbg.ui.controller import AppController
from vbg.ui.icons import app_icon, line_icon
from vbg.ui.menus import populate
from vbg.ui.picker import BackgroundPicker
from vbg.ui.preview import PreviewView

Perform = Callable[[Action], None]
OVERLAY_MS = 500
LEVEL_COLORS = {"info": "#9aa3b2", "warning": "#f5a524", "error": "#ff6b6b"}
MESSAGE_MS = {"info": 8000, "warning": 30000, "error": 60000}
WINDOW_SIZE = QSize(1060, 800)  # the size the window opens at, where the screen has room
TITLE_BAR_PX = 40  # the window manager's title bar, outside our geometry but on the screen


def dropped_files(urls: list[QUrl]) -> list[Path]:
    """The local files among dropped URLs that vbg can use as a background."""
    files = [Path(u.toLocalFile()) for u in urls if u.isLocalFile()]
    return [f for f in files if bgs.kind_of(f) is not None]


class StatusMessage(QLabel):
    """The status bar's message: one line, cut with "…" when it does not fit (``text()`` is
    always the whole sentence, also in the tooltip); a click opens the message log."""

    clicked = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setCursor(Qt.CursorShape.PointingHandCursor)

    def shown_text(self) -> str:
        """What fits: the text, or its start and "…"."""
        return self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight,
                                             self.contentsRect().width())

    def is_cut(self) -> bool:
        return self.shown_text() != self.text()

    def paintEvent(self, event: QPaintEvent) -> None:  # Qt override
        p = QPainter(self)
        self.style().drawItemText(
            p, self.contentsRect(), int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
            self.palette(), self.isEnabled(), self.shown_text(), self.foregroundRole())
        p.end()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # Qt override
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit()
        super().mouseReleaseEvent(event)


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
        outer.addLayout(self._build_controls())
        title = QLabel("BACKGROUND")
        title.setObjectName("sectionTitle")
        title_row = QHBoxLayout()
        title_row.addWidget(title)
        title_row.addStretch(1)
        self._build_blur_slider(title_row)
        outer.addLayout(title_row)
        outer.addWidget(self.picker)
        self.picker.setFixedHeight(2 * self.picker.gridSize().height() + 30)
        self.setCentralWidget(central)

        self._build_menubar()
        self._build_statusbar()
        self._build_shortcuts()
        self.fit_to_screen()

        self._overlay_timer = QTimer(self)
        self._overlay_timer.setInterval(OVERLAY_MS)
        self._overlay_timer.timeout.connect(self.refresh_overlay)
        self._overlay_timer.start()
        self._message_timer = QTimer(self)
        self._message_timer.setSingleShot(True)
        self._message_timer.timeout.connect(lambda: self.message_label.setText(""))

        controller.changed.connect(self.refresh)  # (messages are routed here by the shell)
        self.refresh()

    # ----------------------------------------------------------------- building
    def fit_to_screen(self) -> None:
        """Open at :data:`WINDOW_SIZE`, but no larger than the screen's free area less a title
        bar (a 1366×768 laptop has ~700 px under its panel): the status bar, with the
        virtual-camera pill, must be on screen. The preview gives up the height."""
        screen = self.screen()
        free = screen.availableGeometry() if screen is not None else None
        if free is None or free.isEmpty():
            self.resize(WINDOW_SIZE)
            return
        least = self.minimumSizeHint()
        self.resize(max(least.width(), min(WINDOW_SIZE.width(), free.width())),
                    max(least.height(), min(WINDOW_SIZE.height(),
                                            free.height() - TITLE_BAR_PX)))

    def _tool(self, icon: str, text: str, tip: str, on_click: Callable[[bool], object],
              checkable: bool = True) -> QToolButton:
        b = QToolButton()
        b.setIcon(line_icon(icon))
        b.setIconSize(QSize(18, 18))
        b.setText(text)
        b.setToolTip(tip)
        b.setCheckable(checkable)
        b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        b.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # space must reach the pause shortcut
        b.clicked.connect(on_click)
        return b

    def _build_controls(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.setSpacing(8)
        self.on_button = self._tool("power", "On", "Turn the virtual background on or off",
                                    lambda on: self._perform(Action(RUNNING, on)))
        self.pause_button = self._tool(
            "pause", "Pause", "Show the background only (space)",
            lambda on: self._perform(Action(PAUSE, on)))
        self.mirror_button = self._tool("mirror", "Mirror", "Flip left-right (m)",
                                        lambda on: self._perform(Action(MIRROR, on)))
        self.framing_button = self._tool("framing", "Framing",
                                         "Keep you framed: follow and zoom calmly (a)",
                                         lambda on: self._perform(Action(FRAMING, on)))
        self.mask_button = self._tool("mask", "Mask", "Show the mask the model sees",
                                      lambda on: self._perform(Action(MASK_VIEW, on)))
        self.fps_button = self._tool("gauge", "FPS", "FPS and timing overlay (f)",
                                     lambda on: self._perform(Action(FPS_OVERLAY, on)))
        for b in (self.on_button, self.pause_button, self.mirror_button, self.framing_button,
                  self.mask_button, self.fps_button):
            row.addWidget(b)
        row.addStretch(1)
        self.stills_button = self._tool("photo", "Cut out a photo or video…",
                                        "Cut the person out of a photo, or change the "
                                        "background of a video",
                                        lambda _checked: self._perform(Action(STILLS)),
                                        checkable=False)
        self.settings_button = self._tool("settings", "Settings…", "Camera, model, start-up",
                                          lambda _checked: self._perform(Action(SETTINGS)),
                                          checkable=False)
        row.addWidget(self.stills_button)
        row.addWidget(self.settings_button)
        return row

    def _build_blur_slider(self, row: QHBoxLayout) -> None:
        """The blur strength, 1-10 (the engine's levels; the tiles are two of them), shown
        while a blur is the background. Applied when let go (or per key step), not on every
        pixel of a drag."""
        self.blur_label = QLabel()
        self.blur_slider = QSlider(Qt.Orientation.Horizontal)
        self.blur_slider.setRange(1, 10)
        self.blur_slider.setPageStep(1)
        self.blur_slider.setTickPosition(QSlider.TickPosition.TicksBelow)
        self.blur_slider.setTickInterval(1)
        self.blur_slider.setTracking(False)
        self.blur_slider.setFixedWidth(180)
        self.blur_slider.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keys belong to the shortcuts
        self.blur_slider.setAccessibleName("Blur strength")
        self.blur_slider.setToolTip("How strongly the room behind you is blurred (1-10)")
        self.blur_label.setBuddy(self.blur_slider)
        self.blur_slider.sliderMoved.connect(self._show_blur_level)
        self.blur_slider.valueChanged.connect(self._show_blur_level)
        self.blur_slider.valueChanged.connect(
            lambda level: self._perform(Action(BACKGROUND, f"blur:{level}")))
        for w in (self.blur_label, self.blur_slider):
            policy = w.sizePolicy()
            policy.setRetainSizeWhenHidden(True)  # the picker doesn't jump when it hides
            w.setSizePolicy(policy)
            row.addWidget(w)

    def _show_blur_level(self, level: int) -> None:
        self.blur_label.setText(f"Blur strength {level}")

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

    def _build_statusbar(self) -> None:
        bar = self.statusBar()
        bar.setSizeGripEnabled(False)
        self.message_label = StatusMessage()
        self.message_label.clicked.connect(lambda: self._perform(Action(MESSAGES)))
        bar.addWidget(self.message_label, 1)
        self.source_label = QLabel()
        bar.addPermanentWidget(self.source_label)
        self.vcam_pill = QPushButton()
        self.vcam_pill.setObjectName("vcamPill")
        self.vcam_pill.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.vcam_pill.setCursor(Qt.CursorShape.PointingHandCursor)
        self.vcam_pill.clicked.connect(lambda: self._perform(Action(VCAM_HELP)))
        bar.addPermanentWidget(self.vcam_pill)

    def _shortcut(self, key: str, make: Callable[[], Action]) -> QAction:
        act = QAction(self)
        act.setShortcut(QKeySequence(key))
        act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        act.triggered.connect(lambda _=False: self._perform(make()))
        self.addAction(act)
        return act

    def _build_shortcuts(self) -> None:
        s = self.controller.session
        self.shortcuts = {
            "b": self._shortcut("B", lambda: Action(BACKGROUND, bgs.next_color(s.background))),
            "n": self._shortcut("N", lambda: Action(
                BACKGROUND, bgs.step(s.background, bgs.choices(s.backgrounds), 1))),
            "p": self._shortcut("P", lambda: Action(
                BACKGROUND, bgs.step(s.background, bgs.choices(s.backgrounds), -1))),
            "m": self._shortcut("M", lambda: Action(MIRROR, not s.config().output.mirror)),
            "a": self._shortcut("A", lambda: Action(
                FRAMING, s.config().output.framing != "auto")),
            "space": self._shortcut("Space", lambda: Action(PAUSE, not s.paused)),
            "f": self._shortcut("F", lambda: Action(FPS_OVERLAY, not s.settings.fps_overlay)),
            # The menu bar shows these keys as hints only (vbg.ui.menus.populate).
            "ctrl+o": self._shortcut("Ctrl+O", lambda: Action(STILLS)),
            "ctrl+,": self._shortcut("Ctrl+,", lambda: Action(SETTINGS)),
            "ctrl+q": self._shortcut("Ctrl+Q", lambda: Action(QUIT)),
        }

    # ----------------------------------------------------------------- state → widgets
    def refresh(self) -> None:
        """Make every control show the controller's state (on ``changed``)."""
        s = self.controller.session
        cfg = s.config()
        for button, value in ((self.on_button, s.running), (self.pause_button, s.paused),
                              (self.mirror_button, cfg.output.mirror),
                              (self.framing_button, cfg.output.framing == "auto"),
                              (self.mask_button, self.mask_view),
                              (self.fps_button, s.settings.fps_overlay)):
            button.setChecked(value)
        self.on_button.setText("On" if s.running else "Off")
        self.pause_button.setEnabled(s.running)
        self.picker.set_choices(bgs.choices(s.backgrounds), s.background)
        blur = BackgroundConfig.parse(s.background) if s.background.startswith("blur") else None
        for w in (self.blur_label, self.blur_slider):
            w.setVisible(blur is not None)
        if blur is not None and not self.blur_slider.isSliderDown():
            self.blur_slider.blockSignals(True)
            self.blur_slider.setValue(blur.blur_level)
            self.blur_slider.blockSignals(False)
            self._show_blur_level(blur.blur_level)
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
        self.source_label.setText(status_line(s.status()))
        on = s.vcam_device is not None
        self.vcam_pill.setText(f"●  Virtual camera: {s.vcam_device}" if on
                               else "●  Virtual camera off — set up")
        self.vcam_pill.setProperty("state", "on" if on else "off")
        self.vcam_pill.style().unpolish(self.vcam_pill)
        self.vcam_pill.style().polish(self.vcam_pill)
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
        """Show a sentence in the status bar (colour by level); it fades after a while. Cut
        to one line there; the tooltip and View → Messages… have it whole."""
        self.message_label.setText(text)
        self.message_label.setToolTip(f"{text}\n\n(Click for all messages.)")
        self.message_label.setStyleSheet(f"color: {LEVEL_COLORS.get(level, '#9aa3b2')};")
        self._message_timer.start(MESSAGE_MS.get(level, 8000))

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

