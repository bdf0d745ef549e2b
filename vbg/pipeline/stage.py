"""What the pipeline's three stage threads share: the mailbox each reads its changes from, and
the context (stop, errors, stage times, clock) the pipeline hands each of them.

A change is a small frozen dataclass built on the caller's thread with everything the stage
needs (in the spirit of napari's ``_layer_slicer``, whose slice requests are made whole on the
main thread and only carried out on the worker). A stage takes its pending change between two
frames, so it never sees half an update, and nothing else it owns is touched from outside.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING, Generic, Protocol, Self, TypeVar

from vbg.stats import Window

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

# The still sent while nobody watches (and the read rate of a camera kept open in a pause).
# v4l2loopback keeps a device listed while a writer has it open whatever the rate; a few
# frames a second keep readers that already have it open (and time out on a silent camera)
# happy, at a cost measured in docs/benchmarks.md.
IDLE_FPS = 5.0


class Change(Protocol):
    """A frozen request for one stage. ``merged(newer)``: what is pending once ``newer`` arrives
    before this one was taken (pure). ``discard(kept)``: release what this change carries and
    ``kept`` does not (``None``: all of it), because it will never be carried out."""

    def merged(self, newer: Self) -> Self: ...

    def discard(self, kept: Self | None) -> None: ...


C = TypeVar("C", bound=Change)
D = TypeVar("D", bound="DataclassInstance")


def overlay(older: D, newer: D) -> D:
    """``older`` with every field that ``newer`` sets (not ``None``) taken from ``newer``: the
    merge of changes whose ``None`` means "unchanged"."""
    return replace(older, **{f.name: v for f in fields(newer)
                             if (v := getattr(newer, f.name)) is not None})


class Mailbox(Generic[C]):
    """One pending change for one stage thread: ``post`` never blocks and merges into what is
    pending (latest wins field by field), ``take`` empties it.

    After ``close`` (the stage thread's last act) a pending or later change is discarded at
    once, so a resource handed over too late (a compositor built by ``apply``) is still
    released, by the thread that posted it.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._pending: C | None = None
        self._closed = False

    def post(self, change: C) -> None:
        with self._cond:
            dropped: list[C] = []
            kept: C | None = None
            if self._closed:
                dropped = [change]
            elif self._pending is None:
                self._pending = change
            else:
                dropped = [self._pending, change]
                kept = self._pending = self._pending.merged(change)
            self._cond.notify_all()
        for old in dropped:  # outside the lock: closing a video background may wait
            old.discard(kept)

    def take(self) -> C | None:
        """The pending change (``None``: nothing new), which the caller now owns."""
        with self._cond:
            change, self._pending = self._pending, None
            return change

    def wait(self, timeout: float) -> bool:
        """Block until a change is pending, at most ``timeout`` s; True if one is."""
        with self._cond:
            return self._cond.wait_for(lambda: self._pending is not None, timeout)

    def close(self) -> None:
        """Refuse further changes; what is pending is discarded."""
        with self._cond:
            self._closed = True
            change, self._pending = self._pending, None
        if change is not None:
            change.discard(None)


@dataclass(frozen=True, slots=True)
class StageContext:
    """What every stage gets from the pipeline: ``stop`` (one event for all threads),
    ``on_error`` (worker errors, reported on the worker's thread), ``window`` (stage times and
    latency for the stats), ``clock`` (the monotonic time frames are stamped with and the
    output decides by) and ``sleep`` (how the output's pacers wait). ``clock`` and ``sleep``
    are a seam like :class:`vbg.timing.Pacer`'s: tests pass a clock of their own."""

    stop: threading.Event
    on_error: Callable[[Exception], None]
    window: Window
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
