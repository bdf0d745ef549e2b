"""On-demand processing seen from the app: the preview window counts as a watcher, the tray
and the status bar say idle / live. Real inotify on a temporary file standing in for the
v4l2loopback node; the real pipeline behind the real widgets."""

from __future__ import annotations

import sys
from dataclasses import replace

import pytest

from tests.ui.conftest import WAIT_MS, small_config
from vbg.app.status import IDLE_LINE

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="inotify: Linux")


def test_hiding_the_window_goes_idle_and_showing_it_goes_live(make_app, device, qtbot) -> None:
    cfg = small_config()
    cfg = replace(cfg, output=replace(cfg.output, vcam_device=str(device)))
    h = make_app(config=cfg, show_window=True)
    c, pipe = h.controller, h.controller.session.pipeline
    assert pipe is not None

    def activity(name: str) -> bool:
        c.session.poll_stats()  # what the stats timer does once a second
        return pipe.activity == name

    qtbot.waitUntil(lambda: activity("live"), timeout=WAIT_MS)
    assert h.tray.state == "on"
    h.shell.set_preview_visible(False)
    qtbot.waitUntil(lambda: activity("idle"), timeout=WAIT_MS)   # after the 2 s linger
    qtbot.waitUntil(lambda: h.tray.state == "idle", timeout=WAIT_MS)
    assert h.window.source_label.text() == IDLE_LINE
    assert h.tray.icon.toolTip().startswith("vbg — idle")
    h.shell.set_preview_visible(True)
    qtbot.waitUntil(lambda: activity("live"), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: h.tray.state == "on", timeout=WAIT_MS)


def test_keep_camera_on_is_a_setting(make_app, device, qtbot) -> None:
    cfg = small_config()
    cfg = replace(cfg, output=replace(cfg.output, vcam_device=str(device)))
    h = make_app(config=cfg, show_window=False)
    c = h.controller
    qtbot.waitUntil(lambda: (c.session.poll_stats(), c.session.pipeline.activity == "idle")[1],
                    timeout=WAIT_MS)
    assert c.session.apply_settings(replace(c.session.settings, keep_camera_on=True))
    qtbot.waitUntil(lambda: (c.session.poll_stats(), c.session.pipeline.activity == "live")[1],
                    timeout=WAIT_MS)
    assert c.session.settings.keep_camera_on
    assert c.session.in_force.store.load().settings.keep_camera_on
