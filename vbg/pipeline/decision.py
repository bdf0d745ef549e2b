"""The privacy decision the output thread makes at every tick, as a pure function.

Privacy fails closed: a composite is sent only while it is fresh (younger than the mask's
``stale_after_ms``); a late one is held (re-sent) for ``hold_s``, after which the output shows
the background alone, marked "paused", until fresh composites return. The user's pause always
shows the background alone. With background "none" (passthrough, the user's choice) any
composite is sent however old it is, because there is no mask to be late.
"""

from __future__ import annotations

from enum import StrEnum

HOLD_S = 1.0  # how long a late composite is repeated before showing the background only


class OutputState(StrEnum):
    """What the output shows: ``running`` (fresh composites), ``holding`` (the last good
    composite repeated, the mask is late), ``paused`` (the background alone), ``stopped``."""

    RUNNING = "running"
    HOLDING = "holding"
    PAUSED = "paused"
    STOPPED = "stopped"

    @property
    def sends_composite(self) -> bool:
        """True when the tick sends the composite; False: the background-only picture."""
        return self in (OutputState.RUNNING, OutputState.HOLDING)


def decide_output(
    age_s: float | None,
    *,
    stale_s: float,
    user_paused: bool,
    passthrough: bool,
    hold_s: float = HOLD_S,
) -> OutputState:
    """The state of one output tick.

    ``age_s``: seconds since the newest usable composite's frame was captured (None: there is
    none yet). ``stale_s``: the freshness limit. Returns RUNNING, HOLDING or PAUSED; never
    STOPPED.
    """
    if user_paused or age_s is None:
        return OutputState.PAUSED
    if age_s <= stale_s or passthrough:
        return OutputState.RUNNING
    if age_s <= stale_s + hold_s:
        return OutputState.HOLDING
    return OutputState.PAUSED
