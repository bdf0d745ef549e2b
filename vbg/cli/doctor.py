"""``vbg doctor``: why video apps can't see vbg's virtual camera, and the exact fix.

Prints one line per check (see :mod:`vbg.app.vcam_doctor`) with its fix and commands, or the
findings as JSON with ``--json``. Exit status: 0 when the virtual camera works, 1 when there
are findings to act on, 2 for bad input (e.g. ``--device`` naming no virtual camera).
"""

from __future__ import annotations

import argparse
import json
import sys

from vbg.app import vcam_doctor


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "doctor", help="check the virtual camera and say how to fix it",
        description="Check why video apps can't see vbg's virtual camera: one line per check "
                    "with its fix and the exact commands. Exit status 0 when the virtual "
                    "camera works, 1 when something needs fixing.")
    p.add_argument("--device", default=None, metavar="/dev/videoN",
                   help="check only this virtual camera (Linux)")
    p.add_argument("--json", action="store_true", help="print the findings as JSON")


def cmd_doctor(a: argparse.Namespace) -> int:
    """Run the diagnosis; ``DoctorInputError`` (exit 2 in the CLI) for a bad ``--device``."""
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
        print(vcam_doctor.format_text(d))
    return d.exit_code
