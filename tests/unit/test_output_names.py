"""Giving a finished output its name (issue 22, 6): never over a file that appeared after the
name was checked (two runs writing to one name), with or without renameat2 and hard links."""

from __future__ import annotations

import errno
import os
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from vbg import fileio
from vbg.errors import OutputError
from vbg.fileio import move_into_place, rename_no_replace
from vbg.sinks.media import MediaWriter, finish_together


@pytest.fixture(params=["renameat2", "hard link", "check then rename"])
def system(request, monkeypatch) -> str:
    """The three ways rename_no_replace works, depending on what the system offers."""
    if request.param != "renameat2":
        monkeypatch.setattr(fileio, "_renameat2", lambda: None)
    else:
        assert fileio._renameat2() is not None  # Linux with glibc: the atomic way is used
    if request.param == "check then rename":
        def no_links(*_a, **_k):
            raise OSError(errno.EPERM, "Operation not permitted")
        monkeypatch.setattr(os, "link", no_links)
    return request.param


def test_a_free_name_is_taken(tmp_path, system):
    src, dst = tmp_path / ".a.part", tmp_path / "a.mp4"
    src.write_bytes(b"new")
    rename_no_replace(src, dst)
    assert dst.read_bytes() == b"new" and not src.exists()


@pytest.mark.parametrize("there", ["file", "folder", "link"])
def test_a_taken_name_is_left_alone(tmp_path, system, there):
    src, dst = tmp_path / ".a.part", tmp_path / "a.mp4"
    src.write_bytes(b"new")
    if there == "file":
        dst.write_bytes(b"other")
    elif there == "folder":
        dst.mkdir()
    else:
        dst.symlink_to(tmp_path / "nowhere")
    with pytest.raises(FileExistsError):
        rename_no_replace(src, dst)
    assert src.read_bytes() == b"new"
    assert (dst.read_bytes() == b"other" if there == "file" else
            dst.is_dir() if there == "folder" else dst.is_symlink())


def test_a_folder_is_moved_but_never_over_another(tmp_path, system):
    src, dst = tmp_path / ".frames.part", tmp_path / "frames"
    src.mkdir()
    (src / "frame_000001.png").write_bytes(b"png")
    dst.mkdir()
    with pytest.raises(FileExistsError):
        rename_no_replace(src, dst)
    dst.rmdir()
    rename_no_replace(src, dst)
    assert (dst / "frame_000001.png").read_bytes() == b"png"


def test_move_into_place_goes_beside_a_taken_name(tmp_path):
    target = tmp_path / "out.mp4"
    target.write_bytes(b"other run")
    for expected in ("out.new.mp4", "out.new-2.mp4"):
        tmp = tmp_path / ".out.mp4.1.0a1b2c3d.part.mp4"
        tmp.write_bytes(expected.encode())
        assert move_into_place(tmp, target) == tmp_path / expected
        assert (tmp_path / expected).read_bytes() == expected.encode()
    assert target.read_bytes() == b"other run"


def test_move_into_place_replaces_only_when_asked_and_never_a_link(tmp_path):
    target, tmp = tmp_path / "out.mp4", tmp_path / ".tmp"
    target.write_bytes(b"old")
    tmp.write_bytes(b"new")
    assert move_into_place(tmp, target, replace=True) == target
    assert target.read_bytes() == b"new"
    link = tmp_path / "link.mp4"
    link.symlink_to(target)
    tmp.write_bytes(b"newer")
    assert move_into_place(tmp, link, replace=True) == tmp_path / "link.new.mp4"
    assert link.is_symlink() and target.read_bytes() == b"new"


def _png_writer(path: Path) -> MediaWriter:
    w = MediaWriter(path, "png", 32, 32, Fraction(24))
    for i in range(2):
        w.write(np.full((32, 32, 4), i, np.uint8))
    return w


def test_a_png_folder_that_filled_meanwhile_is_not_written_into(tmp_path):
    frames = tmp_path / "frames"
    frames.mkdir()  # empty: accepted at the start
    w = _png_writer(frames)
    (frames / "holiday.jpg").write_bytes(b"the user's")  # ... then filled
    with pytest.raises(OutputError, match="appeared while vbg was writing it"):
        finish_together([w], [None])
    assert sorted(p.name for p in frames.iterdir()) == ["holiday.jpg"]
    assert sorted(p.name for p in (tmp_path / "frames.new").iterdir()) == [
        "frame_000001.png", "frame_000002.png"]


def test_a_second_output_failing_at_its_rename_takes_the_first_back(tmp_path):
    frames = tmp_path / "frames"
    frames.mkdir()
    (frames / "holiday.jpg").write_bytes(b"the user's")
    first = _png_writer(frames)
    second = MediaWriter(tmp_path / "m.mkv", "mask", 32, 32, Fraction(24))
    second.write(np.zeros((32, 32), np.uint8))
    with pytest.raises(OutputError, match="gone"):  # its folder vanished meanwhile
        finish_together([first, second], [None, tmp_path / "gone" / "m.mkv"], replace=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["frames"]
    assert sorted(p.name for p in frames.iterdir()) == ["holiday.jpg"]


def test_a_second_output_failing_to_complete_leaves_nothing(tmp_path):
    first = MediaWriter(tmp_path / "out.mp4", "h264", 32, 32, Fraction(24))
    first.write(np.zeros((32, 32, 3), np.uint8))
    second = MediaWriter(tmp_path / "m.mkv", "mask", 32, 32, Fraction(24))  # no frame
    with pytest.raises(OutputError, match="No frame was written"):
        finish_together([first, second], [None, None])
    assert list(tmp_path.iterdir()) == []
