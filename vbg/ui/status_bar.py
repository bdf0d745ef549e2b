"""The main window's status bar: the latest message (coloured by its level, fading after a
while, cut to one line; a click opens the message log), what is running, and the
virtual-camera pill (a click opens its set-up help)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QMouseEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import QLabel, QPushButton, QSizePolicy, QStatusBar

from vbg.app.menu import MESSAGES, VCAM_HELP, Action

LEVEL_COLORS = {"info": "#9aa3b2", "warning": "#f5a524", "error": "#ff6b6b"}
MESSAGE_MS = {"info": 8000, "warning": 30000, "error": 60000}


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


class StatusBar:
    """Fills ``bar``: the message, the source line and the pill; ``perform`` runs what a
    click on the message or the pill asks for."""

    def __init__(self, bar: QStatusBar, perform: Callable[[Action], None]) -> None:
        bar.setSizeGripEnabled(False)
        self.message_label = StatusMessage()
        self.message_label.clicked.connect(lambda: perform(Action(MESSAGES)))
        bar.addWidget(self.message_label, 1)
        self.source_label = QLabel()
        bar.addPermanentWidget(self.source_label)
        self.vcam_pill = QPushButton()
        self.vcam_pill.setObjectName("vcamPill")
        self.vcam_pill.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.vcam_pill.setCursor(Qt.CursorShape.PointingHandCursor)
        self.vcam_pill.clicked.connect(lambda: perform(Action(VCAM_HELP)))
        bar.addPermanentWidget(self.vcam_pill)
        self._message_timer = QTimer(bar)
        self._message_timer.setSingleShot(True)
        self._message_timer.timeout.connect(lambda: self.message_label.setText(""))

    def show_message(self, text: str, level: str = "info") -> None:
        """Show a sentence (colour by level); it fades after a while. Cut to one line; the
        tooltip and View → Messages… have it whole."""
        self.message_label.setText(text)
        self.message_label.setToolTip(f"{text}\n\n(Click for all messages.)")
        self.message_label.setStyleSheet(f"color: {LEVEL_COLORS.get(level, '#9aa3b2')};")
        self._message_timer.start(MESSAGE_MS.get(level, 8000))

    def show_state(self, source: str, vcam_device: str | None) -> None:
        """The source line, and the pill on (with its device) or off (offering set-up)."""
        self.source_label.setText(source)
        on = vcam_device is not None
        self.vcam_pill.setText(f"●  Virtual camera: {vcam_device}" if on
                               else "●  Virtual camera off — set up")
        self.vcam_pill.setProperty("state", "on" if on else "off")
        self.vcam_pill.style().unpolish(self.vcam_pill)
        self.vcam_pill.style().polish(self.vcam_pill)
