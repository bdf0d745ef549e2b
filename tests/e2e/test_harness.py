"""The end-to-end harness itself, proved against GStreamer's stand-in camera (solid magenta,
640x360, published as "vbg"): if these fail, a failing vbg test says nothing about vbg."""

from __future__ import annotations

import os
import time

from tests.e2e.browsers import read_with_chromium, read_with_firefox, read_with_gst
from tests.e2e.pwsession import GST_STANDIN, PipeWireSession, proc_cpu_ticks, wait_for

MAGENTA = (255, 0, 255)
TOLERANCE = 20


def close_to(rgb, want=MAGENTA, tol=TOLERANCE) -> bool:
    return all(abs(a - b) <= tol for a, b in zip(rgb, want, strict=True))


def test_session_is_private_and_ready(pw_session: PipeWireSession) -> None:
    env = pw_session.env
    assert "DISPLAY" not in env and "WAYLAND_DISPLAY" not in env
    runtime = env["XDG_RUNTIME_DIR"]
    assert runtime.startswith(str(pw_session.dir))
    assert os.stat(runtime).st_mode & 0o777 == 0o700
    assert os.path.exists(os.path.join(runtime, "pipewire-0"))
    assert env["DBUS_SESSION_BUS_ADDRESS"].startswith(f"unix:path={pw_session.dir}")
    names = {n["props"].get("node.name") for n in pw_session.nodes()}
    assert "Dummy-Driver" in names               # the daemon answers pw-dump
    assert pw_session.camera_nodes() == []       # no camera before a producer starts


def test_standin_node_appears(pw_session: PipeWireSession, standin) -> None:
    proc, node = standin
    (found,) = [n for n in pw_session.camera_nodes("vbg") if n["id"] == node]
    props = found["props"]
    assert props["media.class"] == "Video/Source"
    assert props["media.role"] == "Camera"
    assert props["node.description"] == "vbg"
    assert proc_cpu_ticks(proc.pid) >= 0


def test_gst_reads_magenta(pw_session: PipeWireSession, standin) -> None:
    _proc, node = standin
    read = read_with_gst(pw_session, node, n=30)
    assert (read.width, read.height) == (640, 360)
    assert read.frames == 30
    assert close_to(read.mean_rgb), read


def test_chromium_reads_magenta(pw_session: PipeWireSession, standin, chromium) -> None:
    r = read_with_chromium(pw_session, "chromium")
    print(f"chromium took {r['seconds']} s (first frame {r.get('firstFrameMs')} ms, "
          f"{r.get('attempts')} attempt(s))")
    assert "error" not in r, r
    assert r["label"] == "vbg", r
    assert "videoinput|vbg" in r["devicesAfter"], r
    assert r["size"] == [640, 360], r
    assert close_to(r["meanRGB"]), r
    assert all(close_to(cell) for row in r["grid"] for cell in row), r["grid"]


def test_firefox_reads_magenta(pw_session: PipeWireSession, standin, firefox) -> None:
    r = read_with_firefox(pw_session, "firefox")
    print(f"firefox took {r['seconds']} s (first frame {r.get('firstFrameMs')} ms, "
          f"{r.get('attempts')} attempt(s))")
    assert "error" not in r, r
    assert r["label"] == "vbg", r
    assert "videoinput|vbg" in r["devicesAfter"], r   # Firefox lists none before getUserMedia
    assert r["size"] == [640, 360], r
    assert close_to(r["meanRGB"]), r


def test_proc_cpu_ticks_counts_a_busy_producer(pw_session: PipeWireSession) -> None:
    proc = pw_session.start("gst-launch-1.0 videotestsrc ! video/x-raw,width=320,height=240 "
                            "! fakesink sync=false", name="busy")
    try:
        t0 = proc_cpu_ticks(proc.pid)
        deadline = time.monotonic() + 10
        while proc_cpu_ticks(proc.pid) < t0 + 10 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert proc_cpu_ticks(proc.pid) >= t0 + 10
    finally:
        pw_session.stop(proc)


def test_stop_ends_a_stubborn_producer(pw_session: PipeWireSession) -> None:
    ready = pw_session.dir / "stubborn.ready"
    proc = pw_session.start(f"bash -c 'trap \"\" TERM; touch {ready}; while :; do sleep 0.1; done'",
                            name="stubborn")
    wait_for(ready.exists, 10, "the stubborn producer's trap")
    t0 = time.monotonic()
    assert pw_session.stop(proc, grace=0.5) == -9
    assert time.monotonic() - t0 < 5


def test_restart_pipewire_then_read_again(pw_session: PipeWireSession, chromium) -> None:
    pw_session.restart_pipewire()
    assert pw_session.camera_nodes() == []
    proc = pw_session.start(GST_STANDIN, name="standin-after-restart")
    try:
        node = pw_session.camera_node("vbg", timeout=15)
        assert node is not None, pw_session.log(proc)
        r = read_with_chromium(pw_session, "chromium-after-restart")
        assert r.get("label") == "vbg" and close_to(r["meanRGB"]), r
    finally:
        pw_session.stop(proc)
