"""The capture stage: the thread that owns the source and hands its frames on.

It opens, reopens (a capture setting changed) and closes the source; it keeps it open only
while the output stage's demand asks for it (idle: the webcam is released). A camera failure is
reported once per outage through ``on_error``, the camera is closed and reopened every
:data:`RETRY_S`, so an unplugged camera comes back by itself. Frames go to a latest-wins slot:
a slow consumer skips stale frames instead of queueing them.

Mirroring happens here, once (``OutputConfig.mirror``): every frame is flipped left-right as
it is read, so the mask engine, auto-framing, the compositor, the paused picture and every
output see the same mirrored frame, and nothing downstream flips again (an image or video
background is never flipped: text in it stays readable). Each :class:`Captured` frame says
whether it was mirrored, so the process stage can start its tracking afresh when that changes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from vbg.capture import Source
from vbg.config import CaptureConfig
from vbg.errors import CameraError, SourceEnded, VbgError
from vbg.frames import Frame, LatestSlot
from vbg.pipeline.demand import Demand
from vbg.pipeline.stage import IDLE_FPS, Mailbox, StageContext, overlay
from vbg.stats import Rate

RETRY_S = 1.0  # camera re-open interval after a failure


@dataclass(frozen=True, slots=True)
class Captured(Frame):
    """A frame as the capture stage hands it on: ``mirrored`` says whether it was flipped."""

    mirrored: bool = False


def mirror(image: np.ndarray) -> np.ndarray:
    """``image`` flipped left-right in place, returned.

    In place, not into a buffer kept by the stage: a source returns a new array per read that
    its caller owns and may hand to another thread (``vbg.capture``), so flipping it costs no
    allocation and no copy, whereas one reused buffer would be overwritten while the process
    stage (or the output's paused picture) still reads the previous frame. An array that can't
    be written in place (read-only, not contiguous) is flipped into a new one.
    """
    if image.flags.c_contiguous and image.flags.writeable:
        return cv2.flip(image, 1, dst=image)
    return cv2.flip(image, 1)


@dataclass(frozen=True, slots=True)
class CaptureChange:
    """What the capture thread is told (``None``: unchanged). ``capture``: a changed capture
    setting, the source is reopened with it; ``mirror``: flip the frames (from the next one
    read); ``demand``: whether the source is open at all, and (no inference: the user's pause
    with the camera kept) whether it is read slowly."""

    capture: CaptureConfig | None = None
    mirror: bool | None = None
    demand: Demand | None = None

    def merged(self, newer: CaptureChange) -> CaptureChange:
        return overlay(self, newer)

    def discard(self, kept: CaptureChange | None) -> None:
        """Nothing to release: a capture change carries settings only."""


class CaptureStage:
    """Reads ``source`` (or opens one with ``open_source`` when the demand asks for it) into
    ``frames`` until ``ctx.stop``, each frame flipped left-right when ``mirrored``; sets
    ``ended`` when a finite source ended (or can't go on).

    Owns the source: it alone opens and closes it, and closes it when it ends. ``source`` is
    the one open now (``None`` while closed), read by the pipeline's stats without a lock; it
    keeps the last one after the thread ended, for the stats of a stopped pipeline.
    """

    def __init__(self, ctx: StageContext, capture: CaptureConfig, demand: Demand,
                 source: Source | None, open_source: Callable[[CaptureConfig], Source],
                 frames: LatestSlot[Captured], rate: Rate, *, mirrored: bool = False) -> None:
        self.mailbox: Mailbox[CaptureChange] = Mailbox()
        self.ended = threading.Event()
        self.source = source
        self._ctx = ctx
        self._capture = capture
        self._mirror = mirrored
        self._demand = demand
        self._reopen = False
        self._open_source = open_source
        self._frames = frames
        self._rate = rate

    def _take(self) -> None:
        """Carry out the pending change, between two reads."""
        change = self.mailbox.take()
        if change is None:
            return
        if change.capture is not None:
            self._capture, self._reopen = change.capture, True
        if change.mirror is not None:
            self._mirror = change.mirror
        if change.demand is not None:
            self._demand = change.demand

    def run(self) -> None:
        """The thread's body."""
        ctx, source, seq = self._ctx, self.source, 0
        reported: str | None = None  # an outage is reported once, not at every retry

        def report(exc: VbgError) -> None:
            nonlocal reported
            if str(exc) != reported:
                reported = str(exc)
                ctx.on_error(exc)

        try:
            while not ctx.stop.is_set():
                self._take()
                if not self._demand.source:
                    # Nobody watches (or a pause that needs no camera): release the webcam.
                    if source is not None:
                        source.close()
                        source = self.source = None
                        self._frames.clear()
                        reported = None
                    self.mailbox.wait(0.25)  # short: stop() is noticed within it
                    continue
                if self._reopen or source is None:
                    self._reopen = False
                    if source is not None:
                        source.close()
                        source = self.source = None
                    try:
                        source = self.source = self._open_source(self._capture)
                    except VbgError as exc:
                        report(exc)
                        ctx.stop.wait(RETRY_S)
                        continue
                try:
                    image = source.read()
                except SourceEnded:
                    self.ended.set()
                    return
                except CameraError as exc:
                    # Unplugged or taken by another app: report, drop it, retry shortly.
                    report(exc)
                    source.close()
                    source = self.source = None
                    ctx.stop.wait(RETRY_S)
                    continue
                except VbgError as exc:
                    ctx.on_error(exc)
                    self.ended.set()
                    return
                t = ctx.clock()
                if self._mirror:
                    image = mirror(image)
                seq += 1
                reported = None
                self._frames.put(Captured(image, seq, t, self._mirror))
                self._rate.tick()
                if not self._demand.inference:
                    # Paused with the camera kept (blur): the paused picture is a heavy blur
                    # redrawn at IDLE_FPS, so reading faster would only burn CPU. The camera
                    # buffers meanwhile; a frame a few hundred ms old is fine under that blur.
                    ctx.stop.wait(1.0 / IDLE_FPS)
        finally:
            self.mailbox.close()
            if source is not None:
                source.close()
