"""Reuse the last mask while the person's part of the picture is still.

On a still frame the model would return (almost) the mask it returned last time, so running
it again only costs CPU. ``StillnessGate`` compares the grey picture, box-filtered to average
sensor noise away, against the picture the model last saw, over the region where the person
is (the only place the mask can change between detection passes). Only when the largest
change anywhere in that region stays below a noise-floor threshold may the model be skipped;
anything that moves there runs it on that very frame, so a reused mask is never one frame
behind a moving arm. A run is forced at least every ``max_skip + 1`` frames regardless.
"""

from __future__ import annotations

import cv2
import numpy as np

from vbg.matting.focus import FULL, Region

# Same noise-averaging box as the temporal smoother: ~20×20 camera pixels at 720p.
_BOX = 5
# Grown around the person's region, in working pixels, so an arm entering its edge counts.
_MARGIN = 4


class StillnessGate:
    """Per-frame decision "the mask may be reused"; see the module doc.

    ``threshold``: the largest allowed change of the box-filtered grey (0..255) anywhere in the
    region since the model last ran. Measured here: camera-like noise (σ = 3 grey levels per
    pixel) gives at most ~1.2 after the box filter; a person talking or typing gives 5 to 100.
    ``max_skip``: consecutive frames that may reuse a mask before the model must run again.

    Protocol per frame: ``observe(gray)``, then (where reuse is allowed at all) ``still(region)``;
    whenever the model runs on the frame, call ``ran()`` afterwards, which makes it the new
    reference. ``gray`` is the working-size grey picture of the whole frame (uint8 h×w);
    ``region`` the part of the frame the mask depends on (None: the whole frame). Not
    thread-safe.
    """

    def __init__(self, threshold: float = 3.0, max_skip: int = 4) -> None:
        if threshold <= 0:
            raise ValueError("The stillness threshold must be above 0.")
        if max_skip < 0:
            raise ValueError("max_skip must not be negative.")
        self.threshold = float(threshold)
        self.max_skip = int(max_skip)
        self._shape: tuple[int, int] | None = None
        self.reset()

    def reset(self) -> None:
        """Forget the reference: the next frame runs the model."""
        self._has_ref = False
        self._skipped = 0

    def _allocate(self, shape: tuple[int, int]) -> None:
        self._shape = shape
        self._cur = np.empty(shape, np.float32)
        self._ref = np.empty(shape, np.float32)
        self._diff = np.empty(shape, np.float32)

    def observe(self, gray: np.ndarray) -> None:
        """Take this frame's grey picture (call once per frame, before ``still``)."""
        shape = (gray.shape[0], gray.shape[1])
        if shape != self._shape:
            self._allocate(shape)
            self._has_ref = False
        cv2.boxFilter(gray, cv2.CV_32F, (_BOX, _BOX), dst=self._cur, normalize=True,
                      borderType=cv2.BORDER_REPLICATE)

    def still(self, region: Region | None) -> bool:
        """True when the mask of the reference frame may be reused for the observed frame."""
        if not self._has_ref or self._skipped >= self.max_skip or self._shape is None:
            return False
        shape = self._shape
        h, w = shape
        x0, y0, x1, y1 = (region or FULL).pixels(w, h)
        rows = slice(max(0, y0 - _MARGIN), min(h, y1 + _MARGIN))
        cols = slice(max(0, x0 - _MARGIN), min(w, x1 + _MARGIN))
        diff = cv2.absdiff(self._cur[rows, cols], self._ref[rows, cols],
                           dst=self._diff[rows, cols])
        if float(diff.max()) >= self.threshold:
            return False
        self._skipped += 1
        return True

    def ran(self) -> None:
        """The model ran on the frame last observed: it is the new reference."""
        self._cur, self._ref = self._ref, self._cur
        self._has_ref = True
        self._skipped = 0
