"""``--light`` from the command line, on real footage darkened as issue 24 says: ``vbg video
--light auto`` brightens the person and leaves the background's pixels alone, ``--light off``
is today's output pixel for pixel (nothing of vbg.light is even built), the report measures
against the well-lit original, and an unknown mode or strength is one sentence."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

import vbg.video
from tests.cli.console import BAD_LIGHT_OPTIONS, one_sentence, parser_error, run
from tests.conftest import require_shared
from tests.media import DARKEN, decode_video, write_clip

FRAMES = 20


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> tuple[Path, Path]:
    """The first frames of a real clip at half size, and the same darkened."""
    frames = decode_video(require_shared("video", "office_desk.mp4"))[:FRAMES]
    frames = [cv2.resize(f, (f.shape[1] // 2 // 2 * 2, f.shape[0] // 2 // 2 * 2),
                         interpolation=cv2.INTER_AREA) for f in frames]
    d = tmp_path_factory.mktemp("light")
    write_clip(d / "lit.mp4", frames)
    write_clip(d / "dark.mp4", [cv2.LUT(f, DARKEN) for f in frames])
    return d / "lit.mp4", d / "dark.mp4"


def _pngs(folder: Path) -> list[np.ndarray]:
    return [cv2.imread(str(p), cv2.IMREAD_UNCHANGED) for p in sorted(folder.glob("*.png"))]


def test_light_auto_brightens_the_person_and_leaves_the_background(capsys, clips, tmp_path):
    _, dark = clips
    runs = {}
    for mode in ("off", "auto"):
        code, _, err = run(capsys, "video", str(dark), "--light", mode, "--quiet",
                           "--out", str(tmp_path / mode))  # a PNG folder: lossless, with alpha
        assert code == 0, err
        runs[mode] = _pngs(tmp_path / mode)
    assert len(runs["off"]) == len(runs["auto"]) == FRAMES
    gains = []
    for off, auto in zip(runs["off"], runs["auto"], strict=True):
        alpha = off[..., 3]
        assert np.array_equal(alpha, auto[..., 3])
        room = alpha == 0
        assert room.any() and np.array_equal(off[room], auto[room])  # alpha 0: untouched
        person = alpha > 127
        luma = [cv2.cvtColor(x[..., :3], cv2.COLOR_BGR2GRAY)[person].mean() for x in (off, auto)]
        gains.append(luma[1] - luma[0])
    assert min(gains) > 10  # brighter from the first frame on (corrected at once)


def test_light_off_is_todays_output_pixel_for_pixel(capsys, clips, tmp_path, monkeypatch):
    _, dark = clips
    code, _, err = run(capsys, "video", str(dark), "--quiet", "-b", "color:#808080",
                       "--out", str(tmp_path / "default"))
    assert code == 0, err

    def refuse(*_a, **_k):
        raise AssertionError("--light off built a Lighting")

    monkeypatch.setattr(vbg.video, "Lighting", refuse)
    code, _, err = run(capsys, "video", str(dark), "--quiet", "-b", "color:#808080",
                       "--light", "off", "--out", str(tmp_path / "off"))
    assert code == 0, err
    a, b = _pngs(tmp_path / "default"), _pngs(tmp_path / "off")
    assert len(a) == len(b) == FRAMES
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def test_the_light_report_measures_against_the_original(capsys, clips, tmp_path):
    lit, dark = clips
    code, out, err = run(capsys, "video", str(dark), "--light", "auto", "--light-report",
                         "--light-reference", str(lit), "-b", "color:#808080", "--quiet",
                         "--out", str(tmp_path / "out.mp4"))
    assert code == 0, err
    assert out.startswith(f"light: {FRAMES} frames with a person;"), out
    assert "lost luminance restored:" in out and "dE" in out


@pytest.mark.parametrize("args", BAD_LIGHT_OPTIONS)
def test_a_bad_light_option_is_one_sentence(capsys, clips, tmp_path, args):
    _, dark = clips
    code, _, err = run(capsys, "video", str(dark), *args, "--out", str(tmp_path / "x.mp4"),
                       "--quiet")
    assert code == 2
    assert "light" in one_sentence(err).lower()
    assert not (tmp_path / "x.mp4").exists()


def test_a_light_match_that_is_not_a_number_is_refused_by_the_parser(capsys, clips, tmp_path):
    _, dark = clips
    error = parser_error(capsys, "video", str(dark), "--light-match", "abc", "--out",
                         str(tmp_path / "x.mp4"), "--quiet")
    assert error == "vbg video: error: argument --light-match: invalid float value: 'abc'"
    assert not (tmp_path / "x.mp4").exists()


def test_run_refuses_an_unknown_light_mode(capsys):
    code, _, err = run(capsys, "run", "--source", "demo", "--no-vcam", "--frames", "1",
                       "--light", "bright")
    assert code == 2
    assert "light" in one_sentence(err).lower()


# --- matching to a picture background (--light-match) ----------------------------------------

# Strongly coloured pictures (BGR): a warm orange wall, a cool blue one.
WALLS = {"orange": (40, 140, 250), "blue": (230, 140, 60)}


def _person_colours(out: Path, mask: Path) -> np.ndarray:
    """Per frame, the mean BGR of the person's inside (alpha 255, eroded: the H.264 colour at
    the edge is shared with the wall) in the composite ``out``, by the mask ``--mask`` wrote."""
    frames, alphas = decode_video(out), decode_video(mask, "gray")
    assert len(frames) == len(alphas) == FRAMES
    means = []
    for f, a in zip(frames, alphas, strict=True):
        inside = cv2.erode((a == 255).astype(np.uint8), np.ones((7, 7), np.uint8)).astype(bool)
        assert inside.mean() > 0.05
        means.append(f[inside].astype(np.float64).mean(axis=0))
    return np.array(means)


def _warmth(bgr) -> float:
    """The warm-cool axis: log2 of red over blue."""
    return float(np.log2(bgr[2] / bgr[0]))


def _match_runs(capsys, dark: Path, folder: Path, wall: str) -> dict[str, np.ndarray]:
    picture = np.empty((180, 320, 3), np.uint8)
    picture[:] = WALLS[wall]
    picture_path = folder / f"{wall}.png"
    cv2.imwrite(str(picture_path), picture)
    runs = {}
    for match in ("0", "1"):
        out, mask = folder / f"{wall}{match}.mp4", folder / f"{wall}{match}.mkv"
        code, _, err = run(capsys, "video", str(dark), "--light", "auto", "--light-match", match,
                           "--background", f"image:{picture_path}", "--mask", str(mask),
                           "--out", str(out), "--quiet")
        assert code == 0, err
        runs[match] = _person_colours(out, mask)
    return runs


@pytest.mark.parametrize("wall", list(WALLS))
def test_light_match_moves_the_persons_colour_toward_the_picture(capsys, clips, tmp_path, wall):
    _, dark = clips
    runs = _match_runs(capsys, dark, tmp_path, wall)
    # Matching eases in; by the last frames it is well under way.
    unmatched, matched = runs["0"][-5:].mean(axis=0), runs["1"][-5:].mean(axis=0)
    target = WALLS[wall]
    # Only the warm-cool axis is matched: along it the person moves toward the wall's side,
    # and ends up nearer the wall than without matching.
    toward = np.sign(_warmth(target) - _warmth(unmatched))
    assert toward * (_warmth(matched) - _warmth(unmatched)) > 0.05, (unmatched, matched)
    assert (abs(_warmth(matched) - _warmth(target))
            < abs(_warmth(unmatched) - _warmth(target))), (unmatched, matched)


def test_light_match_is_in_force_from_the_first_frame(capsys, clips, tmp_path):
    # The first person after a reset is matched at once (vbg.light.adapt), so the background
    # must be measured before the compositor has drawn it: it once was not, and matching
    # eased in over ~1.5 s.
    _, dark = clips
    runs = _match_runs(capsys, dark, tmp_path, "orange")
    unmatched, matched = runs["0"][0], runs["1"][0]
    assert _warmth(matched) - _warmth(unmatched) > 0.05, (unmatched, matched)
