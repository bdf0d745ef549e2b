"""MjpegReplaySource: a camera-like source for vbg bench (JPEG in memory, decoded per read)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from vbg.capture import ImageSource, SyntheticSource
from vbg.capture.replay import MjpegReplaySource
from vbg.errors import SourceEnded, SourceError


def test_frames_come_back_close_to_the_originals_and_loop() -> None:
    synthetic = SyntheticSource(320, 240)
    originals = [synthetic.read() for _ in range(3)]
    replay = MjpegReplaySource(SyntheticSource(320, 240), frames=3)
    assert replay.info.fourcc == "MJPG" and (replay.info.width, replay.info.height) == (320, 240)
    assert "libjpeg-turbo" in replay.info.label  # the decoder a Linux webcam's frames get
    got = [replay.read() for _ in range(6)]
    for i, frame in enumerate(got):
        assert frame.shape == (240, 320, 3) and frame.dtype == np.uint8
        # JPEG at webcam quality: close to the source frame, not identical bits.
        assert float(cv2.absdiff(frame, originals[i % 3]).mean()) < 4.0
    assert got[0] is not got[3]  # a new array on every read (the source contract)
    assert np.array_equal(got[0], got[3])  # ... of the same frame, looping


def test_a_short_source_gives_what_it_has(tmp_path: Path) -> None:
    path = tmp_path / "one.png"
    cv2.imwrite(str(path), np.full((48, 64, 3), 200, np.uint8))
    replay = MjpegReplaySource(ImageSource([str(path)], 64, 48, loop=False), frames=10)
    assert float(replay.read().mean()) == pytest.approx(200, abs=2)
    assert float(replay.read().mean()) == pytest.approx(200, abs=2)  # loops over one frame


def test_close_is_idempotent_and_read_after_close_ends(tmp_path: Path) -> None:
    replay = MjpegReplaySource(SyntheticSource(64, 48), frames=2)
    replay.close()
    replay.close()
    with pytest.raises(SourceEnded):
        replay.read()


def test_an_empty_source_and_bad_settings_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "one.png"
    cv2.imwrite(str(path), np.zeros((8, 8, 3), np.uint8))
    empty = ImageSource([str(path)], 8, 8, loop=False)
    empty.read()
    with pytest.raises(SourceError, match="no frame"):
        MjpegReplaySource(empty)
    with pytest.raises(ValueError):
        MjpegReplaySource(SyntheticSource(8, 8), quality=0)
    with pytest.raises(ValueError):
        MjpegReplaySource(SyntheticSource(8, 8), frames=0)


def test_paced_only_when_given_a_rate(monkeypatch) -> None:
    import vbg.capture.replay as replay_mod

    ticks: list[float] = []

    class CountingPacer:
        def __init__(self, fps: float) -> None:
            self.fps = fps

        def sleep_until_next_frame(self) -> None:
            ticks.append(self.fps)

    monkeypatch.setattr(replay_mod, "Pacer", CountingPacer)
    unpaced = MjpegReplaySource(SyntheticSource(64, 48), frames=2)
    for _ in range(3):
        unpaced.read()
    assert ticks == []  # capacity runs: as fast as it decodes
    paced = MjpegReplaySource(SyntheticSource(64, 48), frames=2, fps=24.0)
    for _ in range(3):
        paced.read()
    assert ticks == [24.0] * 3  # one wait for the next tick before every frame, like a camera
