"""Backgrounds and blending: turns a camera frame and its person mask into the output picture.

Kinds (``BackgroundConfig.kind``): ``none`` (passthrough), ``blur`` (mask-aware: only the
background is blurred, so the person never smears into it), ``color``, ``image`` (cover-fitted
once per frame size) and ``video`` (looping, one background frame per output frame).

Everything per frame works on preallocated buffers with cv2 uint8 arithmetic; float32 is used
only at the reduced resolution where the blur is computed. Full-size passes are kept few: the
blurred background is upscaled straight into the output, the blend runs only over the box that
holds the person (alpha is 0 outside it; for a large person band by band, copying the
opaque interior and blending only its edges: ``_BandedBlend``), and the half-size frame and
alpha that the mask engine made anyway are taken instead of shrinking the full-size pictures
again. Measured on
the 2-core dev machine (one cv2 thread, 720p, a seated person): a blur compose of ~2 ms, of
which the blend in the person's box ~1 ms, the upscale of the blurred background ~0.6 ms, the
rest at 1/4 to 1/8 size.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable

import cv2
import numpy as np

from vbg.config import BackgroundConfig
from vbg.errors import BackgroundError
from vbg.imaging import VideoFrames, cover_fit, read_image

log = logging.getLogger(__name__)

# Blur strength: Gaussian sigma as a fraction of the frame height, so a level looks the same at
# 480p and 1080p. Level 1 ≈ 6 px, 5 ≈ 19 px, 10 ≈ 35 px at 720p.
_SIGMA_BASE = 0.004
_SIGMA_PER_LEVEL = 0.0031
# background_only() for blur: far stronger than any level, and darkened, so nothing of the
# person is recognisable (privacy when no trustworthy mask exists).
_PRIVACY_SIGMA = 0.06
_PRIVACY_GAIN = 0.6
# The blur is computed at 1/f of the frame size, f a power of two reached by exact 2× area
# halvings (OpenCV's fast path; a direct 1/8 INTER_AREA resize costs ~10× more): f = 4 at
# least (float32 work at 1/2 size costs several ms), f = 8 when that still leaves a sigma of
# 1.5 px at the small size (below that the bilinear upscale starts to show its grid).
_MIN_SMALL_SIGMA = 1.5
_MIN_HALVINGS = 2
_MAX_HALVINGS = 3
# Light wrap: width of the edge band (sigma of the mask blur, fraction of frame height) and the
# share of background mixed into the band's centre at light_wrap = 1.
_WRAP_SIGMA = 0.012
_WRAP_MAX = 0.6
_WRAP_HALVINGS = 2  # the band is computed at 1/4 size
# Image/colour/video backgrounds: the person's box is found on a 1/4-size alpha.
_BOX_HALVINGS = 2
# Soft (blurred) copy of an image/video background used for light wrap.
_SOFT_SIGMA = 0.02


def _odd(n: float) -> int:
    k = int(np.ceil(n)) | 1
    return max(3, k)


def _gauss_ksize(sigma: float) -> tuple[int, int]:
    """±3 sigma. (Given to stackBlur, whose tent-like kernel is a little wider: fine where it
    is used, for backgrounds meant to be very soft.)"""
    k = _odd(6.0 * sigma)
    return (k, k)


def fit_cover(
    src: np.ndarray, size: tuple[int, int], out: np.ndarray | None = None, fast: bool = False
) -> np.ndarray:
    """Scale ``src`` to cover ``size`` = (width, height) keeping its aspect; centre-crop the rest.

    The crop is taken from the source first and then resized in one step straight into ``out``
    (allocated if None), which is cheaper than resizing the whole image and cropping after.
    Shrinking uses INTER_AREA (no aliasing) unless ``fast``: for a non-integer factor it costs
    a few ms, fine once per still image, too much for every video frame.
    """
    return cover_fit(src, size, out, fast)


def _load_image(path: str) -> np.ndarray:
    """Decode ``path`` as a BGR uint8 image or raise ``BackgroundError`` naming the file
    (``vbg.imaging.read_image``, which also opens non-ASCII paths on Windows)."""
    return read_image(os.path.expanduser(path), what="The background image",
                      error=BackgroundError)


class _Pyramid:
    """Exact 2× area halvings of one image into reused buffers; ``levels[k]`` is 1/2**k size."""

    def __init__(self) -> None:
        self.levels: list[np.ndarray] = []
        self._own: list[np.ndarray] = []  # buffers of levels 1.. (level 0 is the caller's)
        self._key: tuple[tuple[int, ...], int] | None = None

    def build(
        self, image: np.ndarray, halvings: int, half: np.ndarray | None = None
    ) -> list[np.ndarray]:
        """Fill the levels of ``image``. ``half``, when given, is used as level 1 as it is (not
        copied, not written): it must be the exact 2× area halving of ``image`` that the caller
        already made (the mask engine has one), which saves a pass over the full-size picture."""
        key = (image.shape, halvings)
        if key != self._key:
            self._key = key
            self._own = []
            h, w = image.shape[:2]
            for _ in range(halvings):
                h, w = max(1, h // 2), max(1, w // 2)
                self._own.append(np.empty((h, w) + image.shape[2:], np.uint8))
        use_half = half is not None and halvings >= 1
        self.levels = [image, *self._own]
        if use_half:
            self.levels[1] = half  # type: ignore[assignment]
        for k in range(2 if use_half else 1, halvings + 1):
            dst = self.levels[k]
            cv2.resize(
                self.levels[k - 1],
                (dst.shape[1], dst.shape[0]),
                dst=dst,
                interpolation=cv2.INTER_AREA,
            )
        return self.levels


class _ImageBackground:
    """A still image, cover-fitted once per frame size (and its soft copy, on demand)."""

    def __init__(self, path: str) -> None:
        self.path = path  # as configured: compared to tell whether a new config is the same
        self._image = _load_image(os.path.expanduser(path))
        self._fitted: np.ndarray | None = None
        self._soft: np.ndarray | None = None

    def frame(self, size: tuple[int, int]) -> np.ndarray:
        if self._fitted is None or self._fitted.shape[:2] != (size[1], size[0]):
            self._fitted = fit_cover(self._image, size)
            self._soft = None
        return self._fitted

    def soft(self, size: tuple[int, int], blur: _SoftBlur) -> np.ndarray:
        fitted = self.frame(size)
        if self._soft is None:
            self._soft = blur(fitted, np.empty_like(fitted))
        return self._soft

    def close(self) -> None:
        pass


class _VideoBackground:
    """A looping video; each ``frame()`` call advances one frame, cover-fitted into a buffer."""

    def __init__(self, path: str) -> None:
        self.path = path  # as configured: compared to tell whether a new config is the same
        self._file = os.path.expanduser(path)
        self._video = VideoFrames(self._file, loop=True, decode_threads=1)  # least CPU
        self._raw: np.ndarray | None = None
        self._fitted: np.ndarray | None = None
        self._soft: np.ndarray | None = None
        self._warned = False
        if not self._video.first_ok:
            self._video.close()
            if self._video.refusal is not None:
                raise BackgroundError(self._video.refusal)
            if not os.path.isfile(self._file):
                raise BackgroundError(
                    f"The background video {path} does not exist; check the path."
                )
            raise BackgroundError(
                f"The background video {path} can't be opened or has no frames; "
                "use an MP4 or AVI file."
            )
        self._advance()  # the frame read to check the file is the first one shown
        self._shown = False

    def _advance(self) -> None:
        frame = self._video.read(self._raw)
        if frame is not None:
            self._raw = frame  # the same buffer from now on, while the video's size holds
        elif not self._warned:
            self._warned = True  # keep showing the last frame rather than fail mid-call
            log.warning(
                "Background video %s stopped delivering frames; holding the last one.", self.path
            )

    def frame(self, size: tuple[int, int]) -> np.ndarray:
        if self._shown:
            self._advance()
        self._shown = True
        if self._fitted is None or self._fitted.shape[:2] != (size[1], size[0]):
            self._fitted = np.empty((size[1], size[0], 3), np.uint8)
            self._soft = None
        if self._raw is not None:  # always true after __init__; keeps the type checker calm
            fit_cover(self._raw, size, self._fitted, fast=True)
        return self._fitted

    def soft(self, size: tuple[int, int], blur: _SoftBlur) -> np.ndarray:
        """The soft copy of the frame returned by the last ``frame()`` call."""
        fitted = self._fitted if self._fitted is not None else self.frame(size)
        if self._soft is None or self._soft.shape != fitted.shape:
            self._soft = np.empty_like(fitted)
        return blur(fitted, self._soft)

    def close(self) -> None:
        self._video.close()


class _SoftBlur:
    """Plain (not mask-aware) strong blur at reduced size, upscaled into ``out``."""

    def __init__(self, sigma_frac: float, gain: float = 1.0) -> None:
        self.sigma_frac = sigma_frac
        self.gain = gain
        self._pyr = _Pyramid()
        self._small: np.ndarray | None = None

    def __call__(self, image: np.ndarray, out: np.ndarray) -> np.ndarray:
        h, w = image.shape[:2]
        sigma = self.sigma_frac * h
        levels = self._pyr.build(image, _halvings_for(sigma, h, w))
        src = levels[-1]
        if self._small is None or self._small.shape != src.shape:
            self._small = np.empty_like(src)
        small_sigma = sigma * src.shape[0] / h
        cv2.stackBlur(src, _gauss_ksize(small_sigma), dst=self._small)
        if self.gain != 1.0:
            # convertScaleAbs scales every channel (a bare float given to cv2.multiply is, in
            # some OpenCV versions, a Scalar that only touches the first channel).
            cv2.convertScaleAbs(self._small, dst=self._small, alpha=self.gain)
        cv2.resize(self._small, (w, h), dst=out, interpolation=cv2.INTER_LINEAR)
        return out


def _halvings_for(sigma: float, height: int, width: int) -> int:
    """How many 2× halvings to blur at: at least _MIN_HALVINGS (cost), more while the sigma
    stays ≥ _MIN_SMALL_SIGMA (smoothness of the upscale), never below 16 px."""
    n = 0
    while (
        n < _MAX_HALVINGS
        and min(height, width) >> (n + 1) >= 16
        and (n < _MIN_HALVINGS or sigma / 2 ** (n + 1) >= _MIN_SMALL_SIGMA)
    ):
        n += 1
    return n


class _MaskAwareBlur:
    """Blur of the background only: normalised convolution weighted by (1 − alpha).

    ``bg = blur(frame · w) / blur(w)`` with ``w = 1 − dilate(alpha)``: person pixels carry
    (almost) no weight, so the person's colour never bleeds into the blurred background (the
    halo of a plain blur). The dilation by one small pixel also drops the soft, mixed edge of
    the mask and a mask that is a little too tight. ``w`` is floored at 1/255 so that deep
    inside a large person, where no background is in reach, the result falls back to a plain
    blur instead of 0/0; anywhere with background in reach that floor is negligible.
    Computed in float32 at 1/2**k size with contiguous cv2 calls (numpy on strided channel
    views was several times slower), then upscaled as uint8.
    """

    def __init__(self) -> None:
        self._frame_pyr = _Pyramid()
        self._alpha_pyr = _Pyramid()
        self._key: tuple[tuple[int, int], int] | None = None

    def _allocate(self, shape: tuple[int, int], level: int) -> None:
        h, w = shape
        self._key = (shape, level)
        sigma = (_SIGMA_BASE + _SIGMA_PER_LEVEL * level) * h
        self._halvings = _halvings_for(sigma, h, w)
        sh, sw = h >> self._halvings, w >> self._halvings
        self._sigma_small = sigma / 2**self._halvings
        self._ksize = _gauss_ksize(self._sigma_small)
        self._w1 = np.empty((sh, sw), np.uint8)
        self._w3 = np.empty((sh, sw, 3), np.uint8)
        self._wf = np.empty((sh, sw), np.float32)
        self._num = np.empty((sh, sw, 3), np.float32)
        self._den = np.empty((sh, sw, 3), np.float32)
        self._bg_small = np.empty((sh, sw, 3), np.uint8)
        self._dilate_kernel = np.ones((3, 3), np.uint8)

    def __call__(
        self,
        frame: np.ndarray,
        alpha: np.ndarray,
        level: int,
        out: np.ndarray,
        frame_half: np.ndarray | None = None,
        alpha_half: np.ndarray | None = None,
    ) -> np.ndarray:
        """The blurred background into ``out``; ``frame_half``/``alpha_half``: optional exact
        2× area halvings of ``frame``/``alpha`` (see ``_Pyramid.build``). The reduced alpha
        it used stays readable as ``alpha_small`` (1/``factor`` size) until the next call."""
        shape = (frame.shape[0], frame.shape[1])
        if (shape, level) != self._key:
            self._allocate(shape, level)
        n = self._halvings
        f_small = self._frame_pyr.build(frame, n, frame_half)[n]
        a_small = self._alpha_pyr.build(alpha, n, alpha_half)[n]
        self.alpha_small, self.factor = a_small, 2**n
        w1, num, den, wf = self._w1, self._num, self._den, self._wf
        ksize, sigma, border = self._ksize, self._sigma_small, cv2.BORDER_REFLECT
        cv2.dilate(a_small, self._dilate_kernel, dst=w1)
        cv2.subtract(255, w1, dst=w1)
        cv2.max(w1, 1, dst=w1)
        # The weight's scale (1..255 here) cancels in the division.
        cv2.cvtColor(w1, cv2.COLOR_GRAY2BGR, dst=self._w3)
        cv2.multiply(f_small, self._w3, dst=num, dtype=cv2.CV_32F)
        cv2.GaussianBlur(num, ksize, sigma, dst=num, borderType=border)
        np.copyto(wf, w1)
        cv2.GaussianBlur(wf, ksize, sigma, dst=wf, borderType=border)
        cv2.cvtColor(wf, cv2.COLOR_GRAY2BGR, dst=den)
        # Writes uint8 with rounding and saturation in the same pass.
        cv2.divide(num, den, dst=self._bg_small, dtype=cv2.CV_8U)
        cv2.resize(self._bg_small, (shape[1], shape[0]), dst=out, interpolation=cv2.INTER_LINEAR)
        return out


class _Buffers:
    """Full-size uint8 buffers for one frame size; the optional ones (mirror, light wrap) are
    allocated on first use, so a plain blur at 1080p doesn't carry ~20 MB it never touches."""

    def __init__(self, shape: tuple[int, int]) -> None:
        self.shape = shape
        self.out = np.empty((*shape, 3), np.uint8)
        self.bg = np.empty((*shape, 3), np.uint8)
        self.a3 = np.empty((*shape, 3), np.uint8)
        self.tmp = np.empty((*shape, 3), np.uint8)
        self._extra: dict[str, np.ndarray] = {}

    def get(self, name: str, channels: int = 3) -> np.ndarray:
        """The optional buffer ``name`` (H×W×3, or H×W with ``channels=1``), kept for reuse."""
        buf = self._extra.get(name)
        if buf is None:
            shape = (*self.shape, 3) if channels == 3 else self.shape
            buf = self._extra[name] = np.empty(shape, np.uint8)
        return buf


def _person_box(
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


def _blend(
    fg: np.ndarray,
    bg: np.ndarray,
    alpha: np.ndarray,
    bufs: _Buffers,
    out: np.ndarray,
    box: tuple[slice, slice] | None = None,
) -> np.ndarray:
    """``out = (fg·a + bg·(255 − a)) / 255`` in uint8 (each product rounded; error ≤ 1).

    Exact at a = 255 (fg) and a = 0 (bg). Measured against cv2.blendLinear with float
    weights, which is 2× slower with this OpenCV build, and float32 numpy, which is ~6× slower.
    With ``box`` (rows, cols) only that part is blended and the rest of ``out`` is left as
    it is: the caller has put the background there already (``bg`` may be ``out`` itself),
    and alpha must be 0 outside the box (see ``_person_box``).
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
    cv2.multiply(fg, a3, dst=tmp, scale=1.0 / 255.0)
    cv2.bitwise_not(a3, dst=a3)  # 255 − a
    cv2.multiply(bg, a3, dst=dst, scale=1.0 / 255.0)  # bg may be dst itself: per-pixel, safe
    cv2.add(tmp, dst, dst=dst)
    return out


# Banded blend (``_BandedBlend``): used when the person's box holds at least this many pixels;
# bands of this many full-size rows. Per band the planning and cv2 calls cost a fixed ~20 µs,
# the pixels saved grow with the box: measured on the three clips (docs/benchmarks.md), 64-row
# bands save 0.2–1.1 ms per 1080p frame and 0.15–0.2 ms for a 720p person filling half the
# frame, and lose 0.03–0.1 ms for a 720p box of a third of the frame.
_BANDED_MIN_PIXELS = 400_000
_BAND_ROWS = 64


class _BandedBlend:
    """``_blend`` over the person's box, cheaper where the person is large: per band of rows,
    the opaque interior is copied from the frame and only the strips on either side of it are
    blended (five cv2 passes each); columns with no person are left as they are.

    Planned on the half-size alpha: a band's interior is the run of half-size columns that are
    255 after a 3×3 erosion, in every row of the band; its extent the columns that are > 0
    after a 3×3 dilation. When ``alpha`` is the bilinear upscale of ``alpha_half`` (the mask
    engine's case) every full-size pixel of the interior is exactly 255, so the result equals
    ``_blend``'s; when ``alpha_half`` is an INTER_AREA halving of ``alpha`` it is at least 253
    there (a 2-grey-level difference at most), and a full-size alpha of 1 whose half-size pixel
    rounded to 0 shows the background: the side that fails closed. A band whose interior is
    not one run (arms apart from the body) is blended whole.
    """

    def __init__(self) -> None:
        self._kernel = np.ones((3, 3), np.uint8)
        self._ero: np.ndarray | None = None
        self._dil: np.ndarray | None = None

    def __call__(self, fg: np.ndarray, bg: np.ndarray, alpha: np.ndarray,
                 alpha_half: np.ndarray, bufs: _Buffers, out: np.ndarray,
                 box: tuple[slice, slice]) -> np.ndarray:
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
                _blend(fg, bg, alpha, bufs, out, (slice(r0, r1), slice(x0, i0)))
            if i1 > i0:
                out[r0:r1, i0:i1] = fg[r0:r1, i0:i1]
            if x1 > i1:
                _blend(fg, bg, alpha, bufs, out, (slice(r0, r1), slice(i1, x1)))
        return out


class _LightWrap:
    """Per-pixel share of the person kept in the edge band, as uint8 ``keep`` (255 = all).

    The band is where a blurred copy of the mask lies between 0.1 and 0.9; the share of
    background mixed in peaks at its middle (``light_wrap · _WRAP_MAX``) and falls to 0 at its
    ends, so the person's interior and the background stay untouched.
    """

    def __init__(self) -> None:
        self._pyr = _Pyramid()
        self._key: tuple[int, int] | None = None

    def __call__(self, alpha: np.ndarray, amount: float, keep: np.ndarray) -> np.ndarray:
        levels = self._pyr.build(alpha, _WRAP_HALVINGS)
        small = levels[-1]
        if small.shape != self._key:
            self._key = small.shape
            self._f = np.empty(small.shape, np.float32)
            self._keep_small = np.empty(small.shape, np.uint8)
            sigma = _WRAP_SIGMA * alpha.shape[0] / 2**_WRAP_HALVINGS
            self._ksize = _gauss_ksize(sigma)
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

    ``compose()`` and ``background_only()`` return a buffer the compositor owns and overwrites
    on the next call (for kind ``none`` without mirror: the input frame itself): use it or copy
    it before the next call. ``configure()`` may be called from another thread while frames are
    being composed; the switch takes effect between two frames. Call ``close()`` once at the
    end (it releases a video background); it is safe to call twice.

    Mirror flips the *camera* picture (person and, for blur, the room) left-right; an image or
    video background is not flipped, so text and logos in it stay readable.
    """

    def __init__(self, cfg: BackgroundConfig, mirror: bool = False,
                 foreground: ForegroundFn | None = None) -> None:
        self._lock = threading.Lock()
        self._foreground = foreground
        self._cfg = BackgroundConfig(kind="none")
        self._mirror = False
        self._source: _ImageBackground | _VideoBackground | None = None
        self._bufs: _Buffers | None = None
        self._color_key: tuple[object, ...] | None = None
        self._mask_blur = _MaskAwareBlur()
        self._privacy_blur = _SoftBlur(_PRIVACY_SIGMA, _PRIVACY_GAIN)
        self._soft_blur = _SoftBlur(_SOFT_SIGMA)
        self._wrap = _LightWrap()
        self._box_pyr = _Pyramid()
        self._banded = _BandedBlend()
        self._half_flips: dict[str, np.ndarray] = {}
        self.configure(cfg, mirror)

    @property
    def config(self) -> BackgroundConfig:
        """The background configuration in effect."""
        return self._cfg

    def configure(self, cfg: BackgroundConfig, mirror: bool) -> None:
        """Switch background and mirroring.

        An image or video is loaded *before* anything is replaced: if it can't be read,
        ``BackgroundError`` (one sentence naming the file) is raised and the previous
        background stays active. The same image/video path as now is not reloaded.
        """
        current = self._source
        source: _ImageBackground | _VideoBackground | None = None
        same_file = current is not None and cfg.kind == self._cfg.kind and cfg.path == current.path
        if same_file:
            source = current
        elif cfg.kind == "image":
            source = _ImageBackground(cfg.path or "")
        elif cfg.kind == "video":
            source = _VideoBackground(cfg.path or "")
        with self._lock:
            old = self._source
            self._cfg = cfg
            self._mirror = bool(mirror)
            self._source = source
            self._color_key = None
            if old is not None and old is not source:
                old.close()

    def close(self) -> None:
        """Release a video background. Idempotent; an image/video background composed after
        it shows the configured colour instead."""
        with self._lock:
            if self._source is not None:
                self._source.close()
                self._source = None

    # -- per frame -----------------------------------------------------------------------------

    def _buffers(self, frame: np.ndarray) -> _Buffers:
        if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
            raise ValueError("frame must be a BGR uint8 H×W×3 image.")
        shape = (frame.shape[0], frame.shape[1])
        if self._bufs is None or self._bufs.shape != shape:
            self._bufs = _Buffers(shape)
            self._color_key = None
        return self._bufs

    def _replacement(self, bufs: _Buffers, size: tuple[int, int]) -> np.ndarray:
        """The color/image/video background at ``size`` (advances a video by one frame)."""
        cfg = self._cfg
        if cfg.kind == "color" or self._source is None:
            color = tuple(int(c) for c in cfg.color)
            if self._color_key != (size, color):
                bufs.bg[:] = color
                self._color_key = (size, color)
            return bufs.bg
        return self._source.frame(size)

    def compose(
        self,
        frame: np.ndarray,
        alpha: np.ndarray,
        *,
        frame_half: np.ndarray | None = None,
        alpha_half: np.ndarray | None = None,
        out: np.ndarray | None = None,
    ) -> np.ndarray:
        """Blend the person over the background; see the class doc for who owns the result.

        ``frame``: BGR uint8 H×W×3; ``alpha``: uint8 H×W, 255 = person. Where alpha is 255
        the frame's pixel is kept exactly, where it is 0 the background's.

        ``frame_half`` / ``alpha_half`` (optional): ``frame`` and ``alpha`` shrunk by exactly
        2 with INTER_AREA, H//2 × W//2, when the caller has them anyway (the mask engine does:
        ``MaskEngine.frame_half`` / ``alpha_half``). They save passes over the full-size picture;
        they must show the same picture as ``frame``/``alpha`` (not mirrored: the compositor
        mirrors them along with the frame).

        ``out`` (optional): a C-contiguous BGR uint8 buffer of the frame's size that the
        composite is written into (and returned) instead of the compositor's own, so a caller
        that keeps several composites (the pipeline's ring) needn't copy each one. Kind
        ``none`` still returns the (mirrored) frame, not ``out``.
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
            if self._mirror:
                frame = cv2.flip(frame, 1, dst=bufs.get("frame_flip"))
                if cfg.kind == "none":
                    return frame
                alpha = cv2.flip(alpha, 1, dst=bufs.get("alpha_flip", 1))
                frame_half = self._flipped("frame_half", frame_half)
                alpha_half = self._flipped("alpha_half", alpha_half)
            if cfg.kind == "none":
                return frame
            size = (bufs.shape[1], bufs.shape[0])
            if out is None:
                out = bufs.out
            elif (out.shape != (*bufs.shape, 3) or out.dtype != np.uint8
                  or not out.flags.c_contiguous):
                raise ValueError(f"out must be a contiguous uint8 array of shape "
                                 f"{(*bufs.shape, 3)}, not {out.dtype} {out.shape}.")
            if cfg.kind == "blur":
                # Straight into the output: outside the person's box it is the result.
                self._mask_blur(frame, alpha, cfg.blur_level, out, frame_half, alpha_half)
                bg = out
                small, factor = self._mask_blur.alpha_small, self._mask_blur.factor
                box = _person_box(small, factor, bufs.shape)
            else:
                bg = self._replacement(bufs, size)
                np.copyto(out, bg)  # the cached background must stay clean
                small = self._box_pyr.build(alpha, _BOX_HALVINGS, alpha_half)[-1]
                box = _person_box(small, 2**_BOX_HALVINGS, bufs.shape)
                if self._foreground is not None:
                    # Not for blur: there the room behind the edge is the (blurred) room
                    # itself, so its colour in the edge does not glow, and the ~1 ms is better
                    # saved. Only the box: nothing outside it is blended.
                    frame = self._foreground(frame, alpha, bufs.get("foreground"), box)
            if cfg.light_wrap > 0.0:
                return self._compose_wrapped(frame, alpha, bg, bufs, size, box, out)
            rows, cols = box
            # Banded only for even sizes: an odd last row or column has no half-size pixel.
            if (alpha_half is not None and bufs.shape[0] % 2 == 0 and bufs.shape[1] % 2 == 0
                    and (rows.stop - rows.start) * (cols.stop - cols.start)
                    >= _BANDED_MIN_PIXELS):
                # ``out`` holds the background already: untouched columns are final.
                return self._banded(frame, bg, alpha, alpha_half, bufs, out, box)
            return _blend(frame, bg, alpha, bufs, out, box)

    def _flipped(self, name: str, half: np.ndarray | None) -> np.ndarray | None:
        """``half`` mirrored into a buffer kept for it (None stays None)."""
        if half is None:
            return None
        buf = self._half_flips.get(name)
        if buf is None or buf.shape != half.shape:
            buf = self._half_flips[name] = np.empty_like(half)
        return cv2.flip(half, 1, dst=buf)

    def _compose_wrapped(
        self,
        frame: np.ndarray,
        alpha: np.ndarray,
        bg: np.ndarray,
        bufs: _Buffers,
        size: tuple[int, int],
        box: tuple[slice, slice],
        out: np.ndarray,
    ) -> np.ndarray:
        """``out = a·[(1−w)·fg + w·soft_bg] + (1−a)·bg`` with w the light-wrap band weight.

        For blur and colour the soft background is the background itself, so this is one blend
        with ``a·(1−w)``; image/video use a blurred copy of the background (light from further
        away, no sharp texture inside the person's outline) and need a second blend. Both are
        done only inside ``box`` (alpha is 0 outside it; ``out`` holds the background).
        """
        keep = self._wrap(alpha, self._cfg.light_wrap, bufs.get("keep", 1))
        if self._cfg.kind in ("blur", "color") or self._source is None:
            alpha_wrap = bufs.get("alpha_wrap", 1)
            cv2.multiply(alpha, keep, dst=alpha_wrap, scale=1.0 / 255.0)
            return _blend(frame, bg, alpha_wrap, bufs, out, box)
        soft = self._source.soft(size, self._soft_blur)
        wrapped = _blend(frame, soft, keep, bufs, bufs.get("wrapped"), box)
        return _blend(wrapped, bg, alpha, bufs, out, box)

    def background_only(self, frame: np.ndarray) -> np.ndarray:
        """What to show when no trustworthy mask exists: never the person (privacy).

        blur: a very strong, darkened blur of the whole frame; color/image/video: the
        background itself (a video advances one frame); none: the frame itself (mirrored if
        asked), since the user chose passthrough. Ownership as for ``compose()``.
        """
        with self._lock:
            bufs = self._buffers(frame)
            cfg = self._cfg
            if self._mirror:
                frame = cv2.flip(frame, 1, dst=bufs.get("frame_flip"))
            if cfg.kind == "none":
                return frame
            if cfg.kind == "blur":
                return self._privacy_blur(frame, bufs.out)
            bg = self._replacement(bufs, (bufs.shape[1], bufs.shape[0]))
            np.copyto(bufs.out, bg)  # the caller may draw on the result; keep the cache clean
            return bufs.out
