"""``vbg doctor``: why video apps can't see vbg's virtual camera, and the exact fix.

Prints one line per check (see :mod:`vbg.app.vcam.doctor`) with its fix and commands, or the
findings as JSON with ``--json``. Exit status: 0 when the virtual camera works, 1 when there
are findings to act on, 2 for bad input (e.g. ``--device`` naming no virtual camera).
"""

from __future__ import annotations

import argparse
import json
import sys

from vbg.app.vcam import doctor as vcam_doctor
from vbg.app.vcam.findings import NOTE, OK, PROBLEM, Diagnosis
from vbg.app.vcam.pipewire import write_launcher
from vbg.app.vcam.setup import HELPER


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "doctor", help="check the virtual camera and say how to fix it",
        description="Check why video apps can't see vbg's virtual camera: one line per check "
                    "with its fix and the exact commands. Exit status 0 when the virtual "
                    "camera works, 1 when something needs fixing.")
    p.add_argument("--device", default=None, metavar="/dev/videoN",
                   help="check only this virtual camera (Linux)")
    p.add_argument("--json", action="store_true", help="print the findings as JSON")
    p.add_argument("--launcher", default=None, metavar="APP",
                   help="write a menu entry 'APP (vbg camera)' that starts APP (e.g. zoom) "
                        "through pw-v4l2, so an app that reads only V4L2 devices sees vbg's "
                        "PipeWire camera (Linux)")


def cmd_doctor(a: argparse.Namespace) -> int:
    """Run the diagnosis; ``DoctorInputError`` (exit 2 in the CLI) for a bad ``--device``."""
    if a.launcher is not None:
        path = write_launcher(a.launcher)
        print(f"Wrote {path}: start the app from the menu entry ending in \"(vbg camera)\" "
              "and pick the camera \"vbg\" in it.")
        return 0
    device = a.device
    if device is not None:
        if not sys.platform.startswith("linux"):
            raise vcam_doctor.DoctorInputError(
                "--device is for Linux's /dev/videoN virtual cameras; leave it out on "
                f"{sys.platform}.")
        device = vcam_doctor.validate_device(device)
    d = vcam_doctor.diagnose(device=device)
    if a.json:
        print(json.dumps(d.to_json(), indent=2, ensure_ascii=False))
    else:
        print(format_text(d))
    return d.exit_code


def format_text(d: Diagnosis) -> str:
    """The diagnosis as ``vbg doctor`` prints it: one line per finding, its fix and commands
    indented below, then the summary (with problems: how many, not the first one again)."""
    marks = {OK: "ok  ", PROBLEM: "FIX ", NOTE: "note"}
    lines = []
    for f in d.findings:
        lines.append(f"[{marks[f.status]}] {f.text}")
        if f.fix:
            lines.append(f"       {f.fix}")
        lines += [f"         $ {c}" for c in f.commands]
    lines.append("")
    n = len(d.problems)
    # The dialog's headline repeats the first problem; here it is on screen just above.
    lines.append(f"Virtual camera off — {n} thing{'s' if n != 1 else ''} to fix, marked FIX "
                 "above." if n else d.summary)
    if d.setup and d.helper:
        lines.append(f"Or let vbg do it: pkexec {HELPER}"
                     + (" --reload" if d.setup == "reload" else ""))
    return "\n".join(lines)
