"""Packaging tests: every test here is marked ``packaging`` and ``slow`` (the marker is
registered in pyproject.toml), so the everyday ``-m "not slow"`` run leaves them out; CI's
full run has them.

The expensive fixtures (a PyInstaller build, a .deb) live in ``test_bundle_and_deb.py`` and
are module-scoped there, so the bundle is built once per run.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGING = REPO / "packaging"
LINUX = PACKAGING / "linux"

# bundle_rules.py and elf_fixups.py are plain modules next to the spec, not part of vbg.
if str(PACKAGING) not in sys.path:
    sys.path.insert(0, str(PACKAGING))


HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # The installers are checked in CI's full run, not in the everyday `-m "not slow"` one.
    for item in items:
        if HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.packaging)
            item.add_marker(pytest.mark.slow)


def offscreen_env(**extra: str) -> dict[str, str]:
    """The environment for running a frozen vbg: offscreen Qt, no PYTHON* leaking in from the
    test run (the bundle must not need them), HOME in a temporary place when given."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTHON", "VIRTUAL_ENV", "QT_"))}
    env["QT_QPA_PLATFORM"] = "offscreen"
    env.update(extra)
    return env
