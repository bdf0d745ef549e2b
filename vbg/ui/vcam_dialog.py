"""The "no virtual camera" dialog: what to do on this OS, with Retry.

Non-modal: the preview keeps running behind it. The text is ``vbg.sinks.virtualcam``'s per-OS
help (the OutputError sentence); commands in it (between backticks) are shown as code and can
be copied with one click.
"""

from __future__ import annotations

import html
import re

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from vbg.ui.icons import line_icon

_CODE = re.compile(r"`([^`]+)`")


def commands_in(text: str) -> list[str]:
    """The shell commands quoted in backticks in a help text."""
    return _CODE.findall(text)


def to_html(text: str) -> str:
    """Help text → rich text: backticked commands in a code style, the rest escaped."""
    parts: list[str] = []
    last = 0
    for m in _CODE.finditer(text):
        parts.append(html.escape(text[last:m.start()]))
        parts.append("<code style='background:#14161a; color:#a5d6ff; padding:2px 4px;'>"
                     f"{html.escape(m.group(1))}</code>")
        last = m.end()
    parts.append(html.escape(text[last:]))
    return "".join(parts)


class VcamHelpDialog(QDialog):
    """``retry_requested`` when the user clicks Retry; :meth:`set_help` updates the text
    (a failed retry shows the new reason)."""

    retry_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("No virtual camera")
        self.setModal(False)
        self.setMinimumWidth(560)
        self.attempts = 0

        icon = QLabel()
        icon.setPixmap(line_icon("warning", "#f5a524").pixmap(40, 40))
        icon.setAlignment(Qt.AlignmentFlag.AlignTop)
        heading = QLabel("<b>Video apps can't see vbg yet</b><br>"
                         "The preview keeps working meanwhile; here is how to fix it:")
        heading.setWordWrap(True)
        self.body = QLabel()
        self.body.setWordWrap(True)
        self.body.setTextFormat(Qt.TextFormat.RichText)
        self.body.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status = QLabel()
        self.status.setStyleSheet("color: #9aa3b2;")

        text_col = QVBoxLayout()
        text_col.addWidget(heading)
        text_col.addWidget(self.body)
        text_col.addWidget(self.status)
        top = QHBoxLayout()
        top.addWidget(icon)
        top.addLayout(text_col, 1)

        self.buttons = QDialogButtonBox()
        self.copy_button = QPushButton("Copy commands")
        self.copy_button.clicked.connect(self.copy_commands)
        self.retry_button = self.buttons.addButton("Retry",
                                                   QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.retry_button.setDefault(True)
        # Retry must not close the dialog (``accepted`` stays unconnected): the shell closes
        # it once the virtual camera opened.
        self.retry_button.clicked.connect(self._retry)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 18, 18, 14)
        layout.setSpacing(14)
        layout.addLayout(top)
        layout.addWidget(self.buttons)
        self.help_text = ""

    def set_help(self, text: str) -> None:
        self.help_text = text
        self.body.setText(to_html(text))
        self.copy_button.setVisible(bool(commands_in(text)))
        if self.attempts:
            self.status.setText(f"Still not available (tried {self.attempts} time"
                                f"{'s' if self.attempts > 1 else ''}).")

    def copy_commands(self) -> None:
        QGuiApplication.clipboard().setText("\n".join(commands_in(self.help_text)))

    def _retry(self) -> None:
        self.attempts += 1
        self.status.setText("Trying again…")
        self.retry_requested.emit()
