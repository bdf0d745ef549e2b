"""Rolling statistics for the pipeline: rates, stage times, latency (no Qt, no threads)."""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Stats:
    """A snapshot of the pipeline's health, as shown in the preview overlay and tray tooltip.

    Rates are frames per second over the last few seconds; times are medians in ms.
    ``state`` is "running", "holding" (mask late: last good composite repeated), "paused"
    (background only: the mask is missing, the user paused, or nobody watches) or "stopped".
    ``activity`` is "live", "idle" (nobody watches: camera closed, no inference), "paused" (the
    user's pause) or "stopped"; ``readers`` counts the apps reading the virtual camera (Linux).
    """

    capture_fps: float = 0.0
    process_fps: float = 0.0
    output_fps: float = 0.0
    stage_ms: dict[str, float] = field(default_factory=dict)
    latency_ms: float = 0.0
    mask_age_ms: float = 0.0
    dropped: int = 0
    provider: str = ""
    model: str = ""
    state: str = "stopped"
    source: str = ""
    source_size: tuple[int, int] = (0, 0)
    vcam_device: str | None = None
    activity: str = "stopped"
    readers: int = 0


class Rate:
    """Events per second over a sliding window of the last ``n`` event times."""

    def __init__(self, n: int = 60) -> None:
        self._t: deque[float] = deque(maxlen=n)
        self._lock = threading.Lock()

    def tick(self, t: float | None = None) -> None:
        with self._lock:
            self._t.append(time.monotonic() if t is None else t)

    def value(self) -> float:
        with self._lock:
            if len(self._t) < 2:
                return 0.0
            span = self._t[-1] - self._t[0]
            # Stale window (nothing happening): report 0 rather than an old rate.
            if time.monotonic() - self._t[-1] > 2.0 or span <= 0:
                return 0.0
            return (len(self._t) - 1) / span


class Window:
    """The last ``n`` values of named quantities, summarised as median / p90."""

    def __init__(self, n: int = 120) -> None:
        self._v: dict[str, deque[float]] = {}
        self._n = n
        self._lock = threading.Lock()

    def add(self, name: str, value: float) -> None:
        with self._lock:
            self._v.setdefault(name, deque(maxlen=self._n)).append(value)

    def median(self) -> dict[str, float]:
        with self._lock:
            return {k: float(np.median(v)) for k, v in self._v.items() if v}

    def values(self, name: str) -> list[float]:
        with self._lock:
            return list(self._v.get(name, ()))
