"""Small in-place fixes to Linux ELF files of the bundle, applied by ``vbg.spec`` after COLLECT.

- :func:`strip_debug`: the interpreter from pyenv/python.org builds carries ~25 MB of debug
  information (see ``bundle_rules.STRIP_GLOBS``).
- :func:`neutralise_absolute_runpath`: such interpreters also carry the build machine's
  library folder as RUNPATH (``/root/.pyenv/versions/3.11.7/lib``): an absolute path of the
  build machine that the installed program would search first. It is rewritten in place to
  ``$ORIGIN`` (the file's own folder, inside the bundle), which needs no patchelf and keeps
  every offset in the file unchanged.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path

DT_NULL, DT_STRTAB, DT_RPATH, DT_RUNPATH = 0, 5, 15, 29
PT_LOAD, PT_DYNAMIC = 1, 2
ORIGIN = b"$ORIGIN"


def strip_debug(files: list[Path]) -> int:
    """``strip --strip-unneeded`` each file (skipped when binutils' strip is missing)."""
    strip = shutil.which("strip")
    if strip is None:
        return 0
    for f in files:
        subprocess.run([strip, "--strip-unneeded", str(f)], check=True)
    return len(files)


def _runpath_strings(data: bytes) -> list[tuple[int, bytes]]:
    """(file offset, value) of each RPATH/RUNPATH string of a little-endian ELF64 file."""
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        return []  # not ELF, or 32-bit / big-endian: not what the Linux bundle holds
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    loads, dynamic = [], None
    for i in range(phnum):
        p_type, _flags, p_offset, p_vaddr, _paddr, p_filesz = struct.unpack_from(
            "<IIQQQQ", data, phoff + i * phentsize)
        if p_type == PT_LOAD:
            loads.append((p_vaddr, p_offset, p_filesz))
        elif p_type == PT_DYNAMIC:
            dynamic = (p_offset, p_filesz)
    if dynamic is None:
        return []
    entries = []
    off, size = dynamic
    for pos in range(off, off + size, 16):
        tag, val = struct.unpack_from("<qQ", data, pos)
        if tag == DT_NULL:
            break
        entries.append((tag, val))
    strtab_vaddr = next((v for t, v in entries if t == DT_STRTAB), None)
    if strtab_vaddr is None:
        return []
    strtab = next((strtab_vaddr - va + fo for va, fo, fs in loads if va <= strtab_vaddr < va + fs),
                  None)
    if strtab is None:
        return []
    found = []
    for tag, val in entries:
        if tag in (DT_RPATH, DT_RUNPATH):
            start = strtab + val
            end = data.index(b"\0", start)
            found.append((start, data[start:end]))
    return found


def neutralise_absolute_runpath(path: Path) -> bool:
    """Rewrite an RPATH/RUNPATH made only of absolute folders to ``$ORIGIN``; True if done."""
    with path.open("rb") as f:
        if f.read(4) != b"\x7fELF":
            return False
    data = bytearray(path.read_bytes())
    changed = False
    for start, value in _runpath_strings(bytes(data)):
        parts = [p for p in value.split(b":") if p]
        if not parts or not all(p.startswith(b"/") for p in parts) or len(value) < len(ORIGIN):
            continue
        data[start:start + len(value)] = ORIGIN + b"\0" * (len(value) - len(ORIGIN))
        changed = True
    if changed:
        path.write_bytes(bytes(data))
    return changed


def runpaths(path: Path) -> list[str]:
    """The RPATH/RUNPATH values of an ELF file (for tests and checks)."""
    return [v.decode("utf-8", "replace") for _, v in _runpath_strings(path.read_bytes())]
