"""Linux bundle: a smaller ICU data library for Qt (used by ``vbg.spec``; tested in
``tests/packaging/test_icu_trim.py``).

PySide6's Qt links ICU, whose data library ``libicudata.so.NN`` is 32 MB: locale data for 800
locales, 250 legacy character-set converters, transliteration, time-zone and currency names.
vbg's UI is English and Qt has its own CLDR locale tables, so Qt asks ICU only for collation
(sorting file names in dialogs), break rules, normalisation, IDNA and time-zone names.
:func:`trim_icu_data` takes the data package out of the library (``icudtNN_dat``), removes with
ICU's own ``icupkg``

- the legacy converters (``*.cnv``: Qt decodes UTF-8/16/32 and Latin-1 itself),
- every locale's resources except ``root`` and ``en*`` (language, region, currency, unit,
  zone names, number spell-out, transliteration), in every tree but ``coll/`` (collation
  tailorings stay, so file names still sort the way the user's language does),

and builds it back with ``genccode`` and the C compiler into a library with the same SONAME and
entry point: 32 MB -> about 11 MB. Tools missing (``icu-devtools``, a C compiler): the full
library stays and the message says so (build.sh's size goal then fails loudly).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path, PurePosixPath

_ICUDATA = re.compile(r"libicudata\.so\.(\d+)$")
_LOCALE = re.compile(r"[a-z]{2,3}(?:_[A-Za-z0-9]*)*\.res")
_KEEP = {"root.res", "pool.res", "res_index.res"}
_KEEP_TREES = {"coll"}


def drop_item(item: str) -> bool:
    """Whether an item of the ICU data package (``tree/name`` or ``name``) goes."""
    tree, _, name = item.rpartition("/")
    if not tree and name.endswith(".cnv"):
        return True
    if tree in _KEEP_TREES or name in _KEEP or name == "en.res" or name.startswith("en_"):
        return False
    return bool(_LOCALE.fullmatch(name))


def _run(cmd: list[str], cwd: Path | None = None) -> str:
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{r.stdout}{r.stderr}")
    return r.stdout + r.stderr


def extract_package(lib: Path, version: str, out: Path) -> Path:
    """Write the data package that ``lib`` embeds (symbol ``icudtNN_dat``) to ``out``."""
    sym = f"icudt{version}_dat"
    nm = _run(["nm", "-D", "-S", "--defined-only", str(lib)])
    m = re.search(rf"^([0-9a-f]+) ([0-9a-f]+) \w {sym}$", nm, re.MULTILINE)
    if not m:
        raise RuntimeError(f"{lib.name} has no {sym}")
    addr, size = int(m.group(1), 16), int(m.group(2), 16)
    offset = None
    for line in _run(["readelf", "-SW", str(lib)]).splitlines():
        f = line.split("]", 1)[-1].split()
        if len(f) >= 6 and f[1] == "PROGBITS":
            start, off, length = int(f[2], 16), int(f[3], 16), int(f[4], 16)
            if start <= addr < start + length:
                offset = off + addr - start
    if offset is None:
        raise RuntimeError(f"{sym} lies in no section of {lib.name}")
    data = lib.read_bytes()[offset:offset + size]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    return out


def build_trimmed(lib: Path, workdir: Path) -> Path:
    """A trimmed copy of ``lib`` (``libicudata.so.NN``) under ``workdir``; raises
    ``FileNotFoundError`` when a tool is missing, ``RuntimeError`` when a step fails."""
    m = _ICUDATA.search(lib.name)
    if not m:
        raise RuntimeError(f"{lib.name} is not an ICU data library")
    version = m.group(1)
    tools = {t: shutil.which(t) for t in ("icupkg", "genccode", "nm", "readelf")}
    tools["cc"] = shutil.which("cc") or shutil.which("gcc")
    missing = [t for t, p in tools.items() if not p]
    if missing:
        raise FileNotFoundError(f"{', '.join(missing)} not found (apt-get install icu-devtools "
                                "gcc binutils)")
    # The package's items are named after its file: it must be called icudtNN{l,b}.dat.
    pkg_name = f"icudt{version}{'l' if sys.byteorder == 'little' else 'b'}.dat"
    full = extract_package(lib, version, workdir / "full" / pkg_name)
    items = [i.strip() for i in _run([tools["icupkg"], "-l", str(full)]).splitlines()
             if i.strip() and not i.startswith("icupkg")]
    remove = {i for i in items if drop_item(i)}
    out_dir = workdir / "trimmed"
    out_dir.mkdir(parents=True, exist_ok=True)
    small = out_dir / pkg_name
    for _ in range(10):  # an item whose dependency goes must go too
        (workdir / "remove.txt").write_text("\n".join(sorted(remove)) + "\n")
        small.unlink(missing_ok=True)
        r = subprocess.run([tools["icupkg"], "-r", str(workdir / "remove.txt"), str(full),
                            str(small)], capture_output=True, text=True)
        deps = re.findall(r"Item (\S+) depends on missing item", r.stdout + r.stderr)
        if not deps:
            if r.returncode != 0:
                raise RuntimeError(f"icupkg failed:\n{r.stdout}{r.stderr}")
            break
        remove |= set(deps)
    _run([tools["genccode"], "-e", f"icudt{version}", "-a", "gcc", "-d", str(out_dir),
          str(small)])
    asm = out_dir / f"{small.stem}_dat.S"
    out = out_dir / lib.name
    _run([tools["cc"], "-shared", "-o", str(out), f"-Wl,-soname,{lib.name}",
          "-Wl,-z,noexecstack", str(asm)])
    if f"icudt{version}_dat" not in _run(["nm", "-D", "--defined-only", str(out)]):
        raise RuntimeError(f"the rebuilt {lib.name} lacks icudt{version}_dat")
    asm.unlink()  # 20+ MB of assembly text
    return out


def trim_icu_data(binaries: list, workdir: Path) -> list:
    """PyInstaller's ``a.binaries`` with Qt's ICU data library replaced by a trimmed one."""
    entry = next((e for e in binaries
                  if _ICUDATA.search(PurePosixPath(e[0].replace("\\", "/")).name)), None)
    if entry is None:
        print("icu_trim: no ICU data library in the bundle; nothing to trim")
        return binaries
    src = Path(entry[1])
    try:
        small = build_trimmed(src, workdir / "icu")
    except FileNotFoundError as exc:
        print(f"icu_trim: {exc}: keeping the full {src.name} "
              f"({src.stat().st_size / 1e6:.0f} MB)")
        return binaries
    print(f"icu_trim: {entry[0]} {src.stat().st_size / 1e6:.1f} MB -> "
          f"{small.stat().st_size / 1e6:.1f} MB (English and root locale data, collation kept)")
    return [(d, str(small), t) if (d, s, t) == tuple(entry) else (d, s, t)
            for d, s, t in binaries]
