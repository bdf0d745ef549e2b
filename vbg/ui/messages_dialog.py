"""View → Messages…: every message vbg showed, whole, newest last, selectable for copying.

The status bar shows one line and clears it after a while; this is where a long sentence can
be read in full later. Non-modal; it follows the log while open.
"""

from __future__ import annotations

from PySide6.QtGui import QKeySequence, QShortcut, QTextCursor
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from vbg.app.messages import MessageLog


class MessagesDialog(QDialog):
    """Shows ``log``; call :meth:`refresh` when it grew."""

    def __init__(self, log: MessageLog, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Messages — vbg")
        self.setModal(False)
        self.resize(640, 360)
        self._log = log
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.text.setPlaceholderText("No messages yet.")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 14, 14, 12)
        layout.addWidget(self.text, 1)
        layout.addWidget(buttons)
        QShortcut(QKeySequence("Ctrl+W"), self, self.reject)  # Esc: QDialog's own
        self.refresh()

    def refresh(self) -> None:
        self.text.setPlainText(self._log.text())
        self.text.moveCursor(QTextCursor.MoveOperation.End)
