"""The controller with the real pipeline: starting, switching, persisting, failing politely."""

from __future__ import annotations

import json
import threading
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
from PySide6.QtCore import QTimer

from tests.ui.conftest import WAIT_MS, small_config
from vbg.app.settings import Settings
from vbg.config import CaptureConfig
from vbg.errors import CameraError, VbgError


def _frames_after(controller, n: int = 3):
    pipe = controller.session.pipeline
    start = pipe.output_count
    return lambda: pipe.output_count >= start + n


def test_starts_and_sends_frames_to_the_virtual_camera(make_app, qtbot, recording_backend
                                                       ) -> None:
    h = make_app()
    c = h.controller
    assert c.session.running and c.session.pipeline is not None
    assert recording_backend.last().frames_sent > 0
    qtbot.waitUntil(lambda: (c.session.poll_stats() or True)
                    and c.session.vcam_device == "vbg-recording",
                    timeout=WAIT_MS)
    seq, frame = c.session.latest_frame()
    assert seq != 0 and frame is not None and frame.shape == (240, 320, 3)


def test_change_applies_live_and_is_saved(make_app, qtbot, tmp_path: Path) -> None:
    h = make_app()
    c = h.controller
    assert c.session.change(background="color:#FF0000", mirror=True)
    assert c.session.pipeline.config.background.color == (0, 0, 255)
    assert c.session.pipeline.config.output.mirror
    saved = json.loads((tmp_path / "config" / "vbg" / "settings.json").read_text())
    assert saved["background"] == "color:#FF0000" and saved["mirror"] is True


def test_command_line_options_win_but_are_not_saved(make_app, tmp_path: Path) -> None:
    path = tmp_path / "config" / "vbg" / "settings.json"
    text = json.dumps({"camera": "demo", "background": "color:#010203", "threads": 1})
    h = make_app(settings_text=text)  # small_config says source=synthetic, 320x240
    c = h.controller
    assert c.session.config().capture.source == "synthetic"
    assert c.session.config().background.kind == "color"  # "blur" is the CLI default: setting wins
    c.session.change(mirror=True)
    saved = json.loads(path.read_text())
    assert saved["camera"] == "demo" and saved["width"] == 1280  # override not saved
    assert saved["mirror"] is True


def test_a_background_that_does_not_load_keeps_the_old_one(make_app, tmp_path: Path
                                                           ) -> None:
    h = make_app()
    c = h.controller
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"not a picture")
    assert not c.session.set_background(f"image:{bad}")
    assert c.session.background == "blur:5" and c.session.settings.background == "blur:5"
    text, level = c.session.report.last
    assert level == "error" and text  # the engine's sentence, shown
    assert h.window.message_label.text() == text


def test_saved_background_that_vanished_falls_back_to_default(make_app) -> None:
    text = json.dumps({"background": "image:/nowhere/gone.png"})
    h = make_app(settings_text=text)
    c = h.controller
    assert c.session.pipeline is not None
    assert c.session.settings.background == Settings().background
    assert "default background" in h.window.message_label.text()


def test_worker_errors_are_handled_on_the_qt_thread_and_shown(make_app, qtbot) -> None:
    h = make_app()
    c = h.controller
    t = threading.Thread(target=c.session.pipeline.on_error, args=(VbgError("Something to fix."),))
    t.start()
    t.join()
    qtbot.waitUntil(lambda: c.session.report.last is not None
                    and c.session.report.last[0] == "Something to fix.", timeout=WAIT_MS)
    assert c.last_error_thread == threading.main_thread().ident
    assert h.window.message_label.text() == "Something to fix."


def test_a_bug_in_a_worker_is_one_line_not_a_traceback(make_app, qtbot, caplog) -> None:
    h = make_app()
    c = h.controller
    threading.Thread(target=c.session.pipeline.on_error, args=(KeyError("oops"),)).start()
    qtbot.waitUntil(lambda: "Unexpected error" in h.window.message_label.text(),
                    timeout=WAIT_MS)
    assert "\n" not in h.window.message_label.text()
    assert any(r.exc_info for r in caplog.records)  # the traceback went to the log


def test_repeated_camera_errors_are_shown_once_and_recovery_is_announced(make_app, qtbot
                                                                         ) -> None:
    now = [1000.0]
    h = make_app(clock=lambda: now[0])
    c = h.controller
    shown: list[str] = []
    c.message.connect(lambda text, level: shown.append(text))
    handled: list[BaseException] = []  # connected after the controller: runs after it
    c.bridge.error.connect(handled.append)
    for _ in range(3):  # the capture thread reports each retry
        threading.Thread(target=c.session.pipeline.on_error,
                         args=(CameraError("Camera 0 stopped delivering frames."),)).start()
    qtbot.waitUntil(lambda: len(handled) == 3, timeout=WAIT_MS)
    assert c.session.camera.watch.is_lost
    assert len([s for s in shown if "stopped delivering" in s]) == 1
    assert "background only" in shown[0]
    now[0] += 5.0  # no error for 5 s and frames flowing (the synthetic source never stopped)
    c.session.poll_stats()
    assert shown[-1] == "The camera is back."


def test_camera_missing_at_start_waits_then_the_demo_can_be_picked(make_app, qtbot
                                                                   ) -> None:
    cfg = small_config()
    cfg = replace(cfg, capture=replace(cfg.capture, source="9"))
    h = make_app(config=cfg)
    c = h.controller
    assert c.session.running and c.session.pipeline is None and c.session.waiting_for == "camera 9"
    assert "Waiting for camera 9" in h.window.preview.placeholder
    assert "keeps looking" in h.window.message_label.text()
    c.session.set_camera("synthetic", 320, 240)
    assert c.session.pipeline is not None and c.session.waiting_for is None
    qtbot.waitUntil(_frames_after(c), timeout=WAIT_MS)


def test_off_and_on_release_and_reopen_everything(make_app, qtbot, recording_backend
                                                  ) -> None:
    h = make_app()
    c = h.controller
    first = recording_backend.last()
    c.set_running(False)
    assert c.session.pipeline is None and not c.session.running
    qtbot.waitUntil(lambda: first.closed, timeout=WAIT_MS)
    assert c.session.latest_frame() == (0, None)
    c.set_running(True)
    assert c.session.pipeline is not None
    qtbot.waitUntil(_frames_after(c), timeout=WAIT_MS)
    assert recording_backend.last() is not first


def test_pause_shows_the_background_only(make_app, qtbot) -> None:
    cfg = small_config()
    cfg = replace(cfg, capture=CaptureConfig(source="synthetic", width=320, height=240))
    h = make_app(config=cfg)
    c = h.controller
    c.session.set_background("color:#00FF00")
    c.session.set_paused(True)
    assert c.session.pipeline.paused
    qtbot.waitUntil(lambda: c.session.pipeline.stats().state == "paused", timeout=WAIT_MS)
    qtbot.waitUntil(_frames_after(c), timeout=WAIT_MS)
    _, frame = c.session.latest_frame()
    # Background only: the middle of the frame (where the person is) is the green background.
    green = np.array([0, 255, 0])
    assert np.abs(frame[200, 160].astype(int) - green).max() < 40


def test_import_background_copies_and_selects(make_app, tmp_path: Path) -> None:
    h = make_app()
    c = h.controller
    src = tmp_path / "holiday.png"
    cv2.imwrite(str(src), np.full((90, 160, 3), (10, 200, 30), np.uint8))
    assert c.session.library.import_file(src)
    copy = tmp_path / "backgrounds" / "holiday.png"
    assert copy.exists()
    assert c.session.background == f"image:{copy}"
    assert any(f.path == copy for f in c.session.backgrounds)


def test_cameras_are_listed_off_the_qt_thread_and_delivered_to_it(make_app, qtbot) -> None:
    listed_on: list[int] = []
    release = threading.Event()

    def slow_lister() -> list:  # opening cameras is slow; this one blocks until released
        listed_on.append(threading.get_ident())
        release.wait(WAIT_MS / 1000)
        return [(0, "Test camera", ((320, 240),))]

    cfg = small_config()
    cfg = replace(cfg, capture=replace(cfg.capture, source="9"))  # missing: retried every 2 s
    h = make_app(config=cfg, camera_lister=slow_lister)
    c = h.controller
    qtbot.waitUntil(lambda: len(listed_on) >= 1, timeout=WAIT_MS)
    assert c.session.waiting_for == "camera 9"
    # None listed yet:
    assert [cam.label for cam in c.session.cameras] == ["Demo picture (no camera)"]
    ticks: list[int] = []  # the Qt thread keeps turning while the lister is stuck
    QTimer.singleShot(0, lambda: ticks.append(1))
    qtbot.waitUntil(lambda: bool(ticks), timeout=WAIT_MS)
    release.set()
    qtbot.waitUntil(lambda: any("Test camera" in cam.label for cam in c.session.cameras),
                    timeout=WAIT_MS)
    assert threading.main_thread().ident not in listed_on
