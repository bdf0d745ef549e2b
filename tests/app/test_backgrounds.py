"""Backgrounds folder listing, copy-in of dropped files, spec strings and cycling order."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from vbg.app import backgrounds as bgs
from vbg.config import COLOR_PALETTE, BackgroundConfig, color_hex
from vbg.errors import BackgroundError


def _png(path: Path, value: int = 100) -> Path:
    cv2.imwrite(str(path), np.full((18, 32, 3), value, np.uint8))
    return path


def test_kind_of_by_extension() -> None:
    assert bgs.kind_of("a.JPG") == "image"
    assert bgs.kind_of("b.webp") == "image"
    assert bgs.kind_of("c.mp4") == "video"
    assert bgs.kind_of("d.MOV") == "video"
    assert bgs.kind_of("e.txt") is None
    assert bgs.kind_of("noext") is None


def test_list_backgrounds_sorted_skips_hidden_other_and_missing(tmp_path: Path) -> None:
    user = tmp_path / "user"
    user.mkdir()
    _png(user / "b.png")
    _png(user / "A.png")
    (user / "clip.mp4").write_bytes(b"x")
    (user / ".import-123.png").write_bytes(b"x")  # an interrupted copy
    (user / "notes.txt").write_text("x")
    (user / "dir.png").mkdir()
    found = bgs.list_backgrounds([(tmp_path / "missing", True), (user, False)])
    assert [f.path.name for f in found] == ["A.png", "b.png", "clip.mp4"]
    assert [f.kind for f in found] == ["image", "image", "video"]
    assert not any(f.builtin for f in found)
    assert found[2].spec == f"video:{user / 'clip.mp4'}"


def test_bundled_backgrounds_exist_and_come_first(tmp_path: Path) -> None:
    _png(tmp_path / "mine.png")
    found = bgs.list_backgrounds(bgs.default_folders(tmp_path))
    builtin = [f for f in found if f.builtin]
    assert len(builtin) >= 3, "assets/backgrounds should ship a few pictures"
    assert found[-1].path.name == "mine.png" and not found[-1].builtin
    for f in builtin:  # every shipped picture is one the engine can read
        assert cv2.imread(str(f.path)) is not None, f.path


def test_title_is_readable() -> None:
    assert bgs.BackgroundFile(Path("/x/sunset_beach-2.jpg"), "image").title == "Sunset beach 2"


def test_import_copies_atomically_and_names_collisions(tmp_path: Path) -> None:
    src_dir, folder = tmp_path / "src", tmp_path / "bgs"
    src_dir.mkdir()
    a = _png(src_dir / "Beach.PNG", 10)
    copied = bgs.import_background(a, folder)
    assert copied == folder / "Beach.png"
    assert copied.read_bytes() == a.read_bytes()
    # The same file again: no second copy.
    assert bgs.import_background(a, folder) == copied
    # Another file with the same name: a free name.
    other_dir = tmp_path / "other"
    other_dir.mkdir()
    b = _png(other_dir / "Beach.png", 200)
    assert bgs.import_background(b, folder) == folder / "Beach-2.png"
    assert sorted(p.name for p in folder.iterdir()) == ["Beach-2.png", "Beach.png"]


def test_import_of_a_file_already_in_the_folder_returns_it(tmp_path: Path) -> None:
    p = _png(tmp_path / "in.png")
    assert bgs.import_background(p, tmp_path) == p


@pytest.mark.parametrize("name", ["notes.txt", "archive.zip"])
def test_import_refuses_other_files(tmp_path: Path, name: str) -> None:
    p = tmp_path / name
    p.write_text("x")
    with pytest.raises(BackgroundError, match="not an image or video"):
        bgs.import_background(p, tmp_path / "bgs")


def test_import_of_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(BackgroundError, match="does not exist"):
        bgs.import_background(tmp_path / "gone.png", tmp_path / "bgs")


def test_import_into_an_unwritable_place_is_a_user_error(tmp_path: Path) -> None:
    p = _png(tmp_path / "a.png")
    blocker = tmp_path / "file"
    blocker.write_text("x")  # a file where the folder should be
    with pytest.raises(BackgroundError, match="Could not copy"):
        bgs.import_background(p, blocker / "bgs")


def test_specs_round_trip() -> None:
    assert BackgroundConfig.parse("blur").spec == "blur:5"
    assert bgs.normalise("colour:#abcdef") == "color:#ABCDEF"
    assert bgs.normalise("image:/a/b.png") == "image:/a/b.png"
    assert bgs.normalise("none") == "none"
    with pytest.raises(ValueError):
        bgs.normalise("plaid")
    for bgr in COLOR_PALETTE:
        spec = f"color:{color_hex(bgr)}"
        assert BackgroundConfig.parse(spec).color == bgr


def test_titles() -> None:
    assert bgs.title_of("blur:5") == "Blur (light)"
    assert bgs.title_of("blur:10") == "Blur (strong)"
    assert bgs.title_of("blur:3") == "Blur (level 3)"
    assert bgs.title_of("none").startswith("None")
    assert bgs.title_of(f"color:{color_hex(COLOR_PALETTE[4])}") == "Sage green"
    assert bgs.title_of("color:#010203") == "#010203"
    assert bgs.title_of("image:/x/my_office.jpg") == "My office"


def test_choices_order_presets_then_files(tmp_path: Path) -> None:
    f = bgs.BackgroundFile(tmp_path / "a.png", "image")
    c = bgs.choices([f])
    assert c[:3] == ["none", "blur:5", "blur:10"]
    assert c[3:3 + len(COLOR_PALETTE)] == bgs.color_specs()
    assert c[-1] == f.spec


def test_step_wraps_and_handles_unknown_current() -> None:
    opts = ["none", "blur:5", "blur:10"]
    assert bgs.step("none", opts, 1) == "blur:5"
    assert bgs.step("blur", opts, 1) == "blur:10"  # "blur" is blur:5
    assert bgs.step("blur:10", opts, 1) == "none"
    assert bgs.step("none", opts, -1) == "blur:10"
    assert bgs.step("image:/elsewhere.png", opts, 1) == "none"
    assert bgs.step("image:/elsewhere.png", opts, -1) == "blur:10"
    assert bgs.step("none", [], 1) == "none"


def test_next_color_cycles_the_palette() -> None:
    colors = bgs.color_specs()
    assert bgs.next_color("blur:5") == colors[0]
    seen = [colors[0]]
    for _ in range(len(colors)):
        seen.append(bgs.next_color(seen[-1]))
    assert seen[:-1] == colors and seen[-1] == colors[0]
