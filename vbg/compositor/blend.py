"""Blending of the compositor: the person over a background, only where the person can be.

``blend`` is the uint8 alpha blend; ``person_box`` bounds where alpha can be > 0, so nothing
outside it is blended; ``BandedBlend`` copies the opaque interior of a large person and blends
only its edges; ``LightWrap`` weighs how much background light falls on the person's edge.
All of them write into buffers kept across frames (``Buffers``, their own): nothing is
allocated per frame while the frame size holds. The numbers behind the choices are in
docs/benchmarks.md (the compositor's design numbers).
"""

from __future__ import annotations

import cv2
import numpy as np

from vbg.compositor.blur import Pyramid, gauss_ksize

# Light wrap: width of the edge band (sigma of the mask blur, fraction of frame height) and the
# share of background mixed into the band's centre at light_wrap = 1.
_WRAP_SIGMA = 0.012
_WRAP_MAX = 0.6
_WRAP_HALVINGS = 2  # the band is computed at 1/4 size
# Banded blend: bands of this many full-size rows. Each band costs a fixed planning and call
# overhead while the pixels it saves grow with the person, hence tall bands, and the banded
# blend only for a large box (``_BANDED_MIN_PIXELS`` in vbg.compositor.compositor).
_BAND_ROWS = 64


class Buffers:
    """Full-size uint8 buffers for one frame size; the optional ones (mirror, light wrap,
    foreground) are allocated on first use, so a plain blur at 1080p doesn't carry buffers it
    never touches (each is 6 MB at 1080p)."""

    def __init__(self, shape: tuple[int, int]) -> None:
        self.shape = shape
        self.out = np.empty((*shape, 3), np.uint8)
        self.a3 = np.empty((*shape, 3), np.uint8)
        self.tmp = np.empty((*shape, 3), np.uint8)
        self._extra: dict[str, np.ndarray] = {}

    def peek(self, name: str) -> np.ndarray | None:
        """The optional buffer ``name`` if it has been made, else None (nothing allocated)."""
        return self._extra.get(name)

    def get(self, name: str, channels: int = 3) -> np.ndarray:
        """The optional buffer ``name`` (H×W×3, or H×W with ``channels=1``), kept for reuse."""
        buf = self._extra.get(name)
        if buf is None:
            shape = (*self.shape, 3) if channels == 3 else self.shape
            buf = self._extra[name] = np.empty(shape, np.uint8)
        return buf


def person_box(
    alpha_small: np.ndarray, factor: int, shape: tuple[int, int]
) -> tuple[slice, slice]:
    """Rows and columns of the full-size frame (``shape``) that can hold alpha > 0, from an
    area-reduced copy of the alpha (1/``factor`` size), grown by one reduced pixel on each side.

    A full-size pixel of 255 makes its reduced pixel at least 255/factor² > 0, so every pixel
    that is fully person lies inside; only faint specks (a whole factor×factor block summing to
    under half a grey level) can fall outside, and those then show the background: the side
    that fails closed. Empty slices when there is no person at all.
    """
    x, y, w, h = cv2.boundingRect(alpha_small)
    if w == 0 or h == 0:
        return slice(0, 0), slice(0, 0)
    height, width = shape
    return (slice(max(0, (y - 1) * factor), min(height, (y + h + 1) * factor)),
            slice(max(0, (x - 1) * factor), min(width, (x + w + 1) * factor)))


def blend(
    fg: np.ndarray,
    bg: np.ndarray,
    alpha: np.ndarray,
    bufs: Buffers,
    out: np.ndarray,
    box: tuple[slice, slice] | None = None,
    lut: np.ndarray | None = None,
) -> np.ndarray:
    """``out = (fg·a + bg·(255 − a)) / 255`` in uint8 (each product rounded; error ≤ 1).

    Exact at a = 255 (fg) and a = 0 (bg). Chosen over cv2.blendLinear with float weights and
    over float32 numpy, both measured slower with this OpenCV build (docs/benchmarks.md).
    With ``box`` (rows, cols) only that part is blended and the rest of ``out`` is left as
    it is: the caller has put the background there already (``bg`` may be ``out`` itself),
    and alpha must be 0 outside the box (see ``person_box``). ``bufs.a3``/``tmp`` are scratch.
    ``lut`` (optional, cv2.LUT's form): ``fg`` is read through it (the light's curve), in the
    same pass that scales it by alpha.
    """
    if box is not None:
        rows, cols = box
        if rows.stop <= rows.start or cols.stop <= cols.start:
            return out
        a3, tmp = bufs.a3[rows, cols], bufs.tmp[rows, cols]
        fg, bg, alpha, dst = fg[rows, cols], bg[rows, cols], alpha[rows, cols], out[rows, cols]
    else:
        a3, tmp, dst = bufs.a3, bufs.tmp, out
    cv2.cvtColor(alpha, cv2.COLOR_GRAY2BGR, dst=a3)
    if lut is not None:
        cv2.LUT(fg, lut, dst=tmp)
        fg = tmp
    cv2.multiply(fg, a3, dst=tmp, scale=1.0 / 255.0)
    cv2.bitwise_not(a3, dst=a3)  # 255 − a
    cv2.multiply(bg, a3, dst=dst, scale=1.0 / 255.0)  # bg may be dst itself: per-pixel, safe
    cv2.add(tmp, dst, dst=dst)
    return out


class BandedBlend:
    """``blend`` over the person's box, cheaper where the person is large: per band of rows,
    the opaque interior is copied from the frame and only the strips on either side of it are
    blended (five cv2 passes each); columns with no person are left as they are.

    Planned on the half-size alpha: a band's interior is the run of half-size columns that are
    255 after a 3×3 erosion, in every row of the band; its extent the columns that are > 0
    after a 3×3 dilation. When ``alpha`` is the bilinear upscale of ``alpha_half`` (the mask
    engine's case) every full-size pixel of the interior is exactly 255, so the result equals
    ``blend``'s; when ``alpha_half`` is an INTER_AREA halving of ``alpha`` it is at least 253
    there (a 2-grey-level difference at most), and a full-size alpha of 1 whose half-size pixel
    rounded to 0 shows the background: the side that fails closed. A band whose interior is
    not one run (arms apart from the body) is blended whole. For even frame sizes only (an odd
    last row or column has no half-size pixel): the caller checks. With ``lut`` the person is
    read through it (see ``blend``): the interior is looked up instead of copied, so the
    light's curve costs a lookup over the person's bands and nothing more.
    """

    def __init__(self) -> None:
        self._kernel = np.ones((3, 3), np.uint8)
        self._ero: np.ndarray | None = None
        self._dil: np.ndarray | None = None

    def __call__(self, fg: np.ndarray, bg: np.ndarray, alpha: np.ndarray,
                 alpha_half: np.ndarray, bufs: Buffers, out: np.ndarray,
                 box: tuple[slice, slice], lut: np.ndarray | None = None) -> np.ndarray:
        if self._ero is None or self._ero.shape != alpha_half.shape:
            self._ero, self._dil = np.empty_like(alpha_half), np.empty_like(alpha_half)
        assert self._dil is not None
        cv2.erode(alpha_half, self._kernel, dst=self._ero)
        cv2.dilate(alpha_half, self._kernel, dst=self._dil)
        rows, cols = box
        band, hw = _BAND_ROWS // 2, alpha_half.shape[1]
        h0, h1 = rows.start // 2, min(alpha_half.shape[0], -(-rows.stop // 2))
        nb = -(-(h1 - h0) // band)
        n = (h1 - h0) // band * band  # rows in whole bands; the last band may be shorter
        full = np.zeros((nb, hw), bool)
        anyp = np.zeros((nb, hw), bool)
        if n:
            full[: n // band] = self._ero[h0:h0 + n].reshape(-1, band, hw).min(axis=1) == 255
            anyp[: n // band] = self._dil[h0:h0 + n].reshape(-1, band, hw).max(axis=1) > 0
        if n < h1 - h0:
            full[-1] = self._ero[h0 + n:h1].min(axis=0) == 255
            anyp[-1] = self._dil[h0 + n:h1].max(axis=0) > 0
        # Per band, in full-size columns: extent [c0, c1), interior [o0, o1).
        c0 = anyp.argmax(1) * 2
        c1 = (hw - anyp[:, ::-1].argmax(1)) * 2
        count = full.sum(1)
        o0 = full.argmax(1) * 2
        o1 = (hw - full[:, ::-1].argmax(1)) * 2
        one_run = (count > 0) & ((o1 - o0) == 2 * count)
        has = anyp.any(1)
        for b in np.flatnonzero(has).tolist():
            r0 = max(rows.start, (h0 + b * band) * 2)
            r1 = min(rows.stop, (h0 + (b + 1) * band) * 2)
            x0, x1 = max(cols.start, int(c0[b])), min(cols.stop, int(c1[b]))
            i0, i1 = max(x0, int(o0[b])), min(x1, int(o1[b]))
            if not one_run[b] or i1 <= i0:
                i0 = i1 = x1  # no interior to copy: blend the whole extent
            if i0 > x0:
                blend(fg, bg, alpha, bufs, out, (slice(r0, r1), slice(x0, i0)), lut)
            if i1 > i0:
                if lut is None:
                    out[r0:r1, i0:i1] = fg[r0:r1, i0:i1]
                else:
                    cv2.LUT(fg[r0:r1, i0:i1], lut, dst=out[r0:r1, i0:i1])
            if x1 > i1:
                blend(fg, bg, alpha, bufs, out, (slice(r0, r1), slice(i1, x1)), lut)
        return out


class LightWrap:
    """Per-pixel share of the person kept in the edge band, as uint8 ``keep`` (255 = all).

    The band is where a blurred copy of the mask lies between 0.1 and 0.9; the share of
    background mixed in peaks at its middle (``light_wrap · _WRAP_MAX``) and falls to 0 at its
    ends, so the person's interior and the background stay untouched.
    """

    def __init__(self) -> None:
        self._pyr = Pyramid()
        self._key: tuple[int, int] | None = None

    def __call__(self, alpha: np.ndarray, amount: float, keep: np.ndarray) -> np.ndarray:
        """``keep`` (uint8, the size of ``alpha``) filled for ``amount`` in 0..1 and returned."""
        levels = self._pyr.build(alpha, _WRAP_HALVINGS)
        small = levels[-1]
        if small.shape != self._key:
            self._key = small.shape
            self._f = np.empty(small.shape, np.float32)
            self._keep_small = np.empty(small.shape, np.uint8)
            sigma = _WRAP_SIGMA * alpha.shape[0] / 2**_WRAP_HALVINGS
            self._ksize = gauss_ksize(sigma)
            self._sigma = sigma
        f = self._f
        np.multiply(small, np.float32(1.0 / 255.0), out=f)
        cv2.GaussianBlur(f, self._ksize, self._sigma, dst=f, borderType=cv2.BORDER_REFLECT)
        # band = clip(1 − |blurred − 0.5| / 0.4, 0, 1); keep = 1 − amount·_WRAP_MAX·band
        f -= 0.5
        np.abs(f, out=f)
        np.multiply(f, -1.0 / 0.4, out=f)
        f += 1.0
        np.maximum(f, 0.0, out=f)
        f *= -255.0 * amount * _WRAP_MAX
        f += 255.5  # + 0.5: the cast below truncates; values are ≥ 0, so this rounds
        np.copyto(self._keep_small, f, casting="unsafe")
        cv2.resize(
            self._keep_small,
            (alpha.shape[1], alpha.shape[0]),
            dst=keep,
            interpolation=cv2.INTER_LINEAR,
        )
        return keep
