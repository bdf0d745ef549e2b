"""A private desktop session for end-to-end camera tests: D-Bus, PipeWire, WirePlumber and
xdg-desktop-portal's Camera portal, all user-space, no display, no root services.

The Python form of ``../shared/vcam-e2e/browser_cam.sh``. Nothing here knows about vbg: any
program that publishes a PipeWire node with ``media.class=Video/Source`` and
``media.role=Camera`` can be started with :meth:`PipeWireSession.start` and read with the
consumers in ``tests/e2e/browsers.py``.

    with PipeWireSession() as s:
        producer = s.start("vbg run --source demo --vcam-backend pipewire")
        node = s.camera_node("vbg", timeout=20)
        ...
        s.stop(producer)                       # SIGTERM, then SIGKILL after a grace period

Everything started here (and whatever those processes start, D-Bus-activated services
included) carries this session's ``XDG_RUNTIME_DIR`` in its environment; on exit the session
ends its own processes in reverse order of start, then sweeps /proc for stragglers carrying
that directory, so nothing outlives the session and nothing else is touched.

Readiness is always polled with a bounded timeout; no fixed sleep is ever what makes a step
"ready".
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

PORTAL = "/usr/libexec/xdg-desktop-portal"
#: The executables a session needs (gdbus ships with libglib2.0-bin, a dependency of the portal).
REQUIRED = ("dbus-daemon", "pipewire", "wireplumber", "pw-cli", "pw-dump", "gdbus", PORTAL)

# The portal only *declares* an Access backend: with the camera pre-granted it is never called,
# so no GTK backend and no display are needed (an installed xdg-desktop-portal-gtk without a
# display would crash the portal).
DUMMY_PORTAL = ("[portal]\nDBusName=org.freedesktop.impl.portal.desktop.dummy\n"
                "Interfaces=org.freedesktop.impl.portal.Access;\nUseIn=dummy\n")

#: A stand-in producer: GStreamer's test pattern, solid magenta 640x360 I420 at 30 fps, published
#: as a camera node named and described "vbg". With PipeWire 0.3.65 its node stalls once its
#: first consumer leaves, so start one per consumer.
GST_STANDIN = (
    "gst-launch-1.0 videotestsrc is-live=true pattern=solid-color foreground-color=0xffff00ff"
    " ! video/x-raw,format=I420,width=640,height=360,framerate=30/1"
    " ! pipewiresink mode=provide client-name=vbg"
    ' stream-properties="props,media.class=Video/Source,media.role=Camera,node.description=vbg"'
)

T = TypeVar("T")


def missing_binaries(extra: Sequence[str] = ()) -> list[str]:
    """The executables of :data:`REQUIRED` (plus ``extra``) that are not installed."""
    out = []
    for name in (*REQUIRED, *extra):
        found = os.access(name, os.X_OK) if name.startswith("/") else shutil.which(name)
        if not found:
            out.append(name)
    return out


def wait_for(check: Callable[[], T], timeout: float, what: str, interval: float = 0.1) -> T:
    """Poll ``check`` until it returns something truthy; TimeoutError naming ``what`` after
    ``timeout`` seconds. The last exception raised by ``check`` is chained, if any."""
    deadline = time.monotonic() + timeout
    last_exc: BaseException | None = None
    while True:
        try:
            value = check()
            if value:
                return value
        except Exception as exc:  # noqa: BLE001 - polling: keep the last failure for the message
            last_exc = exc
        if time.monotonic() >= deadline:
            raise TimeoutError(f"{what}: not ready after {timeout:g} s") from last_exc
        time.sleep(interval)


def proc_cpu_ticks(pid: int) -> int:
    """utime + stime of process ``pid`` (all its threads) in clock ticks, from /proc/PID/stat
    (``os.sysconf('SC_CLK_TCK')`` ticks a second, 100 on Linux). Children are not counted."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2:].split()   # comm may hold spaces and parentheses
    return int(fields[11]) + int(fields[12])          # fields 14 and 15 of proc(5)


def _environ_has(pid: int, needle: bytes) -> bool:
    try:
        return needle in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:
        return False


def _pids() -> list[int]:
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def terminate(proc: subprocess.Popen, grace: float = 3.0) -> int | None:
    """SIGTERM ``proc``'s process group (it was started in a new session), SIGKILL after
    ``grace`` seconds; returns the exit status (negative: the signal)."""
    if proc.poll() is None:
        _signal_group(proc, signal.SIGTERM)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            _signal_group(proc, signal.SIGKILL)
            proc.wait(5)
    # children that stayed behind in the group after the leader went
    _signal_group(proc, signal.SIGKILL)
    return proc.returncode


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        if proc.returncode is None:
            try:
                proc.send_signal(sig)
            except ProcessLookupError:
                pass


class PipeWireSession:
    """A private D-Bus session bus with PipeWire, WirePlumber and xdg-desktop-portal, the
    camera pre-granted to unsandboxed apps. Use as a context manager.

    Attributes: ``dir`` (the temporary directory, removed on exit), ``logs`` (one log file per
    process), ``env`` (the environment every process of the session gets: pass it to anything
    that must reach this PipeWire or this bus).
    """

    def __init__(self, timeout: float = 20.0, keep_dir: bool | None = None) -> None:
        self.timeout = timeout
        # VBG_E2E_KEEP=1 keeps the directory (logs, profiles) for a post-mortem
        self.keep_dir = (os.environ.get("VBG_E2E_KEEP", "") not in ("", "0")
                         if keep_dir is None else keep_dir)
        self.dir: Path = Path()
        self.logs: Path = Path()
        self.env: dict[str, str] = {}
        self._procs: list[tuple[str, subprocess.Popen]] = []
        self._named: dict[str, subprocess.Popen] = {}
        self._count = 0

    # ---- lifecycle --------------------------------------------------------------------------

    def __enter__(self) -> PipeWireSession:
        self.dir = Path(tempfile.mkdtemp(prefix="vbg-pw-"))
        try:
            self._setup()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _setup(self) -> None:
        d = self.dir
        self.logs = d / "logs"
        self.logs.mkdir()
        runtime = d / "xdg"
        runtime.mkdir(mode=0o700)
        runtime.chmod(0o700)                     # mkdir's mode is filtered by the umask
        portals = d / "portals"
        portals.mkdir()
        (portals / "dummy.portal").write_text(DUMMY_PORTAL)
        env = {k: v for k, v in os.environ.items()
               if k not in ("DISPLAY", "WAYLAND_DISPLAY", "DBUS_SESSION_BUS_ADDRESS",
                            "PIPEWIRE_REMOTE", "PIPEWIRE_RUNTIME_DIR", "XDG_SESSION_TYPE")}
        bus = d / "bus"
        env.update(
            XDG_RUNTIME_DIR=str(runtime),
            XDG_DESKTOP_PORTAL_DIR=str(portals),
            DBUS_SESSION_BUS_ADDRESS=f"unix:path={bus}",
            # state the session's programs write (permission store, WirePlumber's state, a
            # producer's settings) stays in the temporary directory, not in the user's home
            XDG_CONFIG_HOME=str(d / "config"),
            XDG_DATA_HOME=str(d / "data"),
            XDG_STATE_HOME=str(d / "state"),
            XDG_CACHE_HOME=str(d / "cache"),
        )
        self.env = env
        self._marker = f"XDG_RUNTIME_DIR={runtime}".encode()

        # The bus daemon's environment is what D-Bus-activated services (the permission store,
        # the document portal) get, so it carries the whole session environment.
        self._spawn("dbus-daemon", ["dbus-daemon", "--session", "--nofork", "--nopidfile",
                                    f"--address=unix:path={bus}"])
        wait_for(lambda: self._bus_call("org.freedesktop.DBus", "/org/freedesktop/DBus",
                                        "org.freedesktop.DBus.GetId"),
                 self.timeout, "dbus-daemon", 0.05)
        self._start_pipewire()
        # The portal is started before any camera node exists, as on a desktop.
        self._start_portal()
        self.grant_camera()

    def close(self) -> None:
        """Kill everything this session started, newest first, then remove the directory."""
        for _name, proc in reversed(self._procs):
            terminate(proc, grace=2.0)
        self._procs.clear()
        self._named.clear()
        self._sweep()
        self._unmount()
        if self.dir != Path() and not self.keep_dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    def _unmount(self) -> None:
        """Unmount what was mounted under the directory (the D-Bus-activated document portal
        mounts a FUSE file system at XDG_RUNTIME_DIR/doc) before it is removed."""
        if self.dir == Path():
            return
        root = str(self.dir) + "/"
        try:
            mounts = [line.split()[4] for line in Path("/proc/self/mountinfo").read_text()
                      .splitlines()]
        except OSError:
            return
        for point in reversed([m for m in mounts if m.startswith(root)]):
            for argv in (["fusermount3", "-u", "-z", point], ["umount", "-l", point]):
                if shutil.which(argv[0]) and subprocess.run(
                        argv, capture_output=True, timeout=10).returncode == 0:
                    break

    def _sweep(self) -> None:
        """Kill leftovers that carry this session's XDG_RUNTIME_DIR (D-Bus-activated services,
        a browser's helpers): only processes descended from this session have it."""
        if not self.env:
            return
        me = os.getpid()
        for sig in (signal.SIGTERM, signal.SIGKILL):
            left = [p for p in _pids() if p != me and _environ_has(p, self._marker)]
            for pid in left:
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    pass
            if not left:
                return
            deadline = time.monotonic() + 2.0
            while time.monotonic() < deadline and any(Path(f"/proc/{p}").exists()
                                                      and _state(p) != "Z" for p in left):
                time.sleep(0.05)

    # ---- processes ---------------------------------------------------------------------------

    def _spawn(self, name: str, argv: Sequence[str], **popen_kw: Any) -> subprocess.Popen:
        log = popen_kw.pop("log", None) or self.logs / f"{name}.log"
        env = popen_kw.pop("env", None) or self.env
        with open(log, "ab") as out:
            proc = subprocess.Popen(list(argv), env=env, stdin=subprocess.DEVNULL,
                                    stdout=popen_kw.pop("stdout", out),
                                    stderr=popen_kw.pop("stderr", subprocess.STDOUT),
                                    start_new_session=True, **popen_kw)
        self._procs.append((name, proc))
        self._named[name] = proc
        return proc

    def start(self, cmd: str | Sequence[str], name: str | None = None,
              **popen_kw: Any) -> subprocess.Popen:
        """Start a producer (or any program) in this session, with :attr:`env` (``env=`` adds
        to it), output to ``logs/NAME.log``; it is ended with the session if not before.

        A string is run by bash with ``exec`` (so the returned pid is the program's own, for
        :func:`proc_cpu_ticks`); a sequence is run as is.
        """
        self._count += 1
        name = name or f"producer{self._count}"
        argv = ["bash", "-c", f"exec {cmd}"] if isinstance(cmd, str) else list(cmd)
        env = {**self.env, **popen_kw.pop("env", {})}
        proc = self._spawn(name, argv, env=env, **popen_kw)
        proc.log_path = self.logs / f"{name}.log"  # type: ignore[attr-defined]
        return proc

    def stop(self, proc: subprocess.Popen, grace: float = 5.0) -> int | None:
        """End a process started here (SIGTERM to its group, SIGKILL after ``grace`` s);
        returns its exit status (negative: killed by that signal)."""
        rc = terminate(proc, grace)
        self._procs = [(n, p) for n, p in self._procs if p is not proc]
        return rc

    def log(self, proc_or_name: subprocess.Popen | str, tail: int = 3000) -> str:
        """The last ``tail`` characters of a process's log (for assertion messages)."""
        if isinstance(proc_or_name, str):
            path = self.logs / f"{proc_or_name}.log"
        else:
            path = getattr(proc_or_name, "log_path", None) or Path("/nonexistent")
        try:
            return path.read_text(errors="replace")[-tail:]
        except OSError:
            return ""

    # ---- PipeWire ----------------------------------------------------------------------------

    def _start_pipewire(self) -> None:
        self._spawn("pipewire", ["pipewire"])
        wait_for(lambda: self._run(["pw-cli", "info", "0"], timeout=3).returncode == 0,
                 self.timeout, "pipewire (pw-cli info 0)")
        self._spawn("wireplumber", ["wireplumber"])
        wait_for(self._wireplumber_ready, self.timeout, "wireplumber")

    def _wireplumber_ready(self) -> bool:
        # WirePlumber 0.4 connects a second core, "WirePlumber [export]", once its modules and
        # scripts are loaded (the policy that links a browser's stream to a camera among them).
        for obj in self.dump():
            if (obj.get("type") == "PipeWire:Interface:Client"
                    and ((obj.get("info") or {}).get("props") or {}).get("application.name")
                    == "WirePlumber [export]"):
                return True
        return False

    def restart_pipewire(self, portal: bool = True) -> None:
        """Kill WirePlumber and PipeWire (SIGKILL: a crash, as a producer would see it) and
        start them again, waiting until ready. ``portal``: restart the portal too, so later
        browser reads see the new daemon (xdg-desktop-portal 1.16 does not reconnect)."""
        names = ["xdg-desktop-portal"] if portal else []
        names += ["wireplumber", "pipewire"]
        for name in names:
            proc = self._named.get(name)
            if proc is not None:
                _signal_group(proc, signal.SIGKILL)
                proc.wait(5)
                self._procs = [(n, p) for n, p in self._procs if p is not proc]
        self._start_pipewire()
        if portal:
            self._start_portal()

    def dump(self) -> list[dict[str, Any]]:
        """``pw-dump``'s objects ([] when the daemon is not reachable)."""
        r = self._run(["pw-dump", "--no-colors"], timeout=5)
        if r.returncode != 0 or not r.stdout.strip():
            return []
        try:
            return json.loads(r.stdout)
        except json.JSONDecodeError:
            return []

    def nodes(self) -> list[dict[str, Any]]:
        """The graph's nodes: ``{"id": int, "state": str, "props": {...}}`` each (state is
        PipeWire's node state: "suspended", "idle", "running", "error", "creating")."""
        return [{"id": o["id"], "state": (o.get("info") or {}).get("state"),
                 "props": (o.get("info") or {}).get("props") or {}}
                for o in self.dump() if o.get("type") == "PipeWire:Interface:Node"]

    def links(self, node_id: int | None = None) -> list[dict[str, Any]]:
        """Links (``{"id", "output_node", "input_node", "state"}``), those from ``node_id``'s
        output when given: the consumers reading a camera node."""
        out = []
        for o in self.dump():
            if o.get("type") != "PipeWire:Interface:Link":
                continue
            info = o.get("info") or {}
            link = {"id": o["id"], "output_node": info.get("output-node-id"),
                    "input_node": info.get("input-node-id"), "state": info.get("state")}
            if node_id is None or link["output_node"] == node_id:
                out.append(link)
        return out

    def camera_nodes(self, name: str | None = None) -> list[dict[str, Any]]:
        """Nodes with media.class Video/Source (and node.name or node.description ``name``)."""
        out = []
        for n in self.nodes():
            p = n["props"]
            if p.get("media.class") != "Video/Source":
                continue
            if name is None or name in (p.get("node.name"), p.get("node.description")):
                out.append(n)
        return out

    def camera_node(self, name: str = "vbg", timeout: float = 10.0) -> int | None:
        """The id of the Video/Source node named or described ``name``, waiting up to
        ``timeout`` s for it to appear; None if it does not."""
        try:
            found = wait_for(lambda: self.camera_nodes(name), timeout, f"camera node {name!r}",
                             0.2)
        except TimeoutError:
            return None
        return found[-1]["id"]

    def wait_node_gone(self, name: str = "vbg", timeout: float = 10.0) -> bool:
        """True once no Video/Source node named/described ``name`` is left (within timeout)."""
        try:
            wait_for(lambda: not self.camera_nodes(name), timeout, f"{name!r} gone", 0.2)
        except TimeoutError:
            return False
        return True

    # ---- D-Bus and the portal ----------------------------------------------------------------

    def _start_portal(self) -> None:
        self._spawn("xdg-desktop-portal", [PORTAL, "-r"])
        wait_for(lambda: "true" in self._bus_call(
            "org.freedesktop.DBus", "/org/freedesktop/DBus",
            "org.freedesktop.DBus.NameHasOwner", "org.freedesktop.portal.Desktop"),
            self.timeout, "xdg-desktop-portal on the bus")

    def grant_camera(self) -> None:
        """Pre-grant the camera to unsandboxed apps (xdg-desktop-portal 1.16 gives them app_id
        ""); otherwise the portal would ask through an Access dialog (GTK, display, a click)."""
        out = self._bus_call(
            "org.freedesktop.impl.portal.PermissionStore",
            "/org/freedesktop/impl/portal/PermissionStore",
            "org.freedesktop.impl.portal.PermissionStore.SetPermission",
            "devices", "true", "camera", "", "['yes']", timeout=self.timeout, check=True)
        del out

    def _bus_call(self, dest: str, path: str, method: str, *args: str,
                  timeout: float = 5.0, check: bool = False) -> str:
        r = self._run(["gdbus", "call", "--session", "-d", dest, "-o", path, "-m", method,
                       *args], timeout=timeout)
        if check and r.returncode != 0:
            raise RuntimeError(f"gdbus {method} failed: {r.stderr.strip()}")
        return r.stdout if r.returncode == 0 else ""

    def _run(self, argv: Sequence[str], timeout: float) -> subprocess.CompletedProcess:
        try:
            return subprocess.run(list(argv), env=self.env, capture_output=True, text=True,
                                  timeout=timeout, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired as exc:
            return subprocess.CompletedProcess(argv, 124, exc.stdout or "", exc.stderr or "")

    def __repr__(self) -> str:
        names = ", ".join(n for n, p in self._procs if p.poll() is None)
        return f"<PipeWireSession {self.dir} running: {names}>"


def _state(pid: int) -> str:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return "X"
    return stat[stat.rindex(")") + 2:].split()[0]

