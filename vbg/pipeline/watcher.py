"""Who reads the virtual camera: inotify on the v4l2loopback node (Linux).

Apps that use a camera open its device node and close it when done; the kernel reports both
through inotify (``IN_OPEN``, ``IN_CLOSE_WRITE``/``IN_CLOSE_NOWRITE``), which
:class:`ReaderWatcher` reads with the maintained ``inotify_simple`` library. The count of
readers is the opens minus the closes seen since the watch was armed, plus the readers that
already held the node at that moment.

**vbg's own writer is never counted**, by the watch window: the pipeline arms the watch just
*after* its virtual camera (pyvirtualcam's writer, and any probing of other nodes it does) is
open, and disarms it just *before* closing it (on stop or an output restart). So every event the
watch sees comes from another process. Readers that already hold the node when the watch is
armed (an app that kept the camera open across a vbg restart) are found in ``/proc/*/fd``: the
kernel shows those links for the user's own processes, which is where desktop apps run.

Limits, written down: inotify merges two *identical* events that are still unread, so two opens
(or two closes) within the same instant may count once. A merged open is corrected when things
settle: the count is then raised to what ``/proc/*/fd`` shows. A merged close (two apps closing
within microseconds) leaves the count one too high until the next open/close; a reader of
another user is only seen through its events. Events carry no process id, so a probe by vbg
itself (another vbg listing cameras) counts like any app's; the pipeline ignores short visits
anyway (see :mod:`vbg.pipeline.demand`).

Not thread-safe: one thread (the pipeline's output thread) arms, polls and closes it.
"""

from __future__ import annotations

import errno
import logging
import os
import time
from pathlib import Path

log = logging.getLogger(__name__)

try:  # Linux only (pyproject installs it there); elsewhere there is no reader signal
    import inotify_simple
except ImportError:  # pragma: no cover - non-Linux
    inotify_simple = None

SETTLE_S = 0.5  # quiet time after events before the count is checked against /proc


def watchable(device: str | None) -> bool:
    """True when ``device`` can give a reader signal: Linux, inotify available, and a path
    (v4l2loopback names its devices by path; the OBS camera on Windows/macOS has a name)."""
    return (inotify_simple is not None and device is not None and os.path.isabs(device))


def holders(path: str, exclude_pid: int | None = None) -> int:
    """Open file descriptions of ``path`` held by processes other than ``exclude_pid``, from
    ``/proc/*/fd`` (processes whose fds we may not read are skipped)."""
    try:
        target = os.path.realpath(path)
    except OSError:
        return 0
    count = 0
    try:
        pids = [p for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return 0
    for pid in pids:
        if exclude_pid is not None and int(pid) == exclude_pid:
            continue
        fd_dir = f"/proc/{pid}/fd"
        try:
            fds = os.listdir(fd_dir)
        except OSError:  # gone, or another user's process
            continue
        for fd in fds:
            try:
                if os.readlink(f"{fd_dir}/{fd}") == target:
                    count += 1
            except OSError:
                continue
    return count


class DeviceGone(Exception):
    """The watched node disappeared (v4l2loopback unloaded, a file removed)."""


class ReaderWatcher:
    """Counts other processes' open handles on ``path``; see the module docstring.

    ``arm()`` starts watching (raises ``FileNotFoundError`` naming the path when it does not
    exist); ``readers()`` reads pending events without blocking and returns the count, raising
    :class:`DeviceGone` once when the node went away; ``close()`` stops (idempotent).
    """

    def __init__(self, path: str, clock=time.monotonic) -> None:
        if inotify_simple is None:
            raise RuntimeError("inotify is not available on this system")
        self.path = path
        self._clock = clock
        self._inotify: inotify_simple.INotify | None = None
        self._count = 0
        self._settle_at: float | None = None
        self.gone = False

    def arm(self) -> int:
        """Start watching; returns the readers already there."""
        if not Path(self.path).exists():
            raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), self.path)
        f = inotify_simple.flags
        ino = inotify_simple.INotify(nonblocking=True)
        try:
            ino.add_watch(self.path, f.OPEN | f.CLOSE_WRITE | f.CLOSE_NOWRITE | f.ATTRIB
                          | f.DELETE_SELF | f.MOVE_SELF | f.UNMOUNT)
        except BaseException:
            ino.close()
            raise
        self._inotify = ino
        # After the watch exists: an open between the scan and the watch can't be missed.
        self._count = holders(self.path, os.getpid())
        self._settle_at = None
        self.gone = False
        return self._count

    @property
    def armed(self) -> bool:
        return self._inotify is not None

    def readers(self) -> int:
        """Read what happened since the last call (never blocks); the current count."""
        ino = self._inotify
        if ino is None:
            return 0
        f = inotify_simple.flags
        try:
            events = ino.read(timeout=0)
        except BlockingIOError:
            events = []
        vanished = False
        for ev in events:
            if ev.mask & f.OPEN:
                self._count += 1
            if ev.mask & (f.CLOSE_WRITE | f.CLOSE_NOWRITE):
                self._count = max(0, self._count - 1)
            if ev.mask & (f.DELETE_SELF | f.MOVE_SELF | f.UNMOUNT | f.IGNORED):
                vanished = True
            if ev.mask & f.ATTRIB and not os.path.exists(self.path):  # unlinked, still open
                vanished = True
            if ev.mask & f.Q_OVERFLOW:
                self._count = holders(self.path, os.getpid())
        now = self._clock()
        if events:
            self._settle_at = now + SETTLE_S
        elif self._settle_at is not None and now >= self._settle_at:
            self._settle_at = None
            self._count = max(self._count, holders(self.path, os.getpid()))
        if vanished:
            self.close()
            self.gone = True
            self._count = 0
            raise DeviceGone(self.path)
        return self._count

    def close(self) -> None:
        """Stop watching (idempotent)."""
        ino, self._inotify = self._inotify, None
        if ino is not None:
            ino.close()
