"""``--framing`` from the command line, on real footage: ``vbg video`` frames an off-centre
person closer to the middle without cutting her head, reports it, and refuses unknown modes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.cli.console import one_sentence, run
from tests.conftest import require_shared
from tests.media import decode_video, write_clip
from vbg.framing.measure import box_of


@pytest.fixture(scope="module")
def seated(tmp_path_factory) -> Path:
    """The first 45 frames of a real clip where the person sits off the middle."""
    frames = decode_video(require_shared("video", "outdoor_seated.mp4"))[:45]
    path = tmp_path_factory.mktemp("framing") / "seated.mp4"
    write_clip(path, frames, crf=12)
    return path


def offsets(mask_path: Path) -> np.ndarray:
    boxes = [box_of(m > 127) for m in decode_video(mask_path, "gray")]
    return np.array([abs(b.cx - 0.5) for b in boxes if b is not None])


def test_framing_auto_centres_the_person_and_reports_it(capsys, seated, tmp_path):
    runs = {}
    for mode in ("off", "auto"):
        mask = tmp_path / f"{mode}.mkv"
        code, out, err = run(capsys, "video", str(seated), "--framing", mode, "--framing-report",
                             "--out", str(tmp_path / f"{mode}.mp4"), "--mask", str(mask),
                             "--quiet", "-b", "color:#00ff00")
        assert code == 0, err
        assert out.startswith("Framing: the person in 45 of 45 frames;"), out
        runs[mode] = offsets(mask)
    assert len(runs["off"]) == len(runs["auto"]) == 45
    # Off: she sits well left of the middle; framed: closer to it in every frame, and within
    # the 0.05 of the width.
    assert np.median(runs["off"]) > 0.055
    assert np.all(runs["auto"] < runs["off"])
    assert np.median(runs["auto"]) <= 0.05
    assert "head cut by the framing in 0 frames" in out


def test_an_unknown_framing_mode_is_one_sentence(capsys, seated, tmp_path):
    code, _, err = run(capsys, "video", str(seated), "--framing", "sideways",
                       "--out", str(tmp_path / "x.mp4"), "--quiet")
    assert code == 2
    assert "framing" in one_sentence(err).lower() and "auto" in err
    assert not (tmp_path / "x.mp4").exists()
