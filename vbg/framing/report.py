"""The framing report: how well a video's output is framed, read from its masks.

Per frame, from the output's alpha (what the viewer sees) by the plain rule of the issue (the
box of alpha above one half, all of it): the box centre's offset from the middle (share of the
width), the head room (box top, share of the height), and whether the framing cut the head (the
crop starts below the top of the person in the camera frame). Over the video: medians, the count
of cut frames, and the jitter of the box centre (its frame-to-frame change, mean and 95th
percentile, share of the width). ``vbg video --framing-report`` prints it, framing on or off,
so the same numbers compare before and after.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vbg.framing.measure import box_of
from vbg.framing.operator import Crop


@dataclass(frozen=True, slots=True)
class FramingSummary:
    """The report's numbers; NaN where no frame had a person (``seen`` == 0)."""

    frames: int
    seen: int
    centre_offset: float
    head_room: float
    head_cut: int
    jitter_mean: float
    jitter_p95: float

    def text(self) -> str:
        """One paragraph for the terminal."""
        return (f"Framing: the person in {self.seen} of {self.frames} frames; centre "
                f"{self.centre_offset:.3f} of the width from the middle (median), head room "
                f"{self.head_room:.3f} of the height (median), head cut by the framing in "
                f"{self.head_cut} frames, centre jitter {self.jitter_mean:.4f} mean and "
                f"{self.jitter_p95:.4f} p95 of the width per frame.")


class FramingMeter:
    """Collects one frame at a time; :meth:`summary` at the end."""

    def __init__(self) -> None:
        self._centre: list[float] = []   # NaN: nobody in that frame
        self._top: list[float] = []
        self._cut = 0

    def add(self, source_alpha: np.ndarray, crop: Crop, output_alpha: np.ndarray) -> None:
        """One frame: the camera frame's alpha (before any crop), the crop shown, and the
        alpha of the output picture (uint8, any size)."""
        out = box_of(output_alpha > 127)
        self._centre.append(np.nan if out is None else out.cx)
        self._top.append(np.nan if out is None else out.y0)
        src = box_of(source_alpha > 127)
        rows = source_alpha.shape[0]
        if src is not None and crop.y0 * rows > src.y0 * rows + 0.5:  # half a pixel: rounding
            self._cut += 1

    def summary(self) -> FramingSummary:
        centre = np.array(self._centre, np.float64)
        seen = int(np.count_nonzero(~np.isnan(centre)))
        steps = np.abs(np.diff(centre))
        steps = steps[~np.isnan(steps)]
        nan = float("nan")
        return FramingSummary(
            frames=len(centre),
            seen=seen,
            centre_offset=float(np.nanmedian(np.abs(centre - 0.5))) if seen else nan,
            head_room=float(np.nanmedian(np.array(self._top))) if seen else nan,
            head_cut=self._cut,
            jitter_mean=float(steps.mean()) if steps.size else nan,
            jitter_p95=float(np.percentile(steps, 95)) if steps.size else nan,
        )
