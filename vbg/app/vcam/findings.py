"""What the virtual-camera diagnosis finds: its result types and the names and paths it
speaks of (the v4l2loopback module, vbg's boot configuration). Pure data, no I/O."""

from __future__ import annotations

import re
import shlex
from dataclasses import asdict, dataclass

from vbg.errors import VbgError
from vbg.sinks.virtualcam import V4L2LOOPBACK_OPTIONS

MODULE = "v4l2loopback"
MODULES_LOAD_CONF = "/etc/modules-load.d/vbg.conf"
MODPROBE_CONF = "/etc/modprobe.d/vbg.conf"
DKMS_KEY = "/var/lib/dkms/mok.pub"
MODPROBE = f"sudo modprobe {MODULE} {V4L2LOOPBACK_OPTIONS}"
RELOAD = (f"sudo modprobe -r {MODULE}", MODPROBE)
ENROL_KEY = f"sudo mokutil --import {DKMS_KEY}"
SYSFS_DEVICES = "sys/devices/virtual/video4linux"
# The kernel's words, and the setup helper's (packaging/linux/setup-virtual-camera.sh).
_KEY_REJECTED = re.compile(r"Key was rejected by service|Required key not available|"
                           r"Secure Boot is on and refused", re.IGNORECASE)
_DEVICE_PATH = re.compile(r"/dev/video(\d+)")

OK, PROBLEM, NOTE = "ok", "problem", "note"


class DoctorInputError(VbgError):
    """A bad argument to the diagnosis (e.g. a device path that is not a virtual camera)."""


@dataclass(frozen=True)
class ConfigFile:
    """A root-owned file the fix writes; shown to the user as a ``sudo tee`` line."""

    path: str
    lines: tuple[str, ...]

    def tee_command(self) -> str:
        body = " ".join(shlex.quote(line) for line in self.lines)
        return f"printf '%s\\n' {body} | sudo tee {shlex.quote(self.path)} >/dev/null"


BOOT_CONFIG = (
    ConfigFile(MODULES_LOAD_CONF, (MODULE,)),
    ConfigFile(MODPROBE_CONF, (f"options {MODULE} {V4L2LOOPBACK_OPTIONS}",)),
)


# ----------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Finding:
    """One check's result. ``status``: "ok", "problem" (the camera won't work, or apps won't
    list it) or "note" (worth knowing, not blocking). ``text``: what was found, one line;
    ``fix``: one sentence of what to do; ``commands``: shell lines that do it, runnable as
    they are (file contents are ``sudo tee`` lines)."""

    check: str
    status: str
    text: str
    fix: str = ""
    commands: tuple[str, ...] = ()


@dataclass(frozen=True)
class Holder:
    """A process holding a device open; ``vbg``: it is a vbg (the bundle or ``python -m
    vbg``), so the device is fed by vbg, not taken by another program."""

    pid: int
    name: str
    vbg: bool = False

    def __str__(self) -> str:
        return f"{self.name} (pid {self.pid})"


@dataclass(frozen=True)
class LoopbackDevice:
    """A v4l2loopback device as sysfs/procfs/devfs show it. ``exclusive_caps``: None when the
    module does not say; ``writer_format``: the format a writing program set ("" when nobody
    writes); ``writable``: this user may open it for writing (None: the node is missing)."""

    number: int
    label: str
    exclusive_caps: bool | None = None
    writer_format: str = ""
    holders: tuple[Holder, ...] = ()
    writable: bool | None = None
    mine: bool = False  # this process holds it (vbg itself is the writer)
    fed_by_vbg: bool = False  # this or another vbg process holds it

    @property
    def path(self) -> str:
        return f"/dev/video{self.number}"

    @property
    def busy(self) -> bool:
        """Another program writes to it."""
        return bool(self.writer_format) and not (self.mine or self.fed_by_vbg)

    def __str__(self) -> str:
        return f"{self.path} (“{self.label}”)" if self.label else self.path


@dataclass(frozen=True)
class Diagnosis:
    """Every finding in check order. ``works``: vbg can feed a virtual camera that apps list;
    ``setup``: what the setup helper would do ("load", "reload") or None when it can't help;
    ``helper``: the trusted helper's path, None when there is none (commands are shown)."""

    os_name: str
    findings: tuple[Finding, ...]
    devices: tuple[LoopbackDevice, ...] = ()
    works: bool = False
    setup: str | None = None
    helper: str | None = None
    helper_note: str = ""

    @property
    def problems(self) -> list[Finding]:
        return [f for f in self.findings if f.status == PROBLEM]

    @property
    def commands(self) -> list[str]:
        """Every command of the findings, problems first, each once."""
        seen: list[str] = []
        for f in sorted(self.findings, key=lambda f: f.status != PROBLEM):
            seen += [c for c in f.commands if c not in seen]
        return seen

    @property
    def exit_code(self) -> int:
        return 0 if self.works and not self.problems else 1

    @property
    def summary(self) -> str:
        """One line: the headline of the dialog and of ``vbg doctor``."""
        if self.works and not self.problems:
            free = [d for d in self.devices if not d.busy and d.writable]
            where = f": {free[0]}" if free else ""
            return f"The virtual camera works{where}."
        first = self.problems[0].text if self.problems else "The virtual camera does not work."
        return f"Virtual camera off — {first[0].lower()}{first[1:]}"

    def to_json(self) -> dict[str, object]:
        return {
            "os": self.os_name, "works": self.works and not self.problems,
            "summary": self.summary, "setup": self.setup, "helper": self.helper,
            "findings": [asdict(f) | {"commands": list(f.commands)} for f in self.findings],
            "devices": [asdict(d) | {"path": d.path, "busy": d.busy} for d in self.devices],
            "commands": self.commands,
        }
