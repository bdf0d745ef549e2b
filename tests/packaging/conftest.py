"""Packaging tests: every test here carries ``@pytest.mark.packaging`` (deselect with
``-m "not packaging"``); they run in CI by default.

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


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "packaging: builds or checks the installers (PyInstaller bundle, .deb)")


def offscreen_env(**extra: str) -> dict[str, str]:
    """The environment for running a frozen vbg: offscreen Qt, no PYTHON* leaking in from the
    test run (the bundle must not need them), HOME in a temporary place when given."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTHON", "VIRTUAL_ENV", "QT_"))}
    env["QT_QPA_PLATFORM"] = "offscreen"
    env.update(extra)
    return env
