"""The desktop app on the PipeWire camera: the same output as `vbg run`, and the tray says idle
or live as consumers come and go (issue 20). The real app (controller + shell, Qt offscreen,
window hidden as in the tray) in this process, its node in a private PipeWire session read by
GStreamer's pipewiresrc."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest

from tests.e2e.browsers import gst_frames
from tests.e2e.pwsession import PipeWireSession
from tests.ui.conftest import (  # noqa: F401 - fixtures used by name
    WAIT_MS,
    isolated_dirs,
    make_app,
    qapp_themed,
    small_config,
)


@pytest.fixture
def in_session(pw_session: PipeWireSession, monkeypatch: pytest.MonkeyPatch) -> PipeWireSession:
    """This process talks to the private session's PipeWire (libpipewire reads these when it
    connects)."""
    monkeypatch.setenv("XDG_RUNTIME_DIR", pw_session.env["XDG_RUNTIME_DIR"])
    monkeypatch.delenv("PIPEWIRE_REMOTE", raising=False)
    return pw_session


def test_the_tray_goes_live_while_a_consumer_reads_and_idle_after(
        in_session, make_app, qtbot) -> None:  # noqa: F811 - make_app: the imported fixture
    cfg = small_config()
    cfg = replace(cfg, output=replace(cfg.output, vcam_backend="pipewire"))
    h = make_app(config=cfg, show_window=False)
    c = h.controller

    def activity(name: str) -> bool:
        c.session.poll_stats()  # what the stats timer does once a second
        return c.session.pipeline is not None and c.session.pipeline.activity == name

    qtbot.waitUntil(lambda: activity("idle"), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: h.tray.state == "idle", timeout=WAIT_MS)
    node = in_session.camera_node("vbg", timeout=10)
    assert node is not None
    assert "PipeWire" in (c.session.pipeline.stats().vcam_device or "")

    read: dict[str, object] = {}
    reader = threading.Thread(  # a consumer reading for ~4 s while the Qt loop runs
        target=lambda: read.setdefault("frames", gst_frames(in_session, node, n=120,
                                                            timeout=40)))
    reader.start()
    try:
        qtbot.waitUntil(lambda: activity("live"), timeout=WAIT_MS)
        qtbot.waitUntil(lambda: h.tray.state == "on", timeout=WAIT_MS)
    finally:
        reader.join(60)
    frames = read["frames"]
    assert frames.shape[1:3] == (cfg.capture.height, cfg.capture.width)
    qtbot.waitUntil(lambda: activity("idle"), timeout=WAIT_MS)  # after the 2 s linger
    qtbot.waitUntil(lambda: h.tray.state == "idle", timeout=WAIT_MS)
    assert h.tray.icon.toolTip().startswith("vbg — idle")
