"""Removing an added background (the picker's right-click "Remove"): which files may go, and
going (issue 22, 10)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from vbg.app import backgrounds as bgs
from vbg.errors import BackgroundError


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    f = tmp_path / "backgrounds"
    f.mkdir()
    return f


def test_an_added_picture_or_video_is_removable_and_removed(folder: Path) -> None:
    pic = folder / "beach.png"
    pic.write_bytes(b"png")
    clip = folder / "waves.mp4"
    clip.write_bytes(b"mp4")
    for path, kind in ((pic, "image"), (clip, "video")):
        assert bgs.removable(f"{kind}:{path}", folder) == path
        assert bgs.remove_background(f"{kind}:{path}", folder) == path
        assert not path.exists()
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize("spec", ["none", "blur:5", "blur:10", "color:#3C825A", "nonsense:x"])
def test_presets_and_colours_are_not_removable(folder: Path, spec: str) -> None:
    assert bgs.removable(spec, folder) is None
    with pytest.raises(BackgroundError, match="only files in your backgrounds folder"):
        bgs.remove_background(spec, folder)


def test_bundled_pictures_are_not_removable(folder: Path) -> None:
    bundled = [f for f in bgs.list_backgrounds(bgs.default_folders(folder)) if f.builtin]
    assert bundled
    for f in bundled:
        assert bgs.removable(f.spec, folder) is None
        with pytest.raises(BackgroundError):
            bgs.remove_background(f.spec, folder)
        assert f.path.is_file()
    # Not even when someone points the user folder at the bundled one.
    assert bgs.removable(bundled[0].spec, bgs.builtin_backgrounds_dir()) is None


def test_files_elsewhere_and_odd_entries_are_not_removable(folder: Path, tmp_path: Path
                                                           ) -> None:
    outside = tmp_path / "holiday.jpg"  # e.g. given on the command line
    outside.write_bytes(b"jpg")
    nested = folder / "sub"
    nested.mkdir()
    (nested / "x.png").write_bytes(b"png")
    (folder / "notes.txt").write_text("x")
    (folder / ".import-1.png").write_bytes(b"x")  # an interrupted copy
    (folder / "dir.png").mkdir()
    sneaky = folder / ".." / "holiday.jpg"
    for spec in (f"image:{outside}", f"image:{nested / 'x.png'}", f"image:{folder / 'notes.txt'}",
                 f"image:{folder / '.import-1.png'}", f"image:{folder / 'dir.png'}",
                 f"image:{sneaky}"):
        assert bgs.removable(spec, folder) is None, spec
        with pytest.raises(BackgroundError):
            bgs.remove_background(spec, folder)
    assert outside.is_file() and (nested / "x.png").is_file()


def test_a_symlink_goes_but_not_what_it_points_to(folder: Path, tmp_path: Path) -> None:
    target = tmp_path / "original.png"
    target.write_bytes(b"png")
    link = folder / "linked.png"
    link.symlink_to(target)
    assert bgs.remove_background(f"image:{link}", folder) == link
    assert not os.path.lexists(link) and target.is_file()


def test_a_file_already_gone_counts_as_removed(folder: Path) -> None:
    gone = folder / "gone.png"
    assert bgs.remove_background(f"image:{gone}", folder) == gone


@pytest.mark.skipif(os.geteuid() == 0, reason="root may delete in a read-only folder")
def test_a_read_only_folder_is_one_sentence(folder: Path) -> None:
    pic = folder / "beach.png"
    pic.write_bytes(b"png")
    folder.chmod(0o555)
    try:
        with pytest.raises(BackgroundError, match=r"Could not remove beach\.png from .*"
                                                   r"check that the folder is writable"):
            bgs.remove_background(f"image:{pic}", folder)
    finally:
        folder.chmod(0o755)
    assert pic.is_file()
