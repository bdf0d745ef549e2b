"""Low-light correction in the live pipeline (issue 24): a real clip darkened as a dim room
darkens a webcam, the real model, the in-process virtual camera. With ``light`` "auto" the
person apps receive is brighter; "off" never builds the light at all; switched on while
running without reopening the virtual camera."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest

import vbg.pipeline.process_stage
from tests.conftest import require_shared
from tests.media import DARKEN, decode_video, write_clip
from tests.pipeline.composites import GREEN, record_composites
from tests.waiting import WAIT_S, until
from vbg.config import AppConfig, BackgroundConfig, CaptureConfig, OutputConfig
from vbg.pipeline import Pipeline


@pytest.fixture(scope="module")
def dark_clip(tmp_path_factory) -> Path:
    frames = decode_video(require_shared("video", "office_desk.mp4"))[:40]
    path = tmp_path_factory.mktemp("light_pipe") / "dark.mp4"
    write_clip(path, [cv2.LUT(cv2.resize(f, (640, 360), interpolation=cv2.INTER_AREA), DARKEN)
                  for f in frames])
    return path


def config(clip: Path, light: str) -> AppConfig:
    return AppConfig(
        capture=CaptureConfig(source=str(clip), width=640, height=360, fps=30),
        background=BackgroundConfig.parse("color:#00FF00"),
        output=OutputConfig(vcam=True, vcam_backend="vbg-recording", fps=30, light=light),
    )


def person_luma(frames: list[np.ndarray]) -> list[float]:
    out = []
    for f in frames:
        person = ~np.all(f == GREEN, axis=2)
        if person.mean() > 0.05:
            out.append(float(cv2.cvtColor(f, cv2.COLOR_BGR2GRAY)[person].mean()))
    return out


def record(recording_backend, clip: Path, light: str, frames: int = 25) -> list[np.ndarray]:
    return record_composites(recording_backend, config(clip, light), frames)


def test_light_auto_brightens_the_person_apps_receive(recording_backend, dark_clip,
                                                      monkeypatch):
    auto = person_luma(record(recording_backend, dark_clip, "auto"))

    def refuse(*_a, **_k):
        raise AssertionError("light off built a Lighting")

    monkeypatch.setattr(vbg.pipeline.process_stage, "Lighting", refuse)
    off = person_luma(record(recording_backend, dark_clip, "off"))
    assert len(off) > 10 and len(auto) > 10
    assert np.median(auto) > np.median(off) + 10


def test_light_is_switched_on_while_running_without_reopening_the_camera(recording_backend,
                                                                        dark_clip):
    errors: list[Exception] = []
    cfg = config(dark_clip, "off")
    pipe = Pipeline(cfg, on_error=errors.append)
    pipe.start()
    try:
        cam = recording_backend.last()
        until(lambda: len(cam.recorded()[0]) >= 10, timeout=3 * WAIT_S)
        pipe.apply(replace(cfg, output=replace(cfg.output, light="auto")))
        start = len(cam.recorded()[0])
        until(lambda: len(cam.recorded()[0]) >= start + 15, timeout=3 * WAIT_S)
        assert pipe.stage_samples("light"), "the light never ran"
        assert cam.close_calls == 0 and recording_backend.last() is cam
    finally:
        pipe.stop()
    assert not errors
