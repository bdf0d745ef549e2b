"""The real-time pipeline: capture -> mask + composite -> steady output. No Qt.

:class:`Pipeline` runs three stage threads, one module each, joined by latest-wins slots (a
slow stage skips stale frames, it never queues them):

- :mod:`~vbg.pipeline.capture_stage`: reads the source and mirrors each frame when asked (the
  one place that mirrors: everything downstream sees the mirrored frame); on a camera failure
  it reports the error and retries every second, so an unplugged camera is picked up again.
- :mod:`~vbg.pipeline.process_stage`: mask engine + compositor on the newest frame, into a ring
  of buffers it owns; a model failure is reported and that frame is not composited.
- :mod:`~vbg.pipeline.output_stage`: paced at the output rate (``vbg.timing.Pacer``); re-sends
  the last composite when nothing new is ready, because conferencing apps stall on irregular
  streams. It owns the sinks (:class:`~vbg.pipeline.sinkset.SinkSet`), the only thread that
  sends to, reopens or closes them, and draws its still and paused pictures with the
  compositor's backdrop, borrowed from the process stage (one decoded background, see
  :mod:`~vbg.pipeline.build`).

The pipeline reaches a running stage only through that stage's mailbox: one frozen change,
merged with what is pending and picked up between two frames (:mod:`vbg.pipeline.stage`).
Everything else a stage uses is handed to it when it is made: the slots, the stop event, the
error callback, the stats and the clock. The output stage reads the newest camera frame (for
the paused picture) through the ``room`` it is given, never through the pipeline.

On demand: each output tick also decides whether anyone watches
(:func:`~vbg.pipeline.demand.decide_demand`: apps reading the virtual camera, the local
preview, the "Keep the camera on" setting) and tells the other two stages when that changes.
While nobody does (``idle``) the capture thread closes the source, the process thread runs no
inference, and the output sends a cheap still (:func:`~vbg.pipeline.pictures.still_picture`) at
:data:`~vbg.pipeline.stage.IDLE_FPS`. When a reader arrives, the output sends that still until
the first fresh composite: never a raw frame.

What each tick sends is :func:`~vbg.pipeline.decision.decide_output` (privacy fails closed).
What ``apply`` rebuilds is :func:`~vbg.pipeline.plan.plan_apply`; ``start`` and ``apply``
build it with the same :func:`~vbg.pipeline.build.build`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial

import numpy as np

from vbg.capture import Source, open_source
from vbg.config import AppConfig, CaptureConfig
from vbg.frames import LatestSlot
from vbg.pipeline.build import EVERYTHING, Parts, build
from vbg.pipeline.capture_stage import CaptureChange, Captured, CaptureStage
from vbg.pipeline.decision import OutputState
from vbg.pipeline.demand import Activity, Demand
from vbg.pipeline.output_stage import (
    OutputChange,
    OutputStage,
    Sent,
    decide,
    keeps_camera_on,
)
from vbg.pipeline.plan import plan_apply
from vbg.pipeline.process_stage import Composite, ProcessChange, ProcessStage
from vbg.pipeline.sinkset import SinkSet
from vbg.pipeline.stage import StageContext
from vbg.sinks.base import Sink
from vbg.stats import Rate, Stats, Window

__all__ = ["Composite", "ErrorCallback", "Pipeline", "StatsCallback"]

log = logging.getLogger(__name__)

JOIN_S = 0.5          # per-thread join budget on stop
OUTPUT_APPLY_S = 2.0  # how long apply() waits for the output thread to reopen the outputs

ErrorCallback = Callable[[Exception], None]
StatsCallback = Callable[[Stats], None]


class Pipeline:
    """Owns the stage threads and what they are built from; ``start``/``stop``/``apply``;
    reports through callbacks (called on worker threads: the UI must move them to its own).

    ``extra_sinks`` (any :class:`vbg.sinks.base.Sink`) receive exactly what the virtual camera
    receives. The pipeline owns them from the first
    ``start()``: they are kept across output restarts (a rate or size change) and closed once,
    by the output thread, when the pipeline stops.
    ``max_frames``: stop after that many output frames (``finished`` is set); read by
    ``start()``.
    ``source_opener``: what opens the source from ``CaptureConfig`` (default
    ``vbg.capture.open_source``); ``vbg bench --camera-like`` hands in a paced MJPG replay.
    ``clock``/``sleep``: the monotonic clock frames are stamped and judged by, and how the
    output's pacers wait (a seam like :class:`vbg.timing.Pacer`'s, for tests).

    On demand (module docstring): ``activity`` says idle / live / paused; ``set_local_viewer``
    counts vbg's own preview as someone watching; ``OutputConfig.keep_camera_on`` (or a
    recording) keeps it live.

    Lifecycle: ``start()`` → ``stop()`` may be repeated (each start opens source, model and
    outputs afresh); ``start()`` while running raises ``RuntimeError``, and so does starting
    again a pipeline whose extra sinks were closed by the previous stop.
    """

    def __init__(self, config: AppConfig, on_error: ErrorCallback | None = None,
                 on_stats: StatsCallback | None = None,
                 extra_sinks: list[Sink] | None = None, max_frames: int | None = None,
                 source_opener: Callable[[CaptureConfig], Source] | None = None, *,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.config = config
        self._open_source = source_opener or open_source
        self.on_error = on_error or (lambda e: log.error("%s", e))
        self.on_stats = on_stats
        self.max_frames = max_frames
        self.finished = threading.Event()
        # Set once the output thread has closed the sinks (recordings finished and renamed).
        self.outputs_closed = threading.Event()
        self._extra_sinks = list(extra_sinks or [])
        self._extra_closed = False
        self._clock, self._sleep = clock, sleep
        self._lock = threading.Lock()  # apply(): the config and the changes posted, in order
        self._window = Window()
        self._rates = {k: Rate() for k in ("capture", "process", "output")}
        self._user_paused = False
        self._local_viewer = False
        self._run: _Run | None = None  # the last run, kept after stop() for the stats

    # ----------------------------------------------------------------- lifecycle
    def start(self) -> None:
        """Open source, model, background and outputs, then start the threads.

        Raises the VbgError of whatever can't be opened, with nothing left running; raises
        ``RuntimeError`` when the pipeline is running (or its threads are still finishing).
        """
        if self.running:
            raise RuntimeError("This pipeline is already running; stop() it before starting "
                               "it again.")
        if self._extra_closed and self._extra_sinks:
            raise RuntimeError("This pipeline's extra sinks were closed when it stopped; make a "
                               "new Pipeline with new sinks to start again.")
        cfg = self.config
        self.finished.clear()
        self.outputs_closed.clear()
        # Watched for sure, whoever reads the virtual camera: the source opens right after the
        # background, so a missing camera fails before the model loads and the virtual camera
        # opens (the app retries a missing camera every few seconds).
        watched = (keeps_camera_on(cfg) or self._local_viewer) and not self._user_paused
        parts = build(cfg, EVERYTHING, partial(self._open_source, cfg.capture) if watched
                      else None)
        sinks = None
        try:
            # No thread runs yet, so closing on this thread after a failure is safe.
            sinks = SinkSet(cfg, self._extra_sinks, self.on_error)
            readers, _ = sinks.poll_readers()
            # Readers already there when vbg starts are no probes: they count at once.
            demand = decide(cfg, watched=readers > 0, signal=sinks.signal,
                            local_viewer=self._local_viewer, user_paused=self._user_paused)
            # Otherwise the source only when someone watches: a start with nobody watching
            # leaves the webcam (and its light) off; its errors then arrive through on_error.
            if demand.source and parts.source is None:
                parts = replace(parts, source=self._open_source(cfg.capture))
        except BaseException:
            if sinks is not None:
                sinks.close()
            parts.close()
            raise
        self._extra_closed = True  # from here on the output thread closes them at its end
        self._run = _start_run(self, cfg, demand, parts, sinks)

    def stop(self) -> None:
        """Stop all threads (one event, bounded joins). Each thread closes what it owns, once;
        a thread that misses its join budget finishes (and closes) in the background."""
        if self._run is not None:
            self._run.stop.set()
            for t in self._run.threads:
                t.join(JOIN_S)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until ``max_frames`` went out or a finite source ended; True if so."""
        return self.finished.wait(timeout)

    def __enter__(self) -> Pipeline:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._run is not None and any(t.is_alive() for t in self._run.threads)

    def _report(self, exc: Exception) -> None:
        self.on_error(exc)  # looked up at each call: the owner may replace on_error

    # ----------------------------------------------------------------- control
    def apply(self, config: AppConfig) -> None:
        """Switch to ``config`` while running, without restarting the whole pipeline.

        What can fail for a user reason (a background file, a model) is built here, on the
        caller's thread, and raised as VbgError with the old setting still active. Camera
        switches happen on the capture thread and output restarts on the output thread; their
        errors arrive through ``on_error``. An output change (virtual camera, fps, size) is carried
        out by the output thread; apply() waits for it up to ``OUTPUT_APPLY_S``, so that on return
        the new outputs are open or their failure has been reported. Not running: only the
        configuration changes, for the next ``start()``.
        """
        plan = plan_apply(self.config, config)
        parts = build(config, plan)
        reopened = threading.Event()
        with self._lock:
            run = self._run
            if run is None or run.stop.is_set():
                parts.close()  # nobody would pick them up
                self.config = config
                return
            # A stage that already ended discards its change (closing what it carries).
            if plan.reopen_capture or plan.mirror:
                run.capture.mailbox.post(CaptureChange(
                    capture=config.capture if plan.reopen_capture else None,
                    mirror=config.output.mirror if plan.mirror else None))
            run.process.mailbox.post(ProcessChange(config=config, engine=parts.engine,
                                                   compositor=parts.compositor))
            run.output.mailbox.post(OutputChange(
                config=config, reopen=config if plan.restart_output else None,
                backdrop=parts.backdrop, reopened=(reopened,) if plan.restart_output else ()))
            self.config = config
        if plan.restart_output:
            reopened.wait(OUTPUT_APPLY_S)

    def set_paused(self, paused: bool) -> None:
        """User privacy pause: the output shows the background only until unpaused."""
        self._user_paused = paused
        if self._run is not None:
            self._run.output.mailbox.post(OutputChange(user_paused=paused))

    @property
    def paused(self) -> bool:
        return self._user_paused

    def set_local_viewer(self, visible: bool) -> None:
        """vbg's own preview is visible (it counts as someone watching) or not."""
        self._local_viewer = visible
        if self._run is not None:
            self._run.output.mailbox.post(OutputChange(local_viewer=visible))

    @property
    def activity(self) -> Activity:
        """``idle`` (nobody watches), ``live``, ``paused`` (the user's pause) or ``stopped``."""
        run = self._run
        return Activity.STOPPED if run is None or run.stop.is_set() else run.output.activity

    @property
    def output_count(self) -> int:
        """Frames sent to the outputs in this run (repeats and stills included)."""
        return self._run.output.count if self._run is not None else 0

    @property
    def processed_count(self) -> int:
        """Composites made from camera frames in this run (model + compositor)."""
        return self._run.process.count if self._run is not None else 0

    def latest_output(self) -> np.ndarray | None:
        """The frame most recently sent to the outputs (what the virtual camera shows).
        Valid for a few frames only: copy it right away to keep it."""
        sent = self.latest_sent()
        return sent.image if sent is not None else None

    def latest_sent(self) -> Sent | None:
        """What the outputs got last (:class:`~vbg.pipeline.output_stage.Sent`: its send
        number, picture, alpha and which composite it was); same validity as above."""
        return self._run.output.sent if self._run is not None else None

    def latest_composite(self) -> Composite | None:
        """The newest composite with its alpha (for a mask view); same validity as above."""
        return self._run.composites.peek()[0] if self._run is not None else None

    def stats(self) -> Stats:
        """A snapshot of rates, stage medians, latency, mask age and state."""
        run = self._run
        comp = run.composites.peek()[0] if run is not None else None
        src = run.capture.source if run is not None else None
        model = run.process.engine.model if run is not None else None
        on = run is not None and not run.stop.is_set()
        return Stats(
            capture_fps=self._rates["capture"].value(),
            process_fps=self._rates["process"].value(),
            output_fps=self._rates["output"].value(),
            stage_ms=self._window.median(),
            latency_ms=self._window.median().get("latency", 0.0),
            mask_age_ms=(self._clock() - comp.t_capture) * 1e3 if comp else 0.0,
            dropped=run.frames.dropped if run is not None else 0,
            provider=model.provider if model else "",
            model=model.info.name if model else "",
            state=str(run.output.state if run is not None and on else OutputState.STOPPED),
            source=src.info.label if src else "",
            source_size=(src.info.width, src.info.height) if src else (0, 0),
            vcam_device=run.output.sinks.device if run is not None else None,
            activity=str(self.activity),
            readers=run.output.readers if run is not None and on else 0,
        )

    def stage_samples(self, name: str) -> list[float]:
        """Recent raw samples (ms) of one stage, for benchmarks."""
        return self._window.values(name)


@dataclass(frozen=True, slots=True)
class _Run:
    """One run (``start()`` to ``stop()``): its stop event (its own, so a thread that outlives
    its join budget never sees the next run's), its slots, stages and threads."""

    stop: threading.Event
    frames: LatestSlot[Captured]
    composites: LatestSlot[Composite | None]
    capture: CaptureStage
    process: ProcessStage
    output: OutputStage
    threads: tuple[threading.Thread, ...]


def _start_run(pipe: Pipeline, cfg: AppConfig, demand: Demand, parts: Parts,
               sinks: SinkSet) -> _Run:
    """Hand each part ``start()`` opened to its stage, wire the stages together and start their
    threads: from here on each thread closes what it owns."""
    assert parts.engine and parts.compositor  # EVERYTHING was built
    ctx = StageContext(threading.Event(), pipe._report, pipe._window, pipe._clock, pipe._sleep)
    frames: LatestSlot[Captured] = LatestSlot()
    composites: LatestSlot[Composite | None] = LatestSlot()
    capture = CaptureStage(ctx, cfg.capture, demand, parts.source, pipe._open_source, frames,
                           pipe._rates["capture"], mirrored=cfg.output.mirror)
    process = ProcessStage(ctx, cfg, parts.engine, parts.compositor, demand, frames,
                           composites, capture.ended, pipe._rates["process"])

    def tell(new: Demand) -> None:  # the output stage decides who watches, the others follow
        capture.mailbox.post(CaptureChange(demand=new))
        process.mailbox.post(ProcessChange(demand=new))

    output = OutputStage(
        ctx, cfg, sinks, parts.compositor.backdrop, demand=demand, user_paused=pipe.paused,
        local_viewer=pipe._local_viewer, composites=composites,
        # The newest camera frame, for the paused picture (blur/none draw it from the room).
        room=lambda: frames.peek()[0], tell=tell, rate=pipe._rates["output"],
        max_frames=pipe.max_frames, finished=pipe.finished, outputs_closed=pipe.outputs_closed)
    threads = tuple(threading.Thread(target=stage.run, name=f"vbg-{name}", daemon=True)
                    for name, stage in (("capture", capture), ("process", process),
                                        ("output", output)))
    for t in threads:
        t.start()
    return _Run(ctx.stop, frames, composites, capture, process, output, threads)
