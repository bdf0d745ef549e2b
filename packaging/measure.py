"""Packaging numbers: bundle and .deb size (by component), cold start to first frame.

    python packaging/measure.py --bundle dist/vbg [--deb dist/vbg_0.1.0_amd64.deb]
                                [--build-seconds S] [--json OUT] [--sizes-only]

Goals (``GOALS``): bundle <= 300 MB unpacked, .deb <= 100 MB, cold start <= 3 s. Exit status:
0 all met, 1 the bundle's self-test failed, 3 a goal was missed (one line per miss on stderr,
so ``build.sh`` fails loudly).

Cold start: the bundle's files are first evicted from the page cache (``posix_fadvise
DONTNEED`` on each file, no root needed; pages other processes hold stay), then
``vbg --selftest`` runs offscreen. Its pipeline check runs first and reports the time from the
process start (Linux ``/proc``: bootloader, interpreter, imports, model load, first composite)
to the first composited frame. The warm number is the best of two further runs.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

FIRST_FRAME = re.compile(r"([\d.]+) s after process start")
GOALS = {"bundle_bytes": 300e6, "deb_bytes": 100e6, "cold_first_frame_s": 3.0}
GOAL_TEXT = {"bundle_bytes": "bundle (unpacked) <= 300 MB", "deb_bytes": ".deb <= 100 MB",
             "cold_first_frame_s": "cold start to first frame <= 3 s"}

# Bundle components: first path part under _internal -> name (anything else: "other").
COMPONENTS = {
    "cv2": "OpenCV", "opencv_python_headless.libs": "OpenCV", "opencv_python.libs": "OpenCV",
    "numpy": "numpy", "numpy.libs": "numpy", "onnxruntime": "onnxruntime",
    "PySide6": "Qt (PySide6)", "shiboken6": "Qt (PySide6)", "vbg": "vbg data (models, assets)",
    "python3.11": "Python", "base_library.zip": "Python",
}


def tree_bytes(path: Path) -> int:
    """Apparent size of a folder (sum of file sizes; symlinks count as their own size)."""
    total = 0
    for p in path.rglob("*"):
        total += p.lstat().st_size if p.is_symlink() or p.is_file() else 0
    return total


def components(bundle: Path) -> dict[str, int]:
    """Bytes by component: packages under ``_internal``, the Python runtime (with the
    executable, which holds the compiled Python code), libraries at the top level."""
    sizes: dict[str, int] = {}
    internal = bundle / "_internal"
    for p in bundle.rglob("*"):
        if not (p.is_file() or p.is_symlink()):
            continue
        rel = p.relative_to(internal).parts if p.is_relative_to(internal) else ()
        if not rel:
            name = "Python"  # the executable: bootloader + PYZ of all Python code
        elif rel[0] in COMPONENTS:
            name = COMPONENTS[rel[0]]
        elif rel[0].startswith("libpython"):
            name = "Python"
        elif len(rel) == 1 and ".so" in rel[0]:
            name = "other libraries (top level)"
        else:
            name = "other"
        sizes[name] = sizes.get(name, 0) + p.lstat().st_size
    return dict(sorted(sizes.items(), key=lambda kv: -kv[1]))


def missed_goals(n: dict) -> list[str]:
    """One sentence per goal the numbers miss (a number that was not measured is not judged)."""
    out = []
    for key, limit in GOALS.items():
        value = n.get(key)
        if value is not None and value > limit:
            shown = f"{value / 1e6:.1f} MB" if key.endswith("bytes") else f"{value:.2f} s"
            out.append(f"GOAL MISSED: {GOAL_TEXT[key]}, measured {shown}")
    return out


def apt_weight(deb: Path, recommends: bool) -> dict:
    """What ``apt install ./DEB`` would add on this machine (``apt-get -s``, nothing is
    installed): package names, download and installed bytes. Needs an apt cache
    (``apt-get update``)."""
    cmd = ["apt-get", "-s", "-o", "Debug::NoLocking=1", "install",
           "--install-recommends" if recommends else "--no-install-recommends",
           str(deb.resolve())]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        return {"error": (r.stdout + r.stderr).strip().splitlines()[-1:]}
    inst = re.findall(r"^Inst (\S+) (?:\[[^\]]*\] )?\((\S+)", r.stdout, re.MULTILINE)
    packages = [(n, v) for n, v in inst if n != "vbg"]
    download = installed = 0
    for name, version in packages:
        show = subprocess.run(["apt-cache", "show", f"{name}={version}"], capture_output=True,
                              text=True).stdout.split("\n\n")[0]
        m = re.search(r"^Installed-Size: (\d+)", show, re.MULTILINE)
        installed += int(m.group(1)) * 1024 if m else 0
        m = re.search(r"^Size: (\d+)", show, re.MULTILINE)
        download += int(m.group(1)) if m else 0
    return {"packages": [n for n, _ in packages], "download_bytes": download,
            "installed_bytes": installed}


def evict(path: Path) -> int:
    """Drop the page-cache pages of every file under ``path``; returns how many files."""
    n = 0
    if not hasattr(os, "posix_fadvise"):
        return 0
    for p in path.rglob("*"):
        if p.is_file() and not p.is_symlink():
            try:
                fd = os.open(p, os.O_RDONLY)
            except OSError:
                continue
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
                n += 1
            finally:
                os.close(fd)
    return n


def selftest_run(exe: Path, timeout: float = 120.0) -> dict:
    """Run ``exe --selftest`` offscreen; wall time, exit status, first-frame time, output."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    t0 = time.monotonic()
    proc = subprocess.run([str(exe), "--selftest"], capture_output=True, text=True, env=env,
                          timeout=timeout)
    wall = time.monotonic() - t0
    m = FIRST_FRAME.search(proc.stdout)
    return {"returncode": proc.returncode, "wall_s": round(wall, 2),
            "first_frame_s": float(m.group(1)) if m else None,
            "output": proc.stdout + proc.stderr}


def measure(bundle: Path, deb: Path | None, build_seconds: float | None,
            run: bool = True) -> dict:
    exe = bundle / "vbg"
    numbers: dict = {
        "bundle_bytes": tree_bytes(bundle),
        "bundle_files": sum(1 for p in bundle.rglob("*") if p.is_file()),
        "components_bytes": components(bundle),
    }
    if deb is not None:
        numbers["deb_bytes"] = deb.stat().st_size
    if build_seconds is not None:
        numbers["build_s"] = round(build_seconds, 1)
    if not run:
        return numbers
    numbers["evicted_files"] = evict(bundle)
    cold = selftest_run(exe)
    warm = [selftest_run(exe) for _ in range(2)]
    numbers["cold_first_frame_s"] = cold["first_frame_s"]
    numbers["cold_selftest_wall_s"] = cold["wall_s"]
    frames = [w["first_frame_s"] for w in warm if w["first_frame_s"] is not None]
    numbers["warm_first_frame_s"] = min(frames) if frames else None
    numbers["selftest_returncode"] = cold["returncode"]
    numbers["selftest_output"] = cold["output"]
    return numbers


def report(n: dict) -> str:
    mb = 1e6
    lines = [
        f"bundle (unpacked):  {n['bundle_bytes'] / mb:7.1f} MB "
        f"({n['bundle_bytes'] / 2**20:.1f} MiB, {n['bundle_files']} files)  goal <= 300 MB",
    ]
    for name, size in n.get("components_bytes", {}).items():
        lines.append(f"  {name:<28}{size / mb:7.1f} MB")
    if "deb_bytes" in n:
        lines.append(f".deb:               {n['deb_bytes'] / mb:7.1f} MB "
                     f"({n['deb_bytes'] / 2**20:.1f} MiB)  goal <= 100 MB")
    if "cold_first_frame_s" not in n:
        return "\n".join(lines)
    cold, warm = n.get("cold_first_frame_s"), n.get("warm_first_frame_s")
    lines.append("cold start -> first frame: "
                 + (f"{cold:.2f} s" if cold is not None else "n/a")
                 + " (page cache evicted), warm: "
                 + (f"{warm:.2f} s" if warm is not None else "n/a") + "  goal <= 3 s")
    if "build_s" in n:
        lines.append(f"build time:         {n['build_s']:7.1f} s (bundle + .deb)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--bundle", type=Path, required=True)
    p.add_argument("--deb", type=Path, default=None)
    p.add_argument("--build-seconds", type=float, default=None)
    p.add_argument("--json", type=Path, default=None, help="also write the numbers here")
    p.add_argument("--sizes-only", action="store_true", help="no self-test runs, sizes only")
    p.add_argument("--apt", action="store_true",
                   help="also show what `apt install ./DEB` pulls, with and without recommends")
    a = p.parse_args(argv)
    if a.apt and a.deb:
        for rec in (False, True):
            w = apt_weight(a.deb, rec)
            label = "with recommends" if rec else "--no-install-recommends"
            if "error" in w:
                print(f"apt ({label}): can't simulate: {w['error']}")
                continue
            print(f"apt install ./{a.deb.name} ({label}): {len(w['packages'])} packages, "
                  f"{w['download_bytes'] / 1e6:.1f} MB download, "
                  f"{w['installed_bytes'] / 1e6:.1f} MB installed: {' '.join(w['packages'])}")
    n = measure(a.bundle, a.deb, a.build_seconds, run=not a.sizes_only)
    print(report(n))
    if a.json:
        a.json.write_text(json.dumps(n, indent=2) + "\n", encoding="utf-8")
    if n.get("selftest_returncode", 0) != 0:
        print("\nThe bundle's self-test failed:\n" + n["selftest_output"], file=sys.stderr)
        return 1
    missed = missed_goals(n)
    for line in missed:
        print(line, file=sys.stderr)
    return 3 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
