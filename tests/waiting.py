"""The one bounded wait of the test suite, and its one timeout.

Tests that watch threads or other processes wait for a condition, never for a time: ``until``
polls and returns as soon as the condition holds, so a generous ``WAIT_S`` costs nothing on a
quick machine and only decides how long a broken test takes to fail. Conditions are written
to be safe to call at any moment (``x is not None and ...``): an exception from ``cond`` is a
failure of the test, never swallowed. Qt tests wait with ``qtbot.waitUntil`` (it runs the event
loop) and ``tests.ui.conftest.WAIT_MS``, the same timeout in milliseconds.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable
from typing import TypeVar

import pytest

T = TypeVar("T")

WAIT_S = 20.0  # generous: the machine may be busy; waits end as soon as the condition holds
POLL_S = 0.01
# The one longer budget: a new ``python -m vbg`` process's cold start on a busy 2-core machine
# (Qt, ONNX Runtime and the model loaded from disk), for the tests that launch the app.
START_S = 90.0


def _described(cond: Callable[[], object]) -> str:
    """The condition's own source line (``until(lambda: ...)``) when no ``what`` was given."""
    try:
        return inspect.getsource(cond).strip()
    except (OSError, TypeError):
        return repr(cond)


def until(cond: Callable[[], T], what: str | None = None, timeout: float = WAIT_S,
          poll: float = POLL_S) -> T:
    """Wait until ``cond()`` is truthy and return that value; fail the test after ``timeout``
    seconds, saying ``what`` it waited for (by default the condition's source)."""
    end = time.monotonic() + timeout
    while True:
        value = cond()
        if value:
            return value
        if time.monotonic() >= end:
            pytest.fail(f"waited {timeout:.0f} s for {what or _described(cond)}")
        time.sleep(poll)
