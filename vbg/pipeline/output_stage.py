"""The output stage: the thread that sends one picture per tick to every output.

Paced by :class:`vbg.timing.Pacer` at the output rate (:data:`~vbg.pipeline.stage.IDLE_FPS`
while idle or paused), not by pyvirtualcam's adaptive ``sleep_until_next_frame``: that one
learns the send rate, and after an idle stretch at a few fps it would stop sleeping and burst
frames at the app. It re-sends the last composite when nothing new is ready, because
conferencing apps stall on irregular streams, and it feeds recordings and previews, so all
outputs see exactly the same frames.

Each tick it also decides who watches (:func:`decide`, from
:func:`~vbg.pipeline.demand.decide_demand`) and tells the capture and process stages when that
changes, and what the tick sends (:func:`~vbg.pipeline.decision.decide_output`: privacy fails
closed; live with no composite yet: the still, never a raw frame).

It owns the :class:`~vbg.pipeline.sinkset.SinkSet` (the only thread that sends to, reopens or
closes it) and the pacers. The still and paused pictures (:mod:`vbg.pipeline.pictures`) are
drawn with the process stage's compositor's :class:`~vbg.compositor.Backdrop`, borrowed (so a
video background is decoded once): this stage never configures or closes it. A backdrop closed
under it (the process stage swapped compositors and this stage has not taken the new backdrop
yet, or the run is ending) draws an image or video background as its colour: never the room.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from vbg.compositor import Backdrop
from vbg.config import AppConfig
from vbg.errors import OutputError, VbgError
from vbg.frames import Frame, LatestSlot
from vbg.pipeline.decision import HOLD_S, OutputState, decide_output
from vbg.pipeline.demand import Activity, Demand, ReaderDebounce, decide_demand
from vbg.pipeline.pictures import paused_picture, still_picture
from vbg.pipeline.process_stage import Composite, conform
from vbg.pipeline.sinkset import SinkSet
from vbg.pipeline.stage import IDLE_FPS, Mailbox, StageContext, overlay
from vbg.stats import Rate
from vbg.timing import Pacer


def keeps_camera_on(config: AppConfig) -> bool:
    """Whatever the readers: the "Keep the camera on" setting, or a recording (a recording
    wants the composite, not the idle still)."""
    o = config.output
    return bool(o.keep_camera_on or o.record or o.record_mask)


def decide(config: AppConfig, *, watched: bool, signal: bool, local_viewer: bool,
           user_paused: bool) -> Demand:
    """Who watches, for ``config``: :func:`~vbg.pipeline.demand.decide_demand` with the
    settings filled in. ``watched``: the debounced readers of the virtual camera; ``signal``:
    whether readers can be known at all (:attr:`SinkSet.signal`)."""
    return decide_demand(watched=watched, signal=signal, keep_on=keeps_camera_on(config),
                         local_viewer=local_viewer, user_paused=user_paused,
                         background_kind=config.background.kind)


@dataclass(frozen=True, slots=True)
class Sent:
    """What one tick sent to the sinks, published whole (one attribute, read without a lock).

    ``seq``: the sends of this run so far (1 for the first; +1 per send, repeats and stills
    included); ``image`` / ``alpha``: the very arrays the sinks got (a composite's belong to the
    pipeline's ring: copy them to keep them); ``composite``: the sequence number of the
    composite sent (a re-send keeps it), ``None`` for a still or paused picture.
    """

    seq: int
    image: np.ndarray
    alpha: np.ndarray | None
    composite: int | None = None


@dataclass(frozen=True, slots=True)
class OutputChange:
    """What the output thread is told (``None``: unchanged), all picked up between two ticks.

    ``config``: the settings each tick reads (freshness limit, background kind, what keeps the
    camera on); ``reopen``: reopen the configured sinks for this configuration (rate, size,
    device or recording changed; the extra sinks are kept); ``backdrop``: the new compositor's
    backdrop (borrowed: nobody here closes it); ``user_paused`` / ``local_viewer``: the user's
    pause, vbg's own preview shown; ``reopened``: set once the reopen is carried out (or never
    will be), for ``apply()`` to wait on.
    """

    config: AppConfig | None = None
    reopen: AppConfig | None = None
    backdrop: Backdrop | None = None
    user_paused: bool | None = None
    local_viewer: bool | None = None
    reopened: tuple[threading.Event, ...] = ()

    def merged(self, newer: OutputChange) -> OutputChange:
        # Every waiter is answered by the one reopen that is left.
        return replace(overlay(self, newer), reopened=self.reopened + newer.reopened)

    def discard(self, kept: OutputChange | None) -> None:
        """Release waiters nobody will answer (a backdrop is borrowed: its compositor's owner
        closes it)."""
        for done in self.reopened:
            if kept is None or done not in kept.reopened:
                done.set()


class OutputStage:
    """Sends to ``sinks`` until ``ctx.stop``, ``max_frames`` sent, or the composites ended
    (then sets ``finished``); closes the sinks (then sets ``outputs_closed``) when it ends.
    ``backdrop``: draws the still and the paused picture; borrowed, never closed here.

    ``composites``: the process stage's results (``None``: the source ended); ``room``: the
    newest camera frame (``None`` while the source is closed), asked only for the paused picture,
    which is drawn from the room for blur and none; ``tell``: hands a changed demand to the
    capture and process stages. ``state``, ``activity``, ``readers``, ``sent`` (the last
    :class:`Sent`) and ``count`` (frames sent, repeats and stills included) are read by the
    pipeline without a lock.
    """

    def __init__(self, ctx: StageContext, config: AppConfig, sinks: SinkSet,
                 backdrop: Backdrop, *, demand: Demand, user_paused: bool,
                 local_viewer: bool, composites: LatestSlot[Composite | None],
                 room: Callable[[], Frame | None], tell: Callable[[Demand], None],
                 rate: Rate, max_frames: int | None, finished: threading.Event,
                 outputs_closed: threading.Event) -> None:
        self.mailbox: Mailbox[OutputChange] = Mailbox()
        self.sinks = sinks
        self.state = OutputState.PAUSED  # until the first composite goes out
        self.activity = demand.activity
        self.readers = 0
        self.sent: Sent | None = None
        self.count = 0
        self._ctx = ctx
        self._config = config
        self._backdrop = backdrop
        self._told = demand
        self._user_paused = user_paused
        self._local_viewer = local_viewer
        self._composites = composites
        self._room = room
        self._tell = tell
        self._rate = rate
        self._max_frames = max_frames
        self._finished = finished
        self._outputs_closed = outputs_closed
        self._out_hw = (config.capture.height, config.capture.width)
        self._debounce = ReaderDebounce()
        self._live_pacer = Pacer(sinks.fps, ctx.clock, ctx.sleep)
        self._idle_pacer = Pacer(IDLE_FPS, ctx.clock, ctx.sleep)
        self._stills: dict[bool, np.ndarray] = {}  # paused? -> the still at the output size
        self._paused_buf: np.ndarray | None = None

    def run(self) -> None:
        """The thread's body."""
        try:
            self._loop()
        except VbgError as exc:
            self._ctx.on_error(exc)
        except Exception as exc:  # a sink failing mid-stream (device removed, disk full)
            self._ctx.on_error(OutputError(
                f"The output failed ({type(exc).__name__}: {exc})."))
        finally:
            self._finished.set()
            self.sinks.close()
            self._outputs_closed.set()
            self.mailbox.close()  # an apply() waiting for a reopen is answered

    def _take(self) -> None:
        """Carry out the pending change, between two ticks."""
        change = self.mailbox.take()
        if change is None:
            return
        if change.config is not None:
            self._config = change.config
        if change.user_paused is not None:
            self._user_paused = change.user_paused
        if change.local_viewer is not None:
            self._local_viewer = change.local_viewer
        if change.backdrop is not None:
            self._backdrop, self._stills = change.backdrop, {}
        if change.reopen is not None:
            # Reopened on this thread: the sinks are sent to and closed here only.
            try:
                self.sinks.reopen(change.reopen)
            except VbgError as exc:
                self._ctx.on_error(exc)
            self._live_pacer = Pacer(self.sinks.fps, self._ctx.clock, self._ctx.sleep)
            self._out_hw = (change.reopen.capture.height, change.reopen.capture.width)
            self._stills = {}
            for done in change.reopened:
                done.set()

    def _decide(self, now: float) -> Demand:
        """Who watches now; a change is handed to the capture and process stages."""
        readers, preexisting = self.sinks.poll_readers()
        demand = decide(self._config,
                        watched=self._debounce.update(now, readers, initial=preexisting),
                        signal=self.sinks.signal, local_viewer=self._local_viewer,
                        user_paused=self._user_paused)
        self.readers, self.activity = readers, demand.activity
        if demand != self._told:
            self._tell(demand)
            self._told = demand
        return demand

    def _loop(self) -> None:
        ctx = self._ctx
        seen = 0
        last: Composite | None = None
        inferring = self._told.inference
        live_since = 0.0  # composites of frames captured before this are from an earlier stretch
        while not ctx.stop.is_set():
            self._take()
            now = ctx.clock()
            demand = self._decide(now)
            if demand.inference and not inferring:
                # What was composited before an idle stretch or a pause is not shown.
                last, live_since = None, now
            inferring = demand.inference
            comp, seq = self._composites.get(seen, timeout=0)
            fresh = seq != seen
            seen = seq
            if fresh and comp is None:  # the source ended and everything went out
                self._finished.set()
                return
            if (fresh and inferring and comp is not None and comp.image.shape[:2] == self._out_hw
                    and comp.t_capture >= live_since):
                last = comp  # (a composite of the old size, during a size switch, is skipped)
            if last is not None and last.image.shape[:2] != self._out_hw:
                last = None
            image, alpha, slow = self._picture(demand, last, fresh, now)
            self.sinks.send(image, alpha)
            self.count += 1
            self.sent = Sent(self.count, image, alpha,
                             last.seq if last is not None and image is last.image else None)
            self._rate.tick()
            if self._max_frames is not None and self.count >= self._max_frames:
                self._finished.set()
                return
            if slow:
                self._live_pacer.reset()
                self._idle_pacer.sleep_until_next_frame()
            else:
                self._idle_pacer.reset()
                self._live_pacer.sleep_until_next_frame()

    def _picture(self, demand: Demand, last: Composite | None, fresh: bool,
                 now: float) -> tuple[np.ndarray, np.ndarray | None, bool]:
        """What this tick sends: (picture, its alpha or ``None``, whether it is a picture nobody
        needs at the full rate); sets ``state``."""
        if demand.activity is Activity.LIVE and last is None:
            # Starting: the still until the first composite, never a raw frame.
            self.state = OutputState.PAUSED
            return self._still(paused=False), None, False
        cfg = self._config
        self.state = decide_output(
            now - last.t_capture if last is not None else None,
            stale_s=cfg.matting.stale_after_ms / 1e3,
            user_paused=demand.activity is not Activity.LIVE,
            passthrough=cfg.background.kind == "none",
            hold_s=HOLD_S,
        )
        if self.state.sends_composite and last is not None:
            if fresh:
                self._ctx.window.add("latency", (now - last.t_capture) * 1e3)
            return last.image, last.alpha, False
        frame = self._room() if demand.source else None
        if frame is not None:
            self._paused_buf = paused_picture(
                self._backdrop, conform(frame.image, cfg.capture.width, cfg.capture.height),
                self._paused_buf)
            # The user's pause: a heavy blur needs no 30 fps (a late mask does: it is meant
            # to be brief, and the next composite must go out at once).
            return self._paused_buf, None, demand.activity is Activity.PAUSED
        # Idle, or paused without a camera: the still, slowly.
        return self._still(paused=demand.activity is Activity.PAUSED), None, True

    def _still(self, paused: bool) -> np.ndarray:
        """The still picture at the output size, drawn once and reused while nothing changes
        (forgotten when the backdrop or the output size changes)."""
        still = self._stills.get(paused)
        if still is None:
            h, w = self._out_hw
            still = self._stills[paused] = still_picture(self._backdrop, w, h, paused)
        return still
