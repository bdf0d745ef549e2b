"""Running a system program and reading what it said, without ever raising for a missing one.

The seam the virtual-camera diagnosis and setup run commands through (:data:`Runner`), so tests
pass a fake runner instead of touching the machine's kernel or asking for root.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class CommandResult:
    """What a command did. ``missing``: the program is not installed (nothing ran)."""

    returncode: int
    stdout: str = ""
    stderr: str = ""
    missing: bool = False

    @property
    def output(self) -> str:
        return (self.stdout + ("\n" if self.stdout and self.stderr else "") + self.stderr).strip()


Runner = Callable[[Sequence[str], "float | None"], CommandResult]


def run_command(argv: Sequence[str], timeout: float | None = 10.0) -> CommandResult:
    """Run ``argv`` (no shell), capture its output; never raises for a missing program.

    The program is also looked up in /usr/sbin and /sbin: ``modinfo`` lives there, and
    Debian leaves them out of ordinary users' PATH."""
    search = os.pathsep.join([os.environ.get("PATH", os.defpath), "/usr/sbin", "/sbin"])
    exe = shutil.which(argv[0], path=search)
    if exe is None:
        return CommandResult(127, "", f"{argv[0]}: not installed", missing=True)
    try:
        r = subprocess.run([exe, *argv[1:]], capture_output=True, text=True, errors="replace",
                           timeout=timeout, check=False)
    except FileNotFoundError:
        return CommandResult(127, "", f"{argv[0]}: not installed", missing=True)
    except subprocess.TimeoutExpired:
        return CommandResult(124, "", f"{argv[0]} did not finish within {timeout:.0f} s")
    except OSError as exc:
        return CommandResult(126, "", f"{argv[0]}: {exc.strerror or exc}")
    return CommandResult(r.returncode, r.stdout, r.stderr)
