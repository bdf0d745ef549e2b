"""Someone with only the repository (no ../shared beside it) can run the tests: the tests that
read the shared photos and clips skip with one line saying what is missing, while with
``CI=true`` the same run fails, so CI can never pass by silently skipping them.

Checked on a copy of ``tests/conftest.py`` in a temporary checkout with no ``shared`` next to it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.packaging.conftest import REPO

pytestmark = pytest.mark.packaging

DATA_TEST = '''
def test_reads_photos(shared):
    assert (shared / "data").is_dir()

def test_reads_a_clip(portraits):
    assert portraits

def test_needs_no_data():
    assert 1 + 1 == 2
'''


def _run_copy(tmp_path: Path, ci: str | None) -> subprocess.CompletedProcess:
    repo = tmp_path / "checkout"
    (repo / "tests").mkdir(parents=True)
    shutil.copy(REPO / "tests" / "conftest.py", repo / "tests" / "conftest.py")
    (repo / "tests" / "__init__.py").write_text("")
    (repo / "tests" / "test_data.py").write_text(DATA_TEST)
    assert not (tmp_path / "shared").exists()
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    if ci is not None:
        env["CI"] = ci
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider",
                           "tests"], cwd=repo, env=env, capture_output=True, text=True,
                          timeout=120)


def test_without_shared_data_tests_skip_with_one_line(tmp_path: Path) -> None:
    r = _run_copy(tmp_path, ci=None)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out
    assert "1 passed, 2 skipped" in out, out
    missing = f"{tmp_path / 'shared'} is missing"
    assert f"shared data: {missing}; the tests that read it were skipped" in out, out
    skip_lines = [line for line in out.splitlines() if line.startswith("SKIPPED")]
    assert len(skip_lines) == 2, skip_lines
    for line in skip_lines:  # one line each, saying what is missing, no traceback
        assert line.endswith(f"{missing} (the shared photos/clips folder next to the "
                             "repository)"), line


def test_without_shared_data_ci_fails(tmp_path: Path) -> None:
    r = _run_copy(tmp_path, ci="true")
    out = r.stdout + r.stderr
    assert r.returncode == 1, out
    assert "1 passed, 2 errors" in out, out
    assert "the tests that read it failed (CI=true)" in out
    assert out.count("CI=true requires it") == 2, out
