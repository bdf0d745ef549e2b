"""What the diagnosis reads from the machine: /etc, /sys, /proc and /dev under a root path
(tests give a fake tree), and the OBS Virtual Camera through pyvirtualcam (Windows/macOS).
Never raises for what it finds."""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Sequence
from pathlib import Path

from vbg.app.vcam.findings import (
    _DEVICE_PATH,
    MODULE,
    SYSFS_DEVICES,
    DoctorInputError,
    Holder,
    LoopbackDevice,
)


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def _os_release(root: Path) -> dict[str, str]:
    text = _read(root / "etc/os-release") or _read(root / "usr/lib/os-release") or ""
    out: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            out[key.strip()] = value.strip().strip('"')
    return out


def _install_command(release: dict[str, str]) -> str | None:
    ids = {release.get("ID", "")} | set(release.get("ID_LIKE", "").split())
    if ids & {"debian", "ubuntu"}:
        return "sudo apt install v4l2loopback-dkms"
    if ids & {"arch"}:
        return "sudo pacman -S v4l2loopback-dkms"
    if ids & {"fedora", "rhel", "centos"}:
        return "sudo dnf install v4l2loopback"
    if ids & {"opensuse", "suse", "opensuse-tumbleweed", "opensuse-leap"}:
        return "sudo zypper install v4l2loopback-kmp-default"
    return None


def _group_name(root: Path, gid: int) -> str:
    for line in (_read(root / "etc/group") or "").splitlines():
        parts = line.split(":")
        if len(parts) >= 3 and parts[2] == str(gid):
            return parts[0]
    return str(gid)


def _may_write(st: os.stat_result, uid: int, gids: Sequence[int]) -> bool:
    """Write permission by the mode bits, as the kernel decides it (root may always)."""
    if uid == 0:
        return True
    if st.st_uid == uid:
        return bool(st.st_mode & stat.S_IWUSR)
    if st.st_gid in gids:
        return bool(st.st_mode & stat.S_IWGRP)
    return bool(st.st_mode & stat.S_IWOTH)


def _holders(root: Path, device: str) -> list[Holder]:
    """Processes with ``device`` open, from ``/proc/*/fd`` (other users' are unreadable)."""
    out: list[Holder] = []
    proc = root / "proc"
    try:
        pids = sorted(int(p.name) for p in proc.iterdir() if p.name.isdigit())
    except OSError:
        return out
    for pid in pids:
        fd_dir = proc / str(pid) / "fd"
        try:
            links = [os.readlink(fd) for fd in fd_dir.iterdir()]
        except OSError:
            continue
        if device in links:
            name = (_read(proc / str(pid) / "comm") or "?").strip()
            try:
                args = (proc / str(pid) / "cmdline").read_bytes().split(b"\0")
            except OSError:
                args = []
            is_vbg = name == "vbg" or (bool(args) and os.path.basename(args[0]) == b"vbg") \
                or any(a == b"-m" and b == b"vbg"
                       for a, b in zip(args, args[1:], strict=False))
            out.append(Holder(pid, name, is_vbg))
    return out


def _exclusive_caps(root: Path) -> list[bool] | None:
    text = _read(root / f"sys/module/{MODULE}/parameters/exclusive_caps")
    if text is None:
        return None
    return [v.strip().upper() in ("Y", "1") for v in text.strip().split(",") if v.strip()]


def loopback_devices(root: Path = Path("/"), uid: int | None = None,
                     gids: Sequence[int] | None = None, self_pid: int | None = None
                     ) -> list[LoopbackDevice]:
    """The loopback devices under ``root``, by number."""
    uid = os.getuid() if uid is None else uid
    gids = list(os.getgroups()) + [os.getgid()] if gids is None else list(gids)
    self_pid = os.getpid() if self_pid is None else self_pid
    base = root / SYSFS_DEVICES
    try:
        entries = sorted((int(m.group(1)), p) for p in base.iterdir()
                         if (m := re.fullmatch(r"video(\d+)", p.name)))
    except OSError:
        return []
    caps = _exclusive_caps(root) if (root / f"sys/module/{MODULE}").is_dir() else None
    devices = []
    for index, (number, path) in enumerate(entries):
        node = root / "dev" / f"video{number}"
        try:
            writable: bool | None = _may_write(node.stat(), uid, gids)
        except OSError:
            writable = None
        holders = _holders(root, f"/dev/video{number}")
        devices.append(LoopbackDevice(
            number=number,
            label=(_read(path / "name") or "").strip(),
            exclusive_caps=caps[index] if caps is not None and index < len(caps) else None,
            writer_format=(_read(path / "format") or "").strip(),
            holders=tuple(h for h in holders if h.pid != self_pid),
            writable=writable,
            mine=any(h.pid == self_pid for h in holders),
            fed_by_vbg=any(h.vbg for h in holders),
        ))
    return devices


def _probe_obs() -> str | None:
    """None when pyvirtualcam's OBS backend opens (then closes it), else its error."""
    import pyvirtualcam

    try:
        with pyvirtualcam.Camera(320, 240, 30, backend="obs"):
            return None
    except RuntimeError as exc:
        return str(exc)


def validate_device(device: str, root: Path = Path("/")) -> str:
    """``device`` as given to ``--device``: a /dev/videoN path that is a loopback device;
    ``DoctorInputError`` (one sentence) otherwise."""
    m = _DEVICE_PATH.fullmatch(device)
    known = loopback_devices(root)
    here = (f"the virtual cameras here are {', '.join(str(d) for d in known)}" if known else
            "there is no virtual camera here yet (`vbg doctor` without --device says why)")
    if m is None:
        raise DoctorInputError(f"{device} is not a video device path like /dev/video4; "
                               f"{here}.")
    if not (root / "dev" / f"video{m.group(1)}").exists():
        raise DoctorInputError(f"{device} does not exist on this machine; {here}.")
    if all(d.path != device for d in known):
        raise DoctorInputError(f"{device} is not a virtual camera (probably a real webcam); "
                               f"{here}.")
    return device
