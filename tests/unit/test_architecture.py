"""The layer contracts (pyproject.toml) hold: Qt only in vbg.ui, torch only in vbg.training,
the runtime never imports vbg.training, and layers import downwards only."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def test_import_linter_contracts_are_kept():
    exe = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")
    result = subprocess.run([exe], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_the_runtime_does_not_load_torch_or_qt():
    code = ("import sys, vbg.pipeline, vbg.stills, vbg.cli.main, vbg.cli.bench; "
            "print(sorted(m for m in ('torch', 'PySide6', 'vbg.training') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


@pytest.mark.slow
def test_the_runtime_packages_pass_mypy():
    # Configured in pyproject.toml ([tool.mypy]: all of vbg except vbg.training).
    result = subprocess.run([sys.executable, "-m", "mypy"], cwd=REPO, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "Success" in result.stdout
