"""``vbg doctor`` as a user runs it, on this machine (whatever its virtual camera state), and
its bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def doctor(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p)}
    return subprocess.run([sys.executable, "-m", "vbg", "doctor", *args], capture_output=True,
                          text=True, timeout=120, env=env)


def test_doctor_prints_findings_and_exits_0_or_1() -> None:
    r = doctor()
    assert r.returncode in (0, 1), r.stderr
    lines = r.stdout.strip().splitlines()
    assert lines[0].startswith("[ok  ]")  # the OS line comes first
    last = lines[-1] if not lines[-1].startswith("Or let vbg") else lines[-2]
    assert last.startswith("The virtual camera works" if r.returncode == 0
                           else "Virtual camera off — ")
    if r.returncode == 1:  # a count, not the first finding's sentence a second time
        fixes = [line for line in lines if line.startswith("[FIX ]")]
        assert fixes and f"{len(fixes)} thing" in last and "marked FIX above" in last
        assert not any(f[len("[FIX ] "):] in last for f in fixes)
    assert "Traceback" not in r.stderr


def test_doctor_json_matches_the_exit_status() -> None:
    r = doctor("--json")
    data = json.loads(r.stdout)
    assert r.returncode == (0 if data["works"] else 1)
    assert data["findings"][0]["check"] == "os"
    for f in data["findings"]:
        assert f["status"] in ("ok", "problem", "note") and f["text"]
    if not data["works"]:
        assert any(f["status"] == "problem" and f["fix"] for f in data["findings"])


def test_unknown_device_is_one_sentence_and_exit_2() -> None:
    for bad in ("/dev/videoX", "/dev/video987"):
        r = doctor("--device", bad)
        assert r.returncode == 2 and not r.stdout
        assert r.stderr.startswith(f"vbg: {bad} ") and r.stderr.count("\n") == 1
        assert "Traceback" not in r.stderr
