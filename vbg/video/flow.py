"""The plumbing of a video job (:mod:`vbg.video`): a decoder thread and an encoder thread
joined to the caller's frame loop by bounded FIFO queues (a file keeps every frame, so a fast
stage waits rather than drops), and a ring of reusable buffers for finished frames.
"""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass

import cv2
import numpy as np

from vbg.capture.media import MediaReader
from vbg.sinks.media import MediaWriter

QUEUE_DEPTH = 4   # frames in flight between decoder, engine and encoder
JOIN_S = 2.0      # how long the decoder thread gets to notice a stop


@dataclass(frozen=True, slots=True)
class Encoded:
    """A finished frame on its way to the writer thread."""

    image: np.ndarray
    alpha: np.ndarray | None
    pts: int | None


_END = object()


class Ring:
    """``size`` reusable buffers per name, handed out in turn: a buffer comes round again
    only after ``size - 1`` others, by which time the writer is done with it (the queue holds
    at most QUEUE_DEPTH items and the writer one more)."""

    def __init__(self, size: int) -> None:
        self._size, self._i = size, 0
        self._bufs: dict[str, list[np.ndarray]] = {}

    def copy(self, name: str, src: np.ndarray, mirror: bool = False) -> np.ndarray:
        """``src`` copied (flipped left-right with ``mirror``) into the next buffer."""
        bufs = self._bufs.setdefault(name, [])
        if len(bufs) < self._size:
            bufs.append(np.empty_like(src))
        buf = bufs[self._i]
        if buf.shape != src.shape:
            buf = bufs[self._i] = np.empty_like(src)
        if mirror:
            cv2.flip(src, 1, dst=buf)
        else:
            np.copyto(buf, src)
        return buf

    def advance(self) -> None:
        self._i = (self._i + 1) % self._size


class Flow:
    """Decoding and encoding on their own threads, so they overlap the engine's work.

    Unlike the live pipeline's latest-wins slots, these are bounded FIFO queues: a file job
    must keep every frame, so a fast stage waits for a slow one instead of dropping. Errors of
    either thread end the flow and are raised from :meth:`next_input` / :meth:`output` /
    :meth:`close` on the caller's thread. The writers are used by the writer thread only.
    """

    def __init__(self, reader: MediaReader, main: MediaWriter, mask: MediaWriter | None) -> None:
        self._reader, self._main, self._mask = reader, main, mask
        self._in: queue.Queue[object] = queue.Queue(QUEUE_DEPTH)
        self._out: queue.Queue[object] = queue.Queue(QUEUE_DEPTH)
        self._stop = threading.Event()
        self._killed = threading.Event()
        self._errors: list[BaseException] = []
        self._threads = [threading.Thread(target=self._decode, name="vbg-video-decode",
                                          daemon=True),
                         threading.Thread(target=self._encode, name="vbg-video-encode",
                                          daemon=True)]
        for t in self._threads:
            t.start()

    def _put(self, q: queue.Queue[object], item: object) -> bool:
        while not self._stop.is_set():
            try:
                q.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _decode(self) -> None:
        try:
            for item in self._reader.items():
                if not self._put(self._in, item):
                    return
        except BaseException as exc:  # delivered to the caller's thread
            self._errors.append(exc)
        self._put(self._in, _END)

    def _encode(self) -> None:
        try:
            while True:
                try:
                    item = self._out.get(timeout=0.1)
                except queue.Empty:
                    if self._killed.is_set():
                        return
                    continue
                if item is _END or self._killed.is_set():
                    return
                if isinstance(item, Encoded):
                    self._main.write(item.image, item.pts)
                    if self._mask is not None and item.alpha is not None:
                        self._mask.write(item.alpha, item.pts)
                else:
                    self._main.write_audio(item)
        except BaseException as exc:
            self._errors.append(exc)
            self._stop.set()

    def _raise(self) -> None:
        if self._errors:
            raise self._errors[0]

    def next_input(self) -> object | None:
        """The next decoded frame or sound packet; None at the end of the file."""
        while True:
            self._raise()
            try:
                item = self._in.get(timeout=0.1)
            except queue.Empty:
                if self._stop.is_set():
                    self._raise()
                    return None
                continue
            if item is _END:
                self._raise()
                return None
            return item

    def output(self, item: object) -> None:
        """Queue a finished frame or a sound packet for the writer thread."""
        if not self._put(self._out, item):
            self._raise()

    def close(self) -> None:
        """Let the writer finish what is queued, stop the decoder, join; raise a thread's
        error if one happened."""
        self._put(self._out, _END)
        self._threads[1].join()
        self._stop.set()
        self._threads[0].join(JOIN_S)
        self._raise()

    def kill(self) -> None:
        """Stop both threads without finishing the queue (the job failed or was interrupted);
        the writers are then the caller's alone, to abort."""
        self._killed.set()
        self._stop.set()
        for t in self._threads:
            t.join(JOIN_S)
