"""The preview window: every key, the buttons, the picker, drag and drop, the preview itself."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QImage
from PySide6.QtWidgets import QApplication

from tests.conftest import require_shared
from tests.ui.conftest import WAIT_MS, small_config
from vbg.app import backgrounds as bgs


@pytest.fixture
def app(make_app, qtbot):
    h = make_app()
    w = h.window
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow, timeout=WAIT_MS)  # shortcuts need the active window
    return h


def press(qtbot, widget, key) -> None:
    qtbot.keyClick(widget, key)


def test_b_cycles_the_colour_palette(app, qtbot) -> None:
    c = app.controller
    colors = bgs.color_specs()
    press(qtbot, app.window, Qt.Key.Key_B)
    assert c.session.background == colors[0]
    press(qtbot, app.window.picker, Qt.Key.Key_B)  # focus elsewhere: still the window's key
    assert c.session.background == colors[1]
    assert c.session.pipeline.config.background.color == c.session.config().background.color


def test_n_and_p_step_through_the_picker_order(app, qtbot) -> None:
    c = app.controller
    order = bgs.choices(c.session.backgrounds)
    start = order.index(c.session.background)
    press(qtbot, app.window, Qt.Key.Key_N)
    assert c.session.background == order[start + 1]
    press(qtbot, app.window, Qt.Key.Key_P)
    press(qtbot, app.window, Qt.Key.Key_P)
    assert c.session.background == order[start - 1]
    assert app.window.picker.currentItem().data(Qt.ItemDataRole.UserRole) == c.session.background


def test_m_toggles_mirror(app, qtbot) -> None:
    c = app.controller
    press(qtbot, app.window, Qt.Key.Key_M)
    assert c.session.config().output.mirror and c.session.pipeline.config.output.mirror
    assert app.window.mirror_button.isChecked()
    press(qtbot, app.window, Qt.Key.Key_M)
    assert not c.session.config().output.mirror


def test_a_toggles_auto_framing(app, qtbot, tmp_path: Path) -> None:
    c, w = app.controller, app.window
    settings_file = tmp_path / "config" / "vbg" / "settings.json"
    # On by default in the app (docs/architecture.md, issue 21).
    assert c.session.config().output.framing == "auto" and w.framing_button.isChecked()
    press(qtbot, w.picker, Qt.Key.Key_A)  # focus elsewhere: still the window's key
    assert c.session.config().output.framing == "off"
    assert c.session.pipeline.config.output.framing == "off"
    assert not w.framing_button.isChecked()
    assert json.loads(settings_file.read_text())["framing"] == "off"
    press(qtbot, w, Qt.Key.Key_A)
    assert c.session.pipeline.config.output.framing == "auto" and w.framing_button.isChecked()
    assert json.loads(settings_file.read_text())["framing"] == "auto"


def test_the_framing_button_sits_beside_mirror_and_toggles(app) -> None:
    w, c = app.window, app.controller
    assert w.framing_button.isVisible()
    assert w.mirror_button.geometry().right() < w.framing_button.x() < w.mask_button.x()
    assert w.framing_button.y() == w.mirror_button.y()
    assert w.framing_button.text() == "Framing"
    assert w.framing_button.toolTip() == "Keep you framed: follow and zoom calmly (a)"
    assert not w.framing_button.icon().isNull()
    w.framing_button.click()  # on by default: the first click turns it off
    assert c.session.pipeline.config.output.framing == "off" and not w.framing_button.isChecked()
    w.framing_button.click()
    assert c.session.pipeline.config.output.framing == "auto" and w.framing_button.isChecked()


def test_space_pauses_and_resumes(app, qtbot) -> None:
    c = app.controller
    press(qtbot, app.window, Qt.Key.Key_Space)
    assert c.session.paused and c.session.pipeline.paused
    assert app.window.preview.badge and "background only" in app.window.preview.badge
    assert app.window.pause_button.isChecked()
    press(qtbot, app.window, Qt.Key.Key_Space)
    assert not c.session.paused and app.window.preview.badge is None


def test_f_toggles_the_fps_overlay(app, qtbot) -> None:
    w = app.window
    # Off at first (issue 22, 10: it covered the picture of every new user).
    assert not w.preview.show_overlay and not w.fps_button.isChecked()
    assert not app.controller.session.settings.fps_overlay
    press(qtbot, w, Qt.Key.Key_F)
    assert w.preview.show_overlay and app.controller.session.settings.fps_overlay
    qtbot.waitUntil(lambda: bool(w.preview.overlay_lines), timeout=WAIT_MS)
    assert "fps out" in w.preview.overlay_lines[0]
    press(qtbot, w, Qt.Key.Key_F)
    assert not w.preview.show_overlay and not app.controller.session.settings.fps_overlay


def _qimage_array(image) -> np.ndarray:
    """A QImage's pixels as an H×W×3 BGR array."""
    image = image.convertToFormat(QImage.Format.Format_BGR888)
    w, h = image.width(), image.height()
    data = np.frombuffer(image.constBits(), np.uint8, count=image.sizeInBytes())
    return data.reshape(h, image.bytesPerLine())[:, :w * 3].reshape(h, w, 3).copy()


def test_preview_draws_exactly_what_the_virtual_camera_got(app, qtbot, recording_backend
                                                           ) -> None:
    w, c = app.window, app.controller
    # A still output (solid colour, paused): then "the same frame" is checkable exactly.
    c.session.set_background("color:#FF0000")
    c.session.set_paused(True)
    red = np.array([0, 0, 255])
    pipe = c.session.pipeline
    # Composites sent before the pause took effect can be red in the middle too (the person
    # moves): wait for paused frames, then compare with what was really sent.
    qtbot.waitUntil(lambda: pipe.stats().state == "paused", timeout=WAIT_MS)
    paused_from = pipe.output_count
    qtbot.waitUntil(lambda: pipe.output_count >= paused_from + 3, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: w.preview.current_image() is not None
                    and np.array_equal(_qimage_array(w.preview.current_image())[120, 160],
                                       red), timeout=WAIT_MS)
    frames, _ = recording_backend.last().recorded()
    shown = _qimage_array(w.preview.current_image())
    assert shown.shape == frames[-1].shape  # the window is larger: no scaling
    assert any(np.array_equal(shown, f) for f in frames)  # pixel for pixel a sent frame
    assert np.array_equal(frames[-1][120, 160], red)
    assert w.preview.frames_drawn > 0


def test_preview_stops_drawing_while_hidden(app, qtbot) -> None:
    w = app.window
    assert w.preview.drawing
    w.hide()
    assert not w.preview.drawing
    drawn = w.preview.frames_drawn
    pipe = app.controller.session.pipeline
    sent = pipe.output_count
    qtbot.waitUntil(lambda: pipe.output_count >= sent + 5, timeout=WAIT_MS)  # new frames came
    assert w.preview.frames_drawn == drawn
    w.show()
    assert w.preview.drawing


def test_mask_view_shows_the_alpha(app, qtbot) -> None:
    w = app.window
    w.mask_button.click()
    assert w.mask_view and app.controller.session.latest_mask()[1] is not None
    qtbot.waitUntil(lambda: w.preview.current_image() is not None
                    and w.preview.current_image().isGrayscale(), timeout=WAIT_MS)
    w.mask_button.click()
    qtbot.waitUntil(lambda: w.preview.current_image() is not None
                    and not w.preview.current_image().isGrayscale(), timeout=WAIT_MS)


def test_mask_view_with_framing_shows_the_crop_on_the_camera_frames_mask(make_app, qtbot
                                                                         ) -> None:
    clip = require_shared("video", "outdoor_seated.mp4")
    base = small_config()
    cfg = replace(base, capture=replace(base.capture, source=str(clip), width=640, height=360),
                  output=replace(base.output, framing="auto"))
    h = make_app(config=cfg)
    w, session = h.window, h.controller.session
    assert session.config().output.framing == "auto"
    w.mask_button.click()

    def framed() -> bool:
        comp = session.pipeline.latest_composite() if session.pipeline else None
        return comp is not None and comp.crop is not None and not comp.crop.is_full

    qtbot.waitUntil(framed, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: w.preview.current_image() is not None
                    and not w.preview.current_image().isGrayscale(), timeout=WAIT_MS)
    shown = _qimage_array(w.preview.current_image()).astype(int)
    assert shown.shape == (360, 640, 3)  # the output's size, like the alpha it replaces
    b, g, r = shown[..., 0], shown[..., 1], shown[..., 2]
    outline = (b - r > 100)  # the accent blue, nowhere in a grey mask
    assert outline.any(axis=0).sum() > 320 and outline.any(axis=1).sum() > 180  # a rectangle
    grey = (b == g) & (g == r)
    assert grey.mean() > 0.9 and (shown[grey][:, 0] > 200).mean() > 0.05  # the mask, a person


def test_buttons(app, qtbot) -> None:
    w, c = app.window, app.controller
    w.mirror_button.click()
    assert c.session.config().output.mirror
    w.pause_button.click()
    assert c.session.paused
    w.fps_button.click()
    assert c.session.settings.fps_overlay  # off by default: the button turns it on
    w.on_button.click()
    assert not c.session.running and c.session.pipeline is None
    assert "Off" in w.preview.placeholder and not w.pause_button.isEnabled()
    # It names what is on screen: the button now reads "Off", and the window's menu has On.
    assert w.on_button.text() == "Off" and "On button" not in w.preview.placeholder
    vbg_menu = next(a.menu() for a in w.menuBar().actions() if a.text() == "&vbg")
    assert "vbg ▸ On" in w.preview.placeholder and "On" in [a.text() for a in vbg_menu.actions()]
    w.on_button.click()
    assert c.session.running and c.session.pipeline is not None


def test_picker_click_sets_the_background(app, qtbot) -> None:
    w, c = app.window, app.controller
    spec = bgs.color_specs()[3]
    item = w.picker.tile(spec)
    rect = w.picker.visualItemRect(item)
    qtbot.mouseClick(w.picker.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert c.session.background == spec
    builtin = next(f for f in c.session.backgrounds if f.builtin)
    w.picker.itemClicked.emit(w.picker.tile(builtin.spec))
    assert c.session.background == builtin.spec


def test_picker_add_tile_asks_for_a_file(app, qtbot, tmp_path: Path) -> None:
    src = tmp_path / "chosen.jpg"
    cv2.imwrite(str(src), np.zeros((36, 64, 3), np.uint8))
    app.shell.ask_open_media = lambda: str(src)
    app.window.picker.itemClicked.emit(app.window.picker.tile("__add__"))
    assert app.controller.session.background == f"image:{tmp_path / 'backgrounds' / 'chosen.jpg'}"


def _drop(widget, paths: list[Path]) -> tuple[bool, bool]:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    pos = QPointF(widget.rect().center())
    enter = QDragEnterEvent(pos.toPoint(), Qt.DropAction.CopyAction, mime,
                            Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, enter)
    drop = QDropEvent(pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                      Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, drop)
    return enter.isAccepted(), drop.isAccepted()


def test_dropping_an_image_makes_it_the_background(app, tmp_path: Path) -> None:
    src = tmp_path / "dropped.png"
    cv2.imwrite(str(src), np.full((72, 128, 3), (200, 100, 50), np.uint8))
    entered, dropped = _drop(app.window, [src])
    assert entered and dropped
    copy = tmp_path / "backgrounds" / "dropped.png"
    assert copy.read_bytes() == src.read_bytes()
    assert app.controller.session.background == f"image:{copy}"
    assert app.controller.session.pipeline.config.background.path == str(copy)
    assert not app.window.preview.drop_hint
    assert "dropped.png" in app.window.message_label.text()


def test_dropping_a_video_makes_it_the_background(app, tmp_path: Path) -> None:
    src = tmp_path / "waves.avi"
    writer = cv2.VideoWriter(str(src), cv2.VideoWriter_fourcc(*"MJPG"), 10, (64, 36))
    for i in range(5):
        writer.write(np.full((36, 64, 3), i * 40, np.uint8))
    writer.release()
    _drop(app.window, [src])
    assert app.controller.session.background == f"video:{tmp_path / 'backgrounds' / 'waves.avi'}"


def test_dropping_something_else_is_refused(app, tmp_path: Path) -> None:
    txt = tmp_path / "notes.txt"
    txt.write_text("x")
    before = app.controller.session.background
    entered, dropped = _drop(app.window, [txt])
    assert not entered and not dropped
    assert app.controller.session.background == before


def test_menubar_carries_the_controls(app, qtbot) -> None:
    from vbg.ui.menus import find_action

    w, c = app.window, app.controller
    find_action(w.menu("Background"), "Blur (strong)").trigger()
    assert c.session.background == "blur:10"
    find_action(w.menu("View"), "Mask view").trigger()
    assert w.mask_view
    assert find_action(w.menu("View"), "Auto-framing").isChecked()  # on by default
    find_action(w.menu("View"), "Auto-framing").trigger()
    assert c.session.pipeline.config.output.framing == "off"
    assert not find_action(w.menu("View"), "Auto-framing").isChecked()
    assert not w.framing_button.isChecked()
    find_action(w.menu("vbg"), "On").trigger()
    assert not c.session.running
    assert not find_action(w.menu("vbg"), "On").isChecked()


def test_closing_without_a_tray_quits(app) -> None:
    app.window.close()
    assert app.quit_calls == [1] and app.controller.session.pipeline is None


def test_closing_with_a_tray_hides(make_app) -> None:
    h = make_app()
    h.window.quit_on_close = False  # as when a tray is available
    h.window.close()
    assert h.quit_calls == [] and h.controller.session.running
    assert not h.window.isVisible()



def test_pictures_added_to_the_folder_by_hand_appear_in_the_picker(app, qtbot, tmp_path: Path
                                                                   ) -> None:
    new = tmp_path / "backgrounds" / "by_hand.png"
    cv2.imwrite(str(new), np.zeros((36, 64, 3), np.uint8))

    def listed() -> bool:
        try:
            app.window.picker.tile(f"image:{new}")
        except KeyError:
            return False
        return True

    qtbot.waitUntil(listed, timeout=WAIT_MS)


def test_keys_still_work_after_a_menu_bar_menu_was_opened(app, qtbot) -> None:
    # Menu entries show the keys as hints; if they were live shortcuts too, Qt would see two
    # for M while the menu bar has the focus and fire neither ("Ambiguous shortcut overload").
    w, c = app.window, app.controller
    bar = w.menuBar()
    view = w.menu("View")
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton,
                     pos=bar.actionGeometry(view.menuAction()).center())
    qtbot.waitUntil(view.isVisible, timeout=WAIT_MS)
    qtbot.keyClick(view, Qt.Key.Key_Escape)  # closes the menu; the bar keeps the focus
    qtbot.waitUntil(lambda: not view.isVisible(), timeout=WAIT_MS)
    press(qtbot, QApplication.focusWidget() or w, Qt.Key.Key_M)
    assert c.session.config().output.mirror
    press(qtbot, QApplication.focusWidget() or w, Qt.Key.Key_Space)
    assert c.session.paused
    overlay = c.session.settings.fps_overlay
    press(qtbot, QApplication.focusWidget() or w, Qt.Key.Key_F)
    assert c.session.settings.fps_overlay is not overlay


def test_ctrl_q_quits_from_the_window(app, qtbot) -> None:
    press_ctrl = Qt.KeyboardModifier.ControlModifier
    qtbot.keyClick(app.window, Qt.Key.Key_Q, press_ctrl)
    assert app.quit_calls == [1]


def test_the_window_opens_no_larger_than_the_screen(app, qtbot) -> None:
    # The offscreen screen is 800 px high: 800 px of window plus a title bar would hide the
    # status bar (and its "Virtual camera off — set up" pill) below the screen's edge.
    from vbg.ui.widgets import TITLE_BAR_PX

    w = app.window
    free = w.screen().availableGeometry()
    assert free.height() < 800 + TITLE_BAR_PX  # else this test shows nothing
    w.fit_to_screen()
    assert w.height() <= free.height() - TITLE_BAR_PX
    assert w.width() <= max(free.width(), w.minimumSizeHint().width())  # the buttons' row
    w.show()
    qtbot.waitUntil(lambda: w.statusBar().isVisible(), timeout=WAIT_MS)
    bar = w.statusBar().geometry()
    assert bar.bottom() < w.height() and bar.height() > 0
    assert w.preview.height() >= 200  # the preview gave up the height, and still shows
