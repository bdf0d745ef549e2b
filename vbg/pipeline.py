"""The real-time pipeline: capture -> mask + composite -> steady output. No Qt.

Three threads hand frames on through latest-wins slots (a slow stage skips stale frames, it
never queues them):

- capture: reads the source; on a camera failure it reports the error and retries every second,
  so an unplugged camera is picked up again when it comes back.
- process: mask engine + compositor on the newest frame; a model failure is reported and that
  frame is not composited.
- output: paced at the output rate (pyvirtualcam's ``sleep_until_next_frame``); re-sends the last
  composite when nothing new is ready, because conferencing apps stall on irregular streams.

Privacy fails closed: the output thread sends a composite only while it is fresh (younger than
``stale_after_ms``); a late one is held (re-sent) for ``HOLD_S``, after which the output shows the
background alone, marked "paused", until fresh composites return. A raw camera frame goes out
only when the user chose background "none".
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
from vbg.config import AppConfig
from vbg.errors import CameraError, ModelError, OutputError, SourceEnded, VbgError
from vbg.frames import Frame, LatestSlot
from vbg.matting.engine import MaskEngine
from vbg.matting.registry import LoadedModel, load_model
from vbg.sinks.base import Pacer, Sink
from vbg.sinks.file import VideoFileSink
from vbg.sinks.virtualcam import VirtualCameraSink
from vbg.stats import Rate, Stats, Window

log = logging.getLogger(__name__)

HOLD_S = 1.0          # how long a late composite is repeated before showing the background only
RETRY_S = 1.0         # camera re-open interval after a failure
JOIN_S = 0.5          # per-thread join budget on stop
RING = 4              # composite buffers in rotation (the output thread reads while we write)

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

    ``extra_sinks`` receive exactly what the virtual camera receives (e.g. a preview).
    ``max_frames``: stop after that many output frames (``finished`` is set).
    """

    def __init__(self, config: AppConfig, on_error: ErrorCallback | None = None,
                 on_stats: StatsCallback | None = None,
                 extra_sinks: list[Sink] | None = None, max_frames: int | None = None) -> None:
        self.config = config
        self.on_error = on_error or (lambda e: log.error("%s", e))
        self.on_stats = on_stats
        self.max_frames = max_frames
        self.finished = threading.Event()
        self._extra_sinks = list(extra_sinks or [])
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._frames: LatestSlot[Frame] = LatestSlot()
        self._composites: LatestSlot[Composite] = LatestSlot()
        self._lock = threading.Lock()
        self._pending_source: Source | None = None
        self._reopen_capture = False
        self._pending_engine: MaskEngine | None = None
        self._pending_matting = None
        self._pending_compositor: Compositor | None = None
        self._user_paused = False
        self._source_ended = threading.Event()
        self._window = Window()
        self._rates = {k: Rate() for k in ("capture", "process", "output")}
        self._state = "stopped"
        self._last_sent: np.ndarray | None = None
        self._model: LoadedModel | None = None
        self._source: Source | None = None
        self._sinks: list[Sink] = []
        self._vcam: VirtualCameraSink | None = None
        self._mask_sink: VideoFileSink | None = None
        self.output_count = 0

    # ----------------------------------------------------------------- lifecycle
    def start(self) -> None:
        """Open source, model, background and outputs, then start the threads.

        Raises the VbgError of whatever can't be opened, with nothing left running.
        """
        cfg = self.config
        # The background first: a bad background file must fail before the camera turns on.
        self._compositor = Compositor(cfg.background, cfg.output.mirror)
        self._fallback = Compositor(cfg.background, cfg.output.mirror)
        source = None
        try:
            source = open_source(cfg.capture)
            self._model = load_model(cfg.matting.model, cfg.matting.threads,
                                     cfg.matting.provider, cfg.matting.fit)
            self._engine = MaskEngine(self._model, cfg.matting)
            self._sinks = self._open_sinks(cfg)
        except BaseException:
            if source is not None:
                source.close()
            self._compositor.close()
            self._fallback.close()
            self._close_sinks()
            raise
        self._source = source
        self._stop.clear()
        self._state = "running"
        self._threads = [
            threading.Thread(target=self._capture_loop, name="vbg-capture", daemon=True),
            threading.Thread(target=self._process_loop, name="vbg-process", daemon=True),
            self._output_thread(),
        ]
        for t in self._threads:
            t.start()

    def stop(self) -> None:
        """Stop all threads (one event, bounded joins) and close everything exactly once."""
        self._stop.set()
        for t in self._threads:
            t.join(JOIN_S)
        self._threads = []
        self._state = "stopped"

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
        switches happen on the capture thread; their errors arrive through ``on_error``.
        """
        old = self.config
        engine = None
        if (config.matting.model, config.matting.threads, config.matting.provider,
                config.matting.fit) != (old.matting.model, old.matting.threads,
                                        old.matting.provider, old.matting.fit):
            model = load_model(config.matting.model, config.matting.threads,
                               config.matting.provider, config.matting.fit)
            engine = MaskEngine(model, config.matting)
        compositor = fallback = None
        if config.background != old.background or config.output.mirror != old.output.mirror:
            compositor = Compositor(config.background, config.output.mirror)
            fallback = Compositor(config.background, config.output.mirror)
        if not self._threads:  # not running: the new config is used by the next start()
            for c in (compositor, fallback):
                if c is not None:
                    c.close()
            self.config = config
            return
        with self._lock:
            if compositor is not None:
                self._pending_compositor = compositor
                old_fallback, self._fallback = self._fallback, fallback
                old_fallback.close()
            if engine is not None:
                self._pending_engine = engine
            elif config.matting != old.matting:
                self._pending_matting = config.matting
            if config.capture != old.capture:
                self._reopen_capture = True
            self.config = config
        if (config.output.fps, config.output.vcam, config.output.vcam_device,
                config.output.vcam_backend) != (old.output.fps, old.output.vcam,
                                                old.output.vcam_device, old.output.vcam_backend) \
                or (config.capture.width, config.capture.height) != (old.capture.width,
                                                                     old.capture.height):
            self._restart_output(config)

    def set_paused(self, paused: bool) -> None:
        """User privacy pause: the output shows the background only until unpaused."""
        self._user_paused = paused

    @property
    def paused(self) -> bool:
        return self._user_paused

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
            state=self._state,
            source=src.info.label if src else "",
            source_size=(src.info.width, src.info.height) if src else (0, 0),
            vcam_device=self._vcam.device if self._vcam else None,
        )

    def stage_samples(self, name: str) -> list[float]:
        """Recent raw samples (ms) of one stage, for benchmarks."""
        return self._window.values(name)

    # ----------------------------------------------------------------- helpers
    def _open_sinks(self, cfg: AppConfig) -> list[Sink]:
        w, h, fps = cfg.capture.width, cfg.capture.height, cfg.output.fps
        sinks: list[Sink] = []
        self._vcam = self._mask_sink = None
        try:
            if cfg.output.vcam:
                self._vcam = VirtualCameraSink(w, h, fps, device=cfg.output.vcam_device,
                                               backend=cfg.output.vcam_backend)
                sinks.append(self._vcam)
            if cfg.output.record:
                sinks.append(VideoFileSink(cfg.output.record, w, h, fps))
            if cfg.output.record_mask:
                self._mask_sink = VideoFileSink(cfg.output.record_mask, w, h, fps,
                                                grayscale=True)
        except BaseException:
            for s in sinks:
                s.close()
            raise
        return sinks + self._extra_sinks

    def _close_sinks(self) -> None:
        for s in [*self._sinks, *([self._mask_sink] if self._mask_sink else [])]:
            try:
                s.close()
            except Exception as exc:  # a failing close must not hide the others
                self.on_error(exc)
        self._sinks, self._mask_sink, self._vcam = [], None, None

    def _restart_output(self, config: AppConfig) -> None:
        """Re-open the outputs with new rate/size/device: stop the output thread, reopen."""
        out_threads = [t for t in self._threads if t.name == "vbg-output"]
        self._output_stop.set()
        for t in out_threads:
            t.join(JOIN_S)
        self._close_sinks()
        try:
            self._sinks = self._open_sinks(config)
        except VbgError as exc:
            self.on_error(exc)
            self._sinks = list(self._extra_sinks)
        t = self._output_thread()
        self._threads = [x for x in self._threads if x not in out_threads] + [t]
        t.start()

    # ----------------------------------------------------------------- threads
    def _output_thread(self) -> threading.Thread:
        self._output_stop = threading.Event()
        return threading.Thread(target=self._output_loop, args=(self._output_stop,),
                                name="vbg-output", daemon=True)

    def _capture_loop(self) -> None:
        source = self._source
        seq = 0
        reported: str | None = None  # an outage is reported once, not at every retry

        def report(exc: VbgError) -> None:
            nonlocal reported
            if str(exc) != reported:
                reported = str(exc)
                self.on_error(exc)

        try:
            while not self._stop.is_set():
                if self._reopen_capture or source is None:
                    with self._lock:
                        self._reopen_capture = False
                        cap_cfg = self.config.capture
                    if source is not None:
                        source.close()
                        source = self._source = None
                    try:
                        source = self._source = open_source(cap_cfg)
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
        finally:
            if source is not None:
                source.close()

    def _process_loop(self) -> None:
        seen = 0
        ring: list[tuple[np.ndarray, np.ndarray]] = []
        ring_i = 0
        failing: str | None = None
        try:
            while not self._stop.is_set():
                self._take_pending()
                frame, seen = self._frames.get(seen, timeout=0.1)
                if frame is None:
                    if self._source_ended.is_set():
                        self._composites.put(None)  # type: ignore[arg-type]
                        return
                    continue
                t0 = time.perf_counter()
                image = self._conform(frame.image)
                try:
                    if self.config.background.kind == "none":
                        alpha = None
                    else:
                        alpha = self._engine.process(image)
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
                out = self._compositor.compose(image, alpha) if alpha is not None else (
                    cv2.flip(image, 1) if self.config.output.mirror else image)
                t2 = time.perf_counter()
                if len(ring) < RING or ring[ring_i][0].shape != out.shape:
                    buf = (np.empty_like(out), np.empty(out.shape[:2], np.uint8))
                    if len(ring) < RING:
                        ring.append(buf)
                    else:
                        ring[ring_i] = buf
                img_buf, alpha_buf = ring[ring_i]
                ring_i = (ring_i + 1) % RING
                np.copyto(img_buf, out)
                if alpha is not None:
                    np.copyto(alpha_buf, alpha)
                else:
                    alpha_buf.fill(255)
                self._composites.put(Composite(img_buf, alpha_buf, frame.seq, frame.t_capture))
                self._rates["process"].tick()
                for k, v in self._engine.timings.items():
                    self._window.add(k, v)
                self._window.add("composite", (t2 - t1) * 1e3)
                self._window.add("process", (t2 - t0) * 1e3)
        finally:
            self._compositor.close()

    def _take_pending(self) -> None:
        with self._lock:
            if self._pending_compositor is not None:
                self._compositor.close()
                self._compositor, self._pending_compositor = self._pending_compositor, None
            if self._pending_engine is not None:
                self._engine, self._pending_engine = self._pending_engine, None
                self._model = self._engine.model
            if self._pending_matting is not None:
                self._engine.configure(self._pending_matting)
                self._pending_matting = None

    def _conform(self, image: np.ndarray) -> np.ndarray:
        w, h = self.config.capture.width, self.config.capture.height
        if image.shape[1] != w or image.shape[0] != h:
            return cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA)
        return image

    def _output_loop(self, stop: threading.Event) -> None:
        cfg = self.config
        pacer = self._vcam if self._vcam is not None else Pacer(cfg.output.fps)
        seen = 0
        last: Composite | None = None
        paused_buf: np.ndarray | None = None
        out_hw = (cfg.capture.height, cfg.capture.width)
        try:
            while not (self._stop.is_set() or stop.is_set()):
                comp, seq = self._composites.get(seen, timeout=0)
                fresh = seq != seen
                seen = seq
                if fresh and comp is None:  # the source ended and everything went out
                    self.finished.set()
                    return
                if fresh and comp.image.shape[:2] == out_hw:
                    last = comp  # (a composite of the old size, during a size switch, is skipped)
                now = time.monotonic()
                age = now - last.t_capture if last is not None else float("inf")
                stale_s = self.config.matting.stale_after_ms / 1e3
                passthrough = self.config.background.kind == "none"
                if self._user_paused:
                    state = "paused"
                elif last is not None and (age <= stale_s or passthrough):
                    state = "running"
                elif last is not None and age <= stale_s + HOLD_S:
                    state = "holding"
                else:
                    state = "paused"
                self._state = state
                if state == "paused":
                    paused_buf = self._paused_picture(paused_buf)
                    if paused_buf is None:  # nothing captured yet: wait for a frame
                        pacer.sleep_until_next_frame()
                        continue
                    image, alpha = paused_buf, None
                else:
                    image, alpha = last.image, last.alpha  # type: ignore[union-attr]
                    if fresh:
                        self._window.add("latency", (now - last.t_capture) * 1e3)  # type: ignore[union-attr]
                for sink in self._sinks:
                    sink.send(image)
                if self._mask_sink is not None:
                    self._mask_sink.send(alpha if alpha is not None else self._zero_mask(image))
                self._last_sent = image
                self._rates["output"].tick()
                self.output_count += 1
                if self.max_frames is not None and self.output_count >= self.max_frames:
                    self.finished.set()
                    return
                pacer.sleep_until_next_frame()
        except VbgError as exc:
            self.on_error(exc)
        except Exception as exc:  # a sink failing mid-stream (device removed, disk full)
            self.on_error(OutputError(f"The output failed ({type(exc).__name__}: {exc})."))
        finally:
            if not stop.is_set():  # not a restart by apply(): the output is over
                self.finished.set()
                self._close_sinks()

    def _zero_mask(self, image: np.ndarray) -> np.ndarray:
        z = getattr(self, "_zeros", None)
        if z is None or z.shape != image.shape[:2]:
            z = self._zeros = np.zeros(image.shape[:2], np.uint8)
        return z

    def _paused_picture(self, buf: np.ndarray | None) -> np.ndarray | None:
        """The background alone with a visible "paused" badge; never the raw room."""
        frame, _ = self._frames.peek()
        if frame is None:
            return None
        bg = self._fallback.background_only(self._conform(frame.image))
        if self.config.background.kind == "none":
            # The user chose passthrough, but a pause still must not show the room.
            bg = cv2.blur(cv2.resize(bg, (32, 18)), (5, 5))
            bg = cv2.resize(bg, (frame.image.shape[1], frame.image.shape[0]))
        if buf is None or buf.shape != bg.shape:
            buf = np.empty_like(bg)
        np.copyto(buf, bg)
        h = buf.shape[0]
        scale = max(0.5, h / 720)
        cv2.putText(buf, "paused", (int(24 * scale), int(48 * scale)), cv2.FONT_HERSHEY_SIMPLEX,
                    1.2 * scale, (255, 255, 255), max(1, int(2 * scale)), cv2.LINE_AA)
        return buf


def summarise(config: AppConfig) -> str:
    """One line describing a configuration, for logs and the CLI."""
    c, m, b = config.capture, config.matting, config.background
    return (f"source {c.source} {c.width}x{c.height}@{c.fps:g}, model {m.model} "
            f"({m.threads} thread(s), {m.provider}), background {b.kind}")

