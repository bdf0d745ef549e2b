"""The tray icon's states on a real X server (Xvfb + trayer): live while the preview is shown,
idle once it is hidden and no app reads the virtual camera, live again while an app holds the
device open, idle after it closes it, paused after Pause in the tray menu. The device is a
temporary file watched with real inotify; the virtual camera is pyvirtualcam with the recording
backend (the app runs in a subprocess that registers it). Screenshots of the docked icon go to
test-artifacts/ (git-ignored).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

import numpy as np
import pytest

from tests.ui.test_tray_xvfb import (  # noqa: F401 - xsession is a fixture
    ARTIFACTS,
    STEP_S,
    X_POLL_S,
    geometry,
    pytestmark,
    screenshot,
    stop,
    wait_for_docked_icon,
    windows,
    xdotool,
    xsession,
)
from tests.waiting import START_S, until

LAUNCH = ("from vbg.sinks.recording_backend import register_recording_backend; "
          "register_recording_backend(); import sys; from vbg.cli.main import main; "
          "sys.exit(main(sys.argv[1:]))")


def icon_pixels(env: dict[str, str], icon: str, name: str) -> np.ndarray:
    """The docked icon as the screen shows it (the icon window alone captures only its
    background: trayer composes it), saved as test-artifacts/xvfb-tray-NAME.png."""
    import cv2

    path = ARTIFACTS / f"xvfb-tray-{name}.png"
    screenshot(env, "root", path)
    x, y, w, h = geometry(env, icon)
    crop = cv2.imread(str(path))[y:y + h, x:x + w]
    cv2.imwrite(str(path), crop)
    return crop


def badge_is_dark(img: np.ndarray) -> bool:
    """The idle and paused icons carry a dark round badge in the bottom-right quarter; the live
    icon is bright all over. Looks inside the icon itself (what differs from the panel's
    background), its rounded corners left out."""
    differs = np.any(np.abs(img.astype(int) - img[0, 0].astype(int)) > 12, axis=2)
    ys, xs = np.nonzero(differs)
    y0, y1, x0, x1 = ys.min() + 2, ys.max() - 1, xs.min() + 2, xs.max() - 1
    inner = img[y0:y1, x0:x1]
    h, w = inner.shape[:2]
    quarter = inner[h // 2:, w // 2:]
    return int((quarter.max(axis=2) < 80).sum()) >= 6


@pytest.mark.slow
def test_tray_icon_shows_live_and_idle(xsession: dict[str, str], tmp_path: Path) -> None:  # noqa: F811
    env = xsession
    ARTIFACTS.mkdir(exist_ok=True)
    device = tmp_path / "video9"
    device.write_bytes(b"")
    log_path = tmp_path / "app.log"
    with log_path.open("w") as log, ExitStack() as stack:
        app = subprocess.Popen(
            [sys.executable, "-c", LAUNCH, "-v", "--source", "demo", "--size", "640x360",
             "--vcam-backend", "vbg-recording", "--vcam-device", str(device)],
            env=env, stdout=log, stderr=subprocess.STDOUT)
        stack.callback(stop, app, signal.SIGKILL)

        def states() -> list[str]:
            if app.poll() is not None:
                pytest.fail(f"the app exited ({app.returncode}):\n{log_path.read_text()}")
            return re.findall(r"tray icon: (\w+)", log_path.read_text())

        def became(state: str, after: int) -> Callable[[], bool]:
            return lambda: state in states()[after:]

        until(lambda: "running: source demo" in log_path.read_text(), "the pipeline to run",
              START_S, poll=X_POLL_S)
        icon = wait_for_docked_icon(env)
        until(became("on", 0), "the live icon (preview shown)", STEP_S, poll=X_POLL_S)
        assert not badge_is_dark(icon_pixels(env, icon, "live"))

        n = len(states())
        ix, iy, iw, ih = geometry(env, icon)
        xdotool(env, "mousemove", "--sync", str(ix + iw // 2), str(iy + ih // 2))
        xdotool(env, "click", "1")  # hides the preview: nobody watches
        until(became("idle", n), "the idle icon", STEP_S, poll=X_POLL_S)
        assert badge_is_dark(icon_pixels(env, icon, "idle"))

        n = len(states())
        fd = os.open(device, os.O_RDONLY)  # an app opens the virtual camera
        try:
            until(became("on", n), "the live icon (an app reads)", STEP_S, poll=X_POLL_S)
        finally:
            os.close(fd)
        n = len(states())
        until(became("idle", n), "the idle icon (the app left)", STEP_S, poll=X_POLL_S)

        # Pause from the tray menu (keyboard: On, then Pause): the orange paused icon.
        n = len(states())
        xdotool(env, "mousemove", "--sync", str(ix + iw // 2), str(iy + ih // 2))
        xdotool(env, "click", "3")
        until(lambda: len(windows(env, "--onlyvisible", "--classname", "^vbg$")) > 1,
              "the tray menu to open", STEP_S, poll=X_POLL_S)
        xdotool(env, "key", "--delay", "120", "Down", "Down", "Return")
        until(became("paused", n), "the paused icon", STEP_S, poll=X_POLL_S)
        paused = icon_pixels(env, icon, "paused")
        b, _, r = paused.reshape(-1, 3).mean(axis=0)
        assert r > b + 40 and badge_is_dark(paused)  # orange, with the pause badge

        assert stop(app, signal.SIGINT, timeout=STEP_S) == 0, log_path.read_text()
    text = log_path.read_text()
    assert "Traceback" not in text, text
