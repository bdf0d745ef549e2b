"""Start vbg at login: a .desktop file (Linux), a Run-key value (Windows), a LaunchAgent (macOS).

Off by default. The contents and locations are pure functions of the OS, the launch command and
the home/config folders (:func:`entry_for`), so tests check all three OSes from any OS;
:func:`set_autostart` / :func:`autostart_enabled` do the I/O. The Windows registry is touched
through :mod:`winreg` only on Windows (a fake registry object can be passed in for tests).
"""

from __future__ import annotations

import plistlib
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import platformdirs

from vbg import resources
from vbg.errors import VbgError
from vbg.fileio import atomic_output

APP_NAME = "vbg"
MACOS_LABEL = "io.github.vbg"
WINDOWS_RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"


class AutostartError(VbgError):
    """Start-at-login could not be switched on or off."""


def launch_command(executable: str = sys.executable,
                   frozen: bool = bool(getattr(sys, "frozen", False)),
                   os_name: str = sys.platform) -> list[str]:
    """How to start the app: the bundle's own executable when frozen (PyInstaller), else
    ``python -m vbg`` with this interpreter (``pythonw`` on Windows: no console window)."""
    if frozen:
        return [executable]
    if os_name == "win32":
        exe = Path(executable)
        pythonw = exe.with_name("pythonw.exe")
        if exe.name.lower() == "python.exe" and pythonw.exists():
            executable = str(pythonw)
    return [executable, "-m", "vbg"]


def _desktop_quote(arg: str) -> str:
    """Quote one argument for a .desktop ``Exec`` line (Desktop Entry spec, "Exec key")."""
    arg = arg.replace("%", "%%")
    if arg and not any(c in arg for c in ' \t\n"\'\\><~|&;$*?#()`'):
        return arg
    escaped = "".join("\\" + c if c in '"`$\\' else c for c in arg)
    return f'"{escaped}"'


def desktop_entry(command: list[str], icon: Path | None = None) -> str:
    """The contents of ``~/.config/autostart/vbg.desktop``."""
    lines = [
        "[Desktop Entry]",
        "Type=Application",
        f"Name={APP_NAME}",
        "Comment=Virtual background for your webcam",
        "Exec=" + " ".join(_desktop_quote(a) for a in command),
        "Terminal=false",
        "X-GNOME-Autostart-enabled=true",
    ]
    if icon is not None:
        lines.insert(5, f"Icon={icon}")
    return "\n".join(lines) + "\n"


def launch_agent(command: list[str]) -> str:
    """The contents of ``~/Library/LaunchAgents/io.github.vbg.plist``."""
    data = {
        "Label": MACOS_LABEL,
        "ProgramArguments": list(command),
        "RunAtLoad": True,
        "ProcessType": "Interactive",
    }
    return plistlib.dumps(data).decode("utf-8")


def run_value(command: list[str]) -> str:
    """The Run-key value data: the command line, quoted the Windows way."""
    return subprocess.list2cmdline(command)


@dataclass(frozen=True)
class AutostartEntry:
    """Where start-at-login lives on one OS and what goes there.

    File-based (Linux, macOS): ``path`` and ``content``. Windows: ``registry_key`` (under
    HKEY_CURRENT_USER), ``value_name`` and ``content`` (the command line).
    """

    os_name: str
    content: str
    path: Path | None = None
    registry_key: str | None = None
    value_name: str = APP_NAME


def entry_for(os_name: str, command: list[str], home: Path, config_home: Path,
              icon: Path | None = None) -> AutostartEntry:
    """The autostart entry for ``os_name`` (a ``sys.platform`` value). ``config_home``: the
    XDG config folder on Linux (``$XDG_CONFIG_HOME`` or ``~/.config``)."""
    if os_name == "win32":
        return AutostartEntry(os_name, run_value(command), registry_key=WINDOWS_RUN_KEY)
    if os_name == "darwin":
        return AutostartEntry(os_name, launch_agent(command),
                              path=home / "Library" / "LaunchAgents" / f"{MACOS_LABEL}.plist")
    if os_name.startswith(("linux", "freebsd", "openbsd", "netbsd")):
        return AutostartEntry(os_name, desktop_entry(command, icon),
                              path=config_home / "autostart" / f"{APP_NAME}.desktop")
    raise AutostartError(f"Starting at login is not supported on {os_name}.")


def current_entry() -> AutostartEntry:
    """The entry for this machine and this installation: ``<launch command> --tray``."""
    # platformdirs honours $XDG_CONFIG_HOME (the folder autostart files go under on Linux).
    config_home = Path(platformdirs.user_config_dir())
    # --tray: at login vbg goes straight to the tray, no window in the user's face.
    return entry_for(sys.platform, [*launch_command(), "--tray"], Path.home(), config_home,
                     icon=resources.asset("icons", "vbg.png"))


class Registry(Protocol):
    """The bit of ``winreg`` we use, so tests can pass a dict-backed fake."""

    def get(self, key: str, name: str) -> str | None: ...
    def set(self, key: str, name: str, value: str) -> None: ...
    def delete(self, key: str, name: str) -> None: ...


class WinRegistry:
    """HKEY_CURRENT_USER through ``winreg`` (imported here: it exists on Windows only)."""

    def __init__(self) -> None:
        import winreg  # Windows-only module

        self._w = winreg

    def get(self, key: str, name: str) -> str | None:
        w = self._w
        try:
            with w.OpenKey(w.HKEY_CURRENT_USER, key) as k:
                return str(w.QueryValueEx(k, name)[0])
        except FileNotFoundError:
            return None

    def set(self, key: str, name: str, value: str) -> None:
        w = self._w
        with w.CreateKeyEx(w.HKEY_CURRENT_USER, key, 0, w.KEY_SET_VALUE) as k:
            w.SetValueEx(k, name, 0, w.REG_SZ, value)

    def delete(self, key: str, name: str) -> None:
        w = self._w
        try:
            with w.OpenKey(w.HKEY_CURRENT_USER, key, 0, w.KEY_SET_VALUE) as k:
                w.DeleteValue(k, name)
        except FileNotFoundError:
            pass


def _registry(entry: AutostartEntry, registry: Registry | None) -> Registry:
    return registry if registry is not None else WinRegistry()


def autostart_enabled(entry: AutostartEntry, registry: Registry | None = None) -> bool:
    """True when the entry is in place (any content: a user may have edited it)."""
    if entry.registry_key is not None:
        return _registry(entry, registry).get(entry.registry_key, entry.value_name) is not None
    return entry.path is not None and entry.path.is_file()


def set_autostart(enabled: bool, entry: AutostartEntry, registry: Registry | None = None) -> None:
    """Put the entry in place or remove it (idempotent); ``AutostartError`` on failure."""
    try:
        if entry.registry_key is not None:
            reg = _registry(entry, registry)
            if enabled:
                reg.set(entry.registry_key, entry.value_name, entry.content)
            else:
                reg.delete(entry.registry_key, entry.value_name)
            return
        if entry.path is None:
            raise AutostartError(f"Starting at login is not supported on {entry.os_name}.")
        if not enabled:
            entry.path.unlink(missing_ok=True)
            return
        entry.path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_output(entry.path, "w", encoding="utf-8") as f:
            f.write(entry.content)
    except OSError as exc:
        where = entry.path or f"HKCU\\{entry.registry_key}"
        raise AutostartError(
            f"Could not {'turn on' if enabled else 'turn off'} starting at login ({where}: "
            f"{exc.strerror or exc})."
        ) from exc
