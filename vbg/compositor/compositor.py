"""The compositor: the person (the mask engine's alpha) over the configured background.

It puts together the package's parts: the background from a ``Backdrop`` (backdrop.py), the
mask-aware blur of the room (blur.py) and the blends, only inside the person's box (blend.py).
It does not mirror: the live pipeline mirrors the camera frame once, in its capture stage, and
``vbg video`` flips the finished picture, so the compositor blends the frame it is given.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import cv2
import numpy as np

from vbg.compositor.backdrop import Backdrop
from vbg.compositor.blend import BandedBlend, Buffers, LightWrap, blend, person_box
from vbg.compositor.blur import MaskAwareBlur, Pyramid
from vbg.config import BackgroundConfig

# Image/colour/video backgrounds: the person's box is found on a 1/4-size alpha.
_BOX_HALVINGS = 2
# The banded blend (blend.BandedBlend) for a person's box of at least this many pixels: it
# costs a fixed amount per band and saves more the larger the person, so below this it loses
# (measured on the three benchmark clips at 720p and 1080p: docs/benchmarks.md).
_BANDED_MIN_PIXELS = 400_000

# (frame, alpha, out, box) -> the frame with the room's colour taken out of the person's soft
# edge, written into out, at least inside box = (rows, cols) (see
# vbg.matting.foreground.FastForeground; injected by the pipeline, since the compositor does
# not import matting).
ForegroundFn = Callable[[np.ndarray, np.ndarray, np.ndarray, tuple[slice, slice]], np.ndarray]


class Compositor:
    """Puts the person (``alpha``) over the configured background.

    ``foreground`` (optional): an estimator of the person's own colour in the soft edge band;
    when given, the blend uses its output instead of the camera frame for colour, image and
    video backgrounds, so the room does not glow around the person (not for blur, where the
    room behind the edge is the room). It must leave pixels with alpha 0 or 255 unchanged, and
    is asked only for the person's box (``ForegroundFn``).

    ``compose()`` returns a buffer the compositor owns and overwrites on the next call (for
    kind ``none``: the input frame itself): use it or copy it before the next call. The
    background alone (what is shown when no trustworthy mask exists) is drawn by the
    compositor's ``backdrop``. ``configure()`` may be called from another thread while frames
    are being composed; the switch takes effect between two frames. Call ``close()`` once at
    the end (it releases a video background, the backdrop's); it is safe to call twice.

    No mirroring: the frame is blended as it is given. A caller that mirrors flips the camera
    frame before the mask and the blend (the pipeline's capture stage does), so an image or
    video background is never flipped and text and logos in it stay readable.
    """

    def __init__(self, cfg: BackgroundConfig, *,
                 foreground: ForegroundFn | None = None) -> None:
        self._lock = threading.Lock()
        self._foreground = foreground
        self._cfg = BackgroundConfig(kind="none")
        self._backdrop = Backdrop(self._cfg)
        self._bufs: Buffers | None = None
        self._mask_blur = MaskAwareBlur()
        self._wrap = LightWrap()
        self._box_pyr = Pyramid()
        self._banded = BandedBlend()
        self.configure(cfg)

    @property
    def config(self) -> BackgroundConfig:
        """The background configuration in effect."""
        return self._cfg

    @property
    def backdrop(self) -> Backdrop:
        """The ``Backdrop`` this compositor draws its background from (the same decoded image,
        the same open video). Another thread may draw background-only pictures from it
        instead of loading the file a second time (it draws the frame it is given). It
        follows ``configure()`` and is closed by ``close()``, so it belongs to the
        compositor's owner: a borrower never configures or closes it, and after ``close()``
        it draws an image or video background as the configured colour (never the room)."""
        return self._backdrop

    def configure(self, cfg: BackgroundConfig) -> None:
        """Switch the background.

        An image or video is loaded *before* anything is replaced: if it can't be read,
        ``BackgroundError`` (one sentence naming the file) is raised and the previous
        background stays active. The same image/video path as now is not reloaded.
        """
        loaded = self._backdrop.prepare(cfg)  # the slow part, outside the lock
        with self._lock:
            self._backdrop.install(loaded)
            self._cfg = cfg

    def close(self) -> None:
        """Release a video background. Idempotent; an image/video background composed after
        it shows the configured colour instead."""
        with self._lock:
            self._backdrop.close()

    # -- per frame -----------------------------------------------------------------------------

    def _buffers(self, frame: np.ndarray) -> Buffers:
        if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
            raise ValueError("frame must be a BGR uint8 H×W×3 image.")
        shape = (frame.shape[0], frame.shape[1])
        if self._bufs is None or self._bufs.shape != shape:
            self._bufs = Buffers(shape)
        return self._bufs

    def compose(
        self,
        frame: np.ndarray,
        alpha: np.ndarray,
        *,
        frame_half: np.ndarray | None = None,
        alpha_half: np.ndarray | None = None,
        out: np.ndarray | None = None,
        person_lut: np.ndarray | None = None,
        foreground_estimated: bool = False,
    ) -> np.ndarray:
        """Blend the person over the background; see the class doc for who owns the result.

        ``frame``: BGR uint8 H×W×3; ``alpha``: uint8 H×W, 255 = person. Where alpha is 255
        the frame's pixel is kept exactly, where it is 0 the background's.

        ``frame_half`` / ``alpha_half`` (optional): ``frame`` and ``alpha`` shrunk by exactly
        2 with INTER_AREA, H//2 × W//2, when the caller has them anyway (the mask engine does:
        ``MaskEngine.frame_half`` / ``alpha_half``). They save passes over the full-size picture;
        they must show the same picture as ``frame``/``alpha``.

        ``out`` (optional): a C-contiguous BGR uint8 buffer of the frame's size that the
        composite is written into (and returned) instead of the compositor's own, so a caller
        that keeps several composites (the pipeline's ring) needn't copy each one. Kind
        ``none`` still returns the frame, not ``out``.

        ``person_lut`` (optional): a lookup table in cv2.LUT's form ((256, 1) or (1, 256, 3)),
        the light step's curve (``vbg.light``), applied to the person's pixels as they are
        blended, after the foreground estimate: inside the banded blend's own passes for a
        large person, else over the person's box into a buffer of the compositor's (``frame``
        is never written). The room is not relit: the blur draws it
        from the frame as it came, and pixels with alpha 0 show the background. Ignored for
        kind ``none``, where nothing is blended.

        ``foreground_estimated``: ``frame`` already holds the ``foreground`` estimator's output
        inside :meth:`person_box` (the framer estimates at the camera's own resolution before
        it scales the picture up): the estimate is not made again. Outside that box ``frame``
        is never read for colour, image and video backgrounds.
        """
        with self._lock:
            bufs = self._buffers(frame)
            if alpha.shape != bufs.shape or alpha.dtype != np.uint8:
                raise ValueError(
                    f"alpha must be uint8 of shape {bufs.shape}, not {alpha.dtype} {alpha.shape}."
                )
            half_shape = (bufs.shape[0] // 2, bufs.shape[1] // 2)
            for name, half in (("frame_half", frame_half), ("alpha_half", alpha_half)):
                if half is not None and (half.shape[:2] != half_shape or half.dtype != np.uint8):
                    raise ValueError(f"{name} must be uint8 of size {half_shape}, not "
                                     f"{half.dtype} {half.shape[:2]}.")
            cfg = self._cfg
            if cfg.kind == "none":
                return frame
            size = (bufs.shape[1], bufs.shape[0])
            if out is None:
                out = bufs.out
            elif (out.shape != (*bufs.shape, 3) or out.dtype != np.uint8
                  or not out.flags.c_contiguous):
                raise ValueError(f"out must be a contiguous uint8 array of shape "
                                 f"{(*bufs.shape, 3)}, not {out.dtype} {out.shape}.")
            # The background goes straight into ``out``: outside the person's box it is the
            # result, and the blends below read it from there (per pixel, in place), so the
            # backdrop's cached picture is read once, under its own lock.
            if cfg.kind == "blur":
                self._mask_blur(frame, alpha, cfg.blur_level, out, frame_half, alpha_half)
                small, factor = self._mask_blur.alpha_small, self._mask_blur.factor
                box = person_box(small, factor, bufs.shape)
            else:
                self._backdrop.draw(size, out=out)
                box = self._person_box(alpha, alpha_half)
                if self._foreground is not None and not foreground_estimated:
                    # Not for blur: there the room behind the edge is the (blurred) room
                    # itself, so its colour in the edge does not glow, and the estimate's cost
                    # is better saved. Only the box: nothing outside it is blended.
                    frame = self._foreground(frame, alpha, bufs.get("foreground"), box)
            rows, cols = box
            # Banded only for even sizes: an odd last row or column has no half-size pixel.
            banded = (cfg.light_wrap == 0.0 and alpha_half is not None
                      and bufs.shape[0] % 2 == 0 and bufs.shape[1] % 2 == 0
                      and (rows.stop - rows.start) * (cols.stop - cols.start)
                      >= _BANDED_MIN_PIXELS)
            if banded and alpha_half is not None:
                # The light's curve, if any, is applied in the banded blend's own passes.
                return self._banded(frame, out, alpha, alpha_half, bufs, out, box, person_lut)
            if person_lut is not None:
                frame = self._relit(frame, person_lut, bufs, box)
            if cfg.light_wrap > 0.0:
                return self._compose_wrapped(frame, alpha, bufs, size, box, out)
            return blend(frame, out, alpha, bufs, out, box)

    def _person_box(self, alpha: np.ndarray,
                    alpha_half: np.ndarray | None) -> tuple[slice, slice]:
        small = self._box_pyr.build(alpha, _BOX_HALVINGS, alpha_half)[-1]
        return person_box(small, 2**_BOX_HALVINGS, (alpha.shape[0], alpha.shape[1]))

    def person_box(self, alpha: np.ndarray,
                   alpha_half: np.ndarray | None = None) -> tuple[slice, slice]:
        """The rows and columns that :meth:`compose` blends for a colour, image or video
        background, given the same ``alpha`` and ``alpha_half``: outside them alpha is 0 (see
        ``vbg.compositor.blend.person_box``) and the frame is not read."""
        with self._lock:
            return self._person_box(alpha, alpha_half)

    @property
    def foreground(self) -> ForegroundFn | None:
        """The foreground-colour estimator given at construction (None: the frame's own
        colours are blended)."""
        return self._foreground

    @staticmethod
    def _relit(frame: np.ndarray, lut: np.ndarray, bufs: Buffers,
               box: tuple[slice, slice]) -> np.ndarray:
        """``frame`` with ``lut`` applied inside ``box``: in place when ``frame`` is the
        foreground estimate (already the compositor's buffer), else into the ``lit`` buffer.
        Outside the box the result holds whatever was there: the blends read only the box."""
        rows, cols = box
        if rows.stop <= rows.start or cols.stop <= cols.start:
            return frame
        dst = frame if frame is bufs.peek("foreground") else bufs.get("lit")
        cv2.LUT(frame[rows, cols], lut, dst=dst[rows, cols])
        return dst

    def _compose_wrapped(
        self,
        frame: np.ndarray,
        alpha: np.ndarray,
        bufs: Buffers,
        size: tuple[int, int],
        box: tuple[slice, slice],
        out: np.ndarray,
    ) -> np.ndarray:
        """``out = a·[(1−w)·fg + w·soft_bg] + (1−a)·bg`` with w the light-wrap band weight and
        bg the background that ``out`` holds on entry.

        For blur and colour the soft background is the background itself, so this is one blend
        with ``a·(1−w)``; image/video use a blurred copy of the background (light from further
        away, no sharp texture inside the person's outline) and need a second blend. Both are
        done only inside ``box`` (alpha is 0 outside it).
        """
        keep = self._wrap(alpha, self._cfg.light_wrap, bufs.get("keep", 1))
        soft = None if self._cfg.kind == "blur" else self._backdrop.soft(size)
        if soft is None:
            alpha_wrap = bufs.get("alpha_wrap", 1)
            cv2.multiply(alpha, keep, dst=alpha_wrap, scale=1.0 / 255.0)
            return blend(frame, out, alpha_wrap, bufs, out, box)
        wrapped = blend(frame, soft, keep, bufs, bufs.get("wrapped"), box)
        return blend(wrapped, out, alpha, bufs, out, box)
