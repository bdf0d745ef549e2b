"""``vbg image --light`` on a real portrait darkened as issue 24 darkens footage (the curve of
tests.media): ``auto`` brings the person up, leaves the mask and the pixels with alpha 0 as they
were, and ``off`` is the output without the flag pixel for pixel; with ``--light-match`` over a
picture the person's colour moves toward the picture's; a bad mode or strength is one sentence
and writes nothing."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.cli.console import BAD_LIGHT_OPTIONS, one_sentence, parser_error, run
from tests.conftest import require_shared
from tests.media import DARKEN

# A portrait whose person, darkened, is a dim person (checked below, on the cut-out itself).
PORTRAIT = "d3_1803270158-00000310.jpg"
FILES = ("mask_binary", "mask_soft", "foreground")


@pytest.fixture(scope="module")
def dark_photo(tmp_path_factory) -> Path:
    """The portrait darkened, written losslessly into a temporary folder (never the repo)."""
    image = cv2.imread(str(require_shared("data", "aiseg60", "images", PORTRAIT)))
    path = tmp_path_factory.mktemp("light_image") / "dark.png"
    assert cv2.imwrite(str(path), cv2.LUT(image, DARKEN))
    return path


def cut(capsys, photo: Path, out: Path, *args: str) -> dict[str, np.ndarray]:
    """``vbg image PHOTO --out OUT ARGS...``: its three files, read back."""
    code, stdout, err = run(capsys, "image", str(photo), "--out", str(out), *args)
    assert code == 0, err
    assert stdout.count("\n") == 3
    return {k: cv2.imread(str(out / f"{photo.stem}_{k}.png"), cv2.IMREAD_UNCHANGED)
            for k in FILES}


def luma(bgr: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(np.ascontiguousarray(bgr), cv2.COLOR_BGR2GRAY)


def test_light_auto_brightens_the_person_and_off_is_the_output_without_the_flag(
        capsys, dark_photo, tmp_path):
    plain = cut(capsys, dark_photo, tmp_path / "plain")
    off = cut(capsys, dark_photo, tmp_path / "off", "--light", "off")
    auto = cut(capsys, dark_photo, tmp_path / "auto", "--light", "auto")
    for k in FILES:  # off: exactly what vbg image wrote before --light existed
        assert np.array_equal(plain[k], off[k]), k
    # The light changes colours, never the mask.
    assert np.array_equal(off["mask_soft"], auto["mask_soft"])
    assert np.array_equal(off["mask_binary"], auto["mask_binary"])
    alpha = off["mask_soft"]
    np.testing.assert_array_equal(auto["foreground"][..., 3], alpha)
    person, room = alpha == 255, alpha == 0
    assert person.mean() > 0.1 and room.mean() > 0.1
    before, after = off["foreground"][..., :3], auto["foreground"][..., :3]
    assert luma(before)[person].mean() < 60  # a dim person to begin with
    assert luma(after)[person].mean() > luma(before)[person].mean() + 20
    # A low-light lift brightens: no channel of any person pixel gets darker.
    assert np.all(after[person] >= before[person])
    # The pixels with alpha 0 keep their values.
    assert np.array_equal(after[room], before[room])


def test_light_auto_over_a_colour_keeps_the_colour_where_alpha_is_0(capsys, dark_photo,
                                                                   tmp_path):
    off = cut(capsys, dark_photo, tmp_path / "off", "--bg-color", "#808080")
    auto = cut(capsys, dark_photo, tmp_path / "auto", "--bg-color", "#808080", "--light", "auto")
    alpha = off["mask_soft"]
    person, room = alpha == 255, alpha == 0
    assert off["foreground"].shape[2] == auto["foreground"].shape[2] == 3
    assert np.all(auto["foreground"][room] == 128)
    assert (luma(auto["foreground"])[person].mean()
            > luma(off["foreground"])[person].mean() + 20)


# Strongly coloured pictures (BGR): a warm orange wall, a cool blue one.
WALLS = {"orange": (40, 140, 250), "blue": (230, 140, 60)}


@pytest.mark.parametrize("wall", list(WALLS))
def test_light_match_moves_the_persons_colour_toward_the_picture(capsys, dark_photo, tmp_path,
                                                                 wall):
    picture = np.empty((300, 400, 3), np.uint8)
    picture[:] = WALLS[wall]
    picture_path = tmp_path / f"{wall}.png"
    cv2.imwrite(str(picture_path), picture)
    means = {}
    for match in ("0", "1"):
        got = cut(capsys, dark_photo, tmp_path / match, "--light", "auto", "--light-match",
                  match, "--background", f"image:{picture_path}")
        person = got["mask_soft"] == 255
        means[match] = got["foreground"][person].astype(np.float64).mean(axis=0)

    def warmth(bgr) -> float:  # the warm-cool axis: log2 of red over blue
        return float(np.log2(bgr[2] / bgr[0]))

    # Only the warm-cool axis is matched (a person before a blue wall is not turned blue all
    # over): along it the person moves toward the wall's side, and ends up nearer the wall.
    unmatched, matched, target = means["0"], means["1"], WALLS[wall]
    toward = np.sign(warmth(target) - warmth(unmatched))
    assert toward * (warmth(matched) - warmth(unmatched)) > 0.1, (unmatched, matched)
    assert (abs(warmth(matched) - warmth(target))
            < abs(warmth(unmatched) - warmth(target))), (unmatched, matched)


@pytest.mark.parametrize("args", BAD_LIGHT_OPTIONS)
def test_a_bad_light_option_is_one_sentence_and_writes_nothing(capsys, dark_photo, tmp_path,
                                                               args):
    code, stdout, err = run(capsys, "image", str(dark_photo), "--out", str(tmp_path / "o"),
                            "--light", "auto", *args)
    assert code == 2
    assert "light" in one_sentence(err).lower()
    assert stdout == ""
    assert not (tmp_path / "o").exists()


def test_a_light_match_that_is_not_a_number_is_refused_by_the_parser(capsys, dark_photo,
                                                                     tmp_path):
    error = parser_error(capsys, "image", str(dark_photo), "--out", str(tmp_path / "o"),
                         "--light-match", "abc")
    assert error == "vbg image: error: argument --light-match: invalid float value: 'abc'"
    assert not (tmp_path / "o").exists()
