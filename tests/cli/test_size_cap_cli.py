"""Issue 22, 3 at the command line: a small file declaring a huge picture or video is one
sentence and exit 2 from every command that reads it (photo, video, source, background), and
nothing is decoded first (the decoders are replaced by ones that fail the test)."""

from __future__ import annotations

import pytest

from tests.cli.console import one_sentence, run
from tests.unit.test_size_cap import huge_png, huge_video
from vbg import imaging


@pytest.fixture
def no_decoding(monkeypatch):
    def refuse(*_a, **_k):
        raise AssertionError("the picture was decoded before its size was checked")
    monkeypatch.setattr(imaging.cv2, "imdecode", refuse)


def test_image_refuses_a_huge_photo_and_a_huge_background(capsys, tmp_path, no_decoding):
    huge = huge_png(tmp_path / "huge.png")
    code, _, err = run(capsys, "image", str(huge), "--out", str(tmp_path / "o"))
    assert code == 2 and "30000x30000 pixels" in one_sentence(err)
    assert "scale it down" in err


@pytest.mark.parametrize("where", ["--source", "--background"])
def test_run_refuses_a_huge_source_or_background(capsys, tmp_path, no_decoding, where):
    huge = str(huge_png(tmp_path / "huge.png"))
    argv = ["run", "--no-vcam", "--frames", "1"]
    argv += ["--source", huge] if where == "--source" else ["--source", "synthetic",
                                                            "--background", f"image:{huge}"]
    code, _, err = run(capsys, *argv)
    assert code == 2 and "30000x30000 pixels" in one_sentence(err)


def test_video_and_run_refuse_a_huge_video(capsys, tmp_path):
    pytest.importorskip("av")
    clip = huge_video(tmp_path / "huge.mkv")
    code, _, err = run(capsys, "video", str(clip), "--out", str(tmp_path / "o.mp4"))
    assert code == 2 and "16000x16000 video" in one_sentence(err)
    assert not (tmp_path / "o.mp4").exists()
    code, _, err = run(capsys, "run", "--no-vcam", "--frames", "1", "--source", str(clip))
    assert code == 2 and "16000x16000 video" in one_sentence(err)
    code, _, err = run(capsys, "run", "--no-vcam", "--frames", "1", "--source", "synthetic",
                       "--background", f"video:{clip}")
    assert code == 2 and "16000x16000 video" in one_sentence(err)
