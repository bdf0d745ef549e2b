"""The one atomic write: whole files only, the usual file mode, stale temporaries cleaned up."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from vbg.fileio import (
    UNKNOWN_OWNER_STALE_S,
    atomic_output,
    create_temporary_beside,
    remove_stale_temporaries,
)


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_file_gets_the_usual_mode(tmp_path: Path, umask_022) -> None:
    path = tmp_path / "cut.png"
    with atomic_output(path) as f:
        f.write(b"png")
    assert path.read_bytes() == b"png"
    assert mode(path) == 0o644  # 0666 minus the umask, not mkstemp's 0600


@pytest.mark.parametrize("existing", [0o644, 0o640, 0o600])
def test_replacing_a_file_keeps_its_mode(tmp_path: Path, umask_022, existing: int) -> None:
    path = tmp_path / "settings.json"
    path.write_text("old")
    path.chmod(existing)
    with atomic_output(path, "w", encoding="utf-8") as f:
        f.write("new")
    assert path.read_text() == "new" and mode(path) == existing


def test_a_failed_write_keeps_the_old_file_and_leaves_nothing(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text("old")
    with pytest.raises(RuntimeError), atomic_output(path, "w") as f:
        f.write("half")
        raise RuntimeError("disk pulled")
    assert path.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["settings.json"]


def test_the_temporary_file_is_hidden_beside_the_target(tmp_path: Path, umask_022) -> None:
    tmp = create_temporary_beside(tmp_path / "clip.mkv", suffix=".part.mkv")
    assert tmp.parent == tmp_path and tmp.name.startswith(".clip.mkv.")
    assert tmp.name.endswith(".part.mkv") and mode(tmp) == 0o644


def _dead_pid() -> int:
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    return int(proc.stdout)


def test_temporaries_of_killed_writers_are_removed_others_kept(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text("{}")
    killed = tmp_path / f".settings.json.{_dead_pid()}.0a1b2c3d.tmp"
    mine = tmp_path / f".settings.json.{os.getpid()}.0a1b2c3d.tmp"
    old_style = tmp_path / ".settings.json.k2j3h4ab.tmp"   # tempfile.mkstemp, older vbg
    fresh_old_style = tmp_path / ".settings.json.zz9y8x7w.tmp"
    other = tmp_path / ".other.json.1.0a1b2c3d.tmp"
    for p in (killed, mine, old_style, fresh_old_style, other):
        p.write_text("partial")
    long_ago = time.time() - UNKNOWN_OWNER_STALE_S - 5
    os.utime(old_style, (long_ago, long_ago))
    removed = remove_stale_temporaries(path)
    assert sorted(removed) == sorted([killed, old_style])
    assert not killed.exists() and not old_style.exists()
    assert mine.exists() and fresh_old_style.exists() and other.exists() and path.exists()


def test_cleaning_a_missing_folder_does_not_raise(tmp_path: Path) -> None:
    assert remove_stale_temporaries(tmp_path / "nowhere" / "settings.json") == []
