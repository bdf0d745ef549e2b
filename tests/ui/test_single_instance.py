"""One desktop app per user (vbg.ui.single_instance): a second launch brings the first one's
window up and exits; a socket left by a killed app does not block the next start."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.ui.conftest import WAIT_MS
from tests.ui.test_app_run import _env
from tests.waiting import START_S, until
from vbg.ui import single_instance
from vbg.ui.single_instance import (
    BROUGHT_UP,
    NO_ANSWER,
    QUITTING,
    InstanceServer,
    ask_to_show,
    claim,
    server_name,
)

unix_only = pytest.mark.skipif(sys.platform == "win32", reason="AF_UNIX socket files")


def in_thread(fn: Callable[[], object]) -> tuple[threading.Thread, list[object]]:
    """Run a blocking client (plain sockets) in a thread so this thread's event loop can
    serve it."""
    out: list[object] = []
    t = threading.Thread(target=lambda: out.append(fn()), daemon=True)
    t.start()
    return t, out


def second_launch(name: str, call: str = "claim") -> subprocess.Popen:
    """``claim(name)`` (what a second ``vbg`` does) in another process, so this one's event
    loop serves it; its stdout is what it returned (Qt objects stay out of Python threads)."""
    code = ("import sys; from vbg.ui import single_instance as s; "
            f"r = s.{call}(sys.argv[1]); print(r if isinstance(r, str) else 'LISTENING')")
    return subprocess.Popen([sys.executable, "-c", code, name], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=_env(Path(name).parent))


def answer_of(qtbot, proc: subprocess.Popen) -> str:
    qtbot.waitUntil(lambda: proc.poll() is not None, timeout=WAIT_MS)
    out, err = proc.communicate()
    assert proc.returncode == 0, err
    return out.strip()


@pytest.fixture
def name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A server name of this test's own (a socket in tmp_path, like $XDG_RUNTIME_DIR)."""
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    name = server_name(str(tmp_path / "config" / "vbg" / "settings.json"))
    assert name.startswith(str(runtime)), "tmp_path too deep for a socket path"
    return name


def test_the_name_is_per_user_and_per_settings_folder(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    a, b = server_name("/home/a/.config/vbg/settings.json"), server_name("/x/settings.json")
    assert a != b and a == server_name("/home/a/.config/vbg/settings.json")
    assert a.startswith(str(tmp_path) + os.sep) and a.endswith(".sock")
    # Without a runtime folder (or one too deep for a socket path): a name in the temporary
    # folder that carries the user.
    for runtime in ("", str(tmp_path / ("d" * 120))):
        monkeypatch.setenv("XDG_RUNTIME_DIR", runtime)
        plain = server_name("/x/settings.json")
        assert os.sep not in plain and plain.startswith("vbg-")
        if hasattr(os, "getuid"):
            assert plain.startswith(f"vbg-{os.getuid()}-")


def test_a_second_launch_shows_the_first_ones_window(make_app, qtbot, name: str) -> None:
    h = make_app(show_window=False)
    assert not h.window.isVisible()
    first = claim(name)
    assert isinstance(first, InstanceServer) and first.listening
    first.show_requested.connect(lambda: h.shell.set_preview_visible(True))
    try:
        assert answer_of(qtbot, second_launch(name)) == BROUGHT_UP
        assert h.window.isVisible()  # shown (and raised) before the answer went back
        # Again once shown: still one app, still answered.
        assert answer_of(qtbot, second_launch(name, "ask_to_show")) == BROUGHT_UP
        assert first.listening
    finally:
        first.close()
    # The first app gone (closed cleanly): the next launch is the app.
    again = claim(name)
    assert isinstance(again, InstanceServer) and again.listening
    again.close()


@unix_only
def test_a_socket_left_by_a_killed_app_is_taken_over(qapp, qtbot, name: str) -> None:
    stale = socket.socket(socket.AF_UNIX)
    stale.bind(name)  # bound, never listening, closed: the file stays, nobody answers
    stale.close()
    assert Path(name).exists()
    assert ask_to_show(name) is None
    server = claim(name)
    assert isinstance(server, InstanceServer) and server.listening
    shown: list[int] = []
    server.show_requested.connect(lambda: shown.append(1))
    try:
        assert answer_of(qtbot, second_launch(name, "ask_to_show")) == BROUGHT_UP
        assert shown == [1]
    finally:
        server.close()


@unix_only
def test_an_app_that_does_not_answer_is_said_so(qapp, name: str) -> None:
    hung = socket.socket(socket.AF_UNIX)
    hung.bind(name)
    hung.listen(1)  # accepts (the kernel does) but never reads nor answers
    try:
        assert ask_to_show(name, timeout_ms=300) == NO_ANSWER
        assert claim(name) == NO_ANSWER  # not taken over: it is alive
    finally:
        hung.close()


@unix_only
def test_an_app_that_drops_the_connection_is_quitting(qapp, name: str) -> None:
    quitting = socket.socket(socket.AF_UNIX)
    quitting.bind(name)
    quitting.listen(1)

    def drop() -> None:
        conn, _ = quitting.accept()
        conn.close()

    t = threading.Thread(target=drop, daemon=True)
    t.start()
    try:
        assert ask_to_show(name, timeout_ms=5000) == QUITTING
    finally:
        t.join(5)
        quitting.close()


@unix_only
def test_other_requests_are_ignored(qapp, qtbot, name: str) -> None:
    server = claim(name)
    assert isinstance(server, InstanceServer)
    shown: list[int] = []
    server.show_requested.connect(lambda: shown.append(1))
    try:
        def talk() -> bytes:
            with socket.socket(socket.AF_UNIX) as s:
                s.settimeout(10)
                s.connect(name)
                s.sendall(b"quit\n")
                return s.recv(16)  # b"": dropped without an answer

        t, out = in_thread(talk)
        qtbot.waitUntil(lambda: bool(out), timeout=WAIT_MS)
        assert out == [b""] and shown == []
    finally:
        server.close()


def test_a_lock_that_cannot_be_taken_does_not_keep_vbg_from_starting(
        qapp, name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(single_instance, "_lock_path", lambda _: "/nonexistent/dir/x.lock")
    server = claim(name, lock_timeout_ms=100)
    assert isinstance(server, InstanceServer) and server.listening
    server.close()


def _wait_for(log_path: Path, pattern: str, proc: subprocess.Popen) -> None:
    """Until ``pattern`` is in the app's log (it must not exit meanwhile)."""
    def logged() -> bool:
        assert proc.poll() is None, log_path.read_text()
        return re.search(pattern, log_path.read_text()) is not None

    until(logged, f"{pattern!r} in the log", START_S, poll=0.1)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.kill()
        proc.wait()


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT / SIGKILL")
def test_vbg_tray_twice_leaves_one_app_and_survives_a_killed_one(tmp_path: Path) -> None:
    """As a user meets it: `vbg --tray` killed (-9), started again (the stale socket does not
    block it), then a second `vbg --tray` brings the window up and exits 0 at once."""
    env = _env(tmp_path, QT_QPA_PLATFORM="offscreen")
    env.pop("XDG_RUNTIME_DIR", None)  # the socket in /tmp, named after the user
    argv = [sys.executable, "-m", "vbg", "--tray", "-v", "--source", "demo", "--no-vcam",
            "--size", "320x240"]
    killed_log, log_path = tmp_path / "killed.log", tmp_path / "app.log"
    with killed_log.open("w") as log:
        killed = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_for(killed_log, r"running: source demo", killed)
        finally:
            killed.send_signal(signal.SIGKILL)
            killed.wait(30)
    with log_path.open("w") as log:
        app = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_for(log_path, r"running: source demo", app)
            assert "removing a stale socket" in log_path.read_text()
            started = time.monotonic()
            second = subprocess.run([a for a in argv if a != "-v"], env=env,
                                    capture_output=True, text=True, timeout=60)
            took = time.monotonic() - started
            assert (second.returncode, second.stderr, second.stdout) == (0, BROUGHT_UP + "\n",
                                                                         "")
            assert took < 30, took  # no pipeline started: it only asked and left
            _wait_for(log_path, r"another launch asked for the window", app)
            _wait_for(log_path, r"preview: first frame drawn", app)  # the window is up
            assert app.poll() is None
            app.send_signal(signal.SIGINT)
            assert app.wait(60) == 0, log_path.read_text()
        finally:
            _stop(app)
    assert "Traceback" not in log_path.read_text()
