"""Linux bundle: one OpenBLAS instead of two (used by ``vbg.spec``; tested in
``tests/packaging/test_blas_shim.py``).

opencv-python's wheel carries a private OpenBLAS (``opencv_python_headless.libs/libopenblas*``,
~39 MB, with its own libgfortran and libquadmath) although numpy's wheel already brings one
(``numpy.libs/libscipy_openblas64_*``, ~25 MB). cv2 uses 19 BLAS/LAPACK routines of it.
:func:`replace_cv2_openblas` compiles ``linux/openblas_shim.c`` into a small library with the
SONAME cv2 asks for, which forwards those routines to numpy's OpenBLAS, puts it in place of
cv2's copy, and drops the vendored libraries that nothing needs any more.

It refuses (SystemExit) when cv2 needs a routine the shim does not forward, so a new OpenCV
can't ship with a missing symbol; with no C compiler it keeps cv2's own copy and says so (the
size goal check of build.sh then fails loudly).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path, PurePosixPath

HERE = Path(__file__).resolve().parent
SHIM_SOURCE = HERE / "linux" / "openblas_shim.c"

_NEEDED = re.compile(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]")
_SONAME = re.compile(r"\(SONAME\)\s+Library soname: \[([^\]]+)\]")


def _readelf_dynamic(path: Path) -> str:
    r = subprocess.run(["readelf", "-dW", str(path)], capture_output=True, text=True)
    return r.stdout if r.returncode == 0 else ""


def needed(path: Path) -> list[str]:
    """DT_NEEDED entries of an ELF file ([] for anything else)."""
    return _NEEDED.findall(_readelf_dynamic(path))


def soname(path: Path) -> str | None:
    m = _SONAME.search(_readelf_dynamic(path))
    return m.group(1) if m else None


def symbols(path: Path, *, defined: bool) -> set[str]:
    """Dynamic symbols an ELF file defines (``defined=True``) or needs from elsewhere."""
    flag = "--defined-only" if defined else "--undefined-only"
    r = subprocess.run(["nm", "-D", flag, str(path)], capture_output=True, text=True)
    names = set()
    for line in r.stdout.splitlines():
        parts = line.split()
        if parts:
            names.add(parts[-1].split("@", 1)[0])
    return names


def compile_shim(out: Path, shim_soname: str, numpy_blas: Path, rpath: str) -> Path:
    """Compile the shim as ``out`` with SONAME ``shim_soname``, linked against ``numpy_blas``
    (found at run time through ``rpath``). ``-z defs`` makes a routine missing from numpy's
    OpenBLAS a link error here rather than a crash on a user's machine."""
    cc = shutil.which(os.environ.get("CC", "cc")) or shutil.which("gcc")
    if not cc:
        raise FileNotFoundError("no C compiler (cc/gcc)")
    out.parent.mkdir(parents=True, exist_ok=True)
    cmd = [cc, "-shared", "-fPIC", "-O2", "-o", str(out), str(SHIM_SOURCE),
           f"-Wl,-soname,{shim_soname}", "-Wl,-z,defs", "-Wl,--no-as-needed",
           f"-L{numpy_blas.parent}", f"-l:{numpy_blas.name}", f"-Wl,-rpath,{rpath}"]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"blas_shim: compiling {SHIM_SOURCE.name} failed:\n{r.stderr}")
    return out


def _base(dest: str) -> str:
    return PurePosixPath(dest.replace("\\", "/")).name


def replace_cv2_openblas(binaries: list, workdir: Path) -> tuple[list, set[str]]:
    """PyInstaller's ``a.binaries`` (``(dest, src, typecode)``) with cv2's OpenBLAS replaced
    by the shim and the vendored libraries only it needed removed, and the file names of those
    removed (so the spec can drop PyInstaller's top-level symlinks to them). Unchanged (with a
    message) when the layout is not the expected one."""
    by_base = {_base(e[0]): e for e in binaries}
    cv2_ext = next((e for e in binaries
                    if _base(e[0]).startswith("cv2") and _base(e[0]).endswith(".so")
                    and e[0].replace("\\", "/").startswith("cv2/")), None)
    if cv2_ext is None:
        print("blas_shim: no cv2 extension in the bundle; nothing to replace")
        return binaries, set()
    blas_name = next((n for n in needed(Path(cv2_ext[1])) if n.startswith("libopenblas")), None)
    numpy_blas = next((e for b, e in by_base.items() if b.startswith("libscipy_openblas")), None)
    if blas_name is None or blas_name not in by_base or numpy_blas is None:
        print("blas_shim: cv2 brings no OpenBLAS of its own, or numpy none; nothing to replace")
        return binaries, set()
    cv2_blas = by_base[blas_name]

    users = [e for e in binaries if e is not cv2_blas and blas_name in needed(Path(e[1]))]
    provided = symbols(Path(cv2_blas[1]), defined=True)
    wanted = set().union(*(symbols(Path(e[1]), defined=False) for e in users)) & provided

    blas_dir = PurePosixPath(cv2_blas[0].replace("\\", "/")).parent
    numpy_dir = PurePosixPath(numpy_blas[0].replace("\\", "/")).parent
    rpath = "$ORIGIN/" + os.path.relpath(numpy_dir, blas_dir)
    try:
        shim = compile_shim(workdir / "blas_shim" / blas_name, blas_name, Path(numpy_blas[1]),
                            rpath)
    except FileNotFoundError as exc:
        print(f"blas_shim: {exc}: keeping cv2's own OpenBLAS "
              f"({Path(cv2_blas[1]).stat().st_size / 1e6:.0f} MB)")
        return binaries, set()
    missing = sorted(wanted - symbols(shim, defined=True))
    if missing:
        raise SystemExit(
            f"blas_shim: {', '.join(u[0] for u in users)} need {', '.join(missing)} from "
            f"{blas_name}, which packaging/linux/openblas_shim.c does not forward: add them")

    out = [(d, str(shim), t) if (d, s, t) == tuple(cv2_blas) else (d, s, t)
           for d, s, t in binaries]
    print(f"blas_shim: {cv2_blas[0]} ({Path(cv2_blas[1]).stat().st_size / 1e6:.1f} MB) replaced "
          f"by a {shim.stat().st_size / 1e3:.0f} kB shim forwarding to {numpy_blas[0]}")
    kept = prune_vendored(out, folder=str(blas_dir))
    return kept, {_base(e[0]) for e in out} - {_base(e[0]) for e in kept}


def prune_vendored(binaries: list, folder: str) -> list:
    """Drop libraries of one auditwheel folder (``X.libs``) that no remaining binary needs.
    Such libraries are only ever loaded as DT_NEEDED of the wheel's own extensions."""
    entries = list(binaries)
    while True:
        wanted = set()
        for _d, s, _t in entries:
            wanted.update(needed(Path(s)))
        drop = [e for e in entries
                if PurePosixPath(e[0].replace("\\", "/")).parent == PurePosixPath(folder)
                and _base(e[0]) not in wanted and (soname(Path(e[1])) or _base(e[0])) not in wanted]
        if not drop:
            return entries
        for e in drop:
            print(f"blas_shim: dropped {e[0]} ({Path(e[1]).stat().st_size / 1e6:.1f} MB), "
                  "only cv2's OpenBLAS used it")
        entries = [e for e in entries if e not in drop]
