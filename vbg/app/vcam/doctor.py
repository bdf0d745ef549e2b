"""Why video apps can't see vbg's virtual camera, and the exact fix for each cause.

The diagnosis behind ``vbg doctor`` and the app's virtual-camera dialog. Qt-free and pure apart
from reading files under ``root`` (default ``/``: ``/sys``, ``/proc``, ``/dev``, ``/etc``) and
running a few read-only commands (``modinfo``, ``mokutil``, ``journalctl``) through an injectable
:data:`Runner`, so tests give it a fake sysfs/proc tree in a temporary folder and a fake runner.

Checks, in order, each one :class:`Finding` (one line of what was found, one sentence of fix,
and the commands that do it):

Linux: the OS; v4l2loopback available (``modinfo``); loaded (``/sys/module/v4l2loopback``);
Secure Boot, when the module is not loaded and Secure Boot is why (a "Key was rejected by
service" from the setup helper or this boot's ``systemd-modules-load``, or an unsigned module
with Secure Boot on); the devices and their labels (``/sys/devices/virtual/video4linux/*/name``
— only v4l2loopback and similar loopback drivers create devices there); ``exclusive_caps`` as
loaded (``/sys/module/v4l2loopback/parameters/exclusive_caps``, one Y/N per device); a device
busy with another writer (its sysfs ``format`` is set only while a program feeds it; the
programs holding it open come from ``/proc/*/fd``); whether this user may open the device for
writing; and whether the package's boot configuration (``/etc/modules-load.d/vbg.conf``,
``/etc/modprobe.d/vbg.conf``) is in place.

Windows/macOS: whether the OBS Virtual Camera can be opened (pyvirtualcam's backend error,
through an injectable probe).

:attr:`Diagnosis.setup` says whether the one-click setup (:mod:`vbg.app.vcam.setup`) can fix
what was found, and :attr:`Diagnosis.helper` whether its trusted helper is installed.
"""

from __future__ import annotations

import os
import platform
import re
import shlex
import stat
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from vbg.app.syscommands import Runner, run_command
from vbg.app.vcam.findings import (  # noqa: F401 - RELOAD, ConfigFile...: the diagnosis' words
    _KEY_REJECTED,
    BOOT_CONFIG,
    DKMS_KEY,
    ENROL_KEY,
    MODPROBE,
    MODULE,
    MODULES_LOAD_CONF,
    NOTE,
    OK,
    PROBLEM,
    RELOAD,
    ConfigFile,
    Diagnosis,
    DoctorInputError,
    Finding,
    LoopbackDevice,
)
from vbg.app.vcam.pipewire import check_pipewire, usable
from vbg.app.vcam.probe import (  # noqa: F401 - validate_device: part of this module's API
    _group_name,
    _install_command,
    _os_release,
    _probe_obs,
    _read,
    loopback_devices,
    validate_device,
)
from vbg.app.vcam.setup import trusted_helper
from vbg.sinks.virtualcam import virtual_camera_help

# ----------------------------------------------------------------------------- checks


@dataclass
class _Ctx:
    root: Path
    run: Runner
    uid: int
    gids: list[int]
    self_pid: int
    load_error: str
    findings: list[Finding] = field(default_factory=list)

    def add(self, *a: object, **k: object) -> Finding:
        f = Finding(*a, **k)  # type: ignore[arg-type]
        self.findings.append(f)
        return f


def _secure_boot_enabled(ctx: _Ctx) -> bool | None:
    r = ctx.run(["mokutil", "--sb-state"], 10.0)
    if r.missing:
        return None
    text = r.output.lower()
    if "secureboot enabled" in text:
        return True
    if "secureboot disabled" in text or "not supported" in text:
        return False
    return None


def _boot_load_error(ctx: _Ctx) -> str:
    """Why this boot's ``systemd-modules-load`` failed to load v4l2loopback ("" when it did
    not fail or the journal can't be read)."""
    r = ctx.run(["journalctl", "-b", "-q", "-o", "cat", "--no-pager", "-u",
                 "systemd-modules-load.service"], 10.0)
    if r.returncode != 0:
        return ""
    lines = [ln for ln in r.stdout.splitlines() if MODULE in ln and "ailed" in ln]
    return lines[-1].strip() if lines else ""


def _check_secure_boot(ctx: _Ctx, modinfo: str) -> None:
    error = ctx.load_error or _boot_load_error(ctx)
    rejected = bool(_KEY_REJECTED.search(error))
    signed = bool(re.search(r"^(sig_id|signer):", modinfo, re.MULTILINE))
    sb = _secure_boot_enabled(ctx)
    fix = ("Enrol the DKMS signing key: run the command, choose a one-time password, reboot, "
           "and in the blue “MOK management” screen pick “Enroll MOK” and type that password; "
           "the camera then loads at boot.")
    if rejected:
        state = {True: "on", False: "off", None: "state unknown"}[sb]
        ctx.add("secure-boot", PROBLEM, f"Secure Boot ({state}) refused the module (“Key was "
                "rejected by service”): it is not signed by a key the firmware trusts.", fix,
                (ENROL_KEY,))
    elif sb and modinfo and not signed:
        ctx.add("secure-boot", PROBLEM, "Secure Boot is on and the v4l2loopback module is not "
                "signed, so the kernel will refuse it.",
                "Let DKMS sign it (reinstall v4l2loopback-dkms) and " + fix[0].lower() + fix[1:],
                ("sudo dpkg-reconfigure v4l2loopback-dkms", ENROL_KEY))
    elif sb:
        enrolled = None
        if (ctx.root / DKMS_KEY.lstrip("/")).is_file():
            out = ctx.run(["mokutil", "--test-key", DKMS_KEY], 10.0).output.lower()
            enrolled = False if "not enrolled" in out else True if "enrolled" in out else None
        if enrolled is False:
            ctx.add("secure-boot", PROBLEM, f"Secure Boot is on and DKMS's signing key "
                    f"({DKMS_KEY}) is not enrolled, so the kernel will refuse the module.", fix,
                    (ENROL_KEY,))
        elif enrolled:
            ctx.add("secure-boot", OK, "Secure Boot is on and the DKMS signing key is enrolled.")
        else:
            ctx.add("secure-boot", NOTE, "Secure Boot is on; the module is signed, so it loads "
                    "if its key is enrolled.", "If loading fails with “Key was rejected by "
                    "service”, " + fix[0].lower() + fix[1:], (ENROL_KEY,))


def _boot_config(ctx: _Ctx) -> tuple[bool, list[str]]:
    present = [c.path for c in BOOT_CONFIG if (ctx.root / c.path.lstrip("/")).is_file()]
    return len(present) == len(BOOT_CONFIG), present


def _in_container(root: Path) -> bool:
    if (root / ".dockerenv").exists() or (root / "run/.containerenv").exists():
        return True
    return bool((_read(root / "run/systemd/container") or "").strip())


def _check_linux(ctx: _Ctx, device: str | None) -> tuple[list[LoopbackDevice], str | None]:
    """Every Linux check in order; (the devices looked at, the setup action or None)."""
    root = ctx.root
    release = _os_release(root)
    kernel = (_read(root / "proc/sys/kernel/osrelease") or platform.release()).strip()
    distro = release.get("PRETTY_NAME", "Linux")
    ctx.add("os", OK, f"{distro}, kernel {kernel}: the virtual camera is the v4l2loopback "
            "kernel module.")
    if (root / f"sys/module/{MODULE}").is_dir():
        ctx.add("module-available", OK, "v4l2loopback is installed.")
        ctx.add("module-loaded", OK, "v4l2loopback is loaded.")
        _check_boot_config_note(ctx)
        return _check_devices(ctx, device)
    modinfo = _check_available(ctx, release, kernel)
    if modinfo is None:
        return [], None
    _check_secure_boot(ctx, modinfo)
    _check_not_loaded(ctx)
    return [], "load"


def _check_available(ctx: _Ctx, release: dict[str, str], kernel: str) -> str | None:
    """Module not loaded: is it there to load? Its ``modinfo``, or None (a finding says why
    it can't be loaded here)."""
    root = ctx.root
    if _in_container(root):
        ctx.add("container", PROBLEM, "vbg runs in a container, and kernel modules "
                "belong to the host: a virtual camera can't be set up from in here.",
                "On the host, install v4l2loopback and load it, then pass /dev/videoN into the "
                "container:", (MODPROBE,))
        return None
    r = ctx.run(["modinfo", MODULE], 10.0)
    install = _install_command(release)
    if r.returncode == 0:
        version = re.search(r"^version:\s*(\S+)", r.stdout, re.MULTILINE)
        v = f" {version.group(1)}" if version else ""
        ctx.add("module-available", OK, f"v4l2loopback{v} is installed for this kernel.")
        return r.stdout
    if (root / "var/lib/dkms" / MODULE).is_dir():
        ctx.add("module-available", PROBLEM, f"v4l2loopback-dkms is installed but has no "
                f"module for kernel {kernel} (the kernel headers are probably missing).",
                "Install the headers and rebuild the module:",
                (f"sudo apt install linux-headers-{kernel}",
                 "sudo dpkg-reconfigure v4l2loopback-dkms"))
    elif r.missing:
        ctx.add("module-available", PROBLEM, "v4l2loopback is not loaded, and modinfo "
                "(package kmod) is missing, so vbg can't tell whether it is installed.",
                "Install kmod and v4l2loopback, then load it:",
                tuple(c for c in ("sudo apt install kmod v4l2loopback-dkms"
                                  if install and "apt" in install else install,
                                  MODPROBE) if c))
    else:
        ctx.add("module-available", PROBLEM, "The v4l2loopback kernel module is not "
                "installed.", "Install it" + (" (with DKMS, so it follows kernel updates), "
                                              "then load it:" if install else
                                              " from your distribution, then load it:"),
                tuple(c for c in (install, MODPROBE) if c))
    return None


def _check_not_loaded(ctx: _Ctx) -> None:
    """Installed, not loaded: knowing whether the .deb's boot config is already there."""
    all_config, present = _boot_config(ctx)
    rejected = any(f.check == "secure-boot" and f.status == PROBLEM for f in ctx.findings)
    if all_config:
        text = ("v4l2loopback is installed but not loaded; vbg's boot configuration "
                f"({MODULES_LOAD_CONF}) is in place, so it loads at the next boot.")
        fix = "Load it now (no reboot needed):"
        commands: tuple[str, ...] = (MODPROBE,)
    else:
        text = "v4l2loopback is installed but not loaded."
        fix = "Load it now, and at every boot with vbg's options:"
        commands = (MODPROBE, *(c.tee_command() for c in BOOT_CONFIG
                                if c.path not in present))
    if rejected:
        fix = "It can load once Secure Boot accepts it (above); then, or after the reboot:"
    ctx.add("module-loaded", PROBLEM, text, fix, commands)


def _check_boot_config_note(ctx: _Ctx) -> None:
    all_config, present = _boot_config(ctx)
    if not all_config:
        missing = [c for c in BOOT_CONFIG if c.path not in present]
        ctx.add("boot-config", NOTE, "vbg's boot configuration ("
                + ", ".join(c.path for c in missing) + ") is missing, so the camera is gone "
                "after a reboot.", "Write it:", tuple(c.tee_command() for c in missing))


def _check_devices(ctx: _Ctx, device: str | None) -> tuple[list[LoopbackDevice], str | None]:
    """Module loaded: its devices, exclusive_caps, other writers, permissions."""
    root = ctx.root
    devices = loopback_devices(root, ctx.uid, ctx.gids, ctx.self_pid)
    if device is not None:
        devices = [d for d in devices if d.path == device]
    if not devices:
        ctx.add("devices", PROBLEM, "v4l2loopback is loaded but made no devices.",
                "Reload it with vbg's options (close programs using it first):", RELOAD)
        return [], "reload"
    listing = ", ".join(str(d) for d in devices)
    ctx.add("devices", OK, f"Virtual camera{'s' if len(devices) > 1 else ''}: {listing}.")

    no_caps = [d for d in devices if d.exclusive_caps is False]
    unknown = all(d.exclusive_caps is None for d in devices)
    setup: str | None = None
    if no_caps:
        ctx.add("exclusive-caps", PROBLEM, f"exclusive_caps is off for "
                f"{', '.join(d.path for d in no_caps)}, so Chrome (Meet, Teams and Zoom in the "
                "browser) won't list it.",
                "Reload v4l2loopback with vbg's options (close programs using it first):",
                RELOAD)
        setup = "reload"
    elif unknown:
        ctx.add("exclusive-caps", NOTE, "The module does not say whether exclusive_caps is on "
                "(older v4l2loopback); Chrome lists the camera only when it is.")
    else:
        ctx.add("exclusive-caps", OK, "exclusive_caps=1: Chrome and browser-based apps list it.")

    busy = [d for d in devices if d.busy]
    free = [d for d in devices if not d.busy]
    for d in busy:
        who = ", ".join(str(h) for h in d.holders) or "a program of another user"
        text = f"{d} is in use by another writer: {who} (format {d.writer_format})."
        if free:
            ctx.add("busy", NOTE, text, f"vbg uses {free[0]} instead.")
        else:
            ctx.add("busy", PROBLEM, text,
                    "Stop that program's virtual camera (in OBS: Stop Virtual Camera), or add a "
                    "second device (close programs using it first):",
                    (f"sudo modprobe -r {MODULE}",
                     f"sudo modprobe {MODULE} devices=2 exclusive_caps=1 card_label=vbg,vbg2 "
                     "max_buffers=2"))
    mine = [d for d in devices if d.mine]
    other_vbg = [d for d in devices if d.fed_by_vbg and not d.mine]
    if mine:
        ctx.add("busy", OK, f"vbg itself feeds {mine[0]}.")
    elif other_vbg:
        d = other_vbg[0]
        who = ", ".join(str(h) for h in d.holders if h.vbg)
        ctx.add("busy", OK, f"The vbg app feeds {d}: {who}.")
    elif not busy:
        ctx.add("busy", OK, "No other program writes to it.")

    usable = [d for d in free if d.writable]
    if free and not usable:
        d = free[0]
        try:
            st = (root / "dev" / f"video{d.number}").stat()
        except OSError:
            ctx.add("permissions", PROBLEM, f"{d.path} is missing although the module made it "
                    "(udev did not create the node).", "Reload the module:", RELOAD)
            return devices, "reload"
        group = _group_name(root, st.st_gid)
        ctx.add("permissions", PROBLEM, f"You may not write to {d.path} (owner "
                f"{'root' if st.st_uid == 0 else st.st_uid}, group {group}, mode "
                f"{stat.filemode(st.st_mode)}).",
                f"Join the {group} group, then log out and back in:",
                (f"sudo usermod -aG {shlex.quote(group)} \"$USER\"",))
    elif usable:
        ctx.add("permissions", OK, f"You may write to {usable[0].path}.")
    return devices, setup


def _only_for_v4l2_apps(f: Finding) -> Finding:
    """A v4l2loopback problem, as a note: PipeWire serves the browsers already."""
    if f.status != PROBLEM:
        return f
    return replace(f, status=NOTE, fix="Only apps that read V4L2 devices need it (browsers "
                   "read vbg's PipeWire camera). " + f.fix)


def diagnose(os_name: str = sys.platform, root: Path = Path("/"),
             runner: Runner = run_command, *, device: str | None = None,
             load_error: str = "", uid: int | None = None, gids: Sequence[int] | None = None,
             self_pid: int | None = None, probe_obs: Callable[[], str | None] = _probe_obs,
             helper_owner_uid: int = 0,
             pipewire: Callable[[], list[Finding]] | None = None) -> Diagnosis:
    """Run every check for ``os_name`` (a ``sys.platform`` value) against ``root``.

    ``device``: only this /dev/videoN (validate it first with :func:`validate_device`).
    ``load_error``: what a failed attempt to load the module said (e.g. the setup helper's
    output), so a Secure Boot refusal is named. ``uid``/``gids``/``self_pid``: whose
    permissions to check and which process is vbg itself (default: this process).
    ``probe_obs``: tries the OBS Virtual Camera (Windows/macOS). Never raises for what it
    finds; each finding says what to do. ``pipewire``: the PipeWire camera's checks
    (:func:`vbg.app.vcam.pipewire.check_pipewire`; by default on this machine when ``root`` is
    ``/``, none for a fake root). When browsers can read vbg's PipeWire camera, the
    v4l2loopback problems become notes (only V4L2-only apps need that device) and the
    diagnosis works.
    """
    if uid is None:
        uid = os.getuid() if hasattr(os, "getuid") else 0
    if gids is None:
        gids = list(os.getgroups()) + [os.getgid()] if hasattr(os, "getgroups") else []
    ctx = _Ctx(root, runner, uid, list(gids), os.getpid() if self_pid is None else self_pid,
               load_error)
    if os_name.startswith("linux"):
        devices, setup = _check_linux(ctx, device)
        problems = [f for f in ctx.findings if f.status == PROBLEM]
        works = not problems and any(not d.busy and d.writable for d in devices)
        if pipewire is None and root == Path("/") and device is None:
            pipewire = check_pipewire
        pw_findings = pipewire() if pipewire is not None else []
        if pw_findings and usable(pw_findings):
            ctx.findings = [_only_for_v4l2_apps(f) for f in ctx.findings]
            works = True
        ctx.findings += pw_findings
        helper, why = trusted_helper(root, helper_owner_uid)
        # The helper can load or reload the module; it can't install one or fix Secure Boot.
        blocked = any(f.check in ("container", "module-available", "secure-boot")
                      for f in problems)
        return Diagnosis(os_name, tuple(ctx.findings), tuple(devices), works,
                         None if blocked or works else setup,
                         str(helper) if helper else None, why)
    if os_name in ("win32", "cygwin", "darwin"):
        pretty = "Windows" if os_name != "darwin" else "macOS"
        ctx.add("os", OK, f"{pretty} {platform.release()}: the virtual camera is OBS Studio's "
                "Virtual Camera.")
        error = probe_obs()
        if error is None:
            ctx.add("obs", OK, "The OBS Virtual Camera is installed and free.")
            return Diagnosis(os_name, tuple(ctx.findings), works=True)
        help_text = virtual_camera_help(os_name, error)
        ctx.add("obs", PROBLEM, f"The OBS Virtual Camera can't be opened: {error.strip()}",
                help_text.split(" [")[0])
        return Diagnosis(os_name, tuple(ctx.findings))
    ctx.add("os", PROBLEM, f"Virtual cameras are not supported on {os_name}.",
            "Record to a file (vbg run --record) or use the preview instead.")
    return Diagnosis(os_name, tuple(ctx.findings))
