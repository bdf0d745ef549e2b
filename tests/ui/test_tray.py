"""Every entry of the tray menu, triggered as a QAction, does what it says.

The menu is rebuilt from the state each time it opens; ``open_menu`` emits ``aboutToShow`` as
opening it does, so each lookup sees a fresh menu.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PySide6.QtCore import QCoreApplication, QEvent
from PySide6.QtWidgets import QMenu

from tests.ui.conftest import WAIT_MS
from vbg.app import backgrounds as bgs
from vbg.ui.menus import find_action


def open_menu(h) -> QMenu:
    h.tray.menu.aboutToShow.emit()
    return h.tray.menu


def trigger(h, *path: str) -> None:
    find_action(open_menu(h), *path).trigger()


@pytest.fixture
def app(make_app):
    return make_app(cameras=[(0, "Camera 0 (Test cam)", ((640, 480), (1280, 720)))])


def test_menu_shows_the_current_state(app) -> None:
    menu = open_menu(app)
    texts = [a.text() for a in menu.actions() if not a.isSeparator()]
    assert texts[1:4] == ["On", "Pause (show background only)", "Background"]
    assert find_action(menu, "On").isChecked()
    assert find_action(menu, "Background", "Blur (light)").isChecked()
    assert not find_action(menu, "Background", "Blur (strong)").isChecked()
    caption = menu.actions()[0]
    assert not caption.isEnabled() and "synthetic" in caption.text()
    # No key hints or shortcuts in a tray menu (it never has the keyboard focus).
    assert not [a.text() for a in menu.actions() if "\t" in a.text() or not a.shortcut().isEmpty()]


def test_on_off(app, qtbot) -> None:
    trigger(app, "On")
    assert not app.controller.session.running and app.controller.session.pipeline is None
    assert not find_action(open_menu(app), "On").isChecked()
    assert app.tray.icon.toolTip().startswith("vbg — off")
    trigger(app, "On")
    assert app.controller.session.running and app.controller.session.pipeline is not None


def test_pause(app) -> None:
    trigger(app, "Pause (show background only)")
    assert app.controller.session.paused and app.controller.session.pipeline.paused
    assert app.tray.state == "paused"
    trigger(app, "Pause (show background only)")
    assert not app.controller.session.paused


@pytest.mark.parametrize("title, spec", [
    ("None (camera as is)", "none"),
    ("Blur (light)", "blur:5"),
    ("Blur (strong)", "blur:10"),
    *[(bgs.title_of(s), s) for s in bgs.color_specs()],
])
def test_background_presets(app, title: str, spec: str) -> None:
    if spec == "blur:5":
        trigger(app, "Background", "Blur (strong)")  # so that choosing light is a change
    trigger(app, "Background", title)
    assert app.controller.session.background == spec
    session = app.controller.session
    assert session.pipeline.config.background == session.config().background
    assert find_action(open_menu(app), "Background", title).isChecked()


def test_background_pictures_from_the_folder_with_thumbnails(app) -> None:
    c = app.controller
    builtin = [f for f in c.session.backgrounds if f.builtin]
    assert builtin
    for f in builtin:
        action = find_action(open_menu(app), "Background", f.title)
        assert not action.icon().isNull()  # the thumbnail
        action.trigger()
        assert c.session.background == f.spec
        assert c.session.pipeline.config.background.path == str(f.path)


def test_new_files_in_the_folder_show_up_next_time_the_menu_opens(app, tmp_path: Path
                                                                 ) -> None:
    folder = tmp_path / "backgrounds"
    folder.mkdir(exist_ok=True)
    cv2.imwrite(str(folder / "lake_view.png"), np.zeros((36, 64, 3), np.uint8))
    trigger(app, "Background", "Lake view")
    assert app.controller.session.background == f"image:{folder / 'lake_view.png'}"


def test_add_image_or_video(app, tmp_path: Path) -> None:
    src = tmp_path / "picked.jpg"
    cv2.imwrite(str(src), np.zeros((36, 64, 3), np.uint8))
    app.shell.ask_open_media = lambda: str(src)
    trigger(app, "Background", "Add image or video…")
    assert app.controller.session.background == f"image:{tmp_path / 'backgrounds' / 'picked.jpg'}"
    app.shell.ask_open_media = lambda: ""  # cancelled: nothing changes
    trigger(app, "Background", "Add image or video…")
    assert app.controller.session.background.endswith("picked.jpg")


def test_open_backgrounds_folder(app, tmp_path: Path) -> None:
    trigger(app, "Background", "Open backgrounds folder")
    assert [u.toLocalFile() for u in app.opened_urls] == [str(tmp_path / "backgrounds")]
    assert (tmp_path / "backgrounds").is_dir()


def test_camera_sizes(app, qtbot) -> None:
    c = app.controller
    menu = open_menu(app)
    assert find_action(menu, "Camera", "Camera 0 (Test cam)", "640 × 480")
    trigger(app, "Camera", "Demo picture (no camera)", "640 × 480")
    assert c.session.config().capture.source == "demo"
    assert (c.session.config().capture.width, c.session.config().capture.height) == (640, 480)
    qtbot.waitUntil(lambda: c.session.pipeline.stats().source.startswith("demo"), timeout=WAIT_MS)
    assert find_action(open_menu(app), "Camera", "Demo picture (no camera)",
                       "640 × 480").isChecked()
    assert c.session.settings.camera == "demo"


def test_model(app) -> None:
    c = app.controller
    landscape = next(m for m in c.session.models if m.key == "selfie_landscape")
    text = landscape.name  # the built-in models' names differ: no key after them
    trigger(app, "Model", text)
    assert c.session.settings.model == "selfie_landscape"
    assert c.session.pipeline.config.matting.model == "selfie_landscape"
    assert find_action(open_menu(app), "Model", text).isChecked()


def test_open_models_folder(app, tmp_path: Path) -> None:
    trigger(app, "Model", "Open models folder")
    assert app.opened_urls[-1].toLocalFile() == str(tmp_path / "data" / "vbg" / "models")


def test_mirror(app) -> None:
    trigger(app, "Mirror")
    assert app.controller.session.pipeline.config.output.mirror
    assert find_action(open_menu(app), "Mirror").isChecked()


def test_auto_framing(app, tmp_path: Path) -> None:
    assert find_action(open_menu(app), "Auto-framing").isChecked()  # on by default
    trigger(app, "Auto-framing")
    assert app.controller.session.pipeline.config.output.framing == "off"
    assert not find_action(open_menu(app), "Auto-framing").isChecked()
    assert not app.window.framing_button.isChecked()
    trigger(app, "Auto-framing")
    assert app.controller.session.pipeline.config.output.framing == "auto"
    assert find_action(open_menu(app), "Auto-framing").isChecked()


def test_show_preview(app) -> None:
    assert find_action(open_menu(app), "Show preview").isChecked()
    trigger(app, "Show preview")
    assert not app.window.isVisible()
    assert not find_action(open_menu(app), "Show preview").isChecked()
    trigger(app, "Show preview")
    assert app.window.isVisible()


def test_cut_out_a_photo_opens_the_stills_window(app) -> None:
    trigger(app, "Cut out a photo or video…")
    assert app.shell.stills is not None and app.shell.stills.isVisible()


def test_settings_opens_the_dialog(app) -> None:
    trigger(app, "Settings…")
    assert app.shell.settings_dialog is not None and app.shell.settings_dialog.isVisible()
    app.shell.settings_dialog.reject()


def test_virtual_camera_help_entry(app, recording_backend) -> None:
    assert "Virtual camera off — set up…" not in [a.text() for a in open_menu(app).actions()]
    app.controller.set_running(False)
    trigger(app, "Virtual camera off — set up…")
    assert app.shell.vcam.dialog is not None and app.shell.vcam.dialog.isVisible()
    assert not app.shell.vcam.dialog.isModal()


def test_quit(app) -> None:
    trigger(app, "Quit")
    assert app.quit_calls == [1]
    assert app.controller.session.pipeline is None and not app.window.isVisible()


def test_tooltip_shows_camera_fps_and_virtual_camera(app, qtbot) -> None:
    c = app.controller

    def tooltip_ready() -> bool:
        c.session.poll_stats()
        return "Virtual camera: on (vbg-recording)" in app.tray.icon.toolTip()

    qtbot.waitUntil(tooltip_ready, timeout=WAIT_MS)
    lines = app.tray.icon.toolTip().splitlines()
    assert lines[0] == "vbg — live" and lines[1].startswith("synthetic 320×240")
    assert lines[1].endswith("fps")


def test_rebuilding_does_not_leak_submenus(app, qtbot) -> None:
    def delete_later_now() -> None:  # what the event loop does with deleteLater() soon
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)

    open_menu(app)
    delete_later_now()
    count = len(app.tray.menu.findChildren(QMenu))
    assert count > 0  # submenus exist (Background, Camera, Model)
    for _ in range(5):
        open_menu(app)
    delete_later_now()
    assert len(app.tray.menu.findChildren(QMenu)) == count


def test_low_light_correction(app, tmp_path: Path) -> None:
    assert not find_action(open_menu(app), "Low-light correction").isChecked()
    trigger(app, "Low-light correction")
    assert app.controller.session.pipeline.config.output.light == "auto"
    assert find_action(open_menu(app), "Low-light correction").isChecked()
    trigger(app, "Low-light correction")
    assert app.controller.session.pipeline.config.output.light == "off"
    assert not find_action(open_menu(app), "Low-light correction").isChecked()
