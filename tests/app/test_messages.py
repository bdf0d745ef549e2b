"""The message log behind View → Messages…"""

from __future__ import annotations

import time

from vbg.app.messages import MessageLog


def test_keeps_the_last_messages_whole_and_in_order() -> None:
    now = [time.mktime((2026, 11, 26, 14, 3, 5, 0, 0, -1))]
    log = MessageLog(maxlen=2, clock=lambda: now[0])
    long = "The settings file is broken; " + "x" * 300
    log.add("first", "info")
    log.add(long, "warning")
    now[0] += 1
    log.add("third", "error")
    assert [m.text for m in log.entries()] == [long, "third"]  # bounded, oldest dropped
    assert log.entries()[0].line() == f"14:03:05  Warning  {long}"  # never cut
    assert log.text().endswith("14:03:06  Error  third")
    assert len(log) == 2
