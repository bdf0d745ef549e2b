"""Foreground colour in the edge band: take the room's colour out of the person's edge.

A pixel in the soft edge band is a mix ``I = a·F + (1 − a)·B`` of the person (F) and the room
(B). Compositing the camera pixel ``I`` instead of ``F`` over a new background carries
``(1 − a)·B`` of the room along: the white-wall glow around shoulders, the bright rim around
dark hair on a black background. Two estimators of F:

- ``FastForeground`` (live video, uint8 at full size): with ``F̄`` and ``B̄`` the local mean
  colours of the person and of the room (normalised convolutions at 1/8 size, weighted by
  a⁸ and (1 − a)⁸ so that mixed pixels hardly count), ``F ≈ I + (1 − a)·(F̄ − B̄)``. This is
  exact where F and B are locally flat, and in general equals ``a·F + (1 − a)·F̄``: the true
  colour where the person dominates, the nearby person colour where the room does. It is a
  one-step form of Forte & Pitié's blur fusion ("Approximate fast foreground colour
  estimation", ICIP 2021) with the blurs done on a small pyramid level. At full size only the
  soft pixels themselves are touched.
- ``estimate_foreground_still`` (photos): pymatting's multi-level ``estimate_foreground_ml``
  (Germer et al.) when the optional ``matting`` extra is installed, otherwise the fast one.
"""

from __future__ import annotations

import cv2
import numpy as np

# 1/8 size: the local means need context of a few tens of pixels at 720p, and at 160×90 the
# float32 work is negligible.
_HALVINGS = 3
# Gaussian sigma of the local means at 1/8 size (≈ 16 px at full size).
_SIGMA_SMALL = 2.0


_REMAP_COLS = 1024
_PIXEL = np.dtype("V3")  # one BGR pixel as an opaque 3-byte item


def _eighth_power(x: np.ndarray, out: np.ndarray) -> None:
    np.multiply(x, x, out=out)
    np.multiply(out, out, out=out)
    np.multiply(out, out, out=out)


class FastForeground:
    """Per-frame foreground colour estimate for video, into a caller-owned uint8 buffer.

    ``__call__(frame, alpha, out, box=None)``: ``frame`` BGR uint8 H×W×3, ``alpha`` uint8 H×W
    (255 = person), ``out`` C-contiguous uint8 H×W×3 (not ``frame``). Writes ``out = frame``
    where alpha is 0 or 255 and the estimate ``I + (1 − a)·(F̄ − B̄)`` (rounded, clipped) in
    between; returns ``out``. With ``box`` (rows, cols), only that part of ``out`` is
    written (the rest is left as it is): what a compositor that blends only inside the
    person's box needs; the local means still come from the whole frame, so the pixels in the
    box are the same as without it. The soft pixels are a few per cent of a frame once the matte
    has its calibrated width, so they are gathered and corrected as a list (the local means
    sampled bilinearly with ``cv2.remap``) rather than by full-frame passes. Buffers are
    reused while the frame size stays the same. Not thread-safe.
    """

    def __init__(self) -> None:
        self._shape: tuple[int, int] | None = None

    def _allocate(self, shape: tuple[int, int]) -> None:
        self._shape = shape
        h, w = shape
        self._band_full = np.empty(shape, np.uint8)
        h, w = max(1, h >> _HALVINGS), max(1, w >> _HALVINGS)
        self._f_small = np.empty((h, w, 3), np.uint8)
        self._a_small = np.empty((h, w), np.uint8)
        self._af = np.empty((h, w), np.float32)
        self._wf = np.empty((h, w), np.float32)
        self._weight = np.empty((h, w), np.float32)
        self._w3 = np.empty((h, w, 3), np.float32)
        self._num = np.empty((h, w, 3), np.float32)
        self._fs = np.empty((h, w, 3), np.float32)
        self._bs = np.empty((h, w, 3), np.float32)
        self._diff = np.empty((h, w, 3), np.float32)
        k = int(np.ceil(3 * _SIGMA_SMALL)) * 2 + 1
        self._ksize = (k, k)
        # Full-size pixel centre x → small-level coordinate: (x + 0.5)·s − 0.5 (as cv2.resize).
        fh, fw = shape
        self._sx, self._sy = w / fw, h / fh

    def _local_mean(self, small: np.ndarray, weight: np.ndarray, out: np.ndarray) -> None:
        """Normalised convolution: blur(small·w) / blur(w), w floored so 0/0 can't happen."""
        cv2.GaussianBlur(weight, self._ksize, _SIGMA_SMALL, dst=self._wf,
                         borderType=cv2.BORDER_REFLECT)
        np.maximum(self._wf, np.float32(1e-8), out=self._wf)
        cv2.cvtColor(weight, cv2.COLOR_GRAY2BGR, dst=self._w3)
        cv2.multiply(small, self._w3, dst=self._num, dtype=cv2.CV_32F)
        cv2.GaussianBlur(self._num, self._ksize, _SIGMA_SMALL, dst=self._num,
                         borderType=cv2.BORDER_REFLECT)
        cv2.cvtColor(self._wf, cv2.COLOR_GRAY2BGR, dst=self._w3)
        cv2.divide(self._num, self._w3, dst=out)

    def __call__(self, frame: np.ndarray, alpha: np.ndarray, out: np.ndarray,
                 box: tuple[slice, slice] | None = None) -> np.ndarray:
        shape = (frame.shape[0], frame.shape[1])
        if shape != self._shape:
            self._allocate(shape)
        b_rows, b_cols = box if box is not None else (slice(0, shape[0]), slice(0, shape[1]))
        if b_rows.stop <= b_rows.start or b_cols.stop <= b_cols.start:
            return out
        np.copyto(out[b_rows, b_cols], frame[b_rows, b_cols])
        # Soft pixels; below 1 % or above 99 % the correction is below one grey level.
        # findNonZero scans every pixel it is given (~0.6 ms for a whole 720p frame): only
        # the box.
        band = cv2.inRange(alpha[b_rows, b_cols], 3, 252,
                           dst=self._band_full[b_rows, b_cols])
        points = cv2.findNonZero(band)  # (x, y) in the box, None when there are none
        if points is None:
            return out  # no soft pixels: nothing to decontaminate

        # Straight to 1/8 with bilinear sampling (a tenth of the cost of area averaging): the
        # local means blur over ±6 small pixels anyway, which averages the sampling out.
        src_f, src_a = self._f_small, self._a_small
        cv2.resize(frame, src_f.shape[1::-1], dst=src_f, interpolation=cv2.INTER_LINEAR)
        cv2.resize(alpha, src_a.shape[1::-1], dst=src_a, interpolation=cv2.INTER_LINEAR)
        af, w = self._af, self._weight
        np.multiply(src_a, np.float32(1.0 / 255.0), out=af)
        _eighth_power(af, w)  # person weight a⁸: only (nearly) solid person pixels count
        self._local_mean(src_f, w, self._fs)
        np.subtract(1.0, af, out=af)
        _eighth_power(af, w)  # room weight (1 − a)⁸
        self._local_mean(src_f, w, self._bs)
        cv2.subtract(self._fs, self._bs, dst=self._diff)  # F̄ − B̄

        points = points.reshape(-1, 2)  # N×1×2 in OpenCV 4, N×2 in 5
        xs, ys = points[:, 0] + b_cols.start, points[:, 1] + b_rows.start
        # cv2.remap takes maps of fewer than 32767 rows: lay the point list out in rows of
        # _REMAP_COLS (the tail padded), then read the samples back as a list.
        n = len(xs)
        rows = -(-n // _REMAP_COLS)
        map_x = np.empty(rows * _REMAP_COLS, np.float32)
        map_y = np.empty(rows * _REMAP_COLS, np.float32)
        np.multiply(xs + 0.5, self._sx, out=map_x[:n], casting="unsafe")
        np.multiply(ys + 0.5, self._sy, out=map_y[:n], casting="unsafe")
        map_x[:n] -= 0.5
        map_y[:n] -= 0.5
        map_x[n:] = 0.0
        map_y[n:] = 0.0
        diff = cv2.remap(self._diff, map_x.reshape(rows, _REMAP_COLS),
                         map_y.reshape(rows, _REMAP_COLS), cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_REPLICATE).reshape(-1, 3)[:n]
        # Flat indices into 3-byte "pixel" views: np.take/np.put on those are several times
        # faster than 2-D fancy indexing of an H×W×3 array.
        idx = ys.astype(np.intp) * shape[1] + xs
        keep = np.take(alpha.reshape(-1), idx).astype(np.float32)
        np.multiply(keep, np.float32(-1.0 / 255.0), out=keep)
        keep += 1.0  # 1 − a
        pixels = np.ascontiguousarray(frame).view(_PIXEL).reshape(-1)
        fixed = np.take(pixels, idx).view(np.uint8).reshape(-1, 3).astype(np.float32)
        fixed += keep[:, None] * diff
        np.clip(fixed, 0.0, 255.0, out=fixed)
        fixed += 0.5  # the cast truncates; values are ≥ 0, so this rounds
        np.put(out.view(_PIXEL).reshape(-1), idx, fixed.astype(np.uint8).view(_PIXEL))
        return out


def estimate_foreground_still(image: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Foreground colour of a photo (BGR uint8) for its alpha (uint8): pymatting's
    ``estimate_foreground_ml`` when installed (``pip install vbg[matting]``), else
    ``FastForeground``. Pixels with alpha 255 keep their colour exactly."""
    try:
        from pymatting import estimate_foreground_ml
    except ImportError:
        return FastForeground()(image, alpha, np.empty_like(image))
    img = image.astype(np.float64) / 255.0
    a = alpha.astype(np.float64) / 255.0
    fg = estimate_foreground_ml(img, a)
    out = np.clip(fg * 255.0 + 0.5, 0, 255).astype(np.uint8)
    np.copyto(out, image, where=(alpha == 255)[..., None])
    return out
