"""Changing the background of a recorded video: every frame once, in order, with its sound.

The same engine as the virtual camera (``MaskEngine.process`` with person tracking, temporal
smoothing and guided refinement, then ``Compositor.compose``), so the file looks like what the
camera would have shown; but nothing is paced or dropped: each decoded frame is processed and
written before the next one is read, as fast as the machine allows.

Use :func:`prepare` (checks everything a user can get wrong, opens the input, starts nothing
heavy) and then :func:`run_video`. Errors are :class:`~vbg.errors.VbgError` sentences. Outputs
are written under temporary names and renamed only when complete (see
:mod:`vbg.sinks.media`); a cancelled job either removes them or, with ``keep_partial``, keeps
what was written as playable files named ``NAME.partial.EXT``, never under the final name.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from vbg.capture.media import DecodedFrame, MediaInfo, MediaReader
from vbg.compositor import Compositor
from vbg.config import BackgroundConfig, MattingConfig
from vbg.errors import ModelError, OutputError, VbgError
from vbg.framing.framer import FIXED, Framer
from vbg.framing.operator import FULL
from vbg.framing.report import FramingMeter, FramingSummary
from vbg.imaging import VideoFrames
from vbg.light.live import Lighting
from vbg.light.measure import SceneStats
from vbg.light.report import LightMeter, LightSummary
from vbg.matting.engine import MaskEngine
from vbg.matting.registry import load_model
from vbg.sinks.file import check_destination
from vbg.sinks.media import MASK_EXTENSIONS, MediaWriter, finish_together, output_kind

log = logging.getLogger(__name__)

QUEUE_DEPTH = 4   # frames in flight between decoder, engine and encoder
JOIN_S = 2.0      # how long the decoder thread gets to notice a stop

ProgressCallback = Callable[[int, int], None]
"""Called after each frame with (frames done, expected total; 0 = unknown)."""
PreviewCallback = Callable[[np.ndarray, np.ndarray], None]
"""Called after each frame with (input BGR, result BGR or BGRA), both only valid during the
call (copy what you keep); on the job's thread."""


@dataclass(frozen=True)
class VideoJob:
    """What to do: ``source`` → ``out`` (its extension picks the format, see
    :func:`vbg.sinks.media.output_kind`), optionally the lossless ``mask`` (.mkv).
    ``force``: replace existing files (never a symbolic link). ``framing``: "off" or "auto" (a
    virtual camera operator crops the frame and its mask together: :mod:`vbg.framing`).
    ``framing_report``: measure the output's framing (:mod:`vbg.framing.report`).
    ``light``: "off" or "auto" (low-light correction of the person, :mod:`vbg.light`);
    ``light_match``: matching to an image or video background, 0..1; ``light_report``:
    measure what the light did (:mod:`vbg.light.report`), against ``light_reference`` (the
    well-lit original of a darkened clip, frame for frame) when given."""

    source: Path
    out: Path
    mask: Path | None = None
    matting: MattingConfig = field(default_factory=MattingConfig)
    background: BackgroundConfig = field(default_factory=BackgroundConfig)
    mirror: bool = False
    force: bool = False
    framing: str = "off"
    framing_report: bool = False
    light: str = "off"
    light_match: float = 0.0
    light_report: bool = False
    light_reference: Path | None = None


@dataclass(frozen=True)
class VideoResult:
    """What happened. ``out``/``mask``: where the files are now (the ``.partial`` names after
    a kept cancellation; None when nothing was kept). ``seconds``: wall time of the frame loop.
    ``audio``: how the sound was handled ("copied", "re-encoded", "none", "dropped").
    ``framing``: the framing report, when the job asked for one. ``ended_early``: the input
    ended well before the ``total`` it declares (truncated); ``frames`` are what it held."""

    frames: int
    total: int
    seconds: float
    out: Path | None
    mask: Path | None
    cancelled: bool
    audio: str
    framing: FramingSummary | None = None
    ended_early: bool = False
    light: LightSummary | None = None

    @property
    def fps(self) -> float:
        return self.frames / self.seconds if self.seconds > 0 else 0.0

    def ended_early_sentence(self, source: Path | str) -> str:
        """What to say about a truncated ``source`` (``ended_early``), the same in ``vbg video``
        and in the app's cut-out window."""
        return (f"{source} ended after {self.frames} of {self.total} frames (the file looks "
                f"truncated); wrote those {self.frames} to {self.out}"
                + (f" and the mask to {self.mask}" if self.mask else "") + ".")


@dataclass
class PreparedJob:
    """An opened input and checked outputs; pass to :func:`run_video` (which closes it)."""

    job: VideoJob
    reader: MediaReader
    kind: str

    @property
    def info(self) -> MediaInfo:
        return self.reader.info

    def close(self) -> None:
        self.reader.close()


def prepare(job: VideoJob) -> PreparedJob:
    """Check the outputs (format, folder, existing file, link) and open the input; VbgError
    with one sentence for anything wrong, before the model is loaded."""
    kind = output_kind(job.out)
    check_destination(job.out, job.force, folder_ok=kind == "png")
    if job.mask is not None:
        if job.mask.suffix.lower() not in MASK_EXTENSIONS:
            raise OutputError(f"Cannot write the mask to {job.mask}: it is written losslessly "
                              "as FFV1, so use a name ending in .mkv.")
        check_destination(job.mask, job.force)
        if job.mask.resolve() == job.out.resolve():
            raise OutputError("--mask and --out name the same file; give them different names.")
    if job.source.resolve() in {job.out.resolve(), *([job.mask.resolve()] if job.mask else [])}:
        raise OutputError(f"{job.source} is the input; write the result to another file.")
    return PreparedJob(job, MediaReader(job.source), kind)


def partial_name(path: Path) -> Path:
    """Where a kept, interrupted output goes: ``NAME.partial.EXT`` (numbered if taken)."""
    stem, ext = path.stem, path.suffix
    candidate = path.with_name(f"{stem}.partial{ext}")
    n = 2
    while candidate.exists() or candidate.is_symlink():
        candidate = path.with_name(f"{stem}.partial-{n}{ext}")
        n += 1
    return candidate


def run_video(prepared: PreparedJob, progress: ProgressCallback | None = None,
              cancel: threading.Event | None = None, keep_partial: bool = True,
              preview: PreviewCallback | None = None) -> VideoResult:
    """Process every frame of the prepared input; see the module docstring.

    ``cancel`` (set from another thread or a signal handler) stops after the current frame.
    Raises VbgError (input damaged, output failed); all outputs are then removed.
    """
    job, reader, kind = prepared.job, prepared.reader, prepared.kind
    info = reader.info
    cancel = cancel or threading.Event()
    writers: list[MediaWriter] = []
    compositor: Compositor | None = None
    flow: _Flow | None = None
    reference: VideoFrames | None = None
    try:
        framer = Framer() if job.framing == "auto" else None
        meter = FramingMeter() if job.framing_report else None
        # --light off builds nothing: the frames go on exactly as before light existed.
        lighting = Lighting(job.light_match) if job.light == "auto" else None
        light_meter = LightMeter() if job.light_report else None
        reference = (VideoFrames(job.light_reference, loop=False, decode_threads=1)
                     if job.light_reference is not None and light_meter is not None else None)
        want_alpha = (job.background.kind != "none" or kind != "h264" or job.mask is not None
                      or framer is not None or meter is not None or lighting is not None
                      or light_meter is not None)
        engine = None
        if want_alpha:
            mc = job.matting
            engine = MaskEngine(load_model(mc.model, mc.threads, mc.provider, mc.fit), mc)
        if kind == "h264":
            compositor = Compositor(job.background)
        main = MediaWriter(job.out, kind, info.width, info.height, info.rate, reader.time_base,
                           audio=reader.audio if kind != "png" else None, color=reader.color)
        writers.append(main)
        mask = None
        if job.mask is not None:
            mask = MediaWriter(job.mask, "mask", info.width, info.height, info.rate,
                               reader.time_base)
            writers.append(mask)
        audio = _audio_mode(main, info, kind)
        if audio == "dropped":
            log.warning("%s has sound, but a PNG folder holds pictures only.", job.source)
        flow = _Flow(reader, main, mask)
        frames, t0 = 0, time.perf_counter()
        bgra: np.ndarray | None = None
        ring = _Ring(QUEUE_DEPTH + 2)
        try:
            while not cancel.is_set():
                item = flow.next_input()
                if item is None:
                    break
                if not isinstance(item, DecodedFrame):
                    flow.output(item)  # a sound packet, in file order
                    continue
                image = source = item.image
                try:
                    alpha = engine.process(image) if engine is not None else None
                except VbgError:
                    raise
                except Exception as exc:  # onnxruntime and friends: one sentence, not a trace
                    raise ModelError(f"The segmentation model failed on frame {frames + 1} "
                                     f"({type(exc).__name__}: {exc}); try another --model."
                                     ) from exc
                camera_alpha, crop = alpha, FULL
                # The frame's time from its index: the operator's easing follows the video's
                # clock, not how fast this machine processes it.
                t = frames / float(info.rate or 30)
                if alpha is not None and (lighting is not None or light_meter is not None):
                    lit = image
                    if lighting is not None and engine is not None:
                        # Between mask and picture; the decoded frame itself is never written
                        # (the preview shows it as the input).
                        image = lighting(image, alpha, t, frame_half=engine.frame_half,
                                         alpha_half=engine.alpha_half,
                                         scene=_scene(lighting, compositor, job.background),
                                         mix="alpha" if kind == "h264"
                                         and job.background.kind == "none" else "mask")
                    if light_meter is not None:
                        ref = reference.read() if reference is not None else None
                        light_meter.add(lit, image, alpha, ref)
                if kind == "h264":
                    if alpha is None or compositor is None:
                        out = image
                    elif framer is not None:  # framed and blended in one step
                        done = framer.compose(compositor, image, alpha, t,
                                              fixed_background=job.background.kind in FIXED)
                        out, alpha, crop = done.image, done.alpha, done.crop
                    else:
                        out = compositor.compose(image, alpha)
                else:  # transparent: the person as filmed, the background see-through
                    if framer is not None and alpha is not None:
                        framed = framer(image, alpha, t)
                        image, alpha, crop = framed.image, framed.alpha, framed.crop
                    if bgra is None or bgra.shape[:2] != image.shape[:2]:
                        bgra = np.empty((*image.shape[:2], 4), np.uint8)
                    cv2.cvtColor(image, cv2.COLOR_BGR2BGRA, dst=bgra)
                    bgra[..., 3] = alpha
                    out = bgra
                if meter is not None and camera_alpha is not None and alpha is not None:
                    meter.add(camera_alpha, crop, alpha)
                # Copies into a ring: the engine, framer and compositor reuse their buffers on
                # the next frame while the writer thread may still be encoding this one.
                # --mirror flips the finished picture and the mask as they are copied (the one
                # flip: the compositor does not mirror): the file is the unmirrored result flipped.
                if out is not source or job.mirror:
                    out = ring.copy("out", out, mirror=job.mirror)
                alpha_out = None
                if mask is not None and alpha is not None:
                    alpha_out = ring.copy("mask", alpha, mirror=job.mirror)
                flow.output(_Encoded(out, alpha_out, item.pts))
                ring.advance()
                if preview is not None:
                    preview(source, out)
                frames += 1
                if progress is not None:
                    progress(frames, info.frames)
        finally:
            flow.close()
        seconds = time.perf_counter() - t0
        frames = main.frames_written
        cancelled = cancel.is_set()
        if cancelled and not (keep_partial and frames):
            for w in writers:
                w.abort()
            return VideoResult(frames, info.frames, seconds, None, None, True, audio)
        # All or nothing: every output complete before any gets its name. A file that appeared
        # at a name meanwhile is replaced only with --force; else OutputError says where it went.
        paths = finish_together(writers, [partial_name(w.path) if cancelled else None
                                          for w in writers], replace=job.force and not cancelled)
        out_path, mask_path = paths[0], (paths[1] if mask is not None else None)
        return VideoResult(frames, info.frames, seconds, out_path, mask_path, cancelled, audio,
                           meter.summary() if meter is not None else None,
                           ended_early=reader.ended_early and not cancelled,
                           light=light_meter.summary() if light_meter is not None else None)
    except BaseException:
        if flow is not None:
            flow.kill()  # the writer thread must be done with the files before they go
        for w in writers:
            w.abort()
        raise
    finally:
        if compositor is not None:
            compositor.close()
        if reference is not None:
            reference.close()
        prepared.close()


def _scene(lighting: Lighting, compositor: Compositor | None,
           background: BackgroundConfig) -> SceneStats | None:
    """The background picture's light for matching (image and video backgrounds only)."""
    if compositor is None or background.kind not in ("image", "video"):
        return None
    return lighting.scene(background.spec, compositor.backdrop.sample,
                          moving=background.kind == "video")


@dataclass(frozen=True, slots=True)
class _Encoded:
    """A finished frame on its way to the writer thread."""

    image: np.ndarray
    alpha: np.ndarray | None
    pts: int | None


_END = object()


class _Ring:
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


class _Flow:
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
                if isinstance(item, _Encoded):
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


def _audio_mode(writer: MediaWriter, info: MediaInfo, kind: str) -> str:
    if info.audio is None:
        return "none"
    if kind == "png":
        return "dropped"
    return "copied" if writer.audio_copied else "re-encoded"


__all__ = ["PreparedJob", "VideoJob", "VideoResult", "VbgError", "partial_name", "prepare",
           "run_video"]
