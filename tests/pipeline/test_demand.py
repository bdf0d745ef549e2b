"""Who watches and what follows from it, without threads or time passing."""

from __future__ import annotations

import pytest

from vbg.pipeline.demand import Activity, Demand, ReaderDebounce, decide_demand


def test_a_probe_is_not_a_reader_and_a_reader_that_stays_is():
    d = ReaderDebounce(probe_s=0.3, linger_s=2.0)
    assert not d.update(0.0, 1)
    assert not d.update(0.2, 0)          # opened and closed within a moment: a probe
    assert not d.update(0.3, 1)
    assert not d.update(0.5, 1)
    assert d.update(0.6, 1)              # stayed 0.3 s


def test_watching_lingers_after_the_last_reader_leaves():
    d = ReaderDebounce(probe_s=0.3, linger_s=2.0)
    d.update(0.0, 1)
    assert d.update(0.3, 1)
    assert d.update(1.0, 0)
    assert d.update(2.9, 0)
    assert d.update(3.0, 1)              # back (an app reopening to change format)
    assert d.update(3.5, 0)
    assert d.update(5.4, 0)
    assert not d.update(5.5, 0)          # gone for 2 s


def test_a_reader_there_before_vbg_counts_at_once():
    assert ReaderDebounce().update(0.0, 1, initial=True)


def demand(**kw) -> Demand:
    args = dict(watched=False, signal=True, keep_on=False, local_viewer=False,
                user_paused=False, background_kind="blur")
    args.update(kw)
    return decide_demand(**args)


def test_nobody_watching_is_idle_with_camera_and_model_off():
    assert demand() == Demand(Activity.IDLE, source=False, inference=False)


@pytest.mark.parametrize("reason", [{"watched": True}, {"signal": False}, {"keep_on": True},
                                    {"local_viewer": True}])
def test_each_kind_of_watcher_makes_it_live(reason):
    assert demand(**reason) == Demand(Activity.LIVE, source=True, inference=True)


@pytest.mark.parametrize(("kind", "camera"), [("blur", True), ("none", True), ("color", False),
                                              ("image", False), ("video", False)])
def test_pause_stops_inference_and_keeps_the_camera_only_where_the_picture_needs_it(kind,
                                                                                    camera):
    d = demand(watched=True, user_paused=True, background_kind=kind)
    assert d == Demand(Activity.PAUSED, source=camera, inference=False)


def test_paused_with_nobody_watching_keeps_the_camera_off():
    assert demand(user_paused=True) == Demand(Activity.PAUSED, source=False, inference=False)
