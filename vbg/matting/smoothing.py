"""Motion-aware temporal smoothing of the low-resolution alpha mask.

A fixed exponential moving average trades flicker for lag: it calms the edges but leaves a
moving arm cut off for a few frames (ghosting). Here the weight kept from the previous mask is
decided per pixel from how much the *picture* changed there: where the camera image is still,
the mask is smoothed strongly; where it moves, the new mask is taken as it is.
"""

from __future__ import annotations

import cv2
import numpy as np

from vbg.config import MattingConfig

# Side of the box filter applied before differencing the grey images. 5×5 at ~320×180 working
# resolution is about 20×20 camera pixels at 720p: wide enough to average sensor noise away,
# narrow enough that the edge of a moving silhouette still registers at full strength.
_MOTION_BOX = 5


class TemporalSmoother:
    """Per-pixel, motion-gated recursive smoothing of an alpha mask.

    For each pixel::

        motion = |box(gray) - box(prev_gray)|            (grey levels, 0..255)
        keep   = strength * clip(1 - motion / motion_threshold, 0, 1)
        out    = keep * prev_out + (1 - keep) * alpha

    The grey images are box-filtered *before* they are differenced: averaging the signed
    difference cancels zero-mean sensor noise, whereas averaging ``|difference|`` would not
    (the mean of ``|noise|`` does not shrink), so noise would read as motion and switch the
    smoothing off. A moving edge gives a same-signed difference and survives the filter.

    Contract: ``alpha`` is float32 h×w in [0, 1] and ``gray`` uint8 h×w, both at the same
    (low, working) resolution and covering the same full-frame field of view every call. The
    first call, a call after ``reset()``, and any change of size return ``alpha`` unchanged and
    restart the history.

    The returned array is a read-only view of a buffer this object owns and overwrites on the
    next call (it is also the history): read it or copy it before calling again; never keep it.
    Not thread-safe: use one instance per pipeline thread.
    """

    # The defaults are the configuration's (one source of truth for the tuned values).
    def __init__(self, strength: float = MattingConfig.smooth_strength,
                 motion_threshold: float = MattingConfig.motion_threshold) -> None:
        if not 0.0 <= strength < 1.0:
            raise ValueError("Smoothing strength must be at least 0 and below 1.")
        if motion_threshold <= 0:
            raise ValueError("Motion threshold must be above 0.")
        self.strength = float(strength)
        self.motion_threshold = float(motion_threshold)
        self._shape: tuple[int, int] | None = None
        self.reset()

    def reset(self) -> None:
        """Forget the history: the next call returns its ``alpha`` unchanged."""
        self._has_history = False

    def _allocate(self, shape: tuple[int, int]) -> None:
        self._shape = shape
        self._out = np.empty(shape, np.float32)  # previous output = the history
        self._view = self._out.view()
        self._view.flags.writeable = False  # callers can't corrupt the history by accident
        self._gray_cur = np.empty(shape, np.float32)  # box-filtered grey, this frame
        self._gray_prev = np.empty(shape, np.float32)  # box-filtered grey, previous frame
        self._keep = np.empty(shape, np.float32)
        self._tmp = np.empty(shape, np.float32)

    def __call__(self, alpha: np.ndarray, gray: np.ndarray) -> np.ndarray:
        """Smooth ``alpha`` (float32 h×w, 0..1) given ``gray`` (uint8 h×w); see the class doc."""
        if alpha.ndim != 2 or gray.shape != alpha.shape:
            raise ValueError(
                f"alpha {alpha.shape} and gray {gray.shape} must be 2-D and the same size."
            )
        shape = (alpha.shape[0], alpha.shape[1])
        if shape != self._shape:
            self._allocate(shape)
            self._has_history = False

        cv2.boxFilter(
            gray,
            cv2.CV_32F,
            (_MOTION_BOX, _MOTION_BOX),
            dst=self._gray_cur,
            normalize=True,
            borderType=cv2.BORDER_REPLICATE,
        )
        if not self._has_history or self.strength == 0.0:
            np.copyto(self._out, alpha)
        else:
            keep, tmp = self._keep, self._tmp
            cv2.absdiff(self._gray_cur, self._gray_prev, dst=keep)
            # keep = strength * (1 - motion/threshold), floored at 0 (motion >= 0, so the
            # upper clip at `strength` holds by construction).
            k = self.strength / self.motion_threshold
            np.multiply(keep, -k, out=keep)
            keep += self.strength
            np.maximum(keep, 0.0, out=keep)
            # out = alpha + keep * (prev - alpha), done in place in the history buffer.
            np.subtract(self._out, alpha, out=tmp)
            tmp *= keep
            np.add(alpha, tmp, out=self._out)
        self._has_history = True
        # Swap rather than copy: this frame's filtered grey becomes the previous one.
        self._gray_cur, self._gray_prev = self._gray_prev, self._gray_cur
        return self._view
