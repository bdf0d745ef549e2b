"""Auto-framing in the live pipeline: a real clip of a person sitting off the middle, the real
model, the in-process virtual camera. Framed, she sits near the middle of what the camera app
receives; turned on and off with ``apply`` without reopening the virtual camera."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from tests.conftest import require_shared
from tests.pipeline.composites import GREEN, record_composites
from tests.waiting import WAIT_S, until
from vbg.config import AppConfig, BackgroundConfig, CaptureConfig, OutputConfig
from vbg.framing.measure import box_of
from vbg.pipeline import Pipeline


def config(framing: str) -> AppConfig:
    clip = require_shared("video", "outdoor_seated.mp4")
    return AppConfig(
        capture=CaptureConfig(source=str(clip), width=640, height=360, fps=30),
        background=BackgroundConfig.parse("color:#00FF00"),
        output=OutputConfig(vcam=True, vcam_backend="vbg-recording", fps=30, framing=framing),
    )


def centre_offsets(frames: list[np.ndarray]) -> np.ndarray:
    """How far the person (whatever is not the green background) sits from the middle."""
    boxes = [box_of(~np.all(f == GREEN, axis=2)) for f in frames]
    return np.array([abs(b.cx - 0.5) for b in boxes if b is not None])


def record(recording_backend, framing: str, frames: int = 45) -> list[np.ndarray]:
    return record_composites(recording_backend, config(framing), frames)


def test_framed_she_sits_near_the_middle_of_what_apps_receive(recording_backend):
    off = centre_offsets(record(recording_backend, "off"))
    auto = centre_offsets(record(recording_backend, "auto"))
    assert len(off) > 10 and len(auto) > 10
    assert np.median(off) > 0.055
    assert np.median(auto) <= 0.05 and np.median(auto) < np.median(off)


def test_framing_is_switched_while_running_without_reopening_the_camera(recording_backend):
    errors: list[Exception] = []
    cfg = config("off")
    pipe = Pipeline(cfg, on_error=errors.append)
    pipe.start()
    try:
        cam = recording_backend.last()
        until(lambda: len(cam.recorded()[0]) >= 20, timeout=3 * WAIT_S)
        pipe.apply(replace(cfg, output=replace(cfg.output, framing="auto")))
        start = len(cam.recorded()[0])
        until(lambda: len(cam.recorded()[0]) >= start + 30, timeout=3 * WAIT_S)
        assert pipe.stage_samples("framing+composite"), "the framing stage never ran"
        assert cam.close_calls == 0 and recording_backend.last() is cam
    finally:
        pipe.stop()
    assert not errors
    frames = [f for f in cam.recorded()[0] if not np.all(f == GREEN)]
    before, after = centre_offsets(frames[:15]), centre_offsets(frames[-10:])
    assert np.median(after) < np.median(before)

