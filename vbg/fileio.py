"""Writing files so that nobody ever sees a half-written one: the one atomic write of vbg.

Every file vbg writes for the user (settings, cut-outs, copied backgrounds, recordings, the
autostart entry) is written under a temporary name in the same folder and renamed over the
final name (``os.replace``, atomic on one file system). The temporary file is created with the
mode a new file normally gets (0666 minus the umask, e.g. 0644), or with the mode of the file it
replaces, so a write never turns a 0644 file into 0600 (which ``tempfile.mkstemp`` would).

Temporary names are ``.<name>.<pid>.<random><suffix>`` (``<random>``: 8 hex digits;
``<suffix>``: ``.tmp``, or ``.part`` plus the extension for recordings and ``vbg video``
outputs, ``.part`` alone for a folder of PNG frames): :func:`remove_stale_temporaries` removes
those a killed process left behind (its pid no longer runs).
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import stat
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO

# Temporary files of another name pattern (older versions used tempfile.mkstemp) count as
# stale after this long.
UNKNOWN_OWNER_STALE_S = 60.0
# A whole-folder sweep also wants a dead writer's file untouched for this long: a pid from
# another machine (a shared folder) or another PID namespace means nothing here, but a file
# still being written keeps changing.
IDLE_STALE_S = 60.0
# The suffixes of vbg's temporary names after ``<pid>.<8 hex>``.
_SUFFIX = r"(?:\.tmp|\.part(?:\.[A-Za-z0-9]{1,8})?)"
_FRAME_FILE = re.compile(r"frame_\d{6}\.png")  # what a PNG-folder output holds


def create_temporary_beside(path: Path, suffix: str = ".tmp") -> Path:
    """Create an empty file next to ``path`` (same folder, hidden name ending in ``suffix``)
    and return its name. Its mode is ``path``'s when that exists, else what a new file gets
    (0666 minus the umask). ``OSError`` when the folder can't be written."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}{suffix}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with suppress(FileNotFoundError):
            os.fchmod(fd, stat.S_IMODE(os.stat(path).st_mode))
    except OSError:
        os.close(fd)
        tmp.unlink(missing_ok=True)
        raise
    os.close(fd)
    return tmp


@contextmanager
def atomic_output(path: Path, mode: str = "wb", encoding: str | None = None) -> Iterator[IO]:
    """Yield a temporary file beside ``path`` (see :func:`create_temporary_beside`); when the
    block ends normally, flush it to disk and rename it over ``path``; when it raises, remove
    the temporary file and re-raise.

    ``path`` therefore holds either its old content or the complete new one, never a part, and
    keeps its mode. OSError (e.g. an unwritable folder) propagates: callers turn it into their
    own sentence.
    """
    if "w" not in mode:
        raise ValueError(f"atomic_output writes whole files; mode {mode!r} has no 'w'")
    tmp = create_temporary_beside(path)
    try:
        with open(tmp, mode, encoding=encoding) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())  # the rename must not land before the data
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _pid_running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. EPERM: it runs, as another user
        return True
    return True


def remove_stale_temporaries(path: Path, now: float | None = None, *,
                             whole_folder: bool = False) -> list[Path]:
    """Remove the temporary files of writes to ``path`` that never finished (the writer was
    killed) and return them. A temporary file of a process that still runs is left alone;
    one of an unknown owner only when older than ``UNKNOWN_OWNER_STALE_S``. Never raises.

    ``whole_folder``: the temporaries of every name in ``path``'s folder, but only vbg's own
    (``.<name>.<pid>.<8 hex>`` + ``.tmp`` / ``.part[.ext]``), only of a pid that no longer
    runs, and only untouched for ``IDLE_STALE_S``; a ``.part`` folder of PNG frames only when
    it holds nothing but ``frame_NNNNNN.png`` files. Nothing else is ever removed.
    """
    now = time.time() if now is None else now
    if whole_folder:
        pattern = re.compile(r"\..+\.(\d+)\.[0-9a-f]{8}" + _SUFFIX)
    else:
        pattern = re.compile(re.escape(f".{path.name}.")
                             + r"(?:(\d+)\.[0-9a-f]{8}" + _SUFFIX + r"|[^.]+\..*tmp)")
    removed: list[Path] = []
    try:
        candidates = list(path.parent.iterdir())
    except OSError:
        return removed
    for tmp in candidates:
        m = pattern.fullmatch(tmp.name)
        if m is None:
            continue
        try:
            if m.group(1) is not None:
                stale = not _pid_running(int(m.group(1)))
                if whole_folder:
                    stale = stale and now - tmp.lstat().st_mtime > IDLE_STALE_S
            else:
                stale = now - tmp.stat().st_mtime > UNKNOWN_OWNER_STALE_S
            if not stale or tmp.is_symlink():
                continue
            if tmp.is_file():
                tmp.unlink()
                removed.append(tmp)
            elif whole_folder and tmp.is_dir() and tmp.name.endswith(".part"):
                frames = list(tmp.iterdir())
                if all(_FRAME_FILE.fullmatch(f.name) and f.is_file() and not f.is_symlink()
                       for f in frames):
                    shutil.rmtree(tmp)
                    removed.append(tmp)
        except OSError:
            continue
    return removed
