"""The look: Qt's Fusion style with a calm dark palette and a little stylesheet.

Dark because the preview is the point of the window: a dark frame around a video reads as a
viewfinder and doesn't compete with the picture. Fusion looks the same on every OS and under
Xvfb, which keeps screenshots and tests stable.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QProxyStyle,
    QStyle,
    QStyleHintReturn,
    QStyleOption,
    QWidget,
)

BG = "#1b1e23"        # window
PANEL = "#23272e"     # bars, lists
RAISED = "#2c313a"    # buttons
TEXT = "#e5e9f0"
MUTED = "#9aa3b2"
ACCENT = "#3a7bfd"
OK = "#34c38f"
WARN = "#f5a524"

STYLESHEET = f"""
QMainWindow, QDialog {{ background: {BG}; }}
QStatusBar {{ background: {PANEL}; color: {MUTED}; border-top: 1px solid #14161a; }}
QStatusBar QLabel {{ color: {MUTED}; padding: 0 6px; }}
QMenuBar {{ background: {PANEL}; color: {TEXT}; }}
QMenuBar::item:selected {{ background: {RAISED}; border-radius: 4px; }}
QMenu {{ background: {PANEL}; color: {TEXT}; border: 1px solid #3b414c; padding: 4px; }}
QMenu::item {{ padding: 5px 26px 5px 10px; border-radius: 4px; }}
QMenu::item:selected {{ background: {ACCENT}; color: white; }}
QMenu::item:disabled {{ color: {MUTED}; }}
QMenu::separator {{ height: 1px; background: #3b414c; margin: 4px 6px; }}
QMenu::icon {{ padding: 2px; margin-left: 2px; border: 2px solid transparent;
              border-radius: 5px; }}
QMenu::icon:checked {{ border-color: {ACCENT}; background: #24406f; }}
QMenu::indicator {{ width: 14px; height: 14px; margin-left: 4px; }}
QToolButton {{ color: {TEXT}; background: {RAISED}; border: 1px solid #353b45;
              border-radius: 7px; padding: 5px 10px; }}
QToolButton:hover {{ background: #353b46; }}
QToolButton:checked {{ background: #24406f; border-color: {ACCENT}; }}
QToolButton:disabled {{ color: #5c6370; }}
QListWidget#picker {{ background: {PANEL}; border: none; border-radius: 10px; padding: 6px;
                      color: {TEXT}; }}
QListWidget#picker::item {{ border-radius: 8px; padding: 4px; margin: 2px; }}
QListWidget#picker::item:hover {{ background: #2f3540; }}
QListWidget#picker::item:selected {{ background: #24406f; color: white; }}
QLabel#sectionTitle {{ color: {MUTED}; font-weight: 600; letter-spacing: 0.5px; }}
QPushButton#vcamPill {{ border-radius: 10px; padding: 2px 10px; color: {TEXT};
                        background: {RAISED}; border: 1px solid #3b414c; }}
QPushButton#vcamPill[state="on"] {{ border-color: {OK}; }}
QPushButton#vcamPill[state="off"] {{ border-color: {WARN}; }}
"""


def dark_palette() -> QPalette:
    p = QPalette()
    roles = {
        QPalette.ColorRole.Window: BG,
        QPalette.ColorRole.WindowText: TEXT,
        QPalette.ColorRole.Base: PANEL,
        QPalette.ColorRole.AlternateBase: RAISED,
        QPalette.ColorRole.ToolTipBase: PANEL,
        QPalette.ColorRole.ToolTipText: TEXT,
        QPalette.ColorRole.Text: TEXT,
        QPalette.ColorRole.Button: RAISED,
        QPalette.ColorRole.ButtonText: TEXT,
        QPalette.ColorRole.BrightText: "#ffffff",
        QPalette.ColorRole.Highlight: ACCENT,
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.Link: "#7aa7ff",
        QPalette.ColorRole.PlaceholderText: MUTED,
    }
    for role, color in roles.items():
        p.setColor(role, QColor(color))
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText,
                 QPalette.ColorRole.WindowText):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor("#5c6370"))
    # Fusion fills a slider's groove with Highlight: a disabled slider must not stay blue.
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Highlight, QColor("#4a505a"))
    return p


class FlatStyle(QProxyStyle):
    """Fusion without the desktop theme's stock icons on dialog buttons (OK, Cancel, Close):
    they clash with vbg's flat line icons, and the black ✕ is nearly invisible on a dark
    button. Buttons that need an icon get one of ours explicitly."""

    def __init__(self) -> None:
        super().__init__("Fusion")

    def styleHint(self, hint: QStyle.StyleHint, option: QStyleOption | None = None,
                  widget: QWidget | None = None,
                  returnData: QStyleHintReturn | None = None) -> int:  # Qt override
        if hint == QStyle.StyleHint.SH_DialogButtonBox_ButtonsHaveIcons:
            return 0
        return super().styleHint(hint, option, widget, returnData)


def apply_theme(app: QApplication) -> None:
    """Fusion (flat dialog buttons) + the dark palette + the stylesheet, for the whole
    application."""
    app.setStyle(FlatStyle())
    app.setPalette(dark_palette())
    app.setStyleSheet(STYLESHEET)
