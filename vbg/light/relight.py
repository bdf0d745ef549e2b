"""``Relighter``: measure the person, step the light, and apply the curve to the person's pixels.

Per frame (``process``): a sample about 160 px wide of the frame and its alpha (cut from the
engine's half-size copies when given: one nearest-neighbour resize each, ~0.02 ms at 720p), the
statistics (vbg.light.measure), one ``step`` (vbg.light.adapt), and the curve applied in place
inside the person's bands (``person_bands``: the rows where alpha > 0, in bands of 64 rows each
as wide as the person in it), in one of two mixes (``apply``):

- ``"alpha"``: ``out = x + alpha · (table(x) − x) / 255``: where alpha is 255 the pixel is the
  table's, where it is 0 it is left exactly as it was, the soft edge in between; for a frame
  shown as it is (background ``none``). A brightening curve (every entry ≥ its index, the
  low-light case) needs one lookup of ``table − x``, one multiply by alpha and one saturating
  add; a curve that also darkens a channel a second lookup for what is taken away;
- ``"mask"``: the table's value wherever alpha > 0, the rest untouched; for a frame the
  compositor blends by alpha afterwards (one lookup and a masked copy: cheaper, and the soft
  edge gets the person's light rather than alpha² of it).

Either way the room (alpha 0) is never touched. A colour-free curve uses one table for the
three channels (cv2.LUT is twice as fast with one than with three).
Full-size buffers are kept across frames: nothing full-size is allocated per frame while the
frame size holds; the statistics allocate a few small arrays of the sample's size.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

import cv2
import numpy as np

from vbg.light.adapt import LightParams, LightState, step
from vbg.light.curve import Curve
from vbg.light.measure import PersonStats, SceneStats, measure_person, sample_size

_INDEX = np.arange(256, dtype=np.int16)

# How the curve meets the person's soft edge (``Relighter.apply``).
Mix = Literal["alpha", "mask"]
# The apply works in bands of this many rows, each as wide as the person in it (a head is
# narrower than the shoulders): at 720p a third less area than the person's whole box for a
# head-and-shoulders picture, measured cheaper despite a dozen calls more (docs/benchmarks.md).
BAND_ROWS = 64
_SAMPLE_INTERP = cv2.INTER_NEAREST


def person_box(alpha: np.ndarray, alpha_half: np.ndarray | None = None
               ) -> tuple[slice, slice]:
    """Rows and columns of ``alpha`` that hold every pixel with alpha > 0: the bounding box
    of the nonzero pixels, read from the exact 2× area-shrunk ``alpha_half`` when given (a
    full-size pixel of alpha ≥ 2 leaves a nonzero half-size pixel) and grown by one half-size
    pixel. Empty slices when there is no person."""
    h, w = alpha.shape
    if alpha_half is not None:
        x, y, bw, bh = cv2.boundingRect(alpha_half)
        if bw == 0 or bh == 0:
            return slice(0, 0), slice(0, 0)
        return (slice(max(0, 2 * y - 2), min(h, 2 * (y + bh) + 2)),
                slice(max(0, 2 * x - 2), min(w, 2 * (x + bw) + 2)))
    x, y, bw, bh = cv2.boundingRect(alpha)
    return slice(y, y + bh), slice(x, x + bw)


def person_bands(alpha: np.ndarray, alpha_half: np.ndarray | None = None,
                 rows: int = BAND_ROWS) -> list[tuple[slice, slice]]:
    """The person's pixels as boxes that do not overlap: bands of ``rows`` full-size rows,
    each cut to the columns (and rows) where alpha > 0 in it, read from ``alpha_half`` (the
    exact 2× area shrink) when given, its columns grown by 2 pixels. Every pixel with alpha >
    0 lies in one of them (but specks too faint to leave a half-size pixel); a head above
    shoulders costs its own width, not theirs."""
    h, w = alpha.shape
    boxes: list[tuple[slice, slice]] = []
    if alpha_half is None:
        for y0 in range(0, h, rows):
            x, y, bw, bh = cv2.boundingRect(alpha[y0:y0 + rows])
            if bw and bh:
                boxes.append((slice(y0 + y, y0 + y + bh), slice(x, x + bw)))
        return boxes
    hh, hw = alpha_half.shape
    step_ = max(1, rows // 2)
    for y0 in range(0, hh, step_):
        x, y, bw, bh = cv2.boundingRect(alpha_half[y0:y0 + step_])
        if not (bw and bh):
            continue
        top, bottom = 2 * (y0 + y), 2 * (y0 + y + bh)
        left, right = max(0, 2 * x - 2), min(w, 2 * (x + bw) + 2)
        # An odd last row or column has no half-size pixel: the band reaching the edge takes it.
        boxes.append((slice(top, h if y0 + y + bh >= hh else bottom),
                      slice(left, w if x + bw >= hw else right)))
    return boxes


class _Tables:
    """The lookup tables of one curve, in the forms the two mixes need: the curve itself
    (``mix="mask"``) and what it adds and takes away (``mix="alpha"``). One table for all
    three channels is (256, 1); three are (1, 256, 3), as cv2.LUT takes them."""

    def __init__(self, curve: Curve) -> None:
        table = curve.table()
        delta = table.astype(np.int16) - _INDEX[:, None]
        up = np.clip(delta, 0, 255).astype(np.uint8)
        down = np.clip(-delta, 0, 255).astype(np.uint8)
        if curve.colour_free:
            self.table, self.up, self.down = (np.ascontiguousarray(t[:, :1])
                                              for t in (table, up, down))
        else:
            self.table, self.up, self.down = (np.ascontiguousarray(t.reshape(1, 256, 3))
                                              for t in (table, up, down))
        self.raises = bool(up.any())
        self.lowers = bool(down.any())
        self.changes = self.raises or self.lowers


class Relighter:
    """Low-light correction and matching of the person, applied in place (see the module doc).

    Not thread-safe: one per worker thread, like the mask engine. ``reset()`` forgets the
    adaptation (after the camera was off, or switched): the next person is metered afresh and
    the curve starts from the identity.
    """

    def __init__(self, params: LightParams | None = None) -> None:
        self.params = params or LightParams()
        self.state = LightState()
        self.curve = Curve(slope=self.params.slope)
        self.stats: PersonStats | None = None
        self._tables: tuple[Curve, _Tables] | None = None
        self._shape: tuple[int, int] = (0, 0)
        self._full: dict[str, np.ndarray] = {}

    def reset(self) -> None:
        """Forget the adaptation: identity curve, nothing metered."""
        self.state = LightState()
        self.curve = Curve(slope=self.params.slope)

    def configure(self, params: LightParams) -> None:
        """New parameters (a strength, a target), taking effect from the next frame; the
        adaptation goes on from where it is, easing toward what the new ones ask."""
        self.params = params

    def _buffers(self, shape: tuple[int, int]) -> None:
        if self._shape == shape:
            return
        self._shape = shape
        self._full.clear()
        sw, sh = sample_size(shape[1], shape[0])
        self._sample = np.empty((sh, sw, 3), np.uint8)
        self._sample_alpha = np.empty((sh, sw), np.uint8)

    def _buffer(self, name: str, channels: int = 3) -> np.ndarray:
        """A full-size buffer kept for reuse, made on first use (the "mask" mix needs two of
        the four)."""
        buf = self._full.get(name)
        if buf is None:
            shape = (*self._shape, 3) if channels == 3 else self._shape
            buf = self._full[name] = np.empty(shape, np.uint8)
        return buf

    def measure(self, frame: np.ndarray, alpha: np.ndarray, *,
                frame_half: np.ndarray | None = None,
                alpha_half: np.ndarray | None = None,
                colour: bool = False) -> PersonStats | None:
        """The person's statistics on a ~160-px sample (from the half-size copies if given);
        the colour only with ``colour`` (for matching)."""
        self._buffers(alpha.shape)
        size = self._sample_alpha.shape[::-1]
        cv2.resize(frame if frame_half is None else frame_half, size, dst=self._sample,
                   interpolation=_SAMPLE_INTERP)
        cv2.resize(alpha if alpha_half is None else alpha_half, size, dst=self._sample_alpha,
                   interpolation=_SAMPLE_INTERP)
        return measure_person(self._sample, self._sample_alpha, colour=colour)

    def process(self, frame: np.ndarray, alpha: np.ndarray, dt: float, *,
                frame_half: np.ndarray | None = None,
                alpha_half: np.ndarray | None = None,
                scene: SceneStats | None = None, mix: Mix = "alpha") -> Curve:
        """Measure, step and apply to ``frame`` in place; returns the curve applied.

        ``frame``: BGR uint8 H×W×3 (written); ``alpha``: uint8 H×W, 255 = person; ``dt``:
        seconds since the previous frame; ``frame_half`` / ``alpha_half``: the same pictures
        shrunk by exactly 2 (``MaskEngine.frame_half`` / ``alpha_half``), optional; ``scene``:
        the background picture's statistics when it is an image or a video (for matching);
        ``mix``: see ``apply``.
        """
        self.relight(frame, alpha, dt, frame_half=frame_half, alpha_half=alpha_half,
                     scene=scene, mix=mix)
        return self.curve

    def relight(self, frame: np.ndarray, alpha: np.ndarray, dt: float, *,
                out: np.ndarray | None = None,
                frame_half: np.ndarray | None = None,
                alpha_half: np.ndarray | None = None,
                scene: SceneStats | None = None, mix: Mix = "alpha") -> np.ndarray:
        """``process``, returning the relit picture. With ``out`` (a C-contiguous buffer of
        ``frame``'s shape) ``frame`` is never written: when the curve changes anything it is
        copied into ``out`` and corrected there, and ``out`` is returned; otherwise (a
        well-lit person, nobody there) ``frame`` itself, with no copy."""
        if self.decide(frame, alpha, dt, frame_half=frame_half, alpha_half=alpha_half,
                       scene=scene) is None:
            return frame
        if out is not None:
            if out.shape != frame.shape or out.dtype != np.uint8:
                raise ValueError(f"out must be uint8 of shape {frame.shape}, not "
                                 f"{out.dtype} {out.shape}.")
            np.copyto(out, frame)
            frame = out
        self.apply(frame, alpha, self.curve, boxes=person_bands(alpha, alpha_half), mix=mix)
        return frame

    def decide(self, frame: np.ndarray, alpha: np.ndarray, dt: float, *,
               frame_half: np.ndarray | None = None,
               alpha_half: np.ndarray | None = None,
               scene: SceneStats | None = None) -> np.ndarray | None:
        """Measure and step (arguments as for ``process``) without applying anything: the
        lookup table of the curve now in force, in cv2.LUT's form ((256, 1): one table for
        the three channels; (1, 256, 3): one each), for a caller that applies it itself (the
        compositor, over the person's box); None when the curve changes nothing (a well-lit
        person, nobody there). The table is this object's: valid until the curve changes."""
        _check(frame, alpha, frame_half, alpha_half)
        matching = scene is not None and self.params.strength > 0.0
        self.stats = self.measure(frame, alpha, frame_half=frame_half, alpha_half=alpha_half,
                                  colour=matching)
        self.curve, self.state = step(self.stats, self.state, dt, self.params, scene)
        tables = self._tables_for(self.curve)
        return tables.table if tables.changes else None

    def apply(self, frame: np.ndarray, alpha: np.ndarray, curve: Curve, *,
              boxes: Iterable[tuple[slice, slice]] | None = None,
              mix: Mix = "alpha") -> None:
        """Apply ``curve`` to the person in ``frame``, in place, only inside ``boxes``
        (``person_bands``; default: the whole frame). The boxes must not overlap and must
        hold every pixel with alpha > 0. Pixels with alpha 0 are never changed.

        ``mix="alpha"``: ``frame + alpha · (table(frame) − frame) / 255``, for a frame shown
        as it is (background ``none``). ``mix="mask"``: the table's value wherever alpha > 0,
        for a frame the compositor then blends by alpha over a background: the person's soft
        edge gets the same light as the rest of them (mixed by alpha it would get alpha² of
        it: a darker rim), and it costs less (no multiply).
        """
        _check(frame, alpha)
        tables = self._tables_for(curve)
        if not tables.changes:
            return
        self._buffers(alpha.shape)
        for rows, cols in boxes if boxes is not None else [(slice(None), slice(None))]:
            self._apply_box(frame, alpha, tables, rows, cols, mix)

    def _tables_for(self, curve: Curve) -> _Tables:
        if self._tables is None or self._tables[0] != curve:
            self._tables = (curve, _Tables(curve))
        return self._tables[1]

    def _apply_box(self, frame: np.ndarray, alpha: np.ndarray, tables: _Tables, rows: slice,
                   cols: slice, mix: Mix) -> None:
        roi, a = frame[rows, cols], alpha[rows, cols]
        if roi.size == 0:
            return
        up = self._buffer("up")[rows, cols]
        if mix == "mask":
            inside = self._buffer("inside", 1)[rows, cols]
            cv2.threshold(a, 0, 255, cv2.THRESH_BINARY, dst=inside)
            cv2.LUT(roi, tables.table, dst=up)
            cv2.copyTo(up, inside, roi)
            return
        down = self._buffer("down")[rows, cols]
        a3 = self._buffer("a3")[rows, cols]
        cv2.cvtColor(a, cv2.COLOR_GRAY2BGR, dst=a3)
        if tables.lowers:  # from the pixels as they were, before anything is added
            cv2.LUT(roi, tables.down, dst=down)
            cv2.multiply(down, a3, dst=down, scale=1.0 / 255.0)
        if tables.raises:
            cv2.LUT(roi, tables.up, dst=up)
            cv2.multiply(up, a3, dst=up, scale=1.0 / 255.0)
            cv2.add(roi, up, dst=roi)
        if tables.lowers:
            cv2.subtract(roi, down, dst=roi)


def _check(frame: np.ndarray, alpha: np.ndarray, frame_half: np.ndarray | None = None,
           alpha_half: np.ndarray | None = None) -> None:
    if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
        raise ValueError("frame must be a BGR uint8 H×W×3 image.")
    if alpha.shape != frame.shape[:2] or alpha.dtype != np.uint8:
        raise ValueError(f"alpha must be uint8 of shape {frame.shape[:2]}, not "
                         f"{alpha.dtype} {alpha.shape}.")
    half = (alpha.shape[0] // 2, alpha.shape[1] // 2)
    for name, picture in (("frame_half", frame_half), ("alpha_half", alpha_half)):
        if picture is not None and (picture.shape[:2] != half or picture.dtype != np.uint8):
            raise ValueError(f"{name} must be uint8 of size {half}, not "
                             f"{picture.dtype} {picture.shape[:2]}.")
