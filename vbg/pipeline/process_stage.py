"""The process stage: the thread that turns the newest camera frame into a composite.

Per frame: conform the frame to the capture size, the mask (:class:`MaskEngine`; none for
background "none" unless auto-framing needs it), then the picture
(:meth:`ProcessStage._compose`: the :class:`Compositor`, or auto-framing's crop with the blend
inside it) written straight into the next of a ring of preallocated buffers the stage owns
(with auto-framing cropping, also a half-size copy of the whole camera frame's alpha, for the
mask view). A model failure is reported once (until it recovers) and that frame is not
composited: the output then falls back to the background alone (privacy fails closed). While
the demand wants no inference (idle, the user's pause) no model runs; back from it, and when
the frames' mirroring changes (they come mirrored already, from the capture stage), the
engine's tracking and smoothing and the framing start afresh.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import cv2
import numpy as np

from vbg.compositor import Compositor
from vbg.config import AppConfig
from vbg.errors import ModelError, VbgError
from vbg.frames import LatestSlot
from vbg.framing.framer import FIXED, Framer
from vbg.framing.operator import Crop
from vbg.light.live import Lighting
from vbg.matting.engine import MaskEngine
from vbg.pipeline.capture_stage import Captured
from vbg.pipeline.demand import Demand
from vbg.pipeline.stage import Mailbox, StageContext, overlay
from vbg.stats import Rate

RING = 4  # composite buffers in rotation (the output thread reads while we write)


@dataclass(frozen=True, slots=True)
class Composite:
    """A finished picture: ``image`` (BGR, owned by the pipeline's ring: copy to keep), its
    ``alpha`` (uint8, same ring rules), and the frame's sequence number and capture time.

    With auto-framing on, ``crop`` is the part of the camera frame the picture shows (full
    view included); ``None`` with framing off. ``camera_alpha``: while the crop is not the full
    view, the *whole camera frame's* alpha at half size (H//2 × W//2 uint8, the engine's exact
    2x shrink or an INTER_AREA halving; same ring rules), which ``alpha`` (the framed
    picture's) no longer shows: the mask view draws the crop on it. ``None`` otherwise
    (framing off or the full view: ``alpha`` is the camera frame's alpha then)."""

    image: np.ndarray
    alpha: np.ndarray | None
    seq: int
    t_capture: float
    crop: Crop | None = None
    camera_alpha: np.ndarray | None = None


@dataclass(frozen=True, slots=True)
class Masked:
    """One frame on its way to the compositor: ``image`` (BGR), its ``alpha`` (``None``:
    passthrough, background "none"), and the exact half-size copies of these very arrays when
    there are any (``None``: the compositor halves them itself)."""

    image: np.ndarray
    alpha: np.ndarray | None
    frame_half: np.ndarray | None = None
    alpha_half: np.ndarray | None = None


def conform(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """``image`` at ``width``×``height`` (itself when it already is): a camera may deliver
    another size than asked, and everything downstream is sized from the configuration."""
    if image.shape[1] != width or image.shape[0] != height:
        return cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)
    return image


@dataclass(frozen=True, slots=True)
class ProcessChange:
    """What the process thread is told (``None``: unchanged), all picked up between frames.

    ``config``: the settings it reads (capture size, background "none" = no mask, framing, the
    matting knobs: the engine is reconfigured when they differ from its own); ``engine``: a new
    engine (another model); ``compositor``: a new compositor (the background changed), the old
    one (and its backdrop) is closed by the thread; ``demand``: whether inference runs.
    """

    config: AppConfig | None = None
    engine: MaskEngine | None = None
    compositor: Compositor | None = None
    demand: Demand | None = None

    def merged(self, newer: ProcessChange) -> ProcessChange:
        return overlay(self, newer)

    def discard(self, kept: ProcessChange | None) -> None:
        """Close a compositor that will never be used."""
        if self.compositor is not None and (kept is None or kept.compositor is not self.compositor):
            self.compositor.close()


class _Slot:
    """One composite's buffers: ``image`` (H×W×3) and ``alpha`` (H×W), and the half-size
    camera alpha, made the first time framing crops (:meth:`half`)."""

    __slots__ = ("image", "alpha", "_half")

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.image = np.empty(shape, np.uint8)
        self.alpha = np.empty(shape[:2], np.uint8)
        self._half: np.ndarray | None = None

    def half(self) -> np.ndarray:
        """The H//2 × W//2 buffer for the camera frame's alpha (kept across frames)."""
        h, w = self.alpha.shape
        if self._half is None or self._half.shape != (h // 2, w // 2):
            self._half = np.empty((h // 2, w // 2), np.uint8)
        return self._half


class _Ring:
    """:data:`RING` buffer slots handed out in turn: the output thread (and the mask view) may
    still be reading the previous composites while the next one is written, so none is
    copied."""

    def __init__(self) -> None:
        self._slots: list[_Slot] = []
        self._i = 0

    def next(self, shape: tuple[int, ...]) -> _Slot:
        """The next slot for a frame of ``shape`` (reallocated after a size change)."""
        if len(self._slots) < RING or self._slots[self._i].image.shape != shape:
            slot = _Slot(shape)
            if len(self._slots) < RING:
                self._slots.append(slot)
            else:
                self._slots[self._i] = slot
        slot = self._slots[self._i]
        self._i = (self._i + 1) % RING
        return slot


class ProcessStage:
    """Reads ``frames``, puts a :class:`Composite` per processed frame into ``composites``, and
    ``None`` once ``source_ended`` is set and nothing newer came (the output then finishes).

    Owns the engine, the compositor (closed when the thread ends, and on a swap the old one:
    with it its backdrop, which the output stage borrows) and the buffer ring.
    ``engine`` and ``count`` (composites made) are read by the pipeline's stats without a lock.
    """

    def __init__(self, ctx: StageContext, config: AppConfig, engine: MaskEngine,
                 compositor: Compositor, demand: Demand, frames: LatestSlot[Captured],
                 composites: LatestSlot[Composite | None], source_ended: threading.Event,
                 rate: Rate) -> None:
        self.mailbox: Mailbox[ProcessChange] = Mailbox()
        self.engine = engine
        self.count = 0
        self._ctx = ctx
        self._config = config
        self._compositor = compositor
        self._inference = demand.inference
        self._frames = frames
        self._composites = composites
        self._source_ended = source_ended
        self._rate = rate
        self._ring = _Ring()
        self._framer = Framer()
        self._lighting: Lighting | None = None  # built when light is "auto", dropped when "off"
        self._mirrored = False  # whether the frames processed last came mirrored

    def _take(self) -> None:
        """Carry out the pending change, between two frames."""
        change = self.mailbox.take()
        if change is None:
            return
        if change.compositor is not None:
            self._compositor.close()
            self._compositor = change.compositor
        if change.engine is not None:
            self.engine = change.engine
        if change.config is not None:
            self._config = change.config
        if self.engine.cfg != self._config.matting:  # only matting knobs changed
            self.engine.configure(self._config.matting)
        if change.demand is not None:
            self._inference = change.demand.inference

    def run(self) -> None:
        """The thread's body."""
        ctx, seen = self._ctx, 0
        failing: str | None = None  # the model failure reported last
        resting = False  # no inference (idle or paused) since the last frame processed
        try:
            while not ctx.stop.is_set():
                frame, seen = self._frames.get(seen, timeout=0.1)
                self._take()
                if not self._inference:
                    resting = True
                elif resting:
                    # Back from idle or a pause: the tracked region and the smoothing history
                    # are from another moment (the person moved); start them afresh.
                    self.engine.reset()
                    self._framer.reset()
                    self._lighting = None
                    resting = False
                if frame is None:
                    if self._source_ended.is_set():
                        self._composites.put(None)
                        return
                    continue
                if not self._inference:  # paused (blur keeps the camera): no model run
                    continue
                if frame.mirrored != self._mirrored:
                    # Mirroring switched: the tracked box and the history are on the other side.
                    self._mirrored = frame.mirrored
                    self.engine.reset()
                    self._framer.reset()
                    self._lighting = None
                t0 = time.perf_counter()
                cap = self._config.capture
                image = conform(frame.image, cap.width, cap.height)
                framing = self._config.output.framing == "auto"
                try:
                    alpha = (None if self._config.background.kind == "none" and not framing
                             and self._config.output.light == "off"
                             else self.engine.process(image))
                except Exception as exc:  # any model failure: report once, composite nothing
                    msg = f"{type(exc).__name__}: {exc}"
                    if msg != failing:
                        failing = msg
                        ctx.on_error(exc if isinstance(exc, VbgError) else ModelError(
                            f"The segmentation model failed ({msg}); the output shows the "
                            "background only until it recovers."))
                    continue
                failing = None
                t1 = time.perf_counter()
                masked = Masked(image, alpha, self.engine.frame_half, self.engine.alpha_half)
                slot = self._ring.next(image.shape)
                img_buf, alpha_buf = slot.image, slot.alpha
                out, alpha, crop = self._compose(masked, img_buf, frame.t_capture, framing)
                camera_alpha = (None if crop is None or crop.is_full
                                else self._camera_alpha(masked, slot))
                t2 = time.perf_counter()
                if out is not img_buf:  # passthrough: the frame itself
                    np.copyto(img_buf, out)
                if alpha is not None:
                    np.copyto(alpha_buf, alpha)
                else:
                    alpha_buf.fill(255)
                self._composites.put(Composite(img_buf, alpha_buf, frame.seq, frame.t_capture,
                                               crop, camera_alpha))
                self.count += 1
                self._rate.tick()
                for k, v in self.engine.timings.items():
                    ctx.window.add(k, v)
                # Framing and blending are one step (the blend happens inside the crop).
                ctx.window.add("framing+composite" if framing else "composite",
                               (t2 - t1) * 1e3)
                ctx.window.add("process", (t2 - t0) * 1e3)
        finally:
            self.mailbox.close()  # a compositor handed over too late is closed too
            self._compositor.close()

    @staticmethod
    def _camera_alpha(masked: Masked, slot: _Slot) -> np.ndarray | None:
        """The whole camera frame's alpha at half size, in ``slot``'s buffer: a copy of the
        engine's exact halving when it made one, else an INTER_AREA halving of the alpha
        (both a few µs: docs/benchmarks.md, Auto-framing). Only while framing crops (the mask
        view shows it with the crop drawn on)."""
        if masked.alpha is None:
            return None
        buf = slot.half()
        if masked.alpha_half is not None and masked.alpha_half.shape == buf.shape:
            np.copyto(buf, masked.alpha_half)
        else:
            cv2.resize(masked.alpha, (buf.shape[1], buf.shape[0]), dst=buf,
                       interpolation=cv2.INTER_AREA)
        return buf

    def _compose(self, masked: Masked, out: np.ndarray, t: float, framing: bool
                 ) -> tuple[np.ndarray, np.ndarray | None, Crop | None]:
        """The picture, its alpha and, with framing on, the crop shown (else None): the person
        over the background, written into ``out`` when it can be (passthrough without an
        alpha: the frame itself, mirrored already by the capture stage, like everything
        here). ``t``: the capture time.

        This is the one place between the mask and the picture. Auto-framing crops the frame
        and its alpha together and blends inside the crop (:meth:`Framer.compose`); the crop
        follows the box of the whole camera frame's mask, taken before the crop, so the
        framing never moves the box that moves it."""
        cfg = self._config
        if masked.alpha is None:
            return masked.image, None, None
        masked, person_lut = self._relight(masked, t, blended=cfg.background.kind != "none")
        assert masked.alpha is not None  # the light keeps the alpha
        if cfg.background.kind == "none" and not framing:  # the mask was for the light only
            return masked.image, None, None
        if framing:
            done = self._framer.compose(
                self._compositor, masked.image, masked.alpha, t,
                frame_half=masked.frame_half, alpha_half=masked.alpha_half, out=out,
                fixed_background=cfg.background.kind in FIXED, person_lut=person_lut)
            return done.image, done.alpha, done.crop
        if self._framer.state.on_air:
            self._framer.reset()  # switched off: next time it frames afresh
        return self._compositor.compose(masked.image, masked.alpha,
                                        frame_half=masked.frame_half,
                                        alpha_half=masked.alpha_half, out=out,
                                        person_lut=person_lut), masked.alpha, None

    def _relight(self, masked: Masked, t: float, blended: bool
                 ) -> tuple[Masked, np.ndarray | None]:
        """Low-light correction of the person (vbg.light, issue 24), after the mask and before
        framing and compositing: ``(masked, person_lut)``. Over a background (``blended``) the
        curve's table goes to the compositor, which applies it to the person's box as it
        blends; shown as it is (background none) the frame is relit into the Lighting's own
        buffer. The captured frame (the output stage's room) is never written, and the
        half-size copy stays as it was (it draws the blurred room). Off: nothing built,
        nothing done, the frame as it came."""
        cfg = self._config
        if cfg.output.light != "auto" or masked.alpha is None:
            self._lighting = None  # switched off: next time the light adapts afresh
            return masked, None
        t0 = time.perf_counter()
        if self._lighting is None:
            self._lighting = Lighting(cfg.output.light_match)
        lighting = self._lighting
        lighting.configure(cfg.output.light_match)
        kind = cfg.background.kind
        scene = (lighting.scene(cfg.background.spec, self._compositor.backdrop.sample,
                                moving=kind == "video") if kind in ("image", "video") else None)
        image, person_lut = lighting.prepare(
            masked.image, masked.alpha, t, blended=blended, frame_half=masked.frame_half,
            alpha_half=masked.alpha_half, scene=scene)
        self._ctx.window.add("light", (time.perf_counter() - t0) * 1e3)
        return Masked(image, masked.alpha, masked.frame_half, masked.alpha_half), person_lut
