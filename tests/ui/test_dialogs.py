"""The settings dialog and its persistence, the corrupt settings file at start-up, and where
messages are shown (the virtual-camera dialog: test_vcam_dialog.py)."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from PySide6.QtWidgets import QDialogButtonBox

from tests.ui.conftest import WAIT_MS
from vbg.errors import VbgError


def test_settings_dialog_round_trip_and_restart(make_app, qtbot, tmp_path: Path) -> None:
    h = make_app()
    dialog = h.shell.show_settings()
    dialog.threads.setValue(2)
    dialog.smoothing.setChecked(False)
    dialog.refinement.setChecked(False)
    dialog.mirror.setChecked(True)
    dialog.frame_size.setCurrentIndex(dialog.frame_size.findData("640x480"))
    dialog.fps.setValue(20)
    dialog.model.setCurrentIndex(dialog.model.findData("selfie_landscape"))
    dialog.camera.setCurrentIndex(dialog.camera.findData("demo"))
    dialog.autostart.setChecked(True)
    dialog.start_hidden.setChecked(True)
    dialog.virtual_camera.setCurrentIndex(dialog.virtual_camera.findData("v4l2"))
    dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok).click()

    c = h.controller
    m = c.session.pipeline.config.matting
    assert (m.threads, m.smoothing, m.refine, m.model) == (2, False, False, "selfie_landscape")
    assert c.session.pipeline.config.output.mirror
    saved = json.loads((tmp_path / "config" / "vbg" / "settings.json").read_text())
    assert saved["threads"] == 2 and saved["camera"] == "demo" and saved["autostart"] is True
    assert saved["virtual_camera"] == "v4l2"
    assert (saved["width"], saved["height"], saved["fps"]) == (640, 480, 20.0)
    desktop = tmp_path / "xdg" / "autostart" / "vbg.desktop"
    assert desktop.is_file()

    # A restart reads them back (the command line gives no options this time).
    from vbg.config import AppConfig, CaptureConfig, OutputConfig

    plain = AppConfig(capture=CaptureConfig(source="auto"),
                      output=OutputConfig(vcam_backend="vbg-recording"))
    h2 = make_app(config=plain, start=False)
    s = h2.controller.session.settings
    assert (s.threads, s.smoothing, s.mirror, s.camera, s.width, s.autostart) == (
        2, False, True, "demo", 640, True)
    assert h2.controller.session.config().capture.source == "demo"

    # Turning autostart off removes the entry.
    d2 = h.shell.show_settings()
    d2.autostart.setChecked(False)
    d2.accept()
    assert not desktop.exists()


def test_the_auto_framing_checkbox_is_saved_and_applied(make_app, tmp_path: Path) -> None:
    h = make_app()
    dialog = h.shell.show_settings()
    assert dialog.framing.isChecked() and dialog.framing.toolTip()  # on by default
    dialog.framing.setChecked(False)
    dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok).click()
    assert h.controller.session.pipeline.config.output.framing == "off"
    saved = json.loads((tmp_path / "config" / "vbg" / "settings.json").read_text())
    assert saved["framing"] == "off"
    d2 = h.shell.show_settings()
    assert not d2.framing.isChecked()  # opened again, it shows the choice
    d2.framing.setChecked(True)
    d2.accept()
    assert h.controller.session.pipeline.config.output.framing == "auto"


def test_corrupt_settings_file_at_startup(make_app, tmp_path: Path) -> None:
    h = make_app(settings_text="{ this is not json")
    c = h.controller
    assert c.session.running and c.session.pipeline is not None  # started anyway, with defaults
    assert c.session.settings.background == "blur:5"
    shown = h.window.message_label.text()
    assert "not valid JSON" in shown and "settings.json.bak" in shown
    bak = tmp_path / "config" / "vbg" / "settings.json.bak"
    assert bak.read_text() == "{ this is not json"
    c.session.change(mirror=True)  # the next save writes a fresh file; the .bak stays
    assert json.loads((tmp_path / "config" / "vbg" / "settings.json").read_text())["mirror"]
    assert bak.read_text() == "{ this is not json"


def test_messages_go_to_the_tray_when_the_window_is_hidden(make_app, qtbot
                                                          ) -> None:
    h = make_app()
    notes: list[tuple[str, str]] = []
    h.tray.notify = lambda text, level="info": notes.append((text, level))  # type: ignore[method-assign]
    h.window.hide()
    threading.Thread(target=h.controller.session.pipeline.on_error,
                     args=(VbgError("Hidden window problem."),)).start()
    qtbot.waitUntil(lambda: bool(notes), timeout=WAIT_MS)
    assert notes == [("Hidden window problem.", "error")]
    assert h.window.message_label.text() == "Hidden window problem."  # also in the status bar


def test_an_autostart_failure_is_shown_and_not_saved(make_app, tmp_path: Path) -> None:
    h = make_app()
    blocker = tmp_path / "xdg"
    blocker.write_text("a file where the folder should be")
    d = h.shell.show_settings()
    d.autostart.setChecked(True)
    d.accept()
    assert "starting at login" in h.window.message_label.text()
    assert not h.controller.session.settings.autostart


def test_settings_show_the_real_autostart_state(make_app, tmp_path: Path) -> None:
    h = make_app()
    entry = tmp_path / "xdg" / "autostart" / "vbg.desktop"
    entry.parent.mkdir(parents=True)
    entry.write_text("[Desktop Entry]\n")  # put in place outside vbg
    d = h.shell.show_settings()
    assert d.autostart.isChecked()
    d.autostart.setChecked(False)
    d.accept()
    assert not entry.exists() and not h.controller.session.settings.autostart


def test_settings_fields_of_all_groups_line_up_and_keep_camera_on_is_explained(qtbot) -> None:
    from PySide6.QtWidgets import QWidget

    from vbg.app.settings import Settings
    from vbg.ui.settings_dialog import SettingsDialog

    dialog = SettingsDialog(Settings(), (), [], None)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)

    def left(widget: QWidget) -> int:
        return widget.mapTo(dialog, widget.rect().topLeft()).x()

    # The camera group's widest label ("Frame rate") must not push its fields further right
    # than the other groups' fields.
    assert left(dialog.camera) == left(dialog.model) == left(dialog.threads)
    assert "turns on only while" in dialog.keep_camera_hint.text()
    assert dialog.windowTitle() == "Settings"


def test_the_low_light_checkbox_is_saved_and_applied(make_app, tmp_path: Path) -> None:
    h = make_app()
    dialog = h.shell.show_settings()
    assert not dialog.light.isChecked() and dialog.light.toolTip()
    dialog.light.setChecked(True)
    dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok).click()
    assert h.controller.session.pipeline.config.output.light == "auto"
    saved = json.loads((tmp_path / "config" / "vbg" / "settings.json").read_text())
    assert saved["light"] == "auto"
    d2 = h.shell.show_settings()
    assert d2.light.isChecked()
    d2.light.setChecked(False)
    d2.accept()
    assert h.controller.session.pipeline.config.output.light == "off"
