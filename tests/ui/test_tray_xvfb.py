"""The real tray, on a real X server: Xvfb + the `trayer` tray host + the app over xcb.

Runs the app in a subprocess (this pytest process already has an offscreen QApplication),
checks that a tray exists for it and that its icon is really docked in trayer's panel,
right-clicks the icon with xdotool, picks Background ▸ Sage green with the keyboard (as a user
of the open menu would; xdotool types into the menu's keyboard grab), and checks the choice
reached the app (the saved settings). Screenshots go to test-artifacts/ (git-ignored):
``xvfb-preview.png`` (the window at start), ``xvfb-tray-menu.png`` (the whole screen with the
tray menu and its Background submenu open), ``xvfb-preview-after.png`` (after the switch).

Skips only when Xvfb or trayer is not installed (.ci/run installs them); xdotool and
ImageMagick's `import` are then required.
"""

from __future__ import annotations

import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.waiting import START_S, WAIT_S, until

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
STEP_S = 1.5 * WAIT_S  # one step in a real X session (xdotool, ImageMagick)
X_POLL_S = 0.1  # each look at the X session runs a program
SAGE = "color:#3C825A"  # COLOR_PALETTE's sage green, as the settings file spells it

pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    not (shutil.which("Xvfb") and shutil.which("trayer")),
    reason="needs Xvfb and trayer (Debian packages xvfb, trayer; .ci/run installs them)",
)]


def xdotool(env: dict[str, str], *args: str) -> str:
    r = subprocess.run(["xdotool", *args], env=env, capture_output=True, text=True, timeout=20)
    return r.stdout.strip() if r.returncode == 0 else ""


def windows(env: dict[str, str], *search: str) -> list[str]:
    return xdotool(env, "search", *search).split()


def geometry(env: dict[str, str], wid: str) -> tuple[int, int, int, int]:
    out = xdotool(env, "getwindowgeometry", "--shell", wid)
    g = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    return int(g["X"]), int(g["Y"]), int(g["WIDTH"]), int(g["HEIGHT"])


def docked_icon(env: dict[str, str]) -> str | None:
    """The id of a small vbg window inside trayer's panel (the docked tray icon), if any."""
    px, py, pw, ph = geometry(env, windows(env, "--name", "^panel$")[0])
    for wid in windows(env, "--classname", "^vbg$"):
        x, y, w, h = geometry(env, wid)
        if px <= x < px + pw and py <= y < py + ph and w <= 64 and h <= 64:
            return wid
    return None


def wait_for_docked_icon(env: dict[str, str]) -> str:
    """Wait until the app's icon is really docked in trayer's panel; return its window id."""
    return str(until(lambda: docked_icon(env), "the tray icon in trayer's panel", STEP_S,
                     poll=X_POLL_S))


def screenshot(env: dict[str, str], target: str, path: Path) -> None:
    subprocess.run(["import", "-window", target, str(path)], env=env, check=True, timeout=30,
                   capture_output=True)


def stop(proc: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 10) -> int | None:
    """End a process we started: ``sig`` first, then kill."""
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
    return proc.returncode


def start_xvfb(stack: ExitStack) -> str:
    """Xvfb on a free display (it picks one and writes its number to a pipe: -displayfd).

    ``-noreset``: an X server resets when its last client disconnects, and a connection made
    during the reset is refused. Our polls (each an ``xdotool`` client) can be the only client
    before trayer or the app connects; without it trayer failed "cannot open display" in 3–7 of
    120–150 starts beside CPU load (0 of 250 with it), and the test then waited for a panel that
    could never come.
    """
    r, w = os.pipe()
    proc = subprocess.Popen(
        ["Xvfb", "-displayfd", str(w), "-screen", "0", "1280x900x24", "-nolisten", "tcp",
         "-noreset"],
        pass_fds=(w,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(w)
    stack.callback(stop, proc)
    # Read up to the newline before closing our end: Xvfb dies ("Cannot write display
    # number") if the pipe closes between its writes.
    text, deadline = b"", time.monotonic() + STEP_S
    try:
        while not text.endswith(b"\n"):
            ready, _, _ = select.select([r], [], [], max(0.0, deadline - time.monotonic()))
            chunk = os.read(r, 64) if ready else b""
            if not chunk:
                pytest.fail("Xvfb did not report a display")
            text += chunk
    finally:
        os.close(r)
    number = text.decode().strip()
    if not number.isdigit():
        pytest.fail(f"Xvfb failed to start (got {number!r})")
    return f":{number}"


@pytest.fixture
def xsession(tmp_path: Path) -> Iterator[dict[str, str]]:
    """An X display with a tray host; yields the environment for programs on it."""
    missing = [b for b in ("xdotool", "import") if not shutil.which(b)]
    if missing:
        pytest.fail(f"{', '.join(missing)} missing: install xdotool and imagemagick")
    with ExitStack() as stack:
        display = start_xvfb(stack)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("QT_", "WAYLAND"))}
        env.update(DISPLAY=display, QT_QPA_PLATFORM="xcb",
                   XDG_CONFIG_HOME=str(tmp_path / "config"),
                   XDG_DATA_HOME=str(tmp_path / "data"),
                   PYTHONPATH=os.pathsep.join(
                       p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p))
        trayer_log = tmp_path / "trayer.log"
        with trayer_log.open("wb") as out:
            trayer = subprocess.Popen(
                ["trayer", "--edge", "bottom", "--align", "right", "--widthtype", "request",
                 "--height", "32", "--SetDockType", "true", "--SetPartialStrut", "true",
                 "--transparent", "true", "--alpha", "0", "--tint", "0x23272e",
                 "--expand", "true"],
                env=env, stdout=out, stderr=subprocess.STDOUT)
        stack.callback(stop, trayer)

        def panel() -> list[str]:
            if trayer.poll() is not None:  # say why at once rather than wait for a panel
                pytest.fail(f"trayer exited ({trayer.returncode}): "
                            f"{trayer_log.read_text(errors='replace').strip()}")
            return windows(env, "--name", "^panel$")

        until(panel, "trayer's panel", STEP_S, poll=X_POLL_S)
        yield env


def test_tray_icon_is_docked_and_its_menu_switches_the_background(
        xsession: dict[str, str], tmp_path: Path) -> None:
    env = xsession
    ARTIFACTS.mkdir(exist_ok=True)

    # Qt itself sees a system tray on this display (what the app asks at start-up).
    probe = subprocess.run(
        [sys.executable, "-c",
         "from PySide6.QtWidgets import QApplication, QSystemTrayIcon as T; "
         "a = QApplication([]); print(T.isSystemTrayAvailable())"],
        env=env, capture_output=True, text=True, timeout=STEP_S * 2)
    assert probe.stdout.strip() == "True", probe.stderr

    log_path = tmp_path / "app.log"
    with log_path.open("w") as log, ExitStack() as stack:
        app = subprocess.Popen([sys.executable, "-m", "vbg", "-v", "--source", "demo",
                                "--no-vcam"], env=env, stdout=log, stderr=subprocess.STDOUT)
        stack.callback(stop, app, signal.SIGKILL)

        def logged(pattern: str) -> Callable[[], bool]:
            def check() -> bool:
                if app.poll() is not None:
                    pytest.fail(f"the app exited ({app.returncode}):\n{log_path.read_text()}")
                return re.search(pattern, log_path.read_text()) is not None
            return check

        until(logged(r"running: source demo"), "the pipeline to run", START_S, poll=X_POLL_S)
        until(logged(r"preview: first frame drawn"), "the preview's first frame", START_S,
              poll=X_POLL_S)

        icon = wait_for_docked_icon(env)
        ix, iy, iw, ih = geometry(env, icon)

        main = windows(env, "--onlyvisible", "--name", "^Virtual background")
        assert main, "the preview window is not shown"
        time.sleep(1.0)  # a second of live video so the screenshot shows a settled picture
        screenshot(env, main[0], ARTIFACTS / "xvfb-preview.png")

        before = set(windows(env, "--onlyvisible", "--classname", "^vbg$"))
        xdotool(env, "mousemove", "--sync", str(ix + iw // 2), str(iy + ih // 2))
        xdotool(env, "click", "3")
        menu_win = until(lambda: set(
            windows(env, "--onlyvisible", "--classname", "^vbg$")) - before,
            "the tray menu to open", STEP_S, poll=X_POLL_S)
        # Keyboard: On → Pause → Background, open it, then down to Sage green.
        xdotool(env, "key", "--delay", "120", "Down", "Down", "Down", "Right")
        opened = set(menu_win) | before
        until(lambda: set(
            windows(env, "--onlyvisible", "--classname", "^vbg$")) - opened,
            "the Background submenu", STEP_S, poll=X_POLL_S)
        xdotool(env, "key", "--delay", "120", *["Down"] * 7)
        time.sleep(0.5)  # let the highlight paint before the screenshot
        screenshot(env, "root", ARTIFACTS / "xvfb-tray-menu.png")
        xdotool(env, "key", "Return")

        settings = tmp_path / "config" / "vbg" / "settings.json"

        def switched() -> bool:
            try:
                return json.loads(settings.read_text())["background"] == SAGE
            except (OSError, ValueError, KeyError):
                return False

        until(switched, "the background to switch to sage green", STEP_S, poll=X_POLL_S)
        time.sleep(1.0)
        screenshot(env, main[0], ARTIFACTS / "xvfb-preview-after.png")

        # Ctrl+C quits cleanly: pipeline stopped, exit status 0.
        assert stop(app, signal.SIGINT, timeout=STEP_S) == 0, log_path.read_text()
    text = log_path.read_text()
    assert "Traceback" not in text, text
