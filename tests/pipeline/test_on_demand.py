"""On-demand processing end to end: real inotify on a temporary file standing in for the
v4l2loopback node, the real pipeline (demo source, default model) and pyvirtualcam's path to
the recording backend. Only the device is a stand-in."""

from __future__ import annotations

import os
import sys
import threading
from dataclasses import replace

import numpy as np
import pytest

import vbg.pipeline.runner as runner
from tests.pipeline.readers import holder, release
from tests.waiting import until
from vbg.config import AppConfig, BackgroundConfig, CaptureConfig, MattingConfig, OutputConfig
from vbg.errors import OutputError
from vbg.matting.engine import MaskEngine
from vbg.pipeline import Activity, Pipeline

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="inotify: Linux")

W, H = 320, 180
GREEN = (0, 255, 0)


def config(device, background: str = "color:#00FF00", **output) -> AppConfig:
    return AppConfig(
        capture=CaptureConfig(source="demo", width=W, height=H, fps=30.0),
        matting=MattingConfig(),
        background=BackgroundConfig.parse(background),
        output=OutputConfig(vcam=True, vcam_backend="vbg-recording", vcam_device=str(device),
                            fps=30.0, **output),
    )


class Counters:
    """Source opens/closes and model calls, counted around the real ones."""

    def __init__(self, monkeypatch) -> None:
        self.opens = self.closes = self.model_calls = self.resets = 0
        real_open, real_process = runner.open_source, MaskEngine.process
        real_reset = MaskEngine.reset
        counters = self

        def counting_open(cfg):
            source = real_open(cfg)
            counters.opens += 1
            real_close = source.close

            def close():
                counters.closes += 1
                real_close()

            source.close = close
            return source

        def counting_process(self, frame):
            counters.model_calls += 1
            return real_process(self, frame)

        def counting_reset(self):
            counters.resets += 1
            real_reset(self)

        monkeypatch.setattr(runner, "open_source", counting_open)
        monkeypatch.setattr(MaskEngine, "process", counting_process)
        monkeypatch.setattr(MaskEngine, "reset", counting_reset)


def background_is_green(frame: np.ndarray) -> bool:
    region = frame[: H // 2, int(W * 0.8):].reshape(-1, 3)  # wall behind the astronaut
    return bool(np.mean(np.all(region == GREEN, axis=1)) > 0.99)


def ticks(pipe: Pipeline, n: int) -> None:
    """Wait until ``n`` more frames went to the virtual camera."""
    target = pipe.output_count + n
    until(lambda: pipe.output_count >= target)


def test_an_app_reading_starts_the_camera_and_leaving_stops_it(recording_backend, device,
                                                              monkeypatch):
    count = Counters(monkeypatch)
    pipe = Pipeline(config(device))
    pipe.start()
    try:
        ticks(pipe, 3)
        assert pipe.activity is Activity.IDLE and pipe.stats().activity == "idle"
        assert count.opens == 0 and count.model_calls == 0   # webcam off, no inference
        app = holder(device)
        until(lambda: pipe.stats().state == "running")       # live composites flow
        assert pipe.activity is Activity.LIVE and count.opens == 1 and count.model_calls > 0
        assert pipe.stats().readers == 1
        release(app)
        until(lambda: pipe.activity is Activity.IDLE)
        until(lambda: count.closes == 1)                      # webcam released
        calls, resets = count.model_calls, count.resets
        ticks(pipe, 5)
        assert count.model_calls == calls                     # and no inference since
        app = holder(device)                                  # the app comes back
        until(lambda: pipe.stats().state == "running")
        release(app)
        assert count.opens == 2
        assert count.resets == resets + 1  # tracking and smoothing start afresh
    finally:
        pipe.stop()
    frames, _ = recording_backend.last().recorded()
    # Idle still, placeholder and composites: the chosen background everywhere, never the room.
    assert len(frames) > 10 and all(background_is_green(f) for f in frames)
    assert recording_backend.last().close_calls == 1


def test_a_probe_does_not_start_the_camera(recording_backend, device, monkeypatch):
    count = Counters(monkeypatch)
    pipe = Pipeline(config(device))
    pipe.start()
    try:
        ticks(pipe, 2)
        for _ in range(3):  # an app listing cameras: open, query, close
            fd = os.open(device, os.O_RDONLY)
            os.close(fd)
        ticks(pipe, 5)  # 1 s at the idle rate: longer than a probe may last
        assert count.opens == 0 and pipe.activity is Activity.IDLE
    finally:
        pipe.stop()


def test_an_app_that_had_the_device_open_before_vbg_started_gets_video(recording_backend,
                                                                       device, monkeypatch):
    count = Counters(monkeypatch)
    app = holder(device)
    pipe = Pipeline(config(device))
    try:
        pipe.start()
        assert count.opens == 1  # opened by start() itself: someone is already watching
        until(lambda: pipe.stats().state == "running")
    finally:
        pipe.stop()
        release(app)


def test_keep_camera_on_and_the_local_preview_count_as_watching(recording_backend, device,
                                                                monkeypatch):
    count = Counters(monkeypatch)
    pipe = Pipeline(config(device, keep_camera_on=True))
    pipe.start()
    try:
        until(lambda: pipe.stats().state == "running")
        assert pipe.activity is Activity.LIVE
        pipe.apply(replace(pipe.config, output=replace(pipe.config.output,
                                                       keep_camera_on=False)))
        until(lambda: pipe.activity is Activity.IDLE)
        until(lambda: count.closes == count.opens == 1)
        pipe.set_local_viewer(True)
        until(lambda: pipe.stats().state == "running")
        assert pipe.activity is Activity.LIVE and count.opens == 2
        pipe.set_local_viewer(False)
        until(lambda: pipe.activity is Activity.IDLE)
    finally:
        pipe.stop()


@pytest.mark.parametrize(("background", "camera_kept"), [("color:#00FF00", False),
                                                         ("blur", True)])
def test_pause_stops_inference_and_releases_the_camera_for_a_colour(recording_backend, device,
                                                                    monkeypatch, background,
                                                                    camera_kept):
    count = Counters(monkeypatch)
    pipe = Pipeline(config(device, background, keep_camera_on=True))
    pipe.start()
    try:
        until(lambda: pipe.stats().state == "running")
        pipe.set_paused(True)
        until(lambda: pipe.activity is Activity.PAUSED and pipe.stats().state == "paused")
        if not camera_kept:
            until(lambda: count.closes == 1)
        ticks(pipe, 3)
        calls = count.model_calls
        ticks(pipe, 5)
        assert count.model_calls == calls
        assert (count.closes == 0) is camera_kept
        pipe.set_paused(False)
        until(lambda: pipe.stats().state == "running")
        assert count.model_calls > calls
    finally:
        pipe.stop()


def test_a_device_that_does_not_exist_is_one_sentence_and_keeps_the_camera_on(
        recording_backend, tmp_path, monkeypatch):
    errors: list[Exception] = []
    pipe = Pipeline(config(tmp_path / "video404"), on_error=errors.append)
    pipe.start()
    try:
        until(lambda: pipe.stats().state == "running")
        assert pipe.activity is Activity.LIVE
    finally:
        pipe.stop()
    assert len(errors) == 1 and isinstance(errors[0], OutputError)
    assert str(errors[0]) == (
        f"vbg can't watch the virtual camera {tmp_path}/video404 for apps (No such file or "
        "directory), so it keeps the camera on while it runs.")


def test_a_device_that_vanishes_while_watched_is_one_sentence(recording_backend, device):
    errors: list[Exception] = []
    got = threading.Event()
    pipe = Pipeline(config(device), on_error=lambda e: (errors.append(e), got.set()))
    pipe.start()
    try:
        ticks(pipe, 2)
        device.unlink()
        assert got.wait(10)
        ticks(pipe, 3)
        assert pipe.activity is Activity.IDLE
    finally:
        pipe.stop()
    assert len(errors) == 1
    assert str(errors[0]) == (
        f"The virtual camera {device} disappeared (was v4l2loopback unloaded?); apps can't see "
        "vbg until it is set up again and vbg is turned off and on.")


class WritingBackend:
    """The recording backend, plus what a v4l2loopback writer does to the node: pyvirtualcam
    opens it when the camera opens and closes it when the camera closes."""

    def __init__(self, *, device, **kw) -> None:
        from vbg.sinks.recording_backend import RecordingBackend

        self.fd = os.open(device, os.O_RDWR)
        self.inner = RecordingBackend(device=device, **kw)

    def send(self, frame) -> None:
        self.inner.send(frame)

    def close(self) -> None:
        self.inner.close()
        os.close(self.fd)

    def device(self) -> str:
        return self.inner.device()

    def native_fourcc(self) -> int:
        return self.inner.native_fourcc()


def test_vbgs_own_writer_is_not_a_reader(recording_backend, device, monkeypatch):
    import pyvirtualcam

    pyvirtualcam.register_backend("vbg-writing", WritingBackend)
    count = Counters(monkeypatch)
    cfg = config(device)
    pipe = Pipeline(replace(cfg, output=replace(cfg.output, vcam_backend="vbg-writing")))
    pipe.start()
    try:
        ticks(pipe, 3)
        assert pipe.activity is Activity.IDLE and pipe.stats().readers == 0
        # An output restart closes and reopens vbg's writer: still nobody else.
        pipe.apply(replace(pipe.config, output=replace(pipe.config.output, fps=15.0)))
        until(lambda: recording_backend.last().fps == 15.0)
        ticks(pipe, 5)
        assert pipe.activity is Activity.IDLE and count.opens == 0
        app = holder(device)
        until(lambda: pipe.stats().state == "running")
        assert pipe.stats().readers == 1
        release(app)
    finally:
        pipe.stop()
    assert [cam.close_calls for cam in recording_backend.instances] == [1, 1]


def test_a_missing_camera_fails_start_only_when_someone_watches(recording_backend, device,
                                                                monkeypatch):
    from vbg.errors import CameraError

    def no_camera(cfg):
        raise CameraError("No camera at index 0. Run `vbg cameras` to list them.")

    monkeypatch.setattr(runner, "open_source", no_camera)
    with pytest.raises(CameraError):
        Pipeline(config(device, keep_camera_on=True)).start()
    assert not recording_backend.instances  # failed before the virtual camera opened
    errors: list[Exception] = []
    pipe = Pipeline(config(device), on_error=errors.append)
    pipe.start()  # nobody watches: the camera is not even tried
    try:
        ticks(pipe, 2)
        assert pipe.activity is Activity.IDLE and not errors
        fd = os.open(device, os.O_RDONLY)  # an app arrives: now the camera is missed, once
        try:
            until(lambda: len(errors) == 1)
            assert isinstance(errors[0], CameraError)
            ticks(pipe, 5)
            frames, _ = recording_backend.last().recorded()
            assert all(background_is_green(f) for f in frames)  # the still, never a raw frame
        finally:
            os.close(fd)
    finally:
        pipe.stop()
    assert len(errors) == 1


def test_with_no_virtual_camera_nobody_can_watch_but_the_preview(monkeypatch):
    """No virtual camera (first install, module not loaded), no recording, no preview: idle,
    not live (issue 22: a hidden tray app burnt 40 % of a core)."""
    count = Counters(monkeypatch)
    cfg = replace(config("unused"), output=OutputConfig(vcam=False, fps=30.0))
    pipe = Pipeline(cfg)
    pipe.start()
    try:
        until(lambda: pipe.output_count >= 3)
        assert pipe.activity is Activity.IDLE and count.opens == 0 and count.model_calls == 0
        pipe.set_local_viewer(True)  # the window is shown: someone watches
        until(lambda: pipe.stats().state == "running")
        assert pipe.activity is Activity.LIVE and count.model_calls > 0
        pipe.set_local_viewer(False)
        until(lambda: pipe.activity is Activity.IDLE)
    finally:
        pipe.stop()
