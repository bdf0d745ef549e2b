"""The output decision per tick, without threads: fresh, late, stale, paused, passthrough."""

from __future__ import annotations

import pytest

from vbg.pipeline.decision import OutputState, decide_output

STALE, HOLD = 0.25, 1.0


def decide(age, paused=False, passthrough=False) -> OutputState:
    return decide_output(age, stale_s=STALE, hold_s=HOLD, user_paused=paused,
                         passthrough=passthrough)


@pytest.mark.parametrize(("age", "state"), [
    (0.0, OutputState.RUNNING),
    (0.25, OutputState.RUNNING),      # the limit itself is still fresh
    (0.26, OutputState.HOLDING),
    (1.25, OutputState.HOLDING),      # stale + hold
    (1.26, OutputState.PAUSED),
    (60.0, OutputState.PAUSED),
])
def test_age_decides_between_fresh_hold_and_background(age, state):
    assert decide(age) is state


def test_nothing_composited_yet_shows_the_background():
    assert decide(None) is OutputState.PAUSED
    assert decide(None, passthrough=True) is OutputState.PAUSED


def test_user_pause_wins_over_a_fresh_composite():
    assert decide(0.0, paused=True) is OutputState.PAUSED
    assert decide(0.0, paused=True, passthrough=True) is OutputState.PAUSED


def test_passthrough_has_no_mask_to_be_late():
    assert decide(30.0, passthrough=True) is OutputState.RUNNING


def test_only_running_and_holding_send_the_composite():
    assert [s for s in OutputState if s.sends_composite] == [OutputState.RUNNING,
                                                             OutputState.HOLDING]
    assert OutputState.PAUSED == "paused"  # Stats and the UI compare with plain strings
