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
The decoder and encoder threads and the buffer ring live in :mod:`vbg.video.flow`.
"""

from __future__ import annotations

import logging
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
from vbg.matting.foreground import FastForeground
from vbg.matting.registry import load_model
from vbg.sinks.file import check_destination
from vbg.sinks.media import MASK_EXTENSIONS, MediaWriter, finish_together, output_kind
from vbg.video.flow import QUEUE_DEPTH, Encoded, Flow, Ring

log = logging.getLogger(__name__)


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
    flow: Flow | None = None
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
            # The person's own colour in the soft edge, as the live camera blends it: without
            # it the room (a white wall) glows around the shoulders and hair.
            compositor = Compositor(job.background, foreground=FastForeground())
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
        flow = Flow(reader, main, mask)
        frames, t0 = 0, time.perf_counter()
        bgra: np.ndarray | None = None
        ring = Ring(QUEUE_DEPTH + 2)
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
                person_lut = None
                if alpha is not None and (lighting is not None or light_meter is not None):
                    lit = image
                    if lighting is not None and engine is not None:
                        # Between mask and picture; the decoded frame itself is never written
                        # (the preview shows it as the input). Blended over a background the
                        # compositor applies the curve; else the picture is relit here.
                        scene = _scene(lighting, compositor, job.background)
                        if kind == "h264":
                            image, person_lut = lighting.prepare(
                                image, alpha, t, blended=job.background.kind != "none",
                                frame_half=engine.frame_half, alpha_half=engine.alpha_half,
                                scene=scene)
                        else:  # transparent: the alpha in the file covers the room
                            image = lighting(image, alpha, t, frame_half=engine.frame_half,
                                             alpha_half=engine.alpha_half, scene=scene,
                                             mix="mask")
                    if light_meter is not None:
                        ref = reference.read() if reference is not None else None
                        shown = image if person_lut is None else cv2.LUT(image, person_lut)
                        light_meter.add(lit, shown, alpha, ref)
                if kind == "h264":
                    if alpha is None or compositor is None:
                        out = image
                    elif framer is not None:  # framed and blended in one step
                        done = framer.compose(compositor, image, alpha, t,
                                              fixed_background=job.background.kind in FIXED,
                                              person_lut=person_lut)
                        out, alpha, crop = done.image, done.alpha, done.crop
                    else:
                        out = compositor.compose(image, alpha, person_lut=person_lut)
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
                flow.output(Encoded(out, alpha_out, item.pts))
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


def _audio_mode(writer: MediaWriter, info: MediaInfo, kind: str) -> str:
    if info.audio is None:
        return "none"
    if kind == "png":
        return "dropped"
    return "copied" if writer.audio_copied else "re-encoded"


__all__ = ["PreparedJob", "VideoJob", "VideoResult", "VbgError", "partial_name", "prepare",
           "run_video"]
