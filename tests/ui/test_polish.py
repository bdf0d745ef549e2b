"""What a new user ran into: clipped messages, stock button icons, file dialogs starting in the
working directory, an unlabelled slider, windows that Esc doesn't close, two size lists."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QStandardPaths, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QFileDialog

from tests.ui.conftest import WAIT_MS
from tests.ui.test_stills import fake_cut
from vbg.app import menu as m
from vbg.ui.menus import find_action
from vbg.ui.stills_window import StillsWindow
from vbg.ui.theme import FlatStyle

REPO = Path(__file__).resolve().parents[2]
LONG = ("The settings file /home/someone/.config/vbg/settings.json has invalid values for "
        "height, fps; vbg uses the defaults for the size (1280×720) and fps (30.0) and keeps "
        "your other settings (saved again). The old file is kept as settings.json.bak.")


def test_a_long_message_is_cut_visibly_and_readable_whole(make_app, qtbot) -> None:
    h = make_app()
    w = h.window
    w.resize(700, 600)
    h.controller.session.report(LONG, "warning")
    label = w.message_label
    qtbot.waitUntil(lambda: label.text() == LONG, timeout=WAIT_MS)
    assert label.is_cut() and label.shown_text().endswith("…")
    assert LONG in label.toolTip()
    # The whole sentence in View → Messages…, and a click on the status bar opens it too.
    find_action(w.menu("View"), "Messages…").trigger()
    dialog = h.shell.messages_dialog
    assert dialog is not None and dialog.isVisible()
    assert LONG in dialog.text.toPlainText() and "Warning" in dialog.text.toPlainText()
    dialog.close()
    qtbot.mouseClick(label, Qt.MouseButton.LeftButton, pos=QPoint(5, 5))
    assert dialog.isVisible()
    h.controller.session.report("A newer one.", "info")  # the open log follows
    assert dialog.text.toPlainText().endswith("A newer one.")


def test_a_short_message_is_not_cut(make_app) -> None:
    h = make_app()
    h.window.show_message("Saved.", "info")
    assert not h.window.message_label.is_cut()


@pytest.mark.skipif(not shutil.which("xvfb-run"), reason="needs Xvfb (Debian package xvfb)")
def test_dialog_buttons_have_no_stock_icons_on_a_real_desktop(tmp_path: Path) -> None:
    # Offscreen Qt has no desktop theme and never shows stock icons; on X11 the theme gives
    # OK/Cancel/Close a coloured tick and a black ✕ that vanish on dark buttons.
    script = """
import json, sys
from PySide6.QtWidgets import QPushButton
from vbg.app.messages import MessageLog
from vbg.app.settings import Settings
from vbg.ui.app import make_application
from vbg.ui.messages_dialog import MessagesDialog
from vbg.ui.settings_dialog import SettingsDialog
from vbg.ui.vcam_dialog import VcamDialog
app = make_application()
found = {}
for name, dialog in (("settings", SettingsDialog(Settings(), (), [], None)),
                     ("vcam", VcamDialog()), ("messages", MessagesDialog(MessageLog()))):
    found[name] = {b.text(): not b.icon().isNull() for b in dialog.findChildren(QPushButton)}
print(json.dumps(found))
"""
    env = {**os.environ, "QT_QPA_PLATFORM": "xcb", "PYTHONPATH": str(REPO)}
    r = subprocess.run(["xvfb-run", "-a", sys.executable, "-c", script], env=env, cwd=REPO,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    found = json.loads(r.stdout.strip().splitlines()[-1])
    assert {b for buttons in found.values() for b in buttons} >= {"OK", "Cancel", "Close"}
    with_icons = {f"{d}: {b}" for d, buttons in found.items() for b, icon in buttons.items()
                  if icon}
    assert with_icons == set()


def test_file_dialogs_start_in_pictures(make_app, qtbot, monkeypatch: pytest.MonkeyPatch,
                                        tmp_path: Path) -> None:
    pictures = Path(QStandardPaths.writableLocation(
        QStandardPaths.StandardLocation.PicturesLocation))
    pictures.mkdir(parents=True, exist_ok=True)
    asked: list[str] = []

    def fake_open(parent, title, folder, filters):
        asked.append(folder)
        return "", ""

    monkeypatch.setattr(QFileDialog, "getOpenFileName", fake_open)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", fake_open)
    h = make_app()
    h.shell.ask_open_media()
    stills = StillsWindow(cutter_factory=lambda: fake_cut)
    qtbot.addWidget(stills)
    stills.ask_open()
    stills.choose_save_cutout()  # nothing opened from a file: the suggestion is in Pictures
    assert asked[0] == str(pictures) and asked[1] == str(pictures)
    assert Path(asked[2]).parent == pictures
    assert Path.cwd() != pictures  # the old start folder ("") would be the working directory


def test_the_threshold_slider_has_a_label(qtbot) -> None:
    w = StillsWindow(cutter_factory=lambda: fake_cut)
    qtbot.addWidget(w)
    w.mask_kind.setCurrentIndex(w.mask_kind.findData("binary"))
    w.threshold.setValue(70)
    assert w.threshold_label.buddy() is w.threshold
    assert w.threshold_label.text() == "Threshold 70 %"


@pytest.mark.parametrize("text", ["Esc", "Ctrl+W"])
def test_esc_and_ctrl_w_close_the_cut_out_window(qtbot, text: str) -> None:
    keys = QKeySequence(text)
    w = StillsWindow(cutter_factory=lambda: fake_cut)
    qtbot.addWidget(w)
    w.show()
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow, timeout=WAIT_MS)
    combo = keys[0]
    qtbot.keyClick(w, combo.key(), combo.keyboardModifiers())
    qtbot.waitUntil(lambda: not w.isVisible(), timeout=WAIT_MS)


def test_camera_menu_and_settings_offer_the_same_sizes(make_app) -> None:
    cams = [(0, "Webcam", ((640, 480), (1280, 720))), (2, "C920", ())]
    h = make_app(cameras=cams)
    h.controller.session.set_cameras(cams)
    dialog = h.shell.show_settings()
    in_settings = {tuple(int(v) for v in dialog.frame_size.itemData(i).split("x"))
                   for i in range(dialog.frame_size.count())}
    state = h.controller.session.menu_state(preview_visible=True, mask_view=False)
    camera_menu = m.find(m.prepare(state), "Camera")
    in_menu = {a.action.arg[1:] for cam in camera_menu.children if cam.is_menu
               for a in cam.children}
    saved = h.controller.session.settings
    in_use = {state.size, (saved.width, saved.height)}
    assert in_menu - in_use == in_settings - in_use  # the size in use is added to both


def test_a_disabled_slider_is_drawn_grey_not_blue(qtbot) -> None:
    # The cut-out window's threshold slider is disabled for the soft mask; Fusion fills the
    # groove with Highlight, which stayed the accent blue and looked live.
    from PySide6.QtGui import QColor, QImage
    from PySide6.QtWidgets import QSlider

    from vbg.ui.theme import ACCENT, dark_palette

    def blue_pixels(enabled: bool) -> int:
        s = QSlider(Qt.Orientation.Horizontal)
        qtbot.addWidget(s)
        s.setStyle(FlatStyle())
        s.setPalette(dark_palette())
        s.setRange(0, 100)
        s.setValue(80)
        s.resize(120, 24)
        s.setEnabled(enabled)
        img = s.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
        accent = QColor(ACCENT)
        return sum(1 for x in range(img.width()) for y in range(img.height())
                   if abs(QColor(img.pixel(x, y)).hue() - accent.hue()) < 12
                   and QColor(img.pixel(x, y)).saturation() > 120)

    assert blue_pixels(True) > 50  # the accent really fills an enabled groove
    assert blue_pixels(False) == 0
