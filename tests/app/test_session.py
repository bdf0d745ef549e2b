"""The app's policy without Qt: start with fallbacks, change and roll back, error routing.

The real Pipeline runs (synthetic source, small frames, the shipped model) behind pyvirtualcam's
real Camera with the in-process recording backend. Worker-thread errors are queued by
``deliver_error`` and handed to the session on the test's thread, as the Qt controller does.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest

from tests.waiting import WAIT_S, until
from vbg.app.session import Session, SessionEvents
from vbg.app.session_cameras import LISTING_CAMERAS
from vbg.app.settings import Settings, SettingsStore
from vbg.config import AppConfig, BackgroundConfig, CaptureConfig, OutputConfig
from vbg.errors import CameraError, VbgError


def small_config(source: str = "synthetic", vcam: bool = True) -> AppConfig:
    return AppConfig(
        capture=CaptureConfig(source=source, width=320, height=240, fps=30.0),
        background=BackgroundConfig.parse("blur"),
        output=OutputConfig(vcam=vcam, vcam_backend="vbg-recording", fps=30.0),
    )


@dataclass
class Recorder:
    """The session's events, written down."""

    messages: list[tuple[str, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    opened: list[str] = field(default_factory=list)
    waiting: list[bool] = field(default_factory=list)
    changes: int = 0

    def events(self) -> SessionEvents:
        def changed() -> None:
            self.changes += 1

        return SessionEvents(changed=changed,
                             message=lambda text, level: self.messages.append((text, level)),
                             vcam_problem=self.problems.append, vcam_ok=self.opened.append,
                             waiting=self.waiting.append)


@dataclass
class Harness:
    session: Session
    events: Recorder
    errors: queue.Queue[BaseException]
    settings_file: Path

    def handle_worker_errors(self, n: int = 1) -> None:
        """Hand ``n`` errors from the pipeline's threads to the session on this thread."""
        for _ in range(n):
            self.session.on_worker_error(self.errors.get(timeout=WAIT_S))

    def wait_for_frames(self, n: int = 3) -> None:
        pipe = self.session.pipeline
        assert pipe is not None
        start = pipe.output_count
        until(lambda: pipe.output_count >= start + n, f"{n} frames to come out")


@pytest.fixture
def make_session(tmp_path: Path, recording_backend) -> Iterator[Callable[..., Harness]]:
    made: list[Session] = []

    def make(config: AppConfig | None = None, settings: dict | None = None,
             clock: Callable[[], float] | None = None, store: bool = True) -> Harness:
        path = tmp_path / "settings.json"
        if settings is not None:
            path.write_text(json.dumps(settings))
        rec = Recorder()
        errors: queue.Queue[BaseException] = queue.Queue()
        kw = {"clock": clock} if clock else {}
        s = Session(config or small_config(), SettingsStore(path if store else None),
                    tmp_path / "backgrounds", deliver_error=errors.put, events=rec.events(),
                    model_lister=list, **kw)
        made.append(s)
        return Harness(s, rec, errors, path)

    yield make
    for s in made:
        s.stop()
        assert s.pipeline is None


def test_start_runs_the_pipeline_and_opens_the_virtual_camera(make_session, recording_backend
                                                              ) -> None:
    h = make_session()
    assert h.session.start()
    assert h.session.running and h.session.pipeline is not None
    assert h.events.opened == ["vbg-recording"] and h.events.problems == []
    h.wait_for_frames()
    assert recording_backend.last().frames_sent > 0


def test_no_virtual_camera_starts_without_one_and_says_why(make_session, recording_backend
                                                           ) -> None:
    recording_backend.fail_with = "no v4l2loopback device"
    h = make_session()
    assert h.session.start()
    assert h.session.pipeline is not None and not h.session.pipeline.config.output.vcam
    assert len(h.events.problems) == 1 and "v4l2loopback" in h.events.problems[0]
    assert not h.session.vcam_wanted and h.session.vcam_device is None
    recording_backend.fail_with = None  # the user fixed it and presses Retry
    assert h.session.retry_vcam()
    assert h.events.opened == ["vbg-recording"]


def test_saved_background_that_vanished_falls_back_to_the_default_and_is_saved(make_session
                                                                               ) -> None:
    h = make_session(settings={"background": "image:/nowhere/gone.png"})
    assert h.session.start()
    assert h.session.settings.background == Settings().background
    text, level = h.events.messages[-1]
    assert level == "warning" and "default background" in text
    assert json.loads(h.settings_file.read_text())["background"] == Settings().background


def test_saved_model_that_is_unknown_falls_back_to_the_default(make_session) -> None:
    h = make_session(settings={"model": "no_such_model"})
    assert h.session.start()
    assert h.session.settings.model == Settings().model
    assert any("default model" in t and lvl == "warning" for t, lvl in h.events.messages)


def test_a_change_the_pipeline_refuses_is_rolled_back(make_session, tmp_path: Path) -> None:
    h = make_session()
    h.session.start()
    assert h.session.change(background="color:#FF0000")
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"not a picture")
    assert not h.session.set_background(f"image:{bad}")
    assert h.session.settings.background == "color:#FF0000"
    assert h.session.pipeline.config.background.color == (0, 0, 255)
    assert h.events.messages[-1][1] == "error"
    assert json.loads(h.settings_file.read_text())["background"] == "color:#FF0000"


def test_an_invalid_value_is_refused_with_a_sentence(make_session) -> None:
    h = make_session()
    h.session.start()
    assert not h.session.change(fps=-5.0)
    assert h.session.settings.fps == Settings().fps
    assert h.events.messages[-1][1] == "error"


def test_a_missing_camera_is_waited_for_and_picking_another_source_starts(make_session
                                                                           ) -> None:
    h = make_session(config=small_config(source="9"))
    assert not h.session.start()
    assert h.session.running and h.session.pipeline is None
    assert h.session.waiting_for == "camera 9" and h.events.waiting == [True]
    assert "keeps looking" in h.events.messages[-1][0]
    assert not h.session.retry_start()  # still not there: no new "waiting" request
    assert h.events.waiting == [True]
    assert h.session.set_camera("synthetic", 320, 240)
    assert h.session.pipeline is not None and h.session.waiting_for is None
    assert h.events.waiting == [True, False]


def test_auto_waits_for_the_camera_list_before_choosing(make_session) -> None:
    h = make_session(config=small_config(source="auto"), store=False)
    assert not h.session.start()
    assert h.session.pipeline is None and h.session.waiting_for == LISTING_CAMERAS
    h.session.set_cameras([])  # no camera on this machine: the demo picture
    assert h.session.retry_start()
    assert h.session.pipeline.config.capture.source == "demo"
    assert not any("camera is back" in t for t, _ in h.events.messages)


def test_camera_errors_from_workers_are_said_once_and_recovery_is_announced(make_session
                                                                            ) -> None:
    now = [1000.0]
    h = make_session(clock=lambda: now[0])
    h.session.start()
    for _ in range(3):  # the capture thread reports each retry
        h.session.pipeline.on_error(CameraError("Camera 0 stopped delivering frames."))
    h.handle_worker_errors(3)
    said = [t for t, _ in h.events.messages if "stopped delivering" in t]
    assert len(said) == 1 and "background only" in said[0]
    h.wait_for_frames()
    now[0] += 5.0  # no error for 5 s, frames flowing (the synthetic source never stopped)
    h.session.poll_stats()
    assert h.events.messages[-1] == ("The camera is back.", "info")


def test_worker_errors_travel_through_deliver_error_not_straight_in(make_session) -> None:
    h = make_session()
    h.session.start()
    seen = len(h.events.messages)
    t = threading.Thread(target=h.session.pipeline.on_error, args=(VbgError("Fix this."),))
    t.start()
    t.join()
    assert len(h.events.messages) == seen  # not handled on the worker
    h.handle_worker_errors()
    assert h.events.messages[-1] == ("Fix this.", "error")


def test_a_bug_is_one_line_for_the_user_and_a_traceback_in_the_log(make_session, caplog
                                                                   ) -> None:
    h = make_session()
    h.session.start()
    with caplog.at_level(logging.ERROR):
        try:
            raise KeyError("oops")
        except KeyError as exc:
            h.session.on_worker_error(exc)
    text, level = h.events.messages[-1]
    assert level == "error" and text.startswith("Unexpected error: KeyError") and "\n" not in text
    assert any(r.exc_info for r in caplog.records)


def test_command_line_options_win_but_are_not_saved(make_session) -> None:
    h = make_session(settings={"camera": "demo", "background": "color:#010203"})
    assert h.session.config().capture.source == "synthetic"  # given on the command line
    h.session.start()
    assert h.session.change(mirror=True)
    saved = json.loads(h.settings_file.read_text())
    assert saved["camera"] == "demo" and saved["mirror"] is True


def test_stop_releases_everything(make_session, recording_backend) -> None:
    h = make_session()
    h.session.start()
    cam = recording_backend.last()
    h.session.stop()
    assert h.session.pipeline is None and not h.session.running and cam.closed
    assert h.session.latest_frame() == (0, None)
    assert replace(h.session.status(), stats=None).running is False


@pytest.mark.parametrize("name", ["framing", "light"])
def test_a_per_frame_feature_is_saved_and_reaches_the_running_pipeline_cheaply(
        make_session, recording_backend, name) -> None:
    """Auto-framing and low-light correction: switched in the session, saved, and taken up by
    the running pipeline without reopening the camera or the outputs or rebuilding anything."""
    from vbg.pipeline import plan_apply

    h = make_session()
    switch = getattr(h.session, f"set_{name}")
    h.session.start()
    cam = recording_backend.last()
    before = h.session.pipeline.config
    assert switch(True)
    after = h.session.pipeline.config
    assert getattr(after.output, name) == "auto" and getattr(h.session.menu_state(), name)
    assert json.loads(h.settings_file.read_text())[name] == "auto"
    plan = plan_apply(before, after)
    assert not (plan.reopen_capture or plan.restart_output or plan.load_model
                or plan.configure_matting or plan.rebuild_compositor)
    h.wait_for_frames()
    assert recording_backend.last() is cam and cam.close_calls == 0
    assert switch(False)
    assert getattr(h.session.pipeline.config.output, name) == "off"
    assert not getattr(h.session.menu_state(), name)
    assert json.loads(h.settings_file.read_text())[name] == "off"
