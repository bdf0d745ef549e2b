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

import ctypes
import errno
import functools
import os
import re
import secrets
import shutil
import stat
import sys
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


_AT_FDCWD = -100
_RENAME_NOREPLACE = 1
# renameat2's answers when the kernel or the file system does not know RENAME_NOREPLACE.
_NO_RENAMEAT2 = frozenset({errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP})
# os.link's answers on file systems without hard links (FAT, some FUSE and network mounts).
_NO_HARD_LINKS = frozenset({errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOSYS,
                            errno.EMLINK, errno.EACCES})


@functools.cache
def _renameat2() -> ctypes._CFuncPtr | None:  # type: ignore[name-defined]
    """glibc's / musl's ``renameat2``, or None (another system, an old C library)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        fn = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    fn.restype = ctypes.c_int
    return fn


def rename_no_replace(src: Path, dst: Path) -> None:
    """Rename ``src`` to ``dst``; ``FileExistsError`` when ``dst`` exists (a file, a folder or a
    symbolic link), which is then left untouched. Atomic with Linux's
    ``renameat2(RENAME_NOREPLACE)``; where that is missing, a file is hard-linked to ``dst``
    (which fails when it exists) and ``src`` unlinked; where neither works (a folder, a file
    system without hard links), ``dst`` is checked just before an ordinary rename."""
    fn = _renameat2()
    if fn is not None:
        if fn(_AT_FDCWD, os.fsencode(src), _AT_FDCWD, os.fsencode(dst), _RENAME_NOREPLACE) == 0:
            return
        err = ctypes.get_errno()
        if err not in _NO_RENAMEAT2:
            raise OSError(err, os.strerror(err), str(src), None, str(dst))
    if not os.path.isdir(src) or os.path.islink(src):
        try:
            os.link(src, dst, follow_symlinks=False)
        except FileExistsError:
            raise
        except OSError as exc:
            if exc.errno not in _NO_HARD_LINKS:
                raise
        else:
            os.unlink(src)
            return
    if os.path.lexists(dst):
        raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(dst))
    os.rename(src, dst)


def move_into_place(tmp: Path, target: Path, replace: bool = False) -> Path:
    """Rename the finished temporary ``tmp`` to ``target`` and return where it went.

    ``replace``: over an existing file, as ``os.replace`` does. Otherwise (and always for a
    symbolic link or a folder at ``target``) a name taken since the caller checked it is left
    alone: ``tmp`` goes to the first free ``STEM.new.EXT`` (``STEM.new-2.EXT``, ...) beside
    it, which is returned, so nothing is lost and nothing replaced. ``OSError`` otherwise."""
    if replace and not target.is_symlink() and not target.is_dir():
        os.replace(tmp, target)
        return target
    n = 1
    candidate = target
    while True:
        try:
            rename_no_replace(tmp, candidate)
            return candidate
        except FileExistsError:
            stem, ext = target.stem, target.suffix
            candidate = target.with_name(f"{stem}.new{ext}" if n == 1 else f"{stem}.new-{n}{ext}")
            n += 1


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
