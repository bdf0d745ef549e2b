"""Temporary outputs that a killed vbg left behind (issue 22, 7): the next write into the same
folder removes vbg's own, of dead pids, idle for a while; never anything else."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from vbg.fileio import IDLE_STALE_S, remove_stale_temporaries
from vbg.sinks import file as file_sink
from vbg.sinks.file import VideoFileSink
from vbg.sinks.media import MediaWriter


def _dead_pid() -> int:
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    return int(proc.stdout)


def _age(path: Path, seconds: float = IDLE_STALE_S + 5) -> None:
    t = time.time() - seconds
    os.utime(path, (t, t))


def _folder_with_leftovers(folder: Path) -> tuple[set[str], set[str]]:
    """Fill ``folder`` with what killed runs leave and with look-alikes that must stay;
    return (names to be removed, names to be kept)."""
    dead, me = _dead_pid(), os.getpid()
    gone = {f".old.mp4.{dead}.0a1b2c3d.part.mp4", f".cut.png.{dead}.1234abcd.tmp",
            f".m.mkv.{dead}.ffffffff.part.mkv", f".frames.{dead}.0a1b2c3d.part"}
    kept = {f".a.mp4.{me}.0a1b2c3d.part.mp4",          # its writer still runs
            f".b.mp4.{dead}.0a1b2c3d.part.mp4",        # changed a moment ago (another host?)
            f"c.mp4.{dead}.0a1b2c3d.part.mp4",         # not hidden: not vbg's name
            f".d.mp4.{dead}.0a1b2c3d.part.mp4.bak",    # the user's copy
            f".notes.{dead}.0a1b2c3d.txt",
            f".e.{dead}.0a1b2c3d.part",                # a folder with the user's photo in it
            ".f.mp4.0a1b2c3d.part.mp4",                # no pid
            "video.mp4"}
    for name in gone | kept:
        p = folder / name
        if name.endswith(".part"):
            p.mkdir()
            inner = p / ("frame_000001.png" if name.startswith(".frames") else "holiday.jpg")
            inner.write_bytes(b"png")
            _age(inner)
        else:
            p.write_bytes(b"partial")
        if not name.startswith(".b.mp4"):
            _age(p)
    return gone, kept


def test_the_sweep_removes_only_vbgs_temporaries_of_dead_idle_writers(tmp_path):
    gone, kept = _folder_with_leftovers(tmp_path)
    removed = remove_stale_temporaries(tmp_path / "new.mp4", whole_folder=True)
    assert {p.name for p in removed} == gone
    assert {p.name for p in tmp_path.iterdir()} == kept


def _frame(n: int = 0) -> np.ndarray:
    return np.full((64, 64, 3), 40 + n, np.uint8)


def test_the_next_video_written_into_the_folder_removes_them(tmp_path):
    gone, kept = _folder_with_leftovers(tmp_path)
    w = MediaWriter(tmp_path / "new.mp4", "h264", 64, 64, Fraction(24))
    w.write(_frame())
    w.finish()
    assert {p.name for p in tmp_path.iterdir()} == kept | {"new.mp4"}


@pytest.mark.parametrize("pyav", [True, False])
def test_the_next_recording_into_the_folder_removes_them(tmp_path, monkeypatch, pyav):
    if not pyav:  # the desktop bundle: OpenCV's writer
        monkeypatch.setattr(file_sink, "av_available", lambda: False)
    gone, kept = _folder_with_leftovers(tmp_path)
    sink = VideoFileSink(tmp_path / "rec.mkv", 64, 64, 24.0)
    sink.send(_frame())
    sink.close()
    assert {p.name for p in tmp_path.iterdir()} == kept | {"rec.mkv"}


_WRITER = """
import sys
from fractions import Fraction
import numpy as np
from vbg.sinks.media import MediaWriter
w = MediaWriter(sys.argv[1], sys.argv[2], 64, 64, Fraction(24))
for i in range(30):
    w.write(np.full((64, 64, 4) if sys.argv[2] == "png" else (64, 64, 3), i, np.uint8))
print(w.tmp, flush=True)
sys.stdin.read()  # until killed
"""


@pytest.mark.parametrize("kind, name", [("h264", "talk.mp4"), ("png", "frames")])
def test_what_a_sigkilled_writer_left_goes_at_the_next_write(tmp_path, kind, name):
    from tests.conftest import REPO

    proc = subprocess.Popen([sys.executable, "-c", _WRITER, str(tmp_path / name), kind],
                            cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        left = Path(proc.stdout.readline().strip())  # type: ignore[union-attr]
        assert left.parent == tmp_path and left.exists()
    finally:
        proc.kill()  # SIGKILL: no handler, no cleanup
        proc.wait(timeout=30)
    assert left.exists()  # what kill -9 leaves
    _age(left)  # ... found a while later
    w = MediaWriter(tmp_path / "next.mp4", "h264", 64, 64, Fraction(24))
    w.write(_frame())
    w.finish()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["next.mp4"]
