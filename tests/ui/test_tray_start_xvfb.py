"""``vbg --tray`` (what start-at-login runs) on a real X server with a tray host: the icon docks
in the panel, no window is shown, and the app keeps running until Ctrl+C.

Same set-up as test_tray_xvfb.py (Xvfb + trayer + xdotool); skips where they are missing.
Screenshot: test-artifacts/xvfb-tray-start.png (the whole screen: only the panel's icon).
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path

from tests.ui.test_tray_xvfb import (
    ARTIFACTS,
    STEP_S,
    X_POLL_S,
    pytestmark,  # noqa: F401 (the same skip)
    screenshot,
    stop,
    wait_for_docked_icon,
    windows,
    xsession,  # noqa: F401 (fixture)
)
from tests.waiting import START_S, until


def test_vbg_tray_starts_hidden_and_keeps_running(xsession: dict[str, str],  # noqa: F811
                                                   tmp_path: Path) -> None:
    env = xsession
    ARTIFACTS.mkdir(exist_ok=True)
    log_path = tmp_path / "app.log"
    with log_path.open("w") as log, ExitStack() as stack:
        app = subprocess.Popen([sys.executable, "-m", "vbg", "--tray", "-v", "--source", "demo",
                                "--no-vcam"], env=env, stdout=log, stderr=subprocess.STDOUT)
        stack.callback(stop, app, signal.SIGKILL)

        def running() -> bool:
            assert app.poll() is None, log_path.read_text()
            return re.search(r"running: source demo", log_path.read_text()) is not None

        until(running, "the pipeline to run", START_S, poll=X_POLL_S)
        wait_for_docked_icon(env)
        # Still no window a few seconds later, and still running.
        deadline = time.monotonic() + 3.0
        while time.monotonic() < deadline:
            assert not windows(env, "--onlyvisible", "--name", "^Virtual background"), \
                "vbg --tray showed its window"
            assert app.poll() is None, log_path.read_text()
            time.sleep(0.2)
        screenshot(env, "root", ARTIFACTS / "xvfb-tray-start.png")
        assert stop(app, signal.SIGINT, timeout=STEP_S) == 0, log_path.read_text()
    text = log_path.read_text()
    assert "Traceback" not in text and "preview: first frame drawn" not in text, text
