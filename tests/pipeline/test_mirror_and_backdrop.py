"""Issue 23, 2 in the running pipeline: the capture stage mirrors once (the output with mirror
on is the output with mirror off, flipped), and the output stage draws its still and paused
pictures with the compositor's own backdrop, so a video background is opened once."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

import vbg.compositor.backdrop as backdrop_module
from tests.waiting import until
from vbg.config import AppConfig, BackgroundConfig, CaptureConfig, OutputConfig
from vbg.matting.engine import MaskEngine
from vbg.pipeline import Pipeline

W, H = 320, 180
BLUE, RED = (200, 40, 30), (30, 40, 200)  # BGR: the two background videos


def _config(source: str, background: str, mirror: bool = False) -> AppConfig:
    return AppConfig(
        capture=CaptureConfig(source=source, width=W, height=H, fps=30.0),
        background=BackgroundConfig.parse(background),
        output=OutputConfig(vcam=True, vcam_backend="vbg-recording", fps=30.0, mirror=mirror,
                            keep_camera_on=True),
    )


@pytest.fixture()
def room(tmp_path: Path) -> str:
    """A still camera picture, the same at every read: a textured room, and a bright
    "person" standing off to the left (red channel > 128 there only)."""
    rng = np.random.default_rng(7)
    picture = rng.integers(0, 120, (H, W, 3), np.uint8)
    picture[40:, 50:130] = rng.integers(140, 256, (H - 40, 80, 3), np.uint8)
    path = tmp_path / "room.png"
    assert cv2.imwrite(str(path), picture)
    return str(path)


def _threshold_mask(monkeypatch) -> None:
    """The model replaced by a per-pixel rule, so the mask of the mirrored frame is exactly
    the mirrored mask (a real model is mirror-symmetric only approximately)."""

    def process(self, frame: np.ndarray) -> np.ndarray:
        return np.where(frame[:, :, 2] > 128, 255, 0).astype(np.uint8)

    monkeypatch.setattr(MaskEngine, "process", process)


def _last_composite(recording_backend, room: str, mirror: bool) -> np.ndarray:
    pipe = Pipeline(_config(room, "color:#00FF00", mirror=mirror))
    pipe.start()
    try:
        until(lambda: pipe.processed_count >= 3 and pipe.stats().state == "running")
        until(lambda: pipe.output_count >= 15)  # well past the still sent before
    finally:
        pipe.stop()
    frames, _ = recording_backend.last().recorded()
    return frames[-1]


def test_the_mirrored_output_is_the_output_flipped(recording_backend, room, monkeypatch):
    _threshold_mask(monkeypatch)
    plain = _last_composite(recording_backend, room, mirror=False)
    mirrored = _last_composite(recording_backend, room, mirror=True)
    person = cv2.imread(room)[:, :, 2] > 128
    # A composite, not the still: the person over the green.
    assert (plain[~person] == (0, 255, 0)).all() and (plain[person] != (0, 255, 0)).any()
    np.testing.assert_array_equal(mirrored, plain[:, ::-1])


def _video(path: Path, bgr: tuple[int, int, int]) -> str:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (64, 36))
    assert writer.isOpened()
    for _ in range(5):
        writer.write(np.full((36, 64, 3), bgr, np.uint8))
    writer.release()
    return str(path)


def _shows(frame: np.ndarray, bgr: tuple[int, int, int]) -> bool:
    """The bottom-right quarter (clear of the "paused" badge; the small "vbg" mark aside) is
    the video's colour."""
    corner = frame[H // 2:, W // 2:].reshape(-1, 3).astype(int)
    return float(np.mean(np.abs(corner - bgr).max(axis=1) <= 12)) > 0.9


def test_a_video_background_is_opened_once_and_the_pause_shows_it(recording_backend,
                                                                  tmp_path, monkeypatch):
    opened: dict[str, int] = {}
    closed: dict[str, int] = {}
    real = backdrop_module.VideoFrames

    class Counting(real):
        def __init__(self, path, *args, **kwargs) -> None:
            opened[str(path)] = opened.get(str(path), 0) + 1
            self.counted = str(path)
            super().__init__(path, *args, **kwargs)

        def close(self) -> None:
            closed[self.counted] = closed.get(self.counted, 0) + 1
            super().close()

    monkeypatch.setattr(backdrop_module, "VideoFrames", Counting)
    blue, red = _video(tmp_path / "blue.avi", BLUE), _video(tmp_path / "red.avi", RED)
    cfg = _config("demo", f"video:{blue}")
    pipe = Pipeline(cfg)
    pipe.start()
    try:
        until(lambda: pipe.stats().state == "running")
        # The paused still comes from the compositor's own backdrop: the same open video.
        pipe.set_paused(True)
        until(lambda: _shows(recording_backend.last().recorded()[0][-1], BLUE))
        paused_from = len(recording_backend.last().recorded()[0]) - 1
        assert opened == {blue: 1}
        # A new background while paused: the output takes the new compositor's backdrop.
        pipe.apply(AppConfig(capture=cfg.capture, output=cfg.output,
                             background=BackgroundConfig.parse(f"video:{red}")))
        until(lambda: _shows(recording_backend.last().recorded()[0][-1], RED))
        assert opened == {blue: 1, red: 1}
        until(lambda: closed.get(blue) == 1)  # the old one closed with its compositor
    finally:
        pipe.stop()
    until(lambda: closed == {blue: 1, red: 1})  # each closed once, by its one owner
    # Paused, never the room: the old video, the new one, or (a backdrop closed under the
    # output for a tick during the swap) the configured colour.
    colour = cfg.background.color
    frames, _ = recording_backend.last().recorded()
    assert all(_shows(f, BLUE) or _shows(f, RED) or _shows(f, colour)
               for f in frames[paused_from:])
