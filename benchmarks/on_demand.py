"""What vbg costs when nobody watches, paused, and how fast it wakes up (issue 8).

The real app (AppController + AppShell, Qt offscreen, window hidden as when it sits in the
tray) or the real Pipeline, with the demo source at 1280x720. This machine has no
v4l2loopback, so the virtual camera is pyvirtualcam with vbg's in-process recording backend and
the device node is an empty temporary file: inotify on it behaves as on a real node (open and
close events), which is all the reader signal needs.

    python benchmarks/on_demand.py cpu --mode idle     # hidden, nobody watching
    python benchmarks/on_demand.py cpu --mode on       # hidden, "Keep the camera on"
    python benchmarks/on_demand.py cpu --mode paused-color   # paused, colour background, watched
    python benchmarks/on_demand.py cpu --mode paused-blur    # paused, blur (camera stays on)
    python benchmarks/on_demand.py wake --repeats 8    # an app opens the device -> live

``cpu`` prints the process CPU (all threads) over ``--seconds`` after a warm-up, as % of one
core. ``wake`` opens the device (as an app does), waits for the first live composite sent to
the virtual camera, closes it, waits for idle, and repeats; it prints the times in ms.
Modes that need features an older vbg lacks fall back to what that vbg does (for before/after
runs against an older checkout: it then always runs the camera).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import psutil  # noqa: E402

from vbg.config import AppConfig, BackgroundConfig, CaptureConfig, OutputConfig  # noqa: E402
from vbg.sinks.recording_backend import (  # noqa: E402
    RecordingBackend,
    register_recording_backend,
)


def config(device: str, background: str, keep_on: bool) -> AppConfig:
    out = OutputConfig(vcam=True, vcam_backend="vbg-recording", vcam_device=device, fps=30.0)
    if keep_on and "keep_camera_on" in OutputConfig.__dataclass_fields__:
        out = replace(out, keep_camera_on=True)
    return AppConfig(capture=CaptureConfig(source="demo", width=1280, height=720, fps=30.0),
                     background=BackgroundConfig.parse(background), output=out)


def cpu(mode: str, seconds: float, warmup: float) -> dict:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from vbg.app.settings import SettingsStore
    from vbg.ui.controller import AppController
    from vbg.ui.shell import AppShell

    register_recording_backend()
    RecordingBackend.max_frames = 1  # keep memory flat; the copies still cost what a send does
    tmp = Path(tempfile.mkdtemp())
    device = tmp / "video9"
    device.write_bytes(b"")
    background = "color:#283040" if mode == "paused-color" else "blur"
    cfg = config(str(device), background, keep_on=mode != "idle")
    app = QApplication.instance() or QApplication([])
    controller = AppController(cfg, SettingsStore(None), tmp / "backgrounds",
                               camera_lister=lambda: [])
    shell = AppShell(controller, tray_available=False, open_url=lambda url: True,
                     on_quit=lambda: None)
    shell.start(show_window=False)
    if mode.startswith("paused"):
        controller.set_paused(True)
    proc = psutil.Process()

    def spin(duration: float) -> None:  # the real Qt event loop, as the app runs it
        QTimer.singleShot(int(duration * 1000), app.quit)
        app.exec()

    spin(warmup)
    c0, t0 = proc.cpu_times(), time.monotonic()
    spin(seconds)
    c1, t1 = proc.cpu_times(), time.monotonic()
    stats = controller.stats
    out = {
        "mode": mode,
        "cpu_percent_of_one_core": round(100 * ((c1.user - c0.user) + (c1.system - c0.system))
                                         / (t1 - t0), 2),
        "seconds": round(t1 - t0, 1),
        "activity": getattr(stats, "activity", "n/a"),
        "state": stats.state,
        "output_fps": round(stats.output_fps, 1),
        "process_fps": round(stats.process_fps, 1),
        "load1": round(os.getloadavg()[0], 2),
    }
    shell.quit()
    return out


def wake(repeats: int) -> dict:
    from vbg.pipeline import Pipeline

    register_recording_backend()
    RecordingBackend.max_frames = 1
    device = Path(tempfile.mkdtemp()) / "video9"
    device.write_bytes(b"")
    pipe = Pipeline(config(str(device), "blur", keep_on=False))
    pipe.start()
    times = []
    try:
        for _ in range(repeats):
            end = time.monotonic() + 15
            while pipe.activity != "idle" and time.monotonic() < end:
                time.sleep(0.01)
            seen = pipe.output_count
            while pipe.output_count < seen + 3:  # a few idle ticks: the webcam is closed
                time.sleep(0.01)
            t0 = time.monotonic()
            fd = os.open(device, os.O_RDONLY)  # an app opens the virtual camera
            try:
                while True:
                    comp = pipe.latest_composite()
                    sent = pipe.latest_output()
                    if comp is not None and sent is comp.image and comp.t_capture > t0:
                        break
                    time.sleep(0.002)
                times.append((time.monotonic() - t0) * 1e3)
            finally:
                os.close(fd)
    finally:
        pipe.stop()
    return {"wake_ms": [round(t) for t in times], "median_ms": round(statistics.median(times)),
            "load1": round(os.getloadavg()[0], 2)}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("cpu")
    c.add_argument("--mode", choices=("idle", "on", "paused-color", "paused-blur"), required=True)
    c.add_argument("--seconds", type=float, default=30.0)
    c.add_argument("--warmup", type=float, default=5.0)
    w = sub.add_parser("wake")
    w.add_argument("--repeats", type=int, default=8)
    a = p.parse_args()
    result = cpu(a.mode, a.seconds, a.warmup) if a.cmd == "cpu" else wake(a.repeats)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
