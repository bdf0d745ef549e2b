"""One-click virtual camera setup on Linux: vbg's root-owned helper, run through ``pkexec``.

The .deb installs :data:`HELPER` (packaging/linux/setup-virtual-camera.sh) owned by root and a
polkit action (:data:`POLKIT_ACTION`, packaging/linux/<action>.policy) so the password prompt
names vbg. The helper is a privilege boundary: it takes no input but the fixed ``--reload``
flag, and :func:`trusted_helper` makes sure it is a root-owned file in root-owned folders that
nobody else can write — a helper from a source checkout or a pip install is never run as root;
the user gets the commands instead (:attr:`SetupOutcome.commands`).
"""

from __future__ import annotations

import stat
from dataclasses import dataclass
from pathlib import Path

from vbg.app.syscommands import Runner, run_command
from vbg.app.vcam.findings import Diagnosis

HELPER = "/usr/lib/vbg/setup-virtual-camera"
POLKIT_ACTION = "io.github.vbg.setup-virtual-camera"


def trusted_helper(root: Path = Path("/"), owner_uid: int = 0) -> tuple[Path | None, str]:
    """The setup helper, when it may be run as root: a regular file (no symlink) owned by
    ``owner_uid`` (root), not writable by group or others, in folders (up to ``root``) that are
    the same. Returns (path, "") or (None, why not)."""
    path = root / HELPER.lstrip("/")
    try:
        st = path.lstat()
    except OSError:
        return None, (f"This vbg runs from a source checkout or a pip install (no {HELPER})")
    if not stat.S_ISREG(st.st_mode) or st.st_uid != owner_uid or st.st_mode & 0o022:
        return None, f"{HELPER} is not a root-owned file that only root can change"
    folder = path.parent
    while True:
        try:
            dst = folder.lstat()
        except OSError:
            return None, f"{folder} can't be read"
        if not stat.S_ISDIR(dst.st_mode) or dst.st_uid != owner_uid or dst.st_mode & 0o022:
            return None, f"{folder} is not a root-owned folder that only root can change"
        if folder == root or folder == folder.parent:
            break
        folder = folder.parent
    return path, ""


@dataclass(frozen=True)
class SetupOutcome:
    """What the one-click setup did. ``ran``: the helper ran as root; ``ok``: it made the
    camera available; ``message``: one sentence (and the helper's own words, when it ran);
    ``commands``: what to run by hand instead (when it could not run or failed)."""

    ran: bool
    ok: bool
    message: str
    commands: tuple[str, ...] = ()


def run_setup(diagnosis: Diagnosis, runner: Runner = run_command,
              root: Path = Path("/"), owner_uid: int = 0) -> SetupOutcome:
    """Run the helper through ``pkexec`` (the password prompt names vbg: polkit action
    :data:`POLKIT_ACTION`). The helper gets no input but the fixed ``--reload`` flag."""
    manual = tuple(diagnosis.commands)
    if diagnosis.setup is None:
        return SetupOutcome(False, False, "The setup helper can't fix this; run the commands "
                            "shown instead.", manual)
    helper, why = trusted_helper(root, owner_uid)
    if helper is None:
        return SetupOutcome(False, False, f"{why}, so vbg won't run it as root; run these "
                            "commands in a terminal instead.", manual)
    argv = ["pkexec", HELPER] + (["--reload"] if diagnosis.setup == "reload" else [])
    r = runner(argv, None)  # no timeout: the user is typing a password
    if r.missing:
        return SetupOutcome(False, False, "pkexec is not installed, so vbg can't ask for your "
                            "password; run these commands in a terminal instead.", manual)
    if r.returncode == 126:
        return SetupOutcome(False, False, "Setup cancelled: the password prompt was closed; "
                            "run these commands in a terminal instead.", manual)
    if r.returncode == 127:
        first = r.output.splitlines()[0] if r.output else "no authentication agent"
        return SetupOutcome(False, False, f"vbg could not ask for your password ({first}); "
                            "run these commands in a terminal instead.", manual)
    said = " ".join(line.removeprefix("vbg: ").strip() for line in r.output.splitlines()
                    if line.strip())
    if r.returncode == 0:
        return SetupOutcome(True, True, said or "The virtual camera is set up.")
    return SetupOutcome(True, False, said or f"The setup helper failed (exit {r.returncode}).",
                        manual)
