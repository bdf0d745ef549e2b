"""The virtual-camera dialog: what vbg found, the exact fix, and one-click setup on Linux.

Shows a :class:`~vbg.app.vcam.findings.Diagnosis` (the same as ``vbg doctor``): a headline, the
findings as a list (✓ fine, ! to fix, i worth knowing), each fix with its commands in a
copyable block. "Copy commands" copies only shell lines (file contents are ``sudo tee``
lines) and says "Copied". "Set up the virtual camera" (Linux, when the .deb's root-owned helper
is installed and can fix what was found) asks the shell to run it through pkexec.

Not modal, and never opened by itself at launch: the status bar's "Virtual camera off — set up"
pill and the tray menu open it. It runs nothing itself: :class:`DoctorRunner` runs the
diagnosis and the setup on a worker thread (pkexec waits for a password; ``journalctl`` may be
slow) and hands the results back on the Qt thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, QPoint, QRect, Qt, QTimer, Signal, SignalInstance
from PySide6.QtGui import (
    QFontDatabase,
    QGuiApplication,
    QShowEvent,
    QTextBlockFormat,
    QTextCursor,
)
from PySide6.QtWidgets import (
    QDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from vbg.app.vcam.findings import NOTE, OK, PROBLEM, Diagnosis
from vbg.app.vcam.setup import SetupOutcome
from vbg.ui.bridge import MainThreadBridge
from vbg.ui.icons import app_icon, line_icon
from vbg.ui.theme import MUTED, PANEL, TEXT, WARN
from vbg.ui.theme import OK as OK_COLOR
from vbg.ui.widgets import TITLE_BAR_PX

COPIED_MS = 2500
_MARKS = {OK: ("✓", OK_COLOR), PROBLEM: ("!", WARN), NOTE: ("i", "#7aa7ff")}


def _bracketed_tail(text: str) -> str | None:
    """The inside of the bracketed part that ends ``text`` (``"advice [reason]"`` → ``reason``),
    brackets inside it included (pyvirtualcam says ``/dev/video[0-99]``); None if it has none."""
    text = text.rstrip()
    if not text.endswith("]"):
        return None
    depth = 0
    for i in range(len(text) - 1, -1, -1):
        depth += {"]": 1, "[": -1}.get(text[i], 0)
        if depth == 0:
            return text[i + 1:-1].strip() or None
    return None


class DoctorRunner(QObject):
    """Runs ``diagnose(load_error)`` and ``setup(diagnosis)`` on a worker thread, one at a time;
    ``diagnosed`` / ``setup_finished`` carry the result on the Qt thread."""

    diagnosed = Signal(object)
    setup_finished = Signal(object)

    def __init__(self, diagnose: Callable[[str], Diagnosis],
                 setup: Callable[[Diagnosis], SetupOutcome],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._diagnose, self._setup = diagnose, setup
        self._bridge = MainThreadBridge(self)
        self.busy = False

    def _spawn(self, work: Callable[[], object], done: SignalInstance) -> bool:
        if self.busy:
            return False
        self.busy = True

        def body() -> None:
            result = work()

            def deliver() -> None:
                self.busy = False
                done.emit(result)
            self._bridge.call(deliver)

        threading.Thread(target=body, name="vbg-doctor", daemon=True).start()
        return True

    def check(self, load_error: str = "") -> bool:
        """Start a diagnosis (False: one is already running)."""
        return self._spawn(lambda: self._diagnose(load_error), self.diagnosed)

    def set_up(self, diagnosis: Diagnosis) -> bool:
        """Start the setup helper (False: something is already running)."""
        return self._spawn(lambda: self._setup(diagnosis), self.setup_finished)


def _label(text: str = "", *, muted: bool = False, rich: bool = False) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.RichText if rich else Qt.TextFormat.PlainText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if muted:
        label.setStyleSheet(f"color: {MUTED};")
    return label


class CommandBlock(QTextEdit):
    """Shell commands in a read-only, selectable monospace block: one paragraph per command
    (a long one wraps inside its paragraph), sized to show them all."""

    refitted = Signal()  # its height changed: the dialog fits itself again

    def __init__(self, commands: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("vcamCommands")
        self.setReadOnly(True)
        self.setAcceptRichText(False)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.setStyleSheet("QTextEdit#vcamCommands { background: #14161a; color: #a5d6ff; "
                           "border: 1px solid #3b414c; border-radius: 6px; padding: 2px; }")
        self.commands = list(commands)
        self.setPlainText("\n".join(self.commands))
        gap = QTextBlockFormat()
        gap.setBottomMargin(4)
        cursor = QTextCursor(self.document())
        cursor.select(QTextCursor.SelectionType.Document)
        cursor.mergeBlockFormat(gap)
        self.document().setDocumentMargin(6)

    def _fit(self) -> None:
        self.document().setTextWidth(self.viewport().width())
        height = int(self.document().size().height()) + 2 * self.frameWidth() + 6
        if height != self.height():
            self.setFixedHeight(height)
            self.refitted.emit()

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._fit()

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        self._fit()


class VcamDialog(QDialog):
    """See the module docstring. ``check_requested``: "Check again"; ``setup_requested``:
    "Set up the virtual camera". :meth:`set_diagnosis`, :meth:`set_outcome`,
    :meth:`set_busy` and :meth:`set_app_error` update it."""

    check_requested = Signal()
    setup_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Virtual camera")
        self.setModal(False)
        self.setMinimumWidth(620)
        self.diagnosis: Diagnosis | None = None
        self.commands: list[str] = []
        self._placed: QPoint | None = None  # where place() put it last

        self.icon = QLabel()
        self.icon.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.headline = _label()
        self.headline.setStyleSheet("font-size: 15px; font-weight: 600;")
        self.subline = _label(muted=True)
        head_text = QVBoxLayout()
        head_text.setSpacing(2)
        head_text.addWidget(self.headline)
        head_text.addWidget(self.subline)
        head = QHBoxLayout()
        head.addWidget(self.icon)
        head.addLayout(head_text, 1)

        self.findings_box = QWidget()
        self.findings_box.setObjectName("vcamFindings")
        self.findings_box.setStyleSheet(
            f"QWidget#vcamFindings {{ background: {PANEL}; border-radius: 8px; }}")
        self.findings = QGridLayout(self.findings_box)
        self.findings.setContentsMargins(12, 10, 12, 10)
        self.findings.setHorizontalSpacing(10)
        self.findings.setVerticalSpacing(6)
        self.findings.setColumnStretch(1, 1)
        self.finding_labels: list[QLabel] = []

        self.helper_note = _label(muted=True)
        self.outcome = _label()
        self.app_error = _label(muted=True)
        self.status = _label(muted=True)

        self.setup_button = QPushButton("Set up the virtual camera")
        self.setup_button.setDefault(True)
        self.setup_button.clicked.connect(self.setup_requested.emit)
        self.copy_button = QPushButton("Copy commands")
        self.copy_button.clicked.connect(self.copy_commands)
        self.check_button = QPushButton("Check again")
        self.check_button.clicked.connect(self.check_requested.emit)
        self.close_button = QPushButton("Close")
        self.close_button.clicked.connect(self.close)
        buttons = QHBoxLayout()
        buttons.addWidget(self.status, 1)
        for b in (self.setup_button, self.copy_button, self.check_button, self.close_button):
            buttons.addWidget(b)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 18, 18, 14)
        layout.setSpacing(10)
        layout.addLayout(head)
        layout.addWidget(self.findings_box)
        layout.addWidget(self.helper_note)
        layout.addWidget(self.outcome)
        layout.addWidget(self.app_error)
        layout.addStretch(1)
        layout.addLayout(buttons)
        self._copied_timer = QTimer(self)
        self._copied_timer.setSingleShot(True)
        self._copied_timer.timeout.connect(self._copied_done)
        self.outcome.setVisible(False)
        self.app_error.setVisible(False)
        self.set_busy("Checking the virtual camera…")

    # ----------------------------------------------------------------- updates
    def set_busy(self, text: str) -> None:
        """A diagnosis or the setup is running: say so, and hold the action buttons."""
        self.status.setText(text)
        for b in (self.setup_button, self.check_button):
            b.setEnabled(False)
        if self.diagnosis is None:
            self.headline.setText("Checking the virtual camera…")
            self.icon.setPixmap(app_icon("off").pixmap(40, 40))
            for w in (self.findings_box, self.copy_button, self.setup_button, self.helper_note):
                w.setVisible(False)

    def set_diagnosis(self, d: Diagnosis) -> None:
        self.diagnosis = d
        works = d.exit_code == 0
        self.icon.setPixmap((app_icon("on") if works else line_icon("warning", WARN))
                            .pixmap(40, 40))
        n = len(d.problems)
        self.headline.setText("The virtual camera works" if works else
                              "Video apps can't see vbg yet")
        usable = [dev for dev in d.devices if not dev.busy and dev.writable]
        pipewire = any(f.check == "pipewire" and f.status == OK for f in d.findings)
        pick = (f"“{usable[0].label or usable[0].path}”" if usable else "“vbg”" if pipewire
                else "the OBS Virtual Camera")
        self.subline.setText(
            f"Pick {pick} as the camera in your video app." if works else
            f"{n} thing{'s' if n != 1 else ''} to fix, below. The preview keeps working "
            "meanwhile.")
        self._fill_findings(d)
        self.commands = d.commands
        self.copy_button.setVisible(bool(self.commands))
        can_setup = d.setup is not None and d.helper is not None
        self.setup_button.setVisible(can_setup)
        self.setup_button.setEnabled(can_setup)
        # Enter does the obvious next step (the buttons were disabled while checking).
        (self.setup_button if can_setup else
         self.copy_button if self.commands else self.close_button).setFocus()
        self.helper_note.setVisible(d.setup is not None and d.helper is None)
        if d.setup is not None and d.helper is None:
            self.helper_note.setText(f"{d.helper_note}, so it can't set the camera up for you: "
                                     "run the commands above in a terminal.")
        self.check_button.setEnabled(True)
        self.status.setText("")
        self._schedule_fit()

    def _schedule_fit(self) -> None:
        QTimer.singleShot(0, self._fit_height)

    def _fit_height(self) -> None:
        """As tall as the content at the current width (wrapped labels make Qt's own guess
        too tall or too short)."""
        layout = self.layout()
        if layout is None:
            return
        layout.activate()
        height = layout.totalHeightForWidth(self.width()) if layout.hasHeightForWidth() \
            else layout.totalSizeHint().height()
        self.resize(self.width(), max(height, layout.totalMinimumSize().height()))
        if self._placed is None or self.pos() == self._placed:  # not moved by the user
            self.place()

    def showEvent(self, event: QShowEvent) -> None:  # Qt override
        super().showEvent(event)
        if self._placed is None:
            self.place()

    def place(self) -> None:
        """Centre the dialog on its parent window (the screen when it has none or that is
        hidden), its title bar on the screen's free area: some window managers took Qt's
        first guess as 0,0 and put the title bar above the screen. Called on the first show
        and each time the content changes its height, until the user moves it."""
        parent = self.parentWidget()
        screen = (parent.screen() if parent is not None else None) or self.screen()
        free = screen.availableGeometry() if screen is not None else QRect()
        frame = self.frameGeometry()
        extra_w = frame.width() - self.width()
        extra_h = frame.height() - self.height()
        if extra_h <= 0:  # not mapped yet: the usual title bar, as QDialog guesses it
            extra_w, extra_h = 0, TITLE_BAR_PX
        w, h = self.width() + extra_w, self.height() + extra_h
        over = (parent.window().frameGeometry() if parent is not None
                and parent.window().isVisible() else free)
        x, y = over.center().x() - w // 2, over.center().y() - h // 2
        if not free.isEmpty():
            x = max(free.left(), min(x, free.right() + 1 - w))
            y = max(free.top(), min(y, free.bottom() + 1 - h))
        self.move(x, y)
        self._placed = self.pos()

    def set_outcome(self, o: SetupOutcome) -> None:
        """The setup's result, kept until the next setup (the diagnosis follows it)."""
        color = OK_COLOR if o.ok else WARN
        self.outcome.setStyleSheet(f"color: {color};")
        self.outcome.setText(o.message)
        self.outcome.setVisible(True)

    def set_app_error(self, text: str | None) -> None:
        """What vbg's last attempt to open the virtual camera said: pyvirtualcam's own words
        (the bracketed part of the OutputError sentence), for support requests; the advice
        around them is the findings' job."""
        if text:
            text = _bracketed_tail(text) or text
        self.app_error.setText(f"Details of vbg's last try: {text}" if text else "")
        self.app_error.setVisible(bool(text))

    # ----------------------------------------------------------------- parts
    def _fill_findings(self, d: Diagnosis) -> None:
        while self.findings.count():
            item = self.findings.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.finding_labels = []
        self.command_blocks: list[CommandBlock] = []
        row = 0
        for f in d.findings:
            glyph, color = _MARKS[f.status]
            mark = QLabel(glyph)
            mark.setFixedWidth(18)
            mark.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignHCenter)
            mark.setStyleSheet(f"color: {color}; font-weight: 700;")
            text = _label(f.text + (f"\n{f.fix}" if f.fix and f.status != OK else ""))
            text.setStyleSheet(f"color: {TEXT if f.status != OK else MUTED};")
            self.findings.addWidget(mark, row, 0, Qt.AlignmentFlag.AlignTop)
            self.findings.addWidget(text, row, 1, Qt.AlignmentFlag.AlignTop)
            self.finding_labels.append(text)
            row += 1
            if f.commands and f.status != OK:
                block = CommandBlock(list(f.commands))
                block.refitted.connect(self._schedule_fit, Qt.ConnectionType.QueuedConnection)
                self.findings.addWidget(block, row, 1)
                self.command_blocks.append(block)
                row += 1
        self.findings_box.setVisible(bool(d.findings))

    def copy_commands(self) -> None:
        """Put the commands on the clipboard, one per line, and say so for a moment."""
        QGuiApplication.clipboard().setText("\n".join(self.commands) + "\n")
        n = len(self.commands)
        self.copy_button.setText("Copied ✓")
        self.status.setText("Copied 1 command: paste it into a terminal." if n == 1 else
                            f"Copied {n} commands: paste them into a terminal.")
        self._copied_timer.start(COPIED_MS)

    def _copied_done(self) -> None:
        self.copy_button.setText("Copy commands")
        if self.status.text().startswith("Copied"):
            self.status.setText("")
