"""Running the real pipeline for a number of frames into the in-process virtual camera, and
keeping what apps received, for the tests of per-frame features (framing, light)."""

from __future__ import annotations

import numpy as np

from vbg.config import AppConfig
from vbg.pipeline import Pipeline

GREEN = (0, 255, 0)


def record_composites(recording_backend, config: AppConfig, frames: int) -> list[np.ndarray]:
    """Run ``config`` (a green background) for ``frames`` output frames; the composites the
    virtual camera received, without the all-background still sent before the first one."""
    errors: list[Exception] = []
    pipe = Pipeline(config, on_error=errors.append, max_frames=frames)
    pipe.start()
    try:
        assert pipe.wait(60), "the pipeline did not produce the frames in time"
    finally:
        pipe.stop()
    assert not errors
    recorded, _ = recording_backend.last().recorded()
    return [f for f in recorded if not np.all(f == GREEN)]
