"""The whole pipeline: demo source (a real photo) -> real default model -> compositor ->
pyvirtualcam -> our in-process recording backend."""

from __future__ import annotations

import threading
import time
from dataclasses import replace

import numpy as np
import pytest

from tests.waiting import WAIT_S, until
from vbg.config import AppConfig, BackgroundConfig, CaptureConfig, MattingConfig, OutputConfig
from vbg.errors import BackgroundError, ModelError
from vbg.matting.engine import MaskEngine
from vbg.pipeline import Pipeline

GREEN = (0, 255, 0)
W, H = 640, 360


def config(background: str = "color:#00FF00", fps: float = 30.0, **matting) -> AppConfig:
    return AppConfig(
        capture=CaptureConfig(source="demo", width=W, height=H, fps=fps),
        matting=MattingConfig(**matting),
        background=BackgroundConfig.parse(background),
        output=OutputConfig(vcam=True, vcam_backend="vbg-recording", fps=fps),
    )


def surely_background(frame: np.ndarray) -> np.ndarray:
    """Top right of the demo picture: wall and rocket, never the astronaut."""
    h, w = frame.shape[:2]
    return frame[: h // 2, int(w * 0.8):]


def is_green(frame: np.ndarray) -> bool:
    region = surely_background(frame).reshape(-1, 3)
    return bool(np.mean(np.all(region == GREEN, axis=1)) > 0.99)


def run_for(pipe: Pipeline, frames: int) -> None:
    pipe.max_frames = frames
    pipe.start()
    try:
        assert pipe.wait(WAIT_S), "the pipeline did not produce the frames in time"
    finally:
        pipe.stop()


class SteppedClock:
    """A monotonic clock that moves only when the output's pacer sleeps, by exactly what it
    asked for; it sleeps for real meanwhile, so the other threads keep their pace."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)
        self.t += seconds


class TimedSink:
    """An extra sink that notes the pipeline's clock at every frame it gets."""

    def __init__(self, clock: SteppedClock) -> None:
        self.clock, self.times = clock, []

    def send(self, frame: np.ndarray) -> None:
        self.times.append(self.clock())

    def close(self) -> None:
        pass


def test_frames_arrive_at_requested_size_format_and_rate(recording_backend):
    errors: list[Exception] = []
    clock = SteppedClock()
    sink = TimedSink(clock)
    pipe = Pipeline(config(fps=20.0), on_error=errors.append, extra_sinks=[sink], clock=clock,
                    sleep=clock.sleep)
    run_for(pipe, 40)
    cam = recording_backend.last()
    frames, _ = cam.recorded()
    assert len(frames) >= 40 and not errors
    assert all(f.shape == (H, W, 3) and f.dtype == np.uint8 for f in frames)
    assert cam.closed and cam.close_calls == 1  # the sink contract: closed exactly once
    # Paced output: one frame interval between any two frames, on the pipeline's own clock.
    assert len(sink.times) == len(frames)
    assert np.allclose(np.diff(sink.times), 1 / 20)
    # And it composited: the wall behind the astronaut is the chosen colour.
    assert sum(is_green(f) for f in frames[10:]) >= len(frames[10:]) - 1


def test_model_failure_never_shows_the_room(recording_backend, monkeypatch):
    real = MaskEngine.process
    calls = {"n": 0}

    def flaky(self, frame):
        calls["n"] += 1
        if calls["n"] > 5:
            raise RuntimeError("simulated inference failure")
        return real(self, frame)

    monkeypatch.setattr(MaskEngine, "process", flaky)
    errors: list[Exception] = []
    pipe = Pipeline(config(), on_error=errors.append)
    run_for(pipe, 60)
    frames, _ = recording_backend.last().recorded()
    assert frames and all(is_green(f) for f in frames)
    assert len(errors) == 1 and isinstance(errors[0], ModelError)  # reported once, not per frame
    assert pipe.stats().state in ("paused", "stopped")


def test_model_failing_from_the_start_shows_background_only(recording_backend, monkeypatch):
    def broken(self, frame):
        raise RuntimeError("no model")

    monkeypatch.setattr(MaskEngine, "process", broken)
    pipe = Pipeline(config(), on_error=lambda e: None)
    run_for(pipe, 20)
    frames, _ = recording_backend.last().recorded()
    assert len(frames) >= 20 and all(is_green(f) for f in frames)


def test_stalled_model_holds_then_pauses_then_recovers(recording_backend, monkeypatch):
    real = MaskEngine.process
    stall = threading.Event()
    states: set[str] = set()

    def stalling(self, frame):
        while stall.is_set():
            time.sleep(0.01)
        return real(self, frame)

    monkeypatch.setattr(MaskEngine, "process", stalling)
    pipe = Pipeline(config(stale_after_ms=100.0))
    pipe.start()
    try:
        pipe_wait_state(pipe, "running", states)
        stall.set()
        pipe_wait_state(pipe, "holding", states)
        pipe_wait_state(pipe, "paused", states)
        stall.clear()
        pipe_wait_state(pipe, "running", states)
    finally:
        pipe.stop()
    frames, _ = recording_backend.last().recorded()
    assert frames and all(is_green(f) for f in frames)


def pipe_wait_state(pipe: Pipeline, state: str, seen: set[str]) -> None:
    """Wait until the pipeline says ``state``, noting in ``seen`` every state it passed."""
    def reached() -> bool:
        s = pipe.stats().state
        seen.add(s)
        return s == state

    until(reached, f"the pipeline's state {state!r}")


def test_background_none_is_the_only_raw_output(recording_backend):
    pipe = Pipeline(config("none"))
    run_for(pipe, 10)
    frames, _ = recording_backend.last().recorded()
    assert frames and not any(is_green(f) for f in frames)
    # Passthrough really is the camera picture: the demo's wall is not flat.
    assert surely_background(frames[-1]).std() > 5


def test_apply_switches_while_running(recording_backend, tmp_path):
    pipe = Pipeline(config("color:#00FF00"))
    pipe.start()
    try:
        until(lambda: (f := pipe.latest_output()) is not None and is_green(f))
        pipe.apply(replace(pipe.config, background=BackgroundConfig.parse("color:#FF0000")))
        red = (0, 0, 255)
        until(lambda: (f := pipe.latest_output()) is not None
              and np.all(surely_background(f)[0, 0] == red))
        # A bad background file is refused on the caller's thread; the old one stays.
        with pytest.raises(BackgroundError):
            pipe.apply(replace(pipe.config, background=BackgroundConfig(
                kind="image", path=str(tmp_path / "missing.png"))))
        assert pipe.config.background.color == red
        # Model switch (the landscape model) while running.
        pipe.apply(replace(pipe.config, matting=replace(pipe.config.matting,
                                                        model="selfie_landscape")))
        until(lambda: "landscape" in pipe.stats().model)
        # Size switch: the virtual camera is reopened at the new size.
        pipe.apply(replace(pipe.config, capture=replace(pipe.config.capture, width=320,
                                                        height=180)))
        until(lambda: (f := pipe.latest_output()) is not None and f.shape == (180, 320, 3))
        assert recording_backend.last().width == 320
    finally:
        pipe.stop()


def test_stop_is_quick_and_complete(recording_backend):
    pipe = Pipeline(config())
    pipe.start()
    until(lambda: pipe.output_count > 5)
    pipe.stop()
    # Quick: every thread noticed the stop within its bounded join (0.5 s each).
    assert not pipe.running
    assert all(cam.closed for cam in recording_backend.instances)


def test_missing_virtual_camera_is_one_actionable_error(recording_backend):
    from vbg.errors import OutputError

    recording_backend.fail_with = "No v4l2 loopback device found at /dev/video*"
    with pytest.raises(OutputError) as e:
        Pipeline(config()).start()
    assert "modprobe v4l2loopback" in str(e.value)


def test_stats_report_what_is_used(recording_backend):
    pipe = Pipeline(config())
    run_for(pipe, 30)
    s = pipe.stats()
    assert s.provider == "cpu" and "general" in s.model
    assert {"infer", "refine", "composite"} <= set(s.stage_ms)
    assert s.latency_ms > 0 and s.source_size == (W, H)


def test_error_callback_gets_worker_errors_not_a_crash(recording_backend, monkeypatch):
    errors: list[Exception] = []
    monkeypatch.setattr(MaskEngine, "process", lambda self, f: (_ for _ in ()).throw(
        ModelError("The model broke.")))
    pipe = Pipeline(config(), on_error=errors.append)
    run_for(pipe, 5)
    assert errors and str(errors[0]) == "The model broke."


def test_the_source_comes_from_the_given_opener(recording_backend):
    from vbg.capture import DemoSource

    asked: list[CaptureConfig] = []

    def opener(capture: CaptureConfig) -> DemoSource:
        asked.append(capture)
        return DemoSource(capture.width, capture.height, fps=capture.fps)

    cfg = config()
    pipe = Pipeline(cfg, source_opener=opener)
    run_for(pipe, 15)
    assert asked == [cfg.capture]
    frames, _ = recording_backend.last().recorded()
    assert sum(is_green(f) for f in frames[5:]) >= len(frames[5:]) - 1


def test_unplugged_camera_falls_back_to_background_and_comes_back(recording_backend,
                                                                  monkeypatch):
    """A camera that dies mid-stream and is absent for a while: the pipeline reports it once,
    shows the background only (never a raw frame), and resumes when the camera is back."""
    import vbg.pipeline.capture_stage as capture_stage
    import vbg.pipeline.runner as pipeline_mod
    from vbg.capture import DemoSource
    from vbg.errors import CameraError

    opens = {"n": 0}
    unplugged = threading.Event()

    class FlakyCamera:
        def __init__(self) -> None:
            self.inner = DemoSource(W, H, fps=30.0)
            self.info = self.inner.info
            self.frames = 0

        def read(self):
            self.frames += 1
            if opens["n"] == 1 and self.frames > 20:  # the first camera dies mid-stream
                unplugged.set()
                raise CameraError("Camera 0 stopped delivering frames (unplugged?).")
            return self.inner.read()

        def close(self) -> None:
            self.inner.close()

    absent = threading.Event()

    def fake_open(cfg):
        opens["n"] += 1
        if opens["n"] >= 2 and not absent.is_set() and opens["n"] < 100:
            absent.set()
        if absent.is_set():
            raise CameraError("No camera at index 0. Run `vbg cameras` to list them.")
        return FlakyCamera()

    monkeypatch.setattr(pipeline_mod, "open_source", fake_open)
    monkeypatch.setattr(capture_stage, "RETRY_S", 0.2)
    errors: list[Exception] = []
    pipe = Pipeline(config(stale_after_ms=100.0), on_error=errors.append)
    pipe.start()
    states: set[str] = set()
    try:
        assert unplugged.wait(15)
        pipe_wait_state(pipe, "paused", states)
        until(lambda: opens["n"] >= 4)  # several failed re-opens while it is away
        opens["n"] = 100  # plugged back in
        absent.clear()
        pipe_wait_state(pipe, "running", states)
    finally:
        pipe.stop()
    messages = [str(e) for e in errors]
    assert messages.count("No camera at index 0. Run `vbg cameras` to list them.") == 1
    assert any("stopped delivering" in m for m in messages)
    frames, _ = recording_backend.last().recorded()
    assert frames and all(is_green(f) for f in frames)


def test_apply_before_start_only_changes_the_config(recording_backend):
    pipe = Pipeline(config())
    new = replace(pipe.config, background=BackgroundConfig.parse("color:#FF0000"))
    pipe.apply(new)
    assert pipe.config == new and not pipe.running and not recording_backend.instances
    run_for(pipe, 5)
    frames, _ = recording_backend.last().recorded()
    assert np.all(surely_background(frames[-1])[0, 0] == (0, 0, 255))


# --- lifecycle defects (issue 12): outputs across restarts, one closing thread, restart -------


class CountingSink:
    """An extra sink that remembers what it got and which thread closed it."""

    def __init__(self) -> None:
        self.frames = 0
        self.after_close = 0
        self.close_threads: list[str] = []

    def send(self, frame: np.ndarray) -> None:
        if self.close_threads:
            self.after_close += 1
            return
        self.frames += 1

    def close(self) -> None:
        self.close_threads.append(threading.current_thread().name)


def test_extra_sink_keeps_receiving_after_an_output_restart(recording_backend):
    sink = CountingSink()
    pipe = Pipeline(config(fps=30.0), extra_sinks=[sink])
    pipe.start()
    try:
        until(lambda: sink.frames > 10)
        pipe.apply(replace(pipe.config, output=replace(pipe.config.output, fps=15.0)))
        until(lambda: recording_backend.last().fps == 15.0)
        before = sink.frames
        until(lambda: sink.frames > before + 10)
    finally:
        pipe.stop()
    until(lambda: sink.close_threads)
    assert sink.after_close == 0
    assert sink.close_threads == ["vbg-output"]  # closed exactly once, by the output thread
    assert [cam.close_calls for cam in recording_backend.instances] == [1, 1]


def test_every_compositor_is_closed_once_the_pipeline_stops(recording_backend, monkeypatch):
    from vbg.compositor import Compositor

    made: list[Compositor] = []
    closes: dict[int, int] = {}
    real_init, real_close = Compositor.__init__, Compositor.close

    def init(self, *a, **k):
        real_init(self, *a, **k)
        made.append(self)

    def close(self):
        closes[id(self)] = closes.get(id(self), 0) + 1
        real_close(self)

    monkeypatch.setattr(Compositor, "__init__", init)
    monkeypatch.setattr(Compositor, "close", close)
    pipe = Pipeline(config())
    pipe.start()
    try:
        until(lambda: pipe.output_count > 5)
        pipe.apply(replace(pipe.config, background=BackgroundConfig.parse("color:#FF0000")))
        until(lambda: (f := pipe.latest_output()) is not None
              and np.all(surely_background(f)[0, 0] == (0, 0, 255)))
    finally:
        pipe.stop()
    until(lambda: not pipe.running)
    assert len(made) == 2  # one at start, one after the switch (its backdrop is the output's)
    assert all(closes.get(id(c), 0) >= 1 for c in made)


def test_a_pipeline_can_be_started_again_after_stop(recording_backend):
    pipe = Pipeline(config())
    run_for(pipe, 10)
    first = recording_backend.last()
    run_for(pipe, 10)
    second = recording_backend.last()
    assert second is not first
    frames, _ = second.recorded()
    assert len(frames) >= 10 and all(is_green(f) for f in frames[3:])
    assert first.close_calls == 1 and second.close_calls == 1


def test_starting_a_running_pipeline_is_a_clear_error(recording_backend):
    pipe = Pipeline(config())
    pipe.start()
    try:
        with pytest.raises(RuntimeError, match="already running"):
            pipe.start()
    finally:
        pipe.stop()
    assert len(recording_backend.instances) == 1


def test_latest_sent_is_what_went_out_numbered_per_send(recording_backend, monkeypatch):
    """``Pipeline.latest_sent()``: the very picture and alpha the sinks got last, its number
    one more per send (repeats and stills included), and which composite it was."""
    from vbg.pipeline import SinkSet

    pipe = Pipeline(config())
    sends: list[tuple[np.ndarray, np.ndarray | None, object]] = []
    send = SinkSet.send

    def noting(self, image, alpha):  # notes what went out and what was published before it
        sends.append((image, alpha, pipe.latest_sent()))
        send(self, image, alpha)

    monkeypatch.setattr(SinkSet, "send", noting)
    run_for(pipe, 20)
    assert len(sends) == 20 and sends[0][2] is None
    for k in range(1, len(sends)):
        before = sends[k][2]
        assert before.seq == k
        assert before.image is sends[k - 1][0] and before.alpha is sends[k - 1][1]
    last = pipe.latest_sent()
    assert last.seq == pipe.output_count == 20
    assert last.image is sends[-1][0] and last.alpha is sends[-1][1]
    published = [s for _, _, s in sends[1:]] + [last]
    composites = [s for s in published if s.composite is not None]
    assert composites, "no composite went out"
    assert all(s.alpha is not None for s in composites)  # a colour background: the mask
    assert all(s.alpha is None for s in published if s.composite is None)  # the still
    numbers = [s.composite for s in composites]
    assert numbers == sorted(numbers)  # a re-send keeps its composite's number
