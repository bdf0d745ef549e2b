"""The PySide6 6.12 / Python 3.11 reference-count guard (vbg.ui.compat)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import PySide6
import pytest

from vbg.ui import compat

REPO = Path(__file__).resolve().parents[2]


def test_affected_versions() -> None:
    assert compat._affected("6.12.0") and compat._affected("6.13.1")
    assert not compat._affected("6.11.3") and not compat._affected("6.6.0")


def test_the_guard_makes_the_three_singletons_immortal_where_needed(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # As on an affected PySide6: the guard must really add the references (harmless: these
    # objects are never freed, and the app applies the same guard).
    monkeypatch.setattr(compat, "_affected", lambda version=None: True)
    before = [sys.getrefcount(obj) for obj in (None, True, False)]
    applied = compat.immortalize_singletons()
    after = [sys.getrefcount(obj) for obj in (None, True, False)]
    if sys.version_info >= (3, 12):  # immortal already (PEP 683): nothing to do
        assert not applied
        return
    assert applied
    assert all(a - b >= compat._BOOST - 10_000 for a, b in zip(after, before, strict=True))


@pytest.mark.skipif(not compat._affected() or sys.version_info >= (3, 12),
                    reason=f"PySide6 {PySide6.__version__} on Python "
                           f"{sys.version_info.major}.{sys.version_info.minor} has no such bug "
                           "(only 6.12+ on 3.11): this check could not fail here")
def test_many_void_calls_and_emits_do_not_abort_the_interpreter() -> None:
    # In a fresh interpreter: 50 000 void calls and emits would take None/True/False to a
    # refcount of zero on an affected PySide6 + Python 3.11 without the guard.
    code = (
        "import os; os.environ['QT_QPA_PLATFORM'] = 'offscreen'\n"
        "import vbg.ui\n"
        "from PySide6.QtWidgets import QApplication, QWidget\n"
        "from PySide6.QtCore import QObject, Signal\n"
        "class B(QObject):\n    s = Signal(int)\n"
        "a = QApplication([]); w = QWidget(); b = B()\n"
        "for i in range(50000):\n    w.update(); b.s.emit(i)\n"
        "print('ok')\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       timeout=120, cwd=REPO)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr
