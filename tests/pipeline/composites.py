"""Running the real pipeline for a number of frames into the in-process virtual camera, and
keeping what apps received, for the tests of per-frame features (framing, light)."""

from __future__ import annotations

import numpy as np

from tests.waiting import WAIT_S, until
from vbg.config import AppConfig
from vbg.pipeline import Pipeline

GREEN = (0, 255, 0)


def run_recorded(recording_backend, config: AppConfig, frames: int) -> list[np.ndarray]:
    """Run ``config`` for ``frames`` output frames, with no error reported; every frame the
    virtual camera received, in order."""
    errors: list[Exception] = []
    pipe = Pipeline(config, on_error=errors.append, max_frames=frames)
    pipe.start()
    try:
        assert pipe.wait(60), "the pipeline did not produce the frames in time"
    finally:
        pipe.stop()
    assert not errors
    recorded, _ = recording_backend.last().recorded()
    return recorded


def record_composites(recording_backend, config: AppConfig, frames: int) -> list[np.ndarray]:
    """Run ``config`` (a green background) for ``frames`` output frames; the composites the
    virtual camera received, without the all-background still sent before the first one."""
    return [f for f in run_recorded(recording_backend, config, frames)
            if not np.all(f == GREEN)]


def switch_while_running(recording_backend, config: AppConfig, changed: AppConfig, stage: str,
                         before: int, after: int) -> list[np.ndarray]:
    """Run ``config`` until the virtual camera has ``before`` frames, apply ``changed`` and
    run ``after`` more. Asserts that ``stage`` (a stage timing's name) ran, that the camera was
    never reopened and that no error was reported; every frame the camera received."""
    errors: list[Exception] = []
    pipe = Pipeline(config, on_error=errors.append)
    pipe.start()
    try:
        cam = recording_backend.last()
        until(lambda: len(cam.recorded()[0]) >= before, timeout=3 * WAIT_S)
        pipe.apply(changed)
        start = len(cam.recorded()[0])
        until(lambda: len(cam.recorded()[0]) >= start + after, timeout=3 * WAIT_S)
        assert pipe.stage_samples(stage), f"the {stage} stage never ran"
        assert cam.close_calls == 0 and recording_backend.last() is cam
    finally:
        pipe.stop()
    assert not errors
    return cam.recorded()[0]
