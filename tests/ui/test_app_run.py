"""``vbg`` (run_app) as a user starts it, and the preview benchmark."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.ui.conftest import small_config
from tests.waiting import START_S, until
from vbg.ui.bench_preview import run_preview_bench

REPO = Path(__file__).resolve().parents[2]


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_DATA_HOME=str(tmp_path / "data"),
               PYTHONPATH=os.pathsep.join(
                   p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p), **extra)
    return env


def test_vbg_starts_the_app_without_a_camera_and_quits_on_ctrl_c(tmp_path: Path) -> None:
    log_path = tmp_path / "app.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "vbg", "-v", "--source", "demo", "--no-vcam",
             "--size", "640x360"],
            env=_env(tmp_path, QT_QPA_PLATFORM="offscreen"), stdout=log,
            stderr=subprocess.STDOUT)
        try:
            def drawn() -> bool:
                assert proc.poll() is None, log_path.read_text()
                return re.search(r"preview: first frame drawn", log_path.read_text()) is not None

            until(drawn, "the preview's first frame", START_S, poll=0.1)
            proc.send_signal(signal.SIGINT)
            assert proc.wait(60) == 0, log_path.read_text()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    text = log_path.read_text()
    assert "running: source demo 640x360" in text and "Traceback" not in text


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11/Wayland check")
def test_without_a_display_it_says_so_in_one_sentence(tmp_path: Path) -> None:
    env = _env(tmp_path)
    for k in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        env.pop(k, None)
    r = subprocess.run([sys.executable, "-m", "vbg", "--source", "demo", "--no-vcam"],
                       env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 2
    assert "No display found" in r.stderr and "vbg run" in r.stderr
    assert "Traceback" not in r.stderr


def test_preview_bench_reports_rates(qapp) -> None:
    cfg = small_config(vcam=False)
    result = run_preview_bench(cfg, seconds=1.5)
    assert result["preview"] is True
    assert result["output_fps"] > 5 and result["frames_drawn"] > 0
    assert result["process_fps"] > 0 and result["platform"] == "offscreen"
    headless = run_preview_bench(cfg, seconds=1.0, preview=False)
    assert headless["frames_drawn"] == 0 and headless["output_fps"] > 5
