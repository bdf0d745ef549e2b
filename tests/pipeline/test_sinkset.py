"""The output thread's sink set: extra sinks survive a reopen, everything closes once."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from vbg.config import AppConfig, CaptureConfig, OutputConfig
from vbg.errors import OutputError
from vbg.pipeline.sinkset import SinkSet


class Extra:
    def __init__(self) -> None:
        self.frames: list[tuple[int, ...]] = []
        self.closes = 0

    def send(self, frame: np.ndarray) -> None:
        assert not self.closes, "send after close"
        self.frames.append(frame.shape)

    def close(self) -> None:
        self.closes += 1


def cfg(w: int = 64, h: int = 36, fps: float = 30.0, **out) -> AppConfig:
    return AppConfig(capture=CaptureConfig(source="demo", width=w, height=h),
                     output=OutputConfig(vcam=True, vcam_backend="vbg-recording", fps=fps,
                                         **out))


def test_reopen_replaces_the_virtual_camera_and_keeps_the_extra_sinks(recording_backend):
    extra = Extra()
    sinks = SinkSet(cfg(), [extra])
    sinks.send(np.zeros((36, 64, 3), np.uint8), None)
    first = recording_backend.last()
    sinks.reopen(cfg(32, 18, fps=15.0))
    second = recording_backend.last()
    assert first.close_calls == 1 and second is not first and second.fps == 15.0
    sinks.send(np.zeros((18, 32, 3), np.uint8), None)
    assert extra.frames == [(36, 64, 3), (18, 32, 3)] and extra.closes == 0
    assert second.frames_sent == 1 and sinks.device == "vbg-recording"
    sinks.close()
    sinks.close()
    assert extra.closes == 1 and second.close_calls == 1 and sinks.device is None
    with pytest.raises(RuntimeError):
        sinks.send(np.zeros((18, 32, 3), np.uint8), None)


def test_a_failed_reopen_leaves_the_extra_sinks_running(recording_backend):
    extra = Extra()
    sinks = SinkSet(cfg(), [extra])
    recording_backend.fail_with = "No v4l2 loopback device found"
    with pytest.raises(OutputError):
        sinks.reopen(cfg(fps=15.0))
    sinks.send(np.zeros((36, 64, 3), np.uint8), None)
    assert extra.frames == [(36, 64, 3)] and sinks.device is None
    assert recording_backend.last().close_calls == 1
    sinks.close()
    assert extra.closes == 1


def test_mask_recording_gets_an_empty_mask_for_background_only_frames(recording_backend,
                                                                      tmp_path):
    import cv2

    path = tmp_path / "mask.mkv"
    sinks = SinkSet(replace(cfg(), output=replace(cfg().output, record_mask=str(path))))
    for _ in range(3):
        sinks.send(np.full((36, 64, 3), 200, np.uint8), None)
    sinks.close()
    cap = cv2.VideoCapture(str(path))
    ok, frame = cap.read()
    cap.release()
    assert ok and int(frame.max()) == 0
