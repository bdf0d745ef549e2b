"""The PipeWire camera's checks (issue 20): is a PipeWire daemon reachable, is vbg's node in the
graph, is the desktop portal there that hands cameras to browsers, do the browsers look for
PipeWire cameras, and how V4L2-only apps get to it (``pw-v4l2``).

Pure apart from what it is given: the environment (where the daemon's socket is), a root path
(the portal's files, the user's browser profiles under ``home``), a :data:`Runner` for
``pw-dump`` and a ``which`` for ``pw-v4l2``, so tests give it a fake tree. Each check is one
:class:`~vbg.app.vcam.findings.Finding`; :func:`usable` says whether browsers can read vbg's
PipeWire camera here.

:func:`write_launcher` writes the menu entry "APP (vbg camera)" that starts a V4L2-only app
through ``pw-v4l2``.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path

from vbg.app.syscommands import Runner, run_command
from vbg.app.vcam.findings import NOTE, OK, PROBLEM, DoctorInputError, Finding
from vbg.fileio import atomic_output
from vbg.sinks.pipewire import NODE_NAME, daemon_socket

CHROMIUM_FLAG = "enable-webrtc-pipewire-camera"
CHROMIUM_FEATURE = "--enable-features=WebRtcPipeWireCamera"
FIREFOX_PREF = "media.webrtc.camera.allow-pipewire"
PORTAL_FILES = ("usr/libexec/xdg-desktop-portal", "usr/lib/xdg-desktop-portal",
                "usr/share/dbus-1/services/org.freedesktop.portal.Desktop.service")
# Chromium-family browsers and where their "Local State" (chrome://flags) lives under ~.
CHROMIUM_STATES = {"Chromium": ".config/chromium/Local State",
                   "Google Chrome": ".config/google-chrome/Local State",
                   "Brave": ".config/BraveSoftware/Brave-Browser/Local State"}
_PREF = re.compile(r'user_pref\("' + re.escape(FIREFOX_PREF) + r'",\s*(true|false)\);')


def _vbg_node(runner: Runner) -> tuple[int | None, bool]:
    """(vbg's node id or None, whether pw-dump could be asked)."""
    r = runner(["pw-dump"], 10.0)
    if r.missing or r.returncode != 0:
        return None, False
    try:
        objects = json.loads(r.stdout or "[]")
    except ValueError:
        return None, False
    for o in objects if isinstance(objects, list) else []:
        props = ((o.get("info") or {}).get("props") or {}) if isinstance(o, dict) else {}
        if props.get("node.name") == NODE_NAME and props.get("media.role") == "Camera":
            return int(o.get("id", -1)), True
    return None, True


def _chromium_findings(home: Path) -> list[Finding]:
    out = []
    for browser, rel in CHROMIUM_STATES.items():
        path = home / rel
        try:
            state = json.loads(path.read_text(encoding="utf-8", errors="replace"))
        except (OSError, ValueError):
            continue
        labs = ((state.get("browser") or {}).get("enabled_labs_experiments") or []
                if isinstance(state, dict) else [])
        if f"{CHROMIUM_FLAG}@1" in labs:
            out.append(Finding("chromium-flag", OK, f"{browser} looks for PipeWire cameras."))
        else:
            out.append(Finding(
                "chromium-flag", NOTE,
                f"{browser} lists only V4L2 cameras until its PipeWire camera flag is on.",
                f"Open chrome://flags/#{CHROMIUM_FLAG}, choose Enabled and restart it (or "
                f"start it with {CHROMIUM_FEATURE})."))
    return out


def _firefox_findings(home: Path) -> list[Finding]:
    values = []
    for prefs in sorted((home / ".mozilla/firefox").glob("*/prefs.js")):
        try:
            m = _PREF.search(prefs.read_text(encoding="utf-8", errors="replace"))
        except OSError:
            continue
        values.append(m.group(1) if m else None)
    if not values:
        return []
    if "false" in values:
        return [Finding("firefox-pref", NOTE, f"Firefox has {FIREFOX_PREF} turned off.",
                        f"Open about:config, set {FIREFOX_PREF} to true and restart Firefox.")]
    return [Finding("firefox-pref", OK,
                    "Firefox looks for PipeWire cameras (unless your release predates it: "
                    f"then set {FIREFOX_PREF} to true in about:config).")]


def check_pipewire(env: Mapping[str, str] | None = None, root: Path = Path("/"),
                   runner: Runner = run_command, home: Path | None = None,
                   which: Callable[[str], str | None] = shutil.which) -> list[Finding]:
    """The PipeWire camera's findings, in order; see the module docstring."""
    findings: list[Finding] = []
    socket = daemon_socket(env)
    if socket is None:
        findings.append(Finding(
            "pipewire", NOTE, "No PipeWire daemon runs for this user, so vbg offers no "
            "PipeWire camera (browsers can read the v4l2loopback device instead).",
            "On a desktop with PipeWire, start it: systemctl --user start pipewire "
            "wireplumber."))
        return findings
    findings.append(Finding("pipewire", OK, f"PipeWire runs ({socket}): vbg offers its camera "
                            "there whenever it runs with --vcam-backend auto or pipewire."))
    node, asked = _vbg_node(runner)
    if node is not None:
        findings.append(Finding("pipewire-node", OK,
                                f"vbg's PipeWire camera is in the graph (node {node})."))
    elif asked:
        findings.append(Finding("pipewire-node", NOTE,
                                "vbg's PipeWire camera is not in the graph now (vbg is not "
                                "running, or runs with --vcam-backend v4l2)."))
    if not any((root / p).exists() for p in PORTAL_FILES):
        findings.append(Finding(
            "portal", PROBLEM, "The desktop portal (xdg-desktop-portal) is missing, so browsers "
            "can't reach PipeWire cameras.", "Install it:",
            ("sudo apt install xdg-desktop-portal",)))
    else:
        findings.append(Finding("portal", OK, "The desktop portal hands PipeWire cameras to "
                                "browsers (Flatpak ones too)."))
    home = Path(env.get("HOME", "~") if env else os.path.expanduser("~")) if home is None \
        else home
    findings += _chromium_findings(home) + _firefox_findings(home)
    if which("pw-v4l2"):
        findings.append(Finding(
            "pw-v4l2", NOTE, "Zoom, Teams' and Discord's desktop apps read only V4L2 devices: "
            "start them through PipeWire's wrapper to see vbg, e.g. `pw-v4l2 zoom`.",
            "Or let vbg write a menu entry for it:", ("vbg doctor --launcher zoom",)))
    else:
        findings.append(Finding(
            "pw-v4l2", NOTE, "Apps that read only V4L2 devices (Zoom, Teams' and Discord's "
            "desktop apps) need PipeWire's pw-v4l2 wrapper, which is not installed.",
            "Install it:", ("sudo apt install pipewire-v4l2",)))
    return findings


def usable(findings: list[Finding]) -> bool:
    """Browsers can read vbg's PipeWire camera: a daemon and the portal are there."""
    ok = {f.check for f in findings if f.status == OK}
    return {"pipewire", "portal"} <= ok


def _desktop_entry_for(app: str, root: Path, home: Path) -> dict[str, str]:
    """Name, Exec and Icon of an installed menu entry that starts ``app``, if any."""
    for folder in (home / ".local/share/applications", root / "usr/share/applications",
                   root / "var/lib/flatpak/exports/share/applications"):
        for entry in sorted(folder.glob("*.desktop")) if folder.is_dir() else []:
            try:
                text = entry.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            fields = dict(re.findall(r"^(Name|Exec|Icon)=(.*)$", text, re.MULTILINE))
            argv = shlex.split(fields.get("Exec", ""), posix=True) or [""]
            if os.path.basename(argv[0]) == app and "Name" in fields:
                return fields
    return {}


def write_launcher(app: str, home: Path | None = None, root: Path = Path("/"),
                   which: Callable[[str], str | None] = shutil.which) -> Path:
    """Write ``~/.local/share/applications/vbg-APP.desktop``, "APP (vbg camera)", which starts
    ``app`` through ``pw-v4l2`` so it sees vbg's PipeWire camera; returns its path.
    ``DoctorInputError`` (one sentence) when ``app`` or ``pw-v4l2`` is not installed."""
    if not re.fullmatch(r"[A-Za-z0-9._+-]+", app):
        raise DoctorInputError(f"{app!r} is not a program name; give the command that starts "
                               "the app, e.g. zoom.")
    if which("pw-v4l2") is None:
        raise DoctorInputError("pw-v4l2 is not installed; install it with `sudo apt install "
                               "pipewire-v4l2`, then retry.")
    home = Path(os.path.expanduser("~")) if home is None else home
    found = _desktop_entry_for(app, root, home)
    if not found and which(app) is None:
        raise DoctorInputError(f"No program {app!r} is installed here; give the command that "
                               "starts the app, e.g. zoom, teams-for-linux or discord.")
    name = found.get("Name", app[:1].upper() + app[1:])
    exec_line = found.get("Exec", app)
    lines = ["[Desktop Entry]", "Type=Application", f"Name={name} (vbg camera)",
             f"Comment=Starts {name} through pw-v4l2 so it sees vbg's PipeWire camera",
             f"Exec=pw-v4l2 {exec_line}", "Terminal=false", "Categories=AudioVideo;Video;"]
    if "Icon" in found:
        lines.append(f"Icon={found['Icon']}")
    path = home / ".local/share/applications" / f"vbg-{app}.desktop"
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_output(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    return path
