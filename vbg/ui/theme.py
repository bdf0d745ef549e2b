"""The look: Qt's Fusion style with a calm dark palette and a little stylesheet.

Dark because the preview is the point of the window: a dark frame around a video reads as a
viewfinder and doesn't compete with the picture. Fusion looks the same on every OS and under
Xvfb, which keeps screenshots and tests stable.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPainterPath, QPalette, QPen
from PySide6.QtWidgets import (
    QApplication,
    QProxyStyle,
    QStyle,
    QStyleHintReturn,
    QStyleOption,
    QWidget,
)

from vbg.ui.icons import line_icon

BG = "#1b1e23"        # window
PANEL = "#23272e"     # bars, lists
RAISED = "#2c313a"    # buttons
TEXT = "#e5e9f0"
MUTED = "#9aa3b2"
ACCENT = "#3a7bfd"
OK = "#34c38f"
WARN = "#f5a524"
CHECK_BORDER = "#8a93a3"  # an unticked box's edge: plainly visible on BG and PANEL

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
/* The file dialog's icon-only tool buttons are 22 px: the padding above left no room for
   their icons (blank buttons). */
QFileDialog QToolButton {{ padding: 2px; border-radius: 5px; }}
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


# Qt's file dialog (the non-native one, which Linux desktops without a platform theme get) asks
# the style for these; Fusion's own are black arrows and coloured clip art that vanish or clash
# on the dark theme. Ours are line icons like the rest of the app.
FILE_DIALOG_ICONS = {
    QStyle.StandardPixmap.SP_ArrowBack: "back",
    QStyle.StandardPixmap.SP_ArrowForward: "forward",
    QStyle.StandardPixmap.SP_FileDialogBack: "back",
    QStyle.StandardPixmap.SP_FileDialogToParent: "folder-up",
    QStyle.StandardPixmap.SP_FileDialogNewFolder: "folder-new",
    QStyle.StandardPixmap.SP_FileDialogListView: "view-icons",
    QStyle.StandardPixmap.SP_FileDialogDetailedView: "view-details",
}


class FlatStyle(QProxyStyle):
    """Fusion, with three changes for the dark theme:

    - no desktop-theme stock icons on dialog buttons (OK, Cancel, Close): they clash with vbg's
      flat line icons, and the black ✕ is nearly invisible on a dark button. Buttons that need
      an icon get one of ours explicitly;
    - the file dialog's toolbar (back, forward, parent folder, new folder, list/detail view)
      gets vbg's line icons (:data:`FILE_DIALOG_ICONS`);
    - check boxes with a visible edge: Fusion draws an unticked box in the Base colour with an
      outline darker than the window, which left it nearly invisible (#23272E on #1B1E23)."""

    def __init__(self) -> None:
        super().__init__("Fusion")

    def styleHint(self, hint: QStyle.StyleHint, option: QStyleOption | None = None,
                  widget: QWidget | None = None,
                  returnData: QStyleHintReturn | None = None) -> int:  # Qt override
        if hint == QStyle.StyleHint.SH_DialogButtonBox_ButtonsHaveIcons:
            return 0
        return super().styleHint(hint, option, widget, returnData)

    def standardIcon(self, standardIcon: QStyle.StandardPixmap,
                     option: QStyleOption | None = None,
                     widget: QWidget | None = None) -> QIcon:  # Qt override
        name = FILE_DIALOG_ICONS.get(standardIcon)
        if name is not None:
            icon = line_icon(name)
            if not icon.isNull():
                return icon
        return super().standardIcon(standardIcon, option, widget)

    def drawPrimitive(self, element: QStyle.PrimitiveElement, option: QStyleOption,
                      painter: QPainter, widget: QWidget | None = None) -> None:  # Qt override
        if element == QStyle.PrimitiveElement.PE_IndicatorCheckBox:
            draw_check_box(option, painter)
            return
        super().drawPrimitive(element, option, painter, widget)


def draw_check_box(option: QStyleOption, painter: QPainter) -> None:
    """A check box indicator: unticked, a dark box with a light grey edge; ticked (or partly),
    filled with the accent and a white tick (a dash); dimmed when disabled."""
    state = option.state
    enabled = bool(state & QStyle.StateFlag.State_Enabled)
    on = bool(state & QStyle.StateFlag.State_On)
    partly = bool(state & QStyle.StateFlag.State_NoChange)
    r = QRectF(option.rect).adjusted(1.5, 1.5, -1.5, -1.5)
    side = min(r.width(), r.height())
    r = QRectF(r.center().x() - side / 2, r.center().y() - side / 2, side, side)
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    if on or partly:
        fill = QColor(ACCENT if enabled else "#4a505a")
        edge = fill
    else:
        fill = QColor("#15171b")
        edge = QColor(CHECK_BORDER if enabled else "#5c6370")
        if enabled and state & QStyle.StateFlag.State_MouseOver:
            edge = QColor(TEXT)
    if enabled and state & QStyle.StateFlag.State_HasFocus and not (on or partly):
        edge = QColor(ACCENT)
    painter.setPen(QPen(edge, 1.5))
    painter.setBrush(fill)
    painter.drawRoundedRect(r, 3, 3)
    mark = QColor("#ffffff" if enabled else "#9aa3b2")
    pen = QPen(mark, max(1.6, side / 8), Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap,
               Qt.PenJoinStyle.RoundJoin)
    painter.setPen(pen)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    x, y, s = r.x(), r.y(), side
    if partly:
        painter.drawLine(QRectF(x + s * 0.28, y + s / 2, s * 0.44, 0).topLeft(),
                         QRectF(x + s * 0.28, y + s / 2, s * 0.44, 0).topRight())
    elif on:
        tick = QPainterPath()
        tick.moveTo(x + s * 0.24, y + s * 0.52)
        tick.lineTo(x + s * 0.43, y + s * 0.71)
        tick.lineTo(x + s * 0.77, y + s * 0.31)
        painter.drawPath(tick)
    painter.restore()


def apply_theme(app: QApplication) -> None:
    """Fusion (flat dialog buttons) + the dark palette + the stylesheet, for the whole
    application."""
    app.setStyle(FlatStyle())
    app.setPalette(dark_palette())
    app.setStyleSheet(STYLESHEET)
