"""What a new user met in the app (issue 22, 10): blank file-dialog buttons, invisible unticked
boxes, a stale "Save cut-out" after a video, a mistitled picture dialog, a dialog and a window
off the screen, "1 command: paste them", no way to remove an added background, two blur
strengths of ten, the FPS overlay on by default, a Background menu without its keys, and a
truncated video that the cut-out window did not mention.

The real widgets on the offscreen platform; the looks are checked by their pixels.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PySide6.QtCore import QRect
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QFileDialog,
    QStyle,
    QStyleOptionButton,
    QToolButton,
    QWidget,
)

from tests.ui.conftest import WAIT_MS
from tests.ui.test_stills import fake_cut
from tests.ui.test_vcam_dialog import NO_DEVICE, Machine, open_dialog
from vbg.app import backgrounds as bgs
from vbg.app.settings import Settings
from vbg.ui.menus import find_action
from vbg.ui.stills_window import StillsWindow
from vbg.ui.theme import BG, PANEL
from vbg.ui.vcam_dialog import VcamDialog


def _pixels(widget: QWidget, rect: QRect | None = None) -> np.ndarray:
    """The widget as drawn (H×W×3 RGB), or the part of it in ``rect``."""
    pixmap = widget.grab() if rect is None else widget.grab(rect)
    image = pixmap.toImage().convertToFormat(QImage.Format.Format_RGB888)
    w, h = image.width(), image.height()
    data = np.frombuffer(image.constBits(), np.uint8, count=image.sizeInBytes())
    return data.reshape(h, image.bytesPerLine())[:, :w * 3].reshape(h, w, 3).copy()


def _contrast(pixels: np.ndarray, against: str) -> np.ndarray:
    """How far each pixel is from the colour ``against`` (max channel difference)."""
    c = QColor(against)
    ref = np.array([c.red(), c.green(), c.blue()], np.int16)
    return np.abs(pixels.astype(np.int16) - ref).max(axis=2)


# ------------------------------------------------------------------ 1. file dialog toolbar
def test_the_file_dialogs_toolbar_buttons_show_icons(qapp_themed, qtbot) -> None:
    # Qt's own (non-native) file dialog under vbg's stylesheet: the app-wide tool-button
    # padding left its 22-px icon-only buttons no room, and Fusion's arrows were black.
    dialog = QFileDialog(None, "Add a background", str(Path.home()))
    dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
    qtbot.addWidget(dialog)
    dialog.resize(720, 420)
    dialog.show()
    qtbot.waitExposed(dialog)
    buttons = {b.objectName(): b for b in dialog.findChildren(QToolButton) if b.isVisible()}
    assert {"backButton", "forwardButton", "toParentButton", "newFolderButton",
            "listModeButton", "detailModeButton"} <= set(buttons)
    for name, button in buttons.items():
        drawn = _pixels(button)
        # A line icon: light strokes on the dark button (back/forward are drawn dimmed while
        # there is no history, still plainly there).
        assert (_contrast(drawn, BG) > 60).sum() >= 12, name
    # For a look: the dialog as drawn.
    assert dialog.grab().save(str(_artifacts() / "file-dialog.png"))


# ------------------------------------------------------------------ 2. check boxes
def test_an_unticked_check_box_is_plainly_visible(qapp_themed, qtbot) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    boxes = []
    for ticked in (False, True):
        box = QCheckBox("Mirror the picture", parent)
        box.setChecked(ticked)
        box.move(10, 10 + 30 * len(boxes))
        boxes.append(box)
    parent.resize(260, 80)
    parent.show()
    qtbot.waitExposed(parent)
    for box in boxes:
        opt = QStyleOptionButton()
        box.initStyleOption(opt)
        rect = box.style().subElementRect(QStyle.SubElement.SE_CheckBoxIndicator, opt, box)
        drawn = _pixels(box, rect)
        # Its edge stands out from the window and the lists: on the old theme the box was
        # #23272E on #1B1E23, a difference of at most 11 per channel.
        for ground in (BG, PANEL):
            assert (_contrast(drawn, ground) > 80).sum() >= 2 * rect.width(), (box.isChecked(),
                                                                                 ground)


# ---------------------------------------------------- 3, 12. the cut-out window and videos
CLIP = {"name": "short.mp4", "frames": 12, "fps": 24, "size": (192, 108), "audio": None}


def test_after_a_video_save_cut_out_does_not_offer_the_earlier_photo(qtbot, tmp_path: Path,
                                                                     clip: Path) -> None:
    win = StillsWindow(cutter_factory=lambda: fake_cut)
    qtbot.addWidget(win)
    win.show()
    photo = tmp_path / "me.png"
    cv2.imwrite(str(photo), np.full((60, 80, 3), 120, np.uint8))
    assert win.open_image(photo)
    qtbot.waitUntil(lambda: win.cutout is not None, timeout=WAIT_MS)
    assert win.save_button.isEnabled()
    win.ask_save_video = lambda name: str(tmp_path / "short_vbg.mp4")
    assert win.open_video(clip)
    # From the moment the video shows, the photo's cut-out is not on offer...
    assert not win.save_button.isEnabled() and not win.save_mask_button.isEnabled()
    qtbot.waitUntil(lambda: win.video_result is not None, timeout=WAIT_MS * 3)
    # ... nor once it is done: the panes show the video, and there is no cut-out to save.
    assert not win.save_button.isEnabled() and not win.save_mask_button.isEnabled()
    assert not win.save_cutout(tmp_path / "stale.png") and not (tmp_path / "stale.png").exists()
    offered: list[str] = []
    win.ask_save = lambda title, name: offered.append(name) or ""
    win.choose_save_cutout()  # the name offered is the video's, not the photo's
    assert offered[0].startswith(str(clip.with_name("short")))
    # A photo opened after the video is on offer again.
    assert win.open_image(photo)
    qtbot.waitUntil(lambda: win.save_button.isEnabled(), timeout=WAIT_MS)


def test_a_truncated_video_is_said_in_the_window(qtbot, tmp_path: Path) -> None:
    from tests.cli.test_hardening_leftovers import _faststart
    from tests.media import decode_video, make_clip

    make_clip(tmp_path / "encoded.mp4", 60, 24, size=(192, 108), audio=None)
    _faststart(tmp_path / "encoded.mp4", tmp_path / "talk.mp4")
    data = (tmp_path / "talk.mp4").read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[:len(data) * 55 // 100])  # a download cut short
    out = tmp_path / "out.mp4"
    win = StillsWindow()
    qtbot.addWidget(win)
    win.show()
    win.ask_save_video = lambda name: str(out)
    assert win.open_video(cut)
    qtbot.waitUntil(lambda: win.video_result is not None, timeout=WAIT_MS * 3)
    frames = len(decode_video(out))
    assert 0 < frames < 60 and win.video_result.ended_early
    assert win.width() <= win.screen().availableGeometry().width()  # the long line wraps
    # The sentence `vbg video` says (there after "vbg: "), not "Saved …".
    assert win.status.text() == (f"{cut} ended after {frames} of 60 frames (the file looks "
                                 f"truncated); wrote those {frames} to {out}.")


# ------------------------------------------------------------------ 4. the picture dialog's title
def test_over_a_picture_asks_for_a_background_picture(qtbot, monkeypatch: pytest.MonkeyPatch,
                                                       tmp_path: Path) -> None:
    asked: list[tuple[str, str]] = []

    def fake_open(parent, title, folder, filters):
        asked.append((title, filters))
        return "", ""

    monkeypatch.setattr(QFileDialog, "getOpenFileName", fake_open)
    win = StillsWindow(cutter_factory=lambda: fake_cut)
    qtbot.addWidget(win)
    win.background_button.click()
    win.open_button.click()
    (picture_title, picture_filter), (open_title, _) = asked
    assert picture_title == "Choose a background picture"
    assert open_title == "Open a photo or video"
    assert "*.jpg" in picture_filter and "*.png" in picture_filter
    assert "*.mp4" not in picture_filter  # a picture goes behind the person, not a video


# ---------------------------------------------------- 5. the virtual-camera dialog's place
def _inside(inner: QRect, outer: QRect) -> bool:
    return outer.contains(inner.topLeft()) and outer.contains(inner.bottomRight())


@pytest.mark.parametrize("window_shown", [True, False])
def test_the_virtual_camera_dialog_opens_centred_and_on_screen(
        make_app, qtbot, recording_backend, tmp_path: Path, window_shown: bool) -> None:
    recording_backend.fail_with = NO_DEVICE
    machine = Machine(tmp_path, recording_backend)
    h = make_app(**machine.seams())
    if window_shown:
        dialog = open_dialog(h, qtbot)
        over = h.window.frameGeometry()
    else:
        h.window.hide()  # from the tray: no window to sit on
        dialog = h.shell.vcam.show_vcam_help(None)
        qtbot.waitUntil(lambda: dialog.diagnosis is not None, timeout=WAIT_MS)
        over = dialog.screen().availableGeometry()
    # Fitted to the diagnosis (taller than the "Checking…" it opened with), then placed again.
    qtbot.waitUntil(lambda: dialog.height() == dialog.layout().totalHeightForWidth(
        dialog.width()), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: abs(dialog.frameGeometry().center().y() - over.center().y()) <= 2,
                    timeout=WAIT_MS)
    frame = dialog.frameGeometry()
    assert abs(frame.center().x() - over.center().x()) <= 2
    assert _inside(frame, dialog.screen().availableGeometry())
    # Moved by the user, it stays where they put it when the content changes again.
    dialog.move(frame.x() + 30, frame.y() + 20)
    moved = dialog.pos()
    dialog._fit_height()
    assert dialog.pos() == moved


def test_a_dialog_taller_than_the_screen_keeps_its_title_bar_on_it(qapp_themed, qtbot) -> None:
    dialog = VcamDialog()
    qtbot.addWidget(dialog)
    free = dialog.screen().availableGeometry()
    dialog.resize(dialog.width(), free.height() + 200)
    dialog.show()
    dialog.place()
    assert dialog.frameGeometry().top() >= free.top()
    assert dialog.frameGeometry().left() >= free.left()


# ------------------------------------------------------------------ 6. the cut-out window's size
def test_the_cut_out_window_fits_the_screen(qtbot) -> None:
    win = StillsWindow(cutter_factory=lambda: fake_cut)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    free = win.screen().availableGeometry()  # 800×800 on the offscreen platform
    assert win.width() <= free.width() and win.height() <= free.height() - 40
    # Its controls leave room for a small laptop's screen (1024 wide) and a title bar.
    assert win.minimumSizeHint().width() <= 800
    assert win.minimumSizeHint().height() <= 768 - 80


# ------------------------------------------------------------------ 7. "Copied 1 command"
@pytest.mark.parametrize(("commands", "said"), [
    (["sudo modprobe v4l2loopback"], "Copied 1 command: paste it into a terminal."),
    (["a", "b", "c"], "Copied 3 commands: paste them into a terminal."),
])
def test_copied_commands_are_counted_in_good_english(qapp_themed, qtbot, commands: list[str],
                                                     said: str) -> None:
    dialog = VcamDialog()
    qtbot.addWidget(dialog)
    dialog.commands = commands
    dialog.copy_commands()
    assert dialog.status.text() == said
    assert QApplication.clipboard().text() == "\n".join(commands) + "\n"


# ------------------------------------------------------------------ 8. removing an added background
def test_an_added_background_can_be_removed_from_the_picker(make_app, qtbot,
                                                            tmp_path: Path) -> None:
    h = make_app()
    c, picker = h.controller, h.window.picker
    src = tmp_path / "holiday.png"
    cv2.imwrite(str(src), np.full((36, 64, 3), (40, 160, 90), np.uint8))
    assert c.session.library.import_file(src)
    added = c.session.backgrounds_dir / "holiday.png"
    spec = f"image:{added}"
    assert c.session.background == spec
    qtbot.waitUntil(lambda: any(picker.item(i).data(0x100) == spec
                                for i in range(picker.count())), timeout=WAIT_MS)
    # Presets, colours, the bundled pictures and "Add…" have no menu; the added one has Remove.
    bundled = next(f for f in c.session.backgrounds if f.builtin)
    for other in ("none", "blur:5", "color:#3C825A", bundled.spec, "__add__"):
        assert picker.menu_for(picker.tile(other)) is None, other
    menu = picker.menu_for(picker.tile(spec))
    assert menu is not None
    (remove,) = menu.actions()
    assert remove.text() == "Remove “Holiday”…"
    # Cancelled: nothing happens.
    asked: list[str] = []
    h.shell.confirm = lambda title, text: asked.append(text) or False
    remove.trigger()
    assert added.is_file() and c.session.background == spec
    assert "holiday.png" in asked[0] and str(c.session.backgrounds_dir) in asked[0]
    # Confirmed: the file goes, its tile goes, and the background in use gives way to the
    # default (also in the saved settings, which must not name a file that is gone).
    h.shell.confirm = lambda title, text: True
    picker.menu_for(picker.tile(spec)).actions()[0].trigger()
    assert not added.exists() and src.is_file()
    assert c.session.background == Settings().background
    assert c.session.in_force.store.load().settings.background == Settings().background
    qtbot.waitUntil(lambda: spec not in [picker.item(i).data(0x100)
                                         for i in range(picker.count())], timeout=WAIT_MS)
    assert "Removed holiday.png" in h.window.message_label.text()
    assert bundled.path.is_file()


def test_removing_a_background_not_in_use_keeps_the_one_in_use(make_app, qtbot,
                                                               tmp_path: Path) -> None:
    h = make_app()
    c = h.controller
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    cv2.imwrite(str(a), np.full((36, 64, 3), 50, np.uint8))
    cv2.imwrite(str(b), np.full((36, 64, 3), 200, np.uint8))
    assert c.session.library.import_file(a) and c.session.library.import_file(b)
    h.shell.confirm = lambda title, text: True
    assert h.shell.remove_background(f"image:{c.session.backgrounds_dir / 'a.png'}")
    assert c.session.background == f"image:{c.session.backgrounds_dir / 'b.png'}"
    assert [f.path.name for f in c.session.backgrounds if not f.builtin] == ["b.png"]


# ------------------------------------------------------------------ 9. the blur strength slider
def test_the_blur_strength_is_a_slider_of_ten_levels(make_app, qtbot) -> None:
    h = make_app()
    w, c = h.window, h.controller
    assert c.session.background == "blur:5"
    slider = w.blur_slider
    assert slider.isVisible() and (slider.minimum(), slider.maximum()) == (1, 10)
    assert slider.value() == 5 and w.blur_label.text() == "Blur strength 5"
    slider.setValue(8)  # as a release after a drag, or a click on the groove
    assert c.session.background == "blur:8"
    assert c.session.in_force.store.load().settings.background == "blur:8"  # saved as blur:N
    assert w.blur_label.text() == "Blur strength 8"
    assert c.session.pipeline.config.background.blur_level == 8
    # The picker marks the nearer blur tile; the menus list the level in use.
    assert [i.data(0x100) for i in w.picker.selectedItems()] == ["blur:10"]
    assert find_action(w.menu("Background"), "Blur (level 8)").isChecked()
    # A colour: no slider; a blur tile again: the slider shows its level.
    w.picker.chosen.emit("color:#3C825A")
    assert not slider.isVisible()
    w.picker.chosen.emit("blur:10")
    assert slider.isVisible() and slider.value() == 10
    assert c.session.background == "blur:10"


# ------------------------------------------------------------------ 10. the FPS overlay
def test_the_fps_overlay_is_off_for_a_new_user(make_app) -> None:
    h = make_app()
    assert not h.controller.session.settings.fps_overlay
    assert not h.window.preview.show_overlay and not h.window.fps_button.isChecked()
    assert not find_action(h.window.menu("View"), "FPS overlay").isChecked()


def test_a_user_who_had_it_on_keeps_it(make_app) -> None:
    h = make_app(settings_text='{"version": 1, "fps_overlay": true}')
    assert h.controller.session.settings.fps_overlay and h.window.preview.show_overlay


# ------------------------------------------------------------------ 11. the Background menu's keys
def test_the_background_menu_shows_b_n_p(make_app) -> None:
    h = make_app()
    menu = h.window.menu("Background")
    texts = [a.text() for a in menu.actions()]
    for text, key in (("Next background", "N"), ("Previous background", "P"),
                      ("Next colour", "B")):
        assert f"{text}\t{key}" in texts
        action = find_action(menu, text)
        assert action.shortcut().isEmpty()  # a hint: the window owns the live key
    find_action(h.window.menu("Background"), "Next colour").trigger()
    assert h.controller.session.background == bgs.next_color("blur:5")


def _artifacts() -> Path:
    folder = Path(__file__).resolve().parents[2] / "test-artifacts"
    folder.mkdir(exist_ok=True)
    return folder
