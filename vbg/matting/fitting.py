"""How a picture region is fitted to a model's fixed input size, and how the output goes back.

Three modes: ``stretch`` (resize, aspect ignored), ``crop`` (scale to cover, centre-crop) and
``letterbox`` (scale to fit, pad with grey). Which one is best is a measured, per-model choice
(see models/MODEL_CARD.md): the MediaPipe models do better stretched.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True, slots=True)
class Placement:
    """Where the fitted region sits inside the model input: the sub-rectangle
    ``[y0:y1, x0:x1]`` of the input that shows (part of) the region, and the part of the region
    it shows, as fractions ``(fx0, fy0, fx1, fy1)`` of the region (for crop mode < full)."""

    x0: int
    y0: int
    x1: int
    y1: int
    region_frac: tuple[float, float, float, float]


def placement(region_w: int, region_h: int, in_w: int, in_h: int, mode: str) -> Placement:
    """Compute how a ``region_w×region_h`` picture maps into an ``in_w×in_h`` input."""
    if mode == "stretch" or region_w <= 0 or region_h <= 0:
        return Placement(0, 0, in_w, in_h, (0.0, 0.0, 1.0, 1.0))
    sx, sy = in_w / region_w, in_h / region_h
    if mode == "letterbox":
        s = min(sx, sy)
        w, h = max(1, round(region_w * s)), max(1, round(region_h * s))
        x0, y0 = (in_w - w) // 2, (in_h - h) // 2
        return Placement(x0, y0, x0 + w, y0 + h, (0.0, 0.0, 1.0, 1.0))
    if mode == "crop":
        s = max(sx, sy)
        vis_w, vis_h = in_w / s / region_w, in_h / s / region_h  # visible fraction of region
        fx0, fy0 = (1 - vis_w) / 2, (1 - vis_h) / 2
        return Placement(0, 0, in_w, in_h, (fx0, fy0, fx0 + vis_w, fy0 + vis_h))
    raise ValueError(f"Fit {mode!r} is unknown; use stretch, crop or letterbox.")


def fit_into(region: np.ndarray, dst: np.ndarray, mode: str) -> Placement:
    """Resize the BGR ``region`` into the preallocated BGR input image ``dst`` (H×W×3 uint8).

    Letterbox padding is mid-grey, which these models read as "not a person".
    """
    in_h, in_w = dst.shape[:2]
    rh, rw = region.shape[:2]
    p = placement(rw, rh, in_w, in_h, mode)
    fx0, fy0, fx1, fy1 = p.region_frac
    rows = slice(round(fy0 * rh), max(round(fy1 * rh), 1))
    cols = slice(round(fx0 * rw), max(round(fx1 * rw), 1))
    src = region[rows, cols]
    # INTER_AREA only where it matters (shrinking 2x or more); at a non-integer factor it costs
    # ~10x INTER_LINEAR, and the engine already hands in a pre-shrunk picture.
    shrink = min(src.shape[0] / max(p.y1 - p.y0, 1), src.shape[1] / max(p.x1 - p.x0, 1))
    interp = cv2.INTER_AREA if shrink >= 2.0 else cv2.INTER_LINEAR
    if mode == "letterbox":
        dst[:] = 128
        cv2.resize(src, (p.x1 - p.x0, p.y1 - p.y0), dst=dst[p.y0 : p.y1, p.x0 : p.x1],
                   interpolation=interp)
    else:
        cv2.resize(src, (in_w, in_h), dst=dst, interpolation=interp)
    return p


def unfit(prob: np.ndarray, p: Placement, out: np.ndarray) -> None:
    """Write the model output ``prob`` (input-sized float32) back over the region ``out``
    (float32 view, the region's size in working coordinates). Parts of the region the model did
    not see (crop mode) get 0: unknown counts as background (privacy fails closed)."""
    oh, ow = out.shape[:2]
    if oh == 0 or ow == 0:
        return
    fx0, fy0, fx1, fy1 = p.region_frac
    src = prob[p.y0 : p.y1, p.x0 : p.x1]
    x0, y0 = round(fx0 * ow), round(fy0 * oh)
    x1, y1 = max(round(fx1 * ow), x0 + 1), max(round(fy1 * oh), y0 + 1)
    if (x0, y0, x1, y1) != (0, 0, ow, oh):
        out[:] = 0.0
    cv2.resize(src, (x1 - x0, y1 - y0), dst=out[y0:y1, x0:x1], interpolation=cv2.INTER_LINEAR)
