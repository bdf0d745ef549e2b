"""Blur kernels of the compositor: exact 2× area halvings, the plain soft blur of a whole
picture (privacy, light wrap's soft background) and the mask-aware blur of the room.

All of them work at a reduced size into buffers kept across frames: the per-frame calls
allocate nothing while the frame size holds. The sizes and strengths chosen here are
measured decisions; the numbers behind them are in docs/benchmarks.md (the compositor's
design numbers).
"""

from __future__ import annotations

import cv2
import numpy as np

# Blur strength: Gaussian sigma as a fraction of the frame height, so a level looks the same at
# 480p and 1080p. Level 1 ≈ 6 px, 5 ≈ 19 px, 10 ≈ 35 px at 720p.
_SIGMA_BASE = 0.004
_SIGMA_PER_LEVEL = 0.0031
# The blur is computed at 1/f of the frame size, f a power of two reached by exact 2× area
# halvings (OpenCV's fast path; a direct INTER_AREA resize to 1/8 is far slower): f = 4 at
# least (float32 work at 1/2 size is too slow for the frame budget), f = 8 when that still
# leaves a sigma of 1.5 px at the small size (below that the bilinear upscale starts to show
# its grid).
_MIN_SMALL_SIGMA = 1.5
_MIN_HALVINGS = 2
_MAX_HALVINGS = 3


def _odd(n: float) -> int:
    k = int(np.ceil(n)) | 1
    return max(3, k)


def gauss_ksize(sigma: float) -> tuple[int, int]:
    """±3 sigma. (Given to stackBlur, whose tent-like kernel is a little wider: fine where it
    is used, for backgrounds meant to be very soft.)"""
    k = _odd(6.0 * sigma)
    return (k, k)


class Pyramid:
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


def halvings_for(sigma: float, height: int, width: int) -> int:
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


class SoftBlur:
    """Plain (not mask-aware) strong blur at reduced size, upscaled into ``out``.

    ``sigma_frac``: the Gaussian sigma as a fraction of the picture's height; ``gain``: a
    factor applied to the blurred picture (< 1 darkens it). Not thread-safe: one owner calls it.
    """

    def __init__(self, sigma_frac: float, gain: float = 1.0) -> None:
        self.sigma_frac = sigma_frac
        self.gain = gain
        self._pyr = Pyramid()
        self._small: np.ndarray | None = None

    def __call__(self, image: np.ndarray, out: np.ndarray) -> np.ndarray:
        """The blur of ``image`` (BGR uint8) written into ``out`` (its size) and returned."""
        h, w = image.shape[:2]
        sigma = self.sigma_frac * h
        levels = self._pyr.build(image, halvings_for(sigma, h, w))
        src = levels[-1]
        if self._small is None or self._small.shape != src.shape:
            self._small = np.empty_like(src)
        small_sigma = sigma * src.shape[0] / h
        cv2.stackBlur(src, gauss_ksize(small_sigma), dst=self._small)
        if self.gain != 1.0:
            # convertScaleAbs scales every channel (a bare float given to cv2.multiply is, in
            # some OpenCV versions, a Scalar that only touches the first channel).
            cv2.convertScaleAbs(self._small, dst=self._small, alpha=self.gain)
        cv2.resize(self._small, (w, h), dst=out, interpolation=cv2.INTER_LINEAR)
        return out


class MaskAwareBlur:
    """Blur of the background only: normalised convolution weighted by (1 − alpha).

    ``bg = blur(frame · w) / blur(w)`` with ``w = 1 − dilate(alpha)``: person pixels carry
    (almost) no weight, so the person's colour never bleeds into the blurred background (the
    halo of a plain blur). The dilation by one small pixel also drops the soft, mixed edge of
    the mask and a mask that is a little too tight. ``w`` is floored at 1/255 so that deep
    inside a large person, where no background is in reach, the result falls back to a plain
    blur instead of 0/0; anywhere with background in reach that floor is negligible.
    Computed in float32 at 1/2**k size with contiguous cv2 calls (numpy on strided channel
    views was much slower), then upscaled as uint8.
    """

    def __init__(self) -> None:
        self._frame_pyr = Pyramid()
        self._alpha_pyr = Pyramid()
        self._key: tuple[tuple[int, int], int] | None = None

    def _allocate(self, shape: tuple[int, int], level: int) -> None:
        h, w = shape
        self._key = (shape, level)
        sigma = (_SIGMA_BASE + _SIGMA_PER_LEVEL * level) * h
        self._halvings = halvings_for(sigma, h, w)
        sh, sw = h >> self._halvings, w >> self._halvings
        self._sigma_small = sigma / 2**self._halvings
        self._ksize = gauss_ksize(self._sigma_small)
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
        2× area halvings of ``frame``/``alpha`` (see ``Pyramid.build``). The reduced alpha
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
