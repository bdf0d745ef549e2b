"""The person's box, read from an alpha mask: what the operator frames and what the framing
report measures, by the same rule (pixels with alpha above one half)."""

from __future__ import annotations

import numpy as np

from vbg.framing.operator import Box

SAMPLE_W = 160      # the box is read from about this many samples across: ample for framing
MIN_AREA = 0.005    # fewer person pixels than this share of the frame: nobody there
# The person is centred by their head and shoulders: the rows within this share of the frame's
# height below the top of the head (about what the closest crop, 1/1.6, shows).
UPPER = 0.6


def box_of(mask: np.ndarray, upper: float | None = None) -> Box | None:
    """The bounding box of the ``True`` pixels of a boolean H×W ``mask``, in shares of its size
    (pixel edges: a single pixel at column 0 spans x 0..1/W); None when fewer than
    ``MIN_AREA`` of the pixels are set.

    ``upper`` (a share of the height): the box's left and right come from the rows within that
    distance below its top only, so its centre is the head and shoulders', not that of an arm
    on the desk, a keyboard the mask caught or a shadow at the feet.
    """
    h, w = mask.shape
    if np.count_nonzero(mask) < MIN_AREA * h * w:
        return None
    rows = np.flatnonzero(mask.any(axis=1))
    top, bottom = rows[0], rows[-1] + 1
    band = mask if upper is None else mask[top:top + max(1, round(upper * h))]
    cols = np.flatnonzero(band.any(axis=0))
    return Box(cols[0] / w, top / h, (cols[-1] + 1) / w, bottom / h)


class BoxReader:
    """Reads the person's box from full-size uint8 alphas."""

    def __call__(self, alpha: np.ndarray) -> Box | None:
        """The box of ``alpha`` > 127 (uint8 H×W), shares of the frame; None: nobody there.
        Read from every n-th pixel, about ``SAMPLE_W`` across (a strided view: no copy, no
        resize), with one sample of margin on every side, so the top of the head is never
        placed below where it is."""
        h, w = alpha.shape
        stride = max(1, w // SAMPLE_W)
        small = alpha[::stride, ::stride]
        sh, sw = small.shape
        box = box_of(small > 127, UPPER)
        if box is None:
            return None
        # Sample i stands for pixels i*stride .. (i+1)*stride - 1; widen by one sample.
        return Box(max(box.x0 - 1 / sw, 0.0), max(box.y0 - 1 / sh, 0.0),
                   min(box.x1 + 1 / sw, 1.0), min(box.y1 + 1 / sh, 1.0))
