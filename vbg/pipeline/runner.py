"""The real-time pipeline: capture -> mask + composite -> steady output. No Qt.

Three threads hand frames on through latest-wins slots (a slow stage skips stale frames, it
never queues them):

- capture: reads the source; on a camera failure it reports the error and retries every second,
  so an unplugged camera is picked up again when it comes back.
- process: mask engine + compositor on the newest frame; a model failure is reported and that
  frame is not composited.
- output: paced at the output rate (``vbg.timing.Pacer``, see below); re-sends the last
  composite when nothing new is ready, because conferencing apps stall on irregular streams.
  It owns the sinks (:class:`~vbg.pipeline.sinkset.SinkSet`) and the background-only
  compositor, and is the only thread that sends to, reopens or closes them.

On demand: each output tick also decides whether anyone watches
(:func:`~vbg.pipeline.demand.decide_demand`: apps reading the virtual camera, the local
preview, the "Keep the camera on" setting). While nobody does (``idle``) the capture thread
closes the source, the process thread runs no inference, and the output sends a cheap still
(:func:`~vbg.pipeline.pictures.still_picture`) at :data:`IDLE_FPS`. When a reader arrives, the
output sends that still until the first fresh composite: never a raw frame.

The output is paced by :class:`vbg.timing.Pacer` (a fixed grid), not by pyvirtualcam's
adaptive ``sleep_until_next_frame``: that one learns the send rate, and after an idle stretch at
a few fps it would stop sleeping and burst frames at the app.

What each tick sends is :func:`~vbg.pipeline.decision.decide_output` (privacy fails closed).
What ``apply`` rebuilds is :func:`~vbg.pipeline.plan.plan_apply`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from vbg.capture import Source, open_source
from vbg.compositor import Compositor
from vbg.config import AppConfig, CaptureConfig, MattingConfig
from vbg.errors import CameraError, ModelError, OutputError, SourceEnded, VbgError
from vbg.frames import Frame, LatestSlot
from vbg.framing.framer import Framer
from vbg.matting.engine import MaskEngine
from vbg.matting.foreground import FastForeground
from vbg.matting.registry import LoadedModel, load_model
from vbg.pipeline.decision import HOLD_S, OutputState, decide_output
from vbg.pipeline.demand import Activity, Demand, ReaderDebounce, decide_demand
from vbg.pipeline.pictures import paused_picture, still_picture
from vbg.pipeline.plan import plan_apply
from vbg.pipeline.sinkset import SinkSet
from vbg.sinks.base import Sink
from vbg.stats import Rate, Stats, Window
from vbg.timing import Pacer

log = logging.getLogger(__name__)

RETRY_S = 1.0         # camera re-open interval after a failure
JOIN_S = 0.5          # per-thread join budget on stop
OUTPUT_APPLY_S = 2.0  # how long apply() waits for the output thread to reopen the outputs
RING = 4              # composite buffers in rotation (the output thread reads while we write)
# The still sent while nobody watches. v4l2loopback keeps a device listed while a writer has
# it open whatever the rate; a few frames a second keep readers that already have it open (and
# time out on a silent camera) happy, at a cost measured in docs/benchmarks.md.
IDLE_FPS = 5.0

ErrorCallback = Callable[[Exception], None]
StatsCallback = Callable[[Stats], None]


@dataclass(frozen=True, slots=True)
class Composite:
    """A finished picture: ``image`` (BGR, owned by the pipeline's ring: copy to keep), its
    ``alpha`` (uint8, same ring rules), and the frame's sequence number and capture time."""

    image: np.ndarray
    alpha: np.ndarray | None
    seq: int
    t_capture: float


class Pipeline:
    """Owns the threads and the components; ``start``/``stop``/``apply``; reports through
    callbacks (called on worker threads: the UI must move them to its own thread).

    ``extra_sinks`` receive exactly what the virtual camera receives, e.g.
    ``Pipeline(cfg, extra_sinks=[PreviewSink(show)])``. The pipeline owns them from the first
    ``start()``: they are kept across output restarts (a rate or size change) and closed once,
    by the output thread, when the pipeline stops.
    ``max_frames``: stop after that many output frames (``finished`` is set).
    ``source_opener``: what opens the source from ``CaptureConfig`` (default
    ``vbg.capture.open_source``); ``vbg bench --camera-like`` hands in a paced MJPG replay.

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
                 source_opener: Callable[[CaptureConfig], Source] | None = None) -> None:
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
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._window = Window()
        self._rates = {k: Rate() for k in ("capture", "process", "output")}
        self._state = OutputState.STOPPED
        self._activity = Activity.STOPPED
        self._readers = 0
        self._user_paused = False
        self._local_viewer = False
        self._model: LoadedModel | None = None
        self._source: Source | None = None
        self._sinks: SinkSet | None = None
        self._reset_run_state()

    def _reset_run_state(self) -> None:
        """Everything one run (start → stop) uses and the next must not inherit."""
        self.finished.clear()
        self.outputs_closed.clear()
        self._source_ended = threading.Event()
        self._frames: LatestSlot[Frame] = LatestSlot()
        self._composites: LatestSlot[Composite] = LatestSlot()
        self._pending_engine: MaskEngine | None = None
        self._pending_matting: MattingConfig | None = None
        self._pending_compositor: Compositor | None = None
        self._pending_fallback: Compositor | None = None
        self._pending_output: AppConfig | None = None
        # Set by the output thread once a pending output restart has been carried out, so that
        # apply() returns with the new outputs open (or their error already reported).
        self._output_applied = threading.Event()
        self._reopen_capture = False
        self._last_sent: np.ndarray | None = None
        self.output_count = 0  # frames sent to the outputs (repeats and stills included)
        self.processed_count = 0  # composites made from camera frames (model + compositor)
        self._want_source = threading.Event()  # set: the capture thread keeps a source open
        self._want_inference = False

    # ----------------------------------------------------------------- lifecycle
    def start(self) -> None:
        """Open source, model, background and outputs, then start the threads.

        Raises the VbgError of whatever can't be opened, with nothing left running; raises
        ``RuntimeError`` when the pipeline is running (or its threads are still finishing).
        """
        if any(t.is_alive() for t in self._threads):
            raise RuntimeError("This pipeline is already running; stop() it before starting "
                               "it again.")
        if self._extra_closed and self._extra_sinks:
            raise RuntimeError("This pipeline's extra sinks were closed when it stopped; make a "
                               "new Pipeline with new sinks to start again.")
        cfg = self.config
        self._reset_run_state()
        # The background first: a bad background file must fail before the camera turns on.
        compositor = Compositor(cfg.background, cfg.output.mirror, FastForeground())
        fallback = Compositor(cfg.background, cfg.output.mirror)
        source = sinks = None
        # Watched for sure, whoever reads the virtual camera: open the source first, so a
        # missing camera fails before the model loads and the virtual camera opens (the app
        # retries a missing camera every few seconds).
        watched = (cfg.output.keep_camera_on or self._local_viewer
                   or bool(cfg.output.record or cfg.output.record_mask))
        try:
            if watched and not self._user_paused:
                source = self._open_source(cfg.capture)
            self._model = load_model(cfg.matting.model, cfg.matting.threads,
                                     cfg.matting.provider, cfg.matting.fit)
            engine = MaskEngine(self._model, cfg.matting)
            # No thread runs yet, so closing on this thread after a failure is safe.
            sinks = SinkSet(cfg, self._extra_sinks, self.on_error)
            readers, _ = sinks.poll_readers()
            demand = self._demand(ReaderDebounce(), 0.0, readers, initial=True, sinks=sinks)
            # Otherwise the source only when someone watches: a start with nobody watching
            # leaves the webcam (and its light) off; its errors then arrive through on_error.
            if demand.source and source is None:
                source = self._open_source(cfg.capture)
        except BaseException:
            if source is not None:
                source.close()
            if sinks is not None:
                sinks.close()
            compositor.close()
            fallback.close()
            raise
        self._source, self._sinks = source, sinks
        self._stop.clear()
        self._state = OutputState.PAUSED  # until the first composite goes out
        self._threads = [
            threading.Thread(target=self._capture_loop, args=(source,), name="vbg-capture",
                             daemon=True),
            threading.Thread(target=self._process_loop, args=(engine, compositor),
                             name="vbg-process", daemon=True),
            threading.Thread(target=self._output_loop, args=(sinks, fallback),
                             name="vbg-output", daemon=True),
        ]
        self._extra_closed = True  # from here on the output thread closes them at its end
        for t in self._threads:
            t.start()

    def stop(self) -> None:
        """Stop all threads (one event, bounded joins). Each thread closes what it owns, once;
        a thread that misses its join budget finishes (and closes) in the background."""
        self._stop.set()
        for t in self._threads:
            t.join(JOIN_S)
        self._threads = [t for t in self._threads if t.is_alive()]
        self._state = OutputState.STOPPED
        self._activity = Activity.STOPPED
        self._readers = 0

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
        return any(t.is_alive() for t in self._threads)

    # ----------------------------------------------------------------- control
    def apply(self, config: AppConfig) -> None:
        """Switch to ``config`` while running, without restarting the whole pipeline.

        What can fail for a user reason (a background file, a model) is checked here, on the
        caller's thread, and raised as VbgError with the old setting still active. Camera
        switches happen on the capture thread and output restarts on the output thread; their
        errors arrive through ``on_error``. An output change (virtual camera, fps, size) is carried
        out by the output thread; apply() waits for it up to ``OUTPUT_APPLY_S``, so that on return
        the new outputs are open or their failure has been reported.
        """
        plan = plan_apply(self.config, config)
        engine = None
        if plan.load_model:
            m = config.matting
            engine = MaskEngine(load_model(m.model, m.threads, m.provider, m.fit), m)
        compositor = fallback = None
        if plan.rebuild_compositor:
            compositor = Compositor(config.background, config.output.mirror, FastForeground())
            try:
                fallback = Compositor(config.background, config.output.mirror)
            except BaseException:
                compositor.close()
                raise
        with self._lock:
            if self._stop.is_set() or not self._threads:
                # Not running (or stopping): the new config is used by the next start().
                for c in (compositor, fallback):
                    if c is not None:
                        c.close()
                self.config = config
                return
            # Anything still pending from an earlier apply was never picked up: replace it.
            for old in (self._pending_compositor, self._pending_fallback):
                if old is not None and compositor is not None:
                    old.close()
            if compositor is not None:
                self._pending_compositor, self._pending_fallback = compositor, fallback
            if engine is not None:
                self._pending_engine, self._pending_matting = engine, None
            elif plan.configure_matting:
                self._pending_matting = config.matting
            if plan.reopen_capture:
                self._reopen_capture = True
            if plan.restart_output:
                self._output_applied.clear()
                self._pending_output = config
            self.config = config
        if plan.restart_output:
            self._output_applied.wait(OUTPUT_APPLY_S)

    def set_paused(self, paused: bool) -> None:
        """User privacy pause: the output shows the background only until unpaused."""
        self._user_paused = paused

    @property
    def paused(self) -> bool:
        return self._user_paused

    def set_local_viewer(self, visible: bool) -> None:
        """vbg's own preview is visible (it counts as someone watching) or not."""
        self._local_viewer = visible

    @property
    def activity(self) -> Activity:
        """``idle`` (nobody watches), ``live``, ``paused`` (the user's pause) or ``stopped``."""
        return self._activity

    def latest_output(self) -> np.ndarray | None:
        """The frame most recently sent to the outputs (what the virtual camera shows).
        Valid for a few frames only: copy it right away to keep it."""
        return self._last_sent

    def latest_composite(self) -> Composite | None:
        """The newest composite with its alpha (for a mask view); same validity as above."""
        return self._composites.peek()[0]

    def stats(self) -> Stats:
        """A snapshot of rates, stage medians, latency, mask age and state."""
        comp = self._composites.peek()[0]
        src = self._source
        sinks = self._sinks
        return Stats(
            capture_fps=self._rates["capture"].value(),
            process_fps=self._rates["process"].value(),
            output_fps=self._rates["output"].value(),
            stage_ms=self._window.median(),
            latency_ms=self._window.median().get("latency", 0.0),
            mask_age_ms=(time.monotonic() - comp.t_capture) * 1e3 if comp else 0.0,
            dropped=self._frames.dropped,
            provider=self._model.provider if self._model else "",
            model=self._model.info.name if self._model else "",
            state=str(self._state),
            source=src.info.label if src else "",
            source_size=(src.info.width, src.info.height) if src else (0, 0),
            vcam_device=sinks.device if sinks is not None else None,
            activity=str(self._activity),
            readers=self._readers,
        )

    def stage_samples(self, name: str) -> list[float]:
        """Recent raw samples (ms) of one stage, for benchmarks."""
        return self._window.values(name)

    # ----------------------------------------------------------------- threads
    def _capture_loop(self, source: Source | None) -> None:
        seq = 0
        reported: str | None = None  # an outage is reported once, not at every retry

        def report(exc: VbgError) -> None:
            nonlocal reported
            if str(exc) != reported:
                reported = str(exc)
                self.on_error(exc)

        try:
            while not self._stop.is_set():
                if not self._want_source.is_set():
                    # Nobody watches (or a pause that needs no camera): release the webcam.
                    if source is not None:
                        source.close()
                        source = self._source = None
                        self._frames.clear()
                        reported = None
                    self._want_source.wait(0.25)  # short: stop() is noticed within it
                    continue
                if self._reopen_capture or source is None:
                    with self._lock:
                        self._reopen_capture = False
                        cap_cfg = self.config.capture
                    if source is not None:
                        source.close()
                        source = self._source = None
                    try:
                        source = self._source = self._open_source(cap_cfg)
                    except VbgError as exc:
                        report(exc)
                        self._stop.wait(RETRY_S)
                        continue
                try:
                    image = source.read()
                except SourceEnded:
                    self._source_ended.set()
                    return
                except CameraError as exc:
                    # Unplugged or taken by another app: report, drop it, retry shortly.
                    report(exc)
                    source.close()
                    source = self._source = None
                    self._stop.wait(RETRY_S)
                    continue
                except VbgError as exc:
                    self.on_error(exc)
                    self._source_ended.set()
                    return
                seq += 1
                reported = None
                self._frames.put(Frame(image, seq, time.monotonic()))
                self._rates["capture"].tick()
                if not self._want_inference:
                    # Paused with the camera kept (blur): the paused picture is a heavy blur
                    # redrawn at IDLE_FPS, so reading faster would only burn CPU. The camera
                    # buffers meanwhile; a frame a few hundred ms old is fine under that blur.
                    self._stop.wait(1.0 / IDLE_FPS)
        finally:
            if source is not None:
                source.close()

    def _process_loop(self, engine: MaskEngine, compositor: Compositor) -> None:
        seen = 0
        ring: list[tuple[np.ndarray, np.ndarray]] = []
        ring_i = 0
        failing: str | None = None
        resting = False  # no inference (idle or paused) since the last frame processed
        framer = Framer()
        try:
            while not self._stop.is_set():
                engine, compositor = self._take_pending(engine, compositor)
                if not self._want_inference:
                    resting = True
                elif resting:
                    # Back from idle or a pause: the tracked region and the smoothing history
                    # are from another moment (the person moved); start them afresh.
                    engine.reset()
                    framer.reset()
                    resting = False
                frame, seen = self._frames.get(seen, timeout=0.1)
                if frame is None:
                    if self._source_ended.is_set():
                        self._composites.put(None)  # type: ignore[arg-type]
                        return
                    continue
                if not self._want_inference:  # paused (blur keeps the camera): no model run
                    continue
                t0 = time.perf_counter()
                image = self._conform(frame.image)
                framing = self.config.output.framing == "auto"
                try:
                    if self.config.background.kind == "none" and not framing:
                        alpha = None
                    else:
                        alpha = engine.process(image)
                except Exception as exc:  # any model failure: report once, composite nothing
                    msg = f"{type(exc).__name__}: {exc}"
                    if msg != failing:
                        failing = msg
                        self.on_error(exc if isinstance(exc, VbgError) else ModelError(
                            f"The segmentation model failed ({msg}); the output shows the "
                            "background only until it recovers."))
                    continue
                failing = None
                t1 = time.perf_counter()
                frame_half, alpha_half = engine.frame_half, engine.alpha_half
                if framing and alpha is not None:
                    # The crop follows the box of the whole camera frame's mask, taken before
                    # the crop: the framing never moves the box that moves it.
                    framed = framer(image, alpha, frame.t_capture, frame_half, alpha_half)
                    image, alpha = framed.image, framed.alpha
                    frame_half, alpha_half = framed.frame_half, framed.alpha_half
                elif not framing and framer.state.on_air:
                    framer.reset()  # switched off: next time it frames afresh
                t_framed = time.perf_counter()
                # The composite goes straight into the ring's next slot (the output thread
                # may still be sending the previous ones), so it is not copied again.
                if len(ring) < RING or ring[ring_i][0].shape != image.shape:
                    buf = (np.empty_like(image), np.empty(image.shape[:2], np.uint8))
                    if len(ring) < RING:
                        ring.append(buf)
                    else:
                        ring[ring_i] = buf
                img_buf, alpha_buf = ring[ring_i]
                ring_i = (ring_i + 1) % RING
                out = compositor.compose(
                    image, alpha, frame_half=frame_half,
                    alpha_half=alpha_half, out=img_buf) if alpha is not None else (
                    cv2.flip(image, 1, dst=img_buf) if self.config.output.mirror else image)
                t2 = time.perf_counter()
                if out is not img_buf:  # passthrough: the frame itself
                    np.copyto(img_buf, out)
                if alpha is not None:
                    np.copyto(alpha_buf, alpha)
                else:
                    alpha_buf.fill(255)
                self._composites.put(Composite(img_buf, alpha_buf, frame.seq, frame.t_capture))
                self.processed_count += 1
                self._rates["process"].tick()
                for k, v in engine.timings.items():
                    self._window.add(k, v)
                if framing:
                    self._window.add("framing", (t_framed - t1) * 1e3)
                self._window.add("composite", (t2 - t_framed) * 1e3)
                self._window.add("process", (t2 - t0) * 1e3)
        finally:
            compositor.close()
            with self._lock:  # an apply() that came too late: nobody else will close it
                if self._pending_compositor is not None:
                    self._pending_compositor.close()
                    self._pending_compositor = None

    def _take_pending(self, engine: MaskEngine,
                      compositor: Compositor) -> tuple[MaskEngine, Compositor]:
        with self._lock:
            if self._pending_compositor is not None:
                compositor.close()
                compositor, self._pending_compositor = self._pending_compositor, None
            if self._pending_engine is not None:
                engine, self._pending_engine = self._pending_engine, None
                self._model = engine.model
            if self._pending_matting is not None:
                engine.configure(self._pending_matting)
                self._pending_matting = None
        return engine, compositor

    def _still(self, cached: tuple[object, np.ndarray] | None, fallback: Compositor,
               hw: tuple[int, int], paused: bool) -> tuple[object, np.ndarray]:
        """The still picture at ``hw``, drawn once and reused while nothing changes (the
        fallback compositor is replaced on a background change)."""
        key = (id(fallback), hw, paused)
        if cached is not None and cached[0] == key:
            return cached
        return key, still_picture(fallback, hw[1], hw[0], paused)

    def _conform(self, image: np.ndarray) -> np.ndarray:
        w, h = self.config.capture.width, self.config.capture.height
        if image.shape[1] != w or image.shape[0] != h:
            return cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA)
        return image

    def _demand(self, debounce: ReaderDebounce, now: float, readers: int, initial: bool,
                sinks: SinkSet) -> Demand:
        """Decide who watches and tell the capture/process threads (see vbg.pipeline.demand)."""
        cfg = self.config
        demand = decide_demand(
            watched=debounce.update(now, readers, initial=initial),
            signal=sinks.signal,
            # A recording is a watcher too: it wants the composite, not the idle still.
            keep_on=bool(cfg.output.keep_camera_on or cfg.output.record
                         or cfg.output.record_mask),
            local_viewer=self._local_viewer,
            user_paused=self._user_paused,
            background_kind=cfg.background.kind,
        )
        self._readers = readers
        self._activity = demand.activity
        self._want_inference = demand.inference
        if demand.source:
            self._want_source.set()
        else:
            self._want_source.clear()
        return demand

    def _output_loop(self, sinks: SinkSet, fallback: Compositor) -> None:
        cfg = self.config
        live_pacer, idle_pacer = Pacer(sinks.fps), Pacer(IDLE_FPS)
        debounce = ReaderDebounce()
        seen = 0
        last: Composite | None = None
        paused_buf: np.ndarray | None = None
        still: tuple[object, np.ndarray] | None = None  # (key, picture) cache
        out_hw = (cfg.capture.height, cfg.capture.width)
        inferring = self._want_inference
        live_since = 0.0  # composites of frames captured before this are from an earlier stretch
        try:
            while not self._stop.is_set():
                with self._lock:
                    restart, self._pending_output = self._pending_output, None
                    new_fallback, self._pending_fallback = self._pending_fallback, None
                if new_fallback is not None:
                    fallback.close()
                    fallback, still = new_fallback, None
                if restart is not None:
                    # Reopen on this thread: the sinks are sent to and closed here only.
                    try:
                        sinks.reopen(restart)
                    except VbgError as exc:
                        self.on_error(exc)
                    live_pacer = Pacer(sinks.fps)
                    out_hw = (restart.capture.height, restart.capture.width)
                    self._output_applied.set()
                now = time.monotonic()
                readers, preexisting = sinks.poll_readers()
                demand = self._demand(debounce, now, readers, preexisting, sinks)
                if demand.inference and not inferring:
                    # What was composited before an idle stretch or a pause is not shown.
                    last, live_since = None, now
                inferring = demand.inference
                comp, seq = self._composites.get(seen, timeout=0)
                fresh = seq != seen
                seen = seq
                if fresh and comp is None:  # the source ended and everything went out
                    self.finished.set()
                    return
                if (fresh and inferring and comp is not None and comp.image.shape[:2] == out_hw
                        and comp.t_capture >= live_since):
                    last = comp  # (a composite of the old size, during a size switch, is skipped)
                if last is not None and last.image.shape[:2] != out_hw:
                    last = None
                frame = self._frames.peek()[0] if demand.source else None
                slow = False  # a still nobody needs at the full rate
                alpha = None
                if demand.activity is Activity.LIVE and last is None:
                    # Starting: the still until the first composite, never a raw frame.
                    state = OutputState.PAUSED
                    still = self._still(still, fallback, out_hw, paused=False)
                    image = still[1]
                else:
                    state = decide_output(
                        now - last.t_capture if last is not None else None,
                        stale_s=self.config.matting.stale_after_ms / 1e3,
                        user_paused=demand.activity is not Activity.LIVE,
                        passthrough=self.config.background.kind == "none",
                        hold_s=HOLD_S,
                    )
                    if state.sends_composite:
                        image, alpha = last.image, last.alpha  # type: ignore[union-attr]
                        if fresh:
                            self._window.add("latency", (now - last.t_capture) * 1e3)  # type: ignore[union-attr]
                    elif frame is not None:
                        paused_buf = paused_picture(fallback, self._conform(frame.image),
                                                    self.config.background.kind == "none",
                                                    paused_buf)
                        # The user's pause: a heavy blur needs no 30 fps (a late mask does:
                        # it is meant to be brief, and the next composite must go out at once).
                        image, slow = paused_buf, demand.activity is Activity.PAUSED
                    else:  # idle, or paused without a camera: the still, slowly
                        still = self._still(still, fallback, out_hw,
                                            paused=demand.activity is Activity.PAUSED)
                        image, slow = still[1], True
                self._state = state
                sinks.send(image, alpha)
                self._last_sent = image
                self._rates["output"].tick()
                self.output_count += 1
                if self.max_frames is not None and self.output_count >= self.max_frames:
                    self.finished.set()
                    return
                if slow:
                    live_pacer.reset()
                    idle_pacer.sleep_until_next_frame()
                else:
                    idle_pacer.reset()
                    live_pacer.sleep_until_next_frame()
        except VbgError as exc:
            self.on_error(exc)
        except Exception as exc:  # a sink failing mid-stream (device removed, disk full)
            self.on_error(OutputError(f"The output failed ({type(exc).__name__}: {exc})."))
        finally:
            self.finished.set()
            sinks.close()
            self.outputs_closed.set()
            fallback.close()
            with self._lock:  # an apply() that came too late: nobody else will close it
                if self._pending_fallback is not None:
                    self._pending_fallback.close()
                    self._pending_fallback = None
