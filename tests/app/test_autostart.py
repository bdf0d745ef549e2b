"""Start at login on each OS: contents, locations, switching on and off (no real home used)."""

from __future__ import annotations

import configparser
import os
import plistlib
import shlex
import stat
import sys
from pathlib import Path

import pytest

from vbg.app import autostart as au

CMD = ["/opt/my apps/python", "-m", "vbg"]


def test_launch_command() -> None:
    assert au.launch_command("/usr/bin/python3", frozen=False, os_name="linux") == [
        "/usr/bin/python3", "-m", "vbg"]
    assert au.launch_command("/Applications/vbg.app/vbg", frozen=True) == [
        "/Applications/vbg.app/vbg"]


def test_launch_command_prefers_pythonw_on_windows(tmp_path: Path) -> None:
    exe = tmp_path / "python.exe"
    exe.write_text("")
    (tmp_path / "pythonw.exe").write_text("")
    assert au.launch_command(str(exe), frozen=False, os_name="win32")[0] == str(
        tmp_path / "pythonw.exe")


def test_linux_desktop_entry(tmp_path: Path) -> None:
    e = au.entry_for("linux", CMD, tmp_path / "home", tmp_path / "cfg", icon=Path("/i/vbg.png"))
    assert e.path == tmp_path / "cfg" / "autostart" / "vbg.desktop"
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(e.content)
    entry = parser["Desktop Entry"]
    assert entry["Type"] == "Application" and entry["Name"] == "vbg"
    assert entry["Icon"] == "/i/vbg.png"
    assert shlex.split(entry["Exec"]) == CMD  # the spec's quoting is shell-compatible here


def test_desktop_exec_escapes_specials() -> None:
    line = au.desktop_entry(['/a "b"/py', "100%", "$HOME"]).split("Exec=")[1].splitlines()[0]
    assert line == r'"/a \"b\"/py" 100%% "\$HOME"'


def test_macos_launch_agent(tmp_path: Path) -> None:
    e = au.entry_for("darwin", CMD, tmp_path, tmp_path / "unused")
    assert e.path == tmp_path / "Library" / "LaunchAgents" / "io.github.vbg.plist"
    data = plistlib.loads(e.content.encode())
    assert data["ProgramArguments"] == CMD and data["RunAtLoad"] is True
    assert data["Label"] == au.MACOS_LABEL


def test_windows_run_value(tmp_path: Path) -> None:
    e = au.entry_for("win32", [r"C:\Program Files\vbg\vbg.exe"], tmp_path, tmp_path)
    assert e.path is None and e.registry_key == au.WINDOWS_RUN_KEY
    assert e.content == r'"C:\Program Files\vbg\vbg.exe"'
    assert e.value_name == "vbg"


def test_unsupported_os() -> None:
    with pytest.raises(au.AutostartError):
        au.entry_for("sunos5", CMD, Path("/h"), Path("/c"))


def test_file_entry_on_and_off(tmp_path: Path) -> None:
    e = au.entry_for("linux", CMD, tmp_path, tmp_path / "cfg")
    assert not au.autostart_enabled(e)
    au.set_autostart(True, e)
    assert au.autostart_enabled(e) and e.path is not None
    assert e.path.read_text() == e.content
    au.set_autostart(True, e)  # idempotent
    au.set_autostart(False, e)
    assert not au.autostart_enabled(e)
    au.set_autostart(False, e)  # idempotent
    assert list((tmp_path / "cfg" / "autostart").iterdir()) == []  # no temp file left


def test_file_entry_failure_is_a_user_error(tmp_path: Path) -> None:
    blocker = tmp_path / "cfg"
    blocker.write_text("a file, not a folder")
    e = au.entry_for("linux", CMD, tmp_path, blocker)
    with pytest.raises(au.AutostartError, match="turn on"):
        au.set_autostart(True, e)


class FakeRegistry:
    def __init__(self) -> None:
        self.values: dict[tuple[str, str], str] = {}

    def get(self, key: str, name: str) -> str | None:
        return self.values.get((key, name))

    def set(self, key: str, name: str, value: str) -> None:
        self.values[(key, name)] = value

    def delete(self, key: str, name: str) -> None:
        self.values.pop((key, name), None)


def test_registry_entry_on_and_off(tmp_path: Path) -> None:
    reg = FakeRegistry()
    e = au.entry_for("win32", CMD, tmp_path, tmp_path)
    au.set_autostart(True, e, reg)
    assert reg.values == {(au.WINDOWS_RUN_KEY, "vbg"): e.content}
    assert au.autostart_enabled(e, reg)
    au.set_autostart(False, e, reg)
    assert not au.autostart_enabled(e, reg)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux paths")
def test_current_entry_on_linux_uses_xdg_config_home(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    e = au.current_entry()
    assert e.path == tmp_path / "autostart" / "vbg.desktop"
    assert f"\nExec={sys.executable} -m vbg --tray\n" in e.content  # at login: tray only


def test_the_desktop_entry_is_readable_by_others_like_any_new_file(tmp_path: Path) -> None:
    e = au.entry_for("linux", CMD, tmp_path, tmp_path / "cfg")
    old = os.umask(0o022)
    try:
        au.set_autostart(True, e)
    finally:
        os.umask(old)
    assert e.path is not None and stat.S_IMODE(e.path.stat().st_mode) == 0o644
