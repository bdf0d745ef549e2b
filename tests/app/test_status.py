"""Tooltip, status line and overlay text; message throttling; camera-back detection."""

from __future__ import annotations

from vbg.app.status import (
    AppStatus,
    CameraWatch,
    MessageThrottle,
    overlay_lines,
    stage_line,
    status_line,
    tooltip,
)
from vbg.stats import Stats

STATS = Stats(capture_fps=30.0, process_fps=29.5, output_fps=30.0,
              stage_ms={"infer": 3.14, "prep": 0.2, "composite": 2.0, "refine": 1.0,
                        "process": 7.0, "latency": 40.0, "newstage": 0.5},
              latency_ms=40.0, provider="cpu", model="MediaPipe general", state="running",
              source="camera 0 (C920)", source_size=(1280, 720), vcam_device="/dev/video2")


def test_stage_line_orders_known_stages_first() -> None:
    assert stage_line(STATS.stage_ms) == (
        "prep 0.2 · infer 3.1 · refine 1.0 · composite 2.0 · newstage 0.5 ms")
    assert stage_line({}) == ""


def test_overlay_lines() -> None:
    lines = overlay_lines(STATS, preview_fps=29.0)
    assert lines[0] == "30.0 fps out · 29.5 processed · 30.0 captured · 29.0 drawn"
    assert lines[1].endswith("(total 7.0 ms)")
    assert lines[2] == "latency 40 ms · MediaPipe general · cpu"
    assert len(lines) == 3
    held = overlay_lines(Stats(state="holding"))
    assert held[-1] == "catching up (mask late)"


def test_tooltip_shows_state_camera_fps_and_virtual_camera() -> None:
    text = tooltip(AppStatus(running=True, stats=STATS, vcam_device="/dev/video2"))
    assert text.splitlines() == ["vbg — on", "camera 0 (C920) 1280×720 · 30 fps",
                                 "Virtual camera: on (/dev/video2)"]
    assert tooltip(AppStatus(running=False)).splitlines() == ["vbg — off",
                                                              "Virtual camera: off"]
    paused = tooltip(AppStatus(running=True, paused=True, stats=STATS))
    assert paused.startswith("vbg — paused") and "Virtual camera: off" in paused
    waiting = tooltip(AppStatus(running=True, waiting_for="camera 0"))
    assert "Waiting for camera 0…" in waiting


def test_status_line() -> None:
    assert status_line(AppStatus(running=False)) == "Off"
    assert status_line(AppStatus(running=True, stats=STATS)) == (
        "camera 0 (C920) 1280×720 · 30 fps")
    assert status_line(AppStatus(running=True, waiting_for="camera 1")) == (
        "Waiting for camera 1…")
    assert status_line(AppStatus(running=True, paused=True, stats=STATS)).startswith("Paused")


def test_throttle_quiets_repeats_only() -> None:
    t = MessageThrottle(quiet_s=30)
    assert t.allow("camera gone", 0.0)
    assert not t.allow("camera gone", 1.0)
    assert t.allow("another", 1.5)
    assert not t.allow("camera gone", 29.0)
    assert t.allow("camera gone", 31.0)
    t.forget("camera gone")
    assert t.allow("camera gone", 31.5)
    t.forget()
    assert t.allow("another", 2.0)


def test_camera_watch_reports_back_once_after_errors_stop() -> None:
    w = CameraWatch(settle_s=2.5)
    assert not w.observe(30.0, 0.0)  # nothing lost
    w.lost(10.0)
    assert w.is_lost
    assert not w.observe(30.0, 11.0)  # a rate from before the failure doesn't count
    w.lost(11.0)  # the capture thread retries and fails again
    assert not w.observe(0.0, 14.0)  # no frames
    assert w.observe(25.0, 14.0)  # frames and no error for 3 s: back
    assert not w.is_lost
    assert not w.observe(25.0, 15.0)  # said once


def test_idle_live_and_paused_have_their_own_icon_and_words() -> None:
    from dataclasses import replace

    from vbg.app.status import IDLE_LINE, icon_state

    idle = AppStatus(running=True, stats=replace(STATS, activity="idle"), vcam_device="/dev/video2")
    live = AppStatus(running=True, stats=replace(STATS, activity="live"))
    assert icon_state(idle) == "idle" and icon_state(live) == "on"
    assert icon_state(AppStatus(running=False)) == "off"
    assert icon_state(replace(idle, paused=True)) == "paused"
    assert status_line(idle) == IDLE_LINE
    assert tooltip(idle).splitlines() == ["vbg — idle (nobody is watching; camera off)",
                                          "Virtual camera: on (/dev/video2)"]
    assert tooltip(live).splitlines()[0] == "vbg — live"
