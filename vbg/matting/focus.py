"""The person-focused region: run the model on a crop around the person, not the whole room.

A 256-pixel model input spread over a whole 16:9 room gives the person maybe 100 pixels; a crop
around them gives them all 256. For stills the region comes from a first full-frame pass; for
video it is tracked from the previous mask, with a periodic full-frame pass so that someone
entering the picture is not missed.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True, slots=True)
class Region:
    """A rectangle in fractions of the frame: ``0 <= x0 < x1 <= 1`` and likewise for y."""

    x0: float
    y0: float
    x1: float
    y1: float

    def pixels(self, width: int, height: int) -> tuple[int, int, int, int]:
        """The rectangle in pixels of a ``width×height`` picture, at least one pixel big."""
        x0, y0 = int(self.x0 * width), int(self.y0 * height)
        x1 = max(int(round(self.x1 * width)), x0 + 1)
        y1 = max(int(round(self.y1 * height)), y0 + 1)
        return x0, y0, min(x1, width), min(y1, height)

    def contains(self, other: Region) -> bool:
        return (self.x0 <= other.x0 and self.y0 <= other.y0 and self.x1 >= other.x1
                and self.y1 >= other.y1)

    def union(self, other: Region) -> Region:
        return Region(min(self.x0, other.x0), min(self.y0, other.y0),
                      max(self.x1, other.x1), max(self.y1, other.y1))


FULL = Region(0.0, 0.0, 1.0, 1.0)


def person_region(alpha: np.ndarray, threshold: float = 0.5, margin: float = 0.12,
                  min_area: float = 0.002, min_side: float = 0.3) -> Region | None:
    """The box around ``alpha > threshold`` grown by ``margin`` of its size on each side (more
    above, for hair), at least ``min_side`` of the frame on each axis; None when (almost) no
    person is there, which means "use the full frame".
    """
    h, w = alpha.shape[:2]
    mask = (alpha > threshold).astype(np.uint8)
    if cv2.countNonZero(mask) < min_area * h * w:
        return None
    x, y, bw, bh = cv2.boundingRect(mask)
    x0, y0, x1, y1 = x / w, y / h, (x + bw) / w, (y + bh) / h
    mx, my = margin * (x1 - x0), margin * (y1 - y0)
    x0, x1, y0, y1 = x0 - mx, x1 + mx, y0 - 1.5 * my, y1 + my
    # Keep the crop from getting tiny: grow it around its centre to the minimum size.
    for lo, hi in ((0, 1), (2, 3)):
        box = [x0, x1, y0, y1]
        a, b = box[lo], box[hi]
        if b - a < min_side:
            c = (a + b) / 2
            a, b = c - min_side / 2, c + min_side / 2
        box[lo], box[hi] = a, b
        x0, x1, y0, y1 = box
    return Region(max(0.0, x0), max(0.0, y0), min(1.0, x1), min(1.0, y1))


class RegionTracker:
    """Chooses the region to run the model on for each video frame.

    ``plan()`` says which region to use and whether this frame also needs a full-frame
    detection pass (every ``full_every`` frames, or while nobody is tracked). ``update()`` takes
    the working-resolution alpha of the result. The tracked box grows at once (a raised arm must
    not be cut off) and shrinks only after a few frames, so the crop doesn't jitter.
    """

    def __init__(self, full_every: int = 15, shrink_after: int = 10) -> None:
        self.full_every = full_every
        self.shrink_after = shrink_after
        self.reset()

    def reset(self) -> None:
        self.region: Region | None = None
        self._count = 0
        self._smaller_for = 0

    def plan(self) -> tuple[Region | None, bool]:
        """(tracked region or None, whether to run a full-frame detection pass now)."""
        full_pass = self.region is None or self._count % self.full_every == 0
        self._count += 1
        return self.region, full_pass

    def update(self, alpha: np.ndarray) -> None:
        """Track the person in ``alpha`` (working-resolution mask of the whole frame)."""
        found = person_region(alpha)
        if found is None:
            self.region = None
            self._smaller_for = 0
            return
        if self.region is None or not self.region.contains(found):
            self.region = found if self.region is None else self.region.union(found)
            self._smaller_for = 0
            return
        self._smaller_for += 1
        if self._smaller_for >= self.shrink_after:
            self.region, self._smaller_for = found, 0
