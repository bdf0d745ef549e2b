"""Keeping a loop at a steady frame rate (used by sources that pace files and by outputs)."""

from __future__ import annotations

import time
from collections.abc import Callable


class Pacer:
    """Keeps a loop at a steady ``fps`` on a monotonic clock.

    Call :meth:`sleep_until_next_frame` once per frame, after sending it. Deadlines lie on a
    fixed grid (``t0 + k/fps``), so small delays are absorbed without drifting the average
    rate. When the loop is late by more than a whole frame (a hiccup: swapped out, a slow
    model step) the grid restarts from now instead of sending a burst of frames to catch up:
    conferencing apps handle a late frame better than an irregular burst.

    ``clock`` and ``sleep`` are injectable so the logic can be tested without real time.
    """

    def __init__(
        self,
        fps: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not fps > 0:
            raise ValueError(f"fps must be positive, got {fps}")
        self.fps = float(fps)
        self.period = 1.0 / self.fps
        self._clock = clock
        self._sleep = sleep
        self._next: float | None = None
        self.resyncs = 0  # how often the grid was restarted; a health signal for stats

    def reset(self) -> None:
        """Forget the grid (e.g. after a pause); the next call starts a new one from now."""
        self._next = None

    def sleep_until_next_frame(self) -> None:
        """Sleep until the next frame is due (immediately return when already due)."""
        now = self._clock()
        if self._next is None:
            self._next = now + self.period
        elif now > self._next + self.period:
            # Late by more than a frame: resync rather than burst.
            self.resyncs += 1
            self._next = now + self.period
            return
        if now < self._next:
            self._sleep(self._next - now)
        self._next += self.period
