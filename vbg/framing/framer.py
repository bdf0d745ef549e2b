"""Applying the operator: the camera frame and its alpha cropped together, before compositing.

:class:`Framer` reads the person's box from the *full* frame's alpha (so the crop never
changes the box that moves it), asks :func:`~vbg.framing.operator.step` where the crop goes,
and scales the crop of the frame and the alpha up to the frame's size, in its own buffers.
The half-size copies the engine made show the uncropped frame, so a cropped frame goes on
without them and the compositor makes its own (exact halvings: its banded blend relies on
that; warping the halves would cost as much and only approximate them).

Where the blend happens depends on the background (:meth:`Framer.compose`): a colour or
blurred one is blended at the crop's own resolution and the composite scaled up once (a
blurred background is the cropped room, so it pans with the camera); an image or video one
must stay sharp and put, so the person's colour is estimated at the crop's resolution, only
the person's box is scaled up, and it is blended over the background at full size.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import cv2
import numpy as np

from vbg.framing.measure import BoxReader
from vbg.framing.operator import Crop, FramingParams, FramingState, step

# Backgrounds that stay put and sharp while the crop moves: blended at full size after the crop.
FIXED = ("image", "video")
ROI_STEP = 32  # the blended region's size is a multiple of this: few re-allocations in a zoom
ROI_MARGIN = 2  # pixels around the crop inside the blended region (bilinear reads a neighbour)

# The compositor's foreground estimator, (frame, alpha, out, box) -> out: vbg.compositor's
# ForegroundFn, spelled out here because framing and compositing are sibling components.
Estimator = Callable[[np.ndarray, np.ndarray, np.ndarray, tuple[slice, slice]], np.ndarray]


class Composes(Protocol):
    """What :meth:`Framer.compose` needs of a compositor (:class:`vbg.compositor.Compositor`)."""

    @property
    def foreground(self) -> Estimator | None: ...

    def person_box(self, alpha: np.ndarray,
                   alpha_half: np.ndarray | None = None) -> tuple[slice, slice]: ...

    def compose(self, frame: np.ndarray, alpha: np.ndarray, *,
                frame_half: np.ndarray | None = None, alpha_half: np.ndarray | None = None,
                out: np.ndarray | None = None,
                person_lut: np.ndarray | None = None,
                foreground_estimated: bool = False) -> np.ndarray: ...


@dataclass(frozen=True, slots=True)
class FramedComposite:
    """A framed composite at the camera frame's size: ``image`` (``out`` when one was given,
    else the framer's or compositor's buffer: valid until the next call), the framed ``alpha``
    (same rule) and the ``crop`` shown."""

    image: np.ndarray
    alpha: np.ndarray
    crop: Crop


def _span(start: float, size: float, limit: int) -> tuple[int, int]:
    """An even-aligned whole-pixel span of ``limit`` covering [start, start + size) with
    ``ROI_MARGIN`` to spare, its length a multiple of ``ROI_STEP`` (or all of ``limit``)."""
    length = min(limit, -(-(int(size) + 2 * ROI_MARGIN + 2) // ROI_STEP) * ROI_STEP)
    first = int(start) - ROI_MARGIN
    first -= first % 2
    return min(max(first, 0), (limit - length) & ~1), length


@dataclass(frozen=True, slots=True)
class Framed:
    """One framed frame. The arrays are the framer's buffers (or, when the crop is the full
    view, the caller's own arrays): valid until the next call, copy what you keep. The halves
    are the caller's when the crop is the full view, else None. ``crop``: the part of the
    camera frame they show."""

    image: np.ndarray
    alpha: np.ndarray
    frame_half: np.ndarray | None
    alpha_half: np.ndarray | None
    crop: Crop


class Framer:
    """Keeps the operator's state and crops frame + alpha accordingly (one per stream).

    Not thread-safe: one thread calls :meth:`__call__`; :meth:`reset` on the same thread (or
    while no frame is in flight), e.g. when the camera comes back from idle.
    """

    def __init__(self, params: FramingParams | None = None) -> None:
        self.params = params or FramingParams()
        self.state = FramingState()
        self.crop: Crop = self.state.crop
        self._t: float | None = None
        self._boxes = BoxReader()
        self._bufs: dict[str, np.ndarray] = {}

    def reset(self) -> None:
        """Back to the full view, off air: the next person seen is framed at once."""
        self.state, self._t = FramingState(), None
        self.crop = self.state.crop

    def _advance(self, alpha: np.ndarray, t: float) -> Crop:
        dt = 0.0 if self._t is None else t - self._t
        self._t = t
        self.crop, self.state = step(self._boxes(alpha), self.state, dt, self.params)
        return self.crop

    def compose(self, compositor: Composes, image: np.ndarray, alpha: np.ndarray, t: float, *,
                frame_half: np.ndarray | None = None, alpha_half: np.ndarray | None = None,
                out: np.ndarray | None = None,
                fixed_background: bool = False,
                person_lut: np.ndarray | None = None) -> FramedComposite:
        """Frame and composite one picture (arguments as for :meth:`__call__` and
        ``compositor.compose``). A mirrored picture is mirrored before it comes here (the
        live pipeline's capture stage) or after (``vbg video`` flips the result).

        A colour or blurred background (``fixed_background`` False) is blended at the crop's
        own resolution, in the part of the frame around the crop, and the finished composite
        is scaled to the frame's size once: a 1/z crop blends 1/z² of the pixels, so framing
        costs less than the blend it saves (docs/benchmarks.md). An image or video background
        (``fixed_background``) must stay sharp and put: the person is scaled up and blended
        over it at full size (see :meth:`_compose_fixed`).
        """
        crop = self._advance(alpha, t)
        if crop.is_full:
            return FramedComposite(compositor.compose(
                image, alpha, frame_half=frame_half, alpha_half=alpha_half, out=out,
                person_lut=person_lut), alpha, crop)
        framed_alpha = self._warp("alpha", alpha)
        h, w = alpha.shape
        x0, y0, cw, ch = crop.pixels(w, h)
        rx, rw = _span(x0, cw, w)
        ry, rh = _span(y0, ch, h)
        rows, cols = slice(ry, ry + rh), slice(rx, rx + rw)
        if fixed_background:
            composite = self._compose_fixed(compositor, image[rows, cols], alpha[rows, cols],
                                            (x0 - rx, y0 - ry, cw, ch), framed_alpha, out,
                                            person_lut)
            return FramedComposite(composite, framed_alpha, crop)
        # Even-aligned: the halves' slice is exactly the halving of the region.
        hrows, hcols = slice(ry // 2, (ry + rh) // 2), slice(rx // 2, (rx + rw) // 2)
        region = self._buffer("region", (rh, rw, 3))
        blended = compositor.compose(
            image[rows, cols], alpha[rows, cols],
            frame_half=None if frame_half is None else frame_half[hrows, hcols],
            alpha_half=None if alpha_half is None else alpha_half[hrows, hcols],
            out=region, person_lut=person_lut)
        target = out if out is not None else self._buffer("image", image.shape)
        self._scale(blended, x0 - rx, y0 - ry, cw, ch, target)
        return FramedComposite(target, framed_alpha, crop)

    def _compose_fixed(self, compositor: Composes, region: np.ndarray,
                       region_alpha: np.ndarray, rect: tuple[float, float, float, float],
                       framed_alpha: np.ndarray, out: np.ndarray | None,
                       person_lut: np.ndarray | None) -> np.ndarray:
        """The person in ``region`` (the part of the camera frame around the crop; ``rect``:
        the crop inside it) scaled up and blended over a fixed background at full size.

        The foreground colour is estimated on the region, at the camera's own resolution (a
        1/z crop has 1/z² of the pixels, and the scaled-up picture has no more detail), and only
        the person's box of the output is scaled up: the compositor reads nothing else, and
        the background stays as sharp as without framing.
        """
        fg = region
        estimate = compositor.foreground
        if estimate is not None:
            rh, rw = region_alpha.shape
            fg = estimate(region, region_alpha, self._buffer("estimate", (rh, rw, 3)),
                          (slice(0, rh), slice(0, rw)))
        # The framed alpha's exact 2x area halving lets the compositor take its banded blend
        # (a large, zoomed-in person: copy the interior, blend the edges).
        h, w = framed_alpha.shape
        alpha_half = self._buffer("alpha_half", (h // 2, w // 2))
        cv2.resize(framed_alpha, (w // 2, h // 2), dst=alpha_half, interpolation=cv2.INTER_AREA)
        rows, cols = compositor.person_box(framed_alpha, alpha_half)
        framed = self._buffer("image", (h, w, 3))
        if rows.stop > rows.start and cols.stop > cols.start:
            x0, y0, cw, ch = rect
            self._scale(fg, x0, y0, cw, ch, framed[rows, cols], (w, h), (cols.start, rows.start))
        return compositor.compose(framed, framed_alpha, alpha_half=alpha_half, out=out,
                                  person_lut=person_lut,
                                  foreground_estimated=estimate is not None)

    def _buffer(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        buf = self._bufs.get(name)
        if buf is None or buf.shape != shape:
            buf = self._bufs[name] = np.empty(shape, np.uint8)
        return buf

    @staticmethod
    def _scale(src: np.ndarray, x0: float, y0: float, cw: float, ch: float,
               dst: np.ndarray, size: tuple[int, int] | None = None,
               at: tuple[int, int] = (0, 0)) -> None:
        """The rectangle (x0, y0, cw, ch) of ``src`` scaled to fill a picture of ``size``
        (width, height; default ``dst``'s), sub-pixel (a slow pan glides instead of stepping
        whole pixels). ``dst`` is the part of that picture whose top-left corner is ``at``
        (x, y): only that part is computed."""
        dh, dw = dst.shape[:2]
        fw, fh = size if size is not None else (dw, dh)
        kx, ky = fw / cw, fh / ch
        matrix = np.array([[kx, 0.0, -kx * x0 - at[0]], [0.0, ky, -ky * y0 - at[1]]])
        cv2.warpAffine(src, matrix, (dw, dh), dst=dst, flags=cv2.INTER_LINEAR,
                       borderMode=cv2.BORDER_REPLICATE)

    def __call__(self, image: np.ndarray, alpha: np.ndarray, t: float,
                 frame_half: np.ndarray | None = None,
                 alpha_half: np.ndarray | None = None) -> Framed:
        """Frame one picture: ``image`` BGR uint8 H×W×3, ``alpha`` uint8 H×W (the mask of the
        whole camera frame), ``t`` its time in seconds (capture time, or frame index / fps);
        the halves as :meth:`vbg.compositor.Compositor.compose` takes them. Returns the frame
        and alpha cropped and scaled back to their size (see :class:`Framed`)."""
        if self._advance(alpha, t).is_full:
            return Framed(image, alpha, frame_half, alpha_half, self.crop)
        return Framed(self._warp("image", image), self._warp("alpha", alpha), None, None,
                      self.crop)

    def _warp(self, name: str, src: np.ndarray) -> np.ndarray:
        """``src`` (the full frame) cropped to ``self.crop`` and scaled back to its own size."""
        buf = self._buffer(name, src.shape)
        x0, y0, cw, ch = self.crop.pixels(src.shape[1], src.shape[0])
        self._scale(src, x0, y0, cw, ch, buf)
        return buf
