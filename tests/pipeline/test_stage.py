"""The hand-over between the pipeline and its stage threads, without threads: mailboxes merge
frozen changes (latest wins, field by field), release what a superseded or late change carries,
and ``build`` builds in the order that fails fast, leaving nothing open."""

from __future__ import annotations

import threading

import pytest

from vbg.config import AppConfig, BackgroundConfig, CaptureConfig, MattingConfig
from vbg.errors import BackgroundError, ModelError
from vbg.pipeline.build import EVERYTHING, build
from vbg.pipeline.capture_stage import CaptureChange
from vbg.pipeline.demand import Activity, Demand
from vbg.pipeline.output_stage import OutputChange
from vbg.pipeline.process_stage import ProcessChange
from vbg.pipeline.stage import Mailbox

LIVE = Demand(Activity.LIVE, True, True)
IDLE = Demand(Activity.IDLE, False, False)


class Closeable:
    """Stands in for a compositor or a source: counts its closes."""

    def __init__(self) -> None:
        self.closes = 0

    def close(self) -> None:
        self.closes += 1


def test_changes_merge_field_by_field_and_the_latest_wins() -> None:
    box: Mailbox[CaptureChange] = Mailbox()
    assert box.take() is None and not box.wait(0)
    small, big = CaptureConfig(width=320, height=180), CaptureConfig(width=1280, height=720)
    box.post(CaptureChange(capture=small, demand=LIVE))
    box.post(CaptureChange(demand=IDLE))
    box.post(CaptureChange(capture=big))
    assert box.wait(0)
    assert box.take() == CaptureChange(capture=big, demand=IDLE)
    assert box.take() is None  # taken once


def test_a_superseded_compositor_is_closed_and_the_kept_one_is_not() -> None:
    box: Mailbox[ProcessChange] = Mailbox()
    first, second = Closeable(), Closeable()
    box.post(ProcessChange(compositor=first))
    box.post(ProcessChange(demand=LIVE))  # carries no compositor: the first one stays
    assert first.closes == 0
    box.post(ProcessChange(compositor=second))
    assert first.closes == 1 and second.closes == 0
    change = box.take()
    assert change is not None and change.compositor is second and change.demand == LIVE
    box.close()  # nothing pending: the taken compositor belongs to the stage now
    assert second.closes == 0


def test_a_closed_mailbox_releases_what_is_pending_and_what_comes_late() -> None:
    process: Mailbox[ProcessChange] = Mailbox()
    output: Mailbox[OutputChange] = Mailbox()
    pending, late = Closeable(), Closeable()
    waiting = threading.Event()
    process.post(ProcessChange(compositor=pending))
    output.post(OutputChange(backdrop=pending, reopened=(waiting,)))
    process.close()  # the threads ended
    output.close()
    # The compositor is closed once, by the process side; the output only borrows its backdrop.
    assert pending.closes == 1 and waiting.is_set()  # apply() is not kept waiting
    answered = threading.Event()
    process.post(ProcessChange(compositor=late))
    output.post(OutputChange(backdrop=late, reopened=(answered,)))
    assert late.closes == 1 and answered.is_set()
    assert process.take() is None and output.take() is None


def test_every_apply_waiting_for_a_reopen_is_answered_by_the_one_left() -> None:
    box: Mailbox[OutputChange] = Mailbox()
    a, b = threading.Event(), threading.Event()
    cfg = AppConfig()
    box.post(OutputChange(reopen=cfg, reopened=(a,)))
    box.post(OutputChange(user_paused=True))
    box.post(OutputChange(reopen=cfg, reopened=(b,)))
    change = box.take()
    assert change is not None and change.reopened == (a, b) and change.user_paused
    assert not a.is_set() and not b.is_set()  # set by the output thread once it reopened


def test_build_opens_nothing_after_a_bad_background() -> None:
    opened: list[Closeable] = []

    def open_camera() -> Closeable:
        opened.append(Closeable())
        return opened[-1]

    cfg = AppConfig(background=BackgroundConfig(kind="image", path="/nonexistent/bg.png"))
    with pytest.raises(BackgroundError):
        build(cfg, EVERYTHING, open_camera)
    assert not opened  # the camera never turned on


def test_build_closes_what_it_opened_when_the_model_fails(monkeypatch) -> None:
    from vbg.compositor import Compositor

    closed: list[object] = []
    real_close = Compositor.close
    monkeypatch.setattr(Compositor, "close", lambda self: (closed.append(self), real_close(self)))
    source = Closeable()
    cfg = AppConfig(matting=MattingConfig(model="no_such_model"))
    with pytest.raises(ModelError):
        build(cfg, EVERYTHING, lambda: source)
    assert source.closes == 1 and len(closed) == 1  # the source and the one compositor


def test_build_makes_only_what_the_plan_asks_for() -> None:
    from vbg.pipeline.plan import plan_apply

    old = AppConfig()
    new = AppConfig(background=BackgroundConfig.parse("color:#FF0000"))
    parts = build(new, plan_apply(old, new))
    try:
        assert parts.engine is None and parts.source is None
        assert parts.compositor is not None
        assert parts.backdrop is parts.compositor.backdrop  # one background, shared
    finally:
        parts.close()
