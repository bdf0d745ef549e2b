"""Frames and the latest-frame-wins hand-off between threads."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Generic, TypeVar

import numpy as np

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Frame:
    """One captured picture: BGR uint8 ``image`` (H×W×3), increasing ``seq`` and the
    ``time.monotonic()`` at which it was captured."""

    image: np.ndarray
    seq: int
    t_capture: float


class LatestSlot(Generic[T]):
    """A one-item mailbox: ``put`` never blocks and replaces what was there (latest wins).

    Readers ask for anything newer than the sequence number they last saw, so a slow reader
    skips stale items instead of queueing them. ``dropped`` counts items replaced unread.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._item: T | None = None
        self._seq = 0
        self._read_seq = 0
        self.dropped = 0

    def put(self, item: T) -> int:
        """Store ``item`` and wake readers; returns its slot sequence number."""
        with self._cond:
            if self._seq > self._read_seq:
                self.dropped += 1
            self._item = item
            self._seq += 1
            self._cond.notify_all()
            return self._seq

    def get(self, after_seq: int = 0, timeout: float | None = None) -> tuple[T | None, int]:
        """Wait up to ``timeout`` s for an item newer than ``after_seq``.

        Returns ``(item, seq)``; on timeout returns ``(None, after_seq)``.
        """
        with self._cond:
            if not self._cond.wait_for(lambda: self._seq > after_seq, timeout):
                return None, after_seq
            self._read_seq = self._seq
            return self._item, self._seq

    def peek(self) -> tuple[T | None, int]:
        """The current item and its sequence number, without waiting or marking it read."""
        with self._cond:
            return self._item, self._seq

    def clear(self) -> None:
        """Forget the stored item (sequence numbers keep increasing)."""
        with self._cond:
            self._item = None
