"""Packaging numbers: bundle and .deb size, cold start to first frame from the bundle.

    python packaging/measure.py --bundle dist/vbg [--deb dist/vbg_0.1.0_amd64.deb]
                                [--build-seconds S] [--json OUT]

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


def tree_bytes(path: Path) -> int:
    """Apparent size of a folder (sum of file sizes; symlinks count as their own size)."""
    total = 0
    for p in path.rglob("*"):
        total += p.lstat().st_size if p.is_symlink() or p.is_file() else 0
    return total


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


def measure(bundle: Path, deb: Path | None, build_seconds: float | None) -> dict:
    exe = bundle / "vbg"
    numbers: dict = {
        "bundle_bytes": tree_bytes(bundle),
        "bundle_files": sum(1 for p in bundle.rglob("*") if p.is_file()),
    }
    if deb is not None:
        numbers["deb_bytes"] = deb.stat().st_size
    if build_seconds is not None:
        numbers["build_s"] = round(build_seconds, 1)
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
    if "deb_bytes" in n:
        lines.append(f".deb:               {n['deb_bytes'] / mb:7.1f} MB "
                     f"({n['deb_bytes'] / 2**20:.1f} MiB)  goal <= 130 MB")
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
    a = p.parse_args(argv)
    n = measure(a.bundle, a.deb, a.build_seconds)
    print(report(n))
    if n["selftest_returncode"] != 0:
        print("\nThe bundle's self-test failed:\n" + n["selftest_output"], file=sys.stderr)
    if a.json:
        a.json.write_text(json.dumps(n, indent=2) + "\n", encoding="utf-8")
    return 0 if n["selftest_returncode"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
