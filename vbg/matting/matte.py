"""Matte width: a per-model contrast curve that gives the soft edge band the width of a real matte.

Segmentation models trained on coarse masks give a wide, blurry ramp between person and room;
the compositor mixes the room's colour into that whole ramp (the glow around shoulders). Real
mattes are much narrower: on the AISegment portraits (``../shared/data/aiseg60``, true soft
mattes) 1.3 % of the pixels have an alpha between 0.1 and 0.9, against 5.9 % for the live path
of MediaPipe Selfie. ``MatteCurve`` is a linear stretch ``(alpha − lo) / (hi − lo)``, clipped to
[0, 1], whose ``lo``/``hi`` are measured per model and per path (live video at 320 px, stills
at 1024 px) and stored in the model's sidecar JSON::

    "matte": {"live": [0.3, 0.7], "still": [0.25, 0.75]}

A model without that entry is left as it is (identity curve): its band was never measured.

Why linear: the guided filter that upsamples the mask is linear in the mask, so stretching the
small working-resolution alpha *before* it (without clipping) gives exactly the stretched,
clipped full-resolution result; the clip comes free with the filter's saturating uint8 output.
The curve therefore costs one multiply-add on a 320×180 float array per frame and nothing at
full resolution. ``fit_width`` chooses the stretch from predictions and true mattes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

PATHS = ("live", "still")


@dataclass(frozen=True)
class MatteCurve:
    """``alpha → (alpha − lo) / (hi − lo)``; ``0 <= lo < hi <= 1``. Identity when (0, 1)."""

    lo: float = 0.0
    hi: float = 1.0

    def __post_init__(self) -> None:
        if not (0.0 <= self.lo < self.hi <= 1.0):
            raise ValueError(f"A matte curve needs 0 <= lo < hi <= 1, not {self.lo}, {self.hi}.")

    @property
    def identity(self) -> bool:
        return self.lo == 0.0 and self.hi == 1.0

    @classmethod
    def from_sidecar(cls, matte: object, path: str) -> MatteCurve:
        """The curve for ``path`` ("live" or "still") from a sidecar's ``"matte"`` value
        (None or a missing entry: identity). ValueError with one sentence when malformed."""
        if path not in PATHS:
            raise ValueError(f"Unknown matte path {path!r}; use one of {', '.join(PATHS)}.")
        if matte is None:
            return cls()
        if not isinstance(matte, dict):
            raise ValueError('"matte" must be an object like {"live": [0.3, 0.7]}.')
        pair = matte.get(path)
        if pair is None:
            return cls()
        if not (isinstance(pair, list | tuple) and len(pair) == 2):
            raise ValueError(f'"matte"."{path}" must be a pair [lo, hi], not {pair!r}.')
        return cls(float(pair[0]), float(pair[1]))

    def apply_small(self, alpha: np.ndarray, out: np.ndarray) -> np.ndarray:
        """Stretch a float32 working-resolution alpha into ``out`` *without* clipping (the
        guided upsampler's saturating output clips it); returns ``alpha`` itself when the curve
        is the identity. ``out`` is float32 of the same shape."""
        if self.identity:
            return alpha
        scale = 1.0 / (self.hi - self.lo)
        np.multiply(alpha, np.float32(scale), out=out)
        np.subtract(out, np.float32(self.lo * scale), out=out)
        return out

    def lut(self) -> np.ndarray:
        """The curve as a 256-entry uint8 table for ``cv2.LUT`` on a uint8 alpha."""
        x = (np.arange(256, dtype=np.float64) / 255.0 - self.lo) / (self.hi - self.lo)
        return np.round(np.clip(x, 0.0, 1.0) * 255.0).astype(np.uint8)

    def apply_u8(self, alpha: np.ndarray) -> np.ndarray:
        """The curve applied to a uint8 alpha (a new array)."""
        return alpha.copy() if self.identity else cv2.LUT(alpha, self.lut())


def band_share(alpha: np.ndarray, lo: int = 26, hi: int = 229) -> float:
    """Share of pixels with ``lo < alpha < hi`` (uint8), i.e. alpha strictly in (0.1, 0.9)."""
    band = cv2.inRange(alpha, lo + 1, hi - 1)
    return cv2.countNonZero(band) / alpha.size


def fit_width(preds: Sequence[np.ndarray], truths: Sequence[np.ndarray],
              widths: Sequence[float] = tuple(np.round(np.arange(0.1, 1.001, 0.05), 2))
              ) -> MatteCurve:
    """The symmetric stretch around 0.5 (so the 0.5 outline, IoU and boundary F are unchanged)
    whose mean soft-band share over ``preds`` comes closest to that of the true mattes
    ``truths`` (uint8 pairs of the same sizes). ``widths`` are the candidate ``hi − lo``."""
    target = float(np.mean([band_share(t) for t in truths]))
    best, best_gap = MatteCurve(), float("inf")
    for w in widths:
        curve = MatteCurve(round(0.5 - w / 2, 4), round(0.5 + w / 2, 4))
        share = float(np.mean([band_share(curve.apply_u8(p)) for p in preds]))
        if abs(share - target) < best_gap:
            best, best_gap = curve, abs(share - target)
    return best


def curves_for(info: object) -> tuple[MatteCurve, MatteCurve]:
    """(live, still) curves from a ``ModelInfo``'s sidecar ``matte`` entry; ModelError with one
    sentence naming the sidecar when it is malformed."""
    from vbg.errors import ModelError

    matte = getattr(info, "matte", None)
    try:
        return MatteCurve.from_sidecar(matte, "live"), MatteCurve.from_sidecar(matte, "still")
    except (ValueError, TypeError) as exc:
        path = getattr(info, "path", None)
        side = path.with_suffix(".json") if path is not None else "the model's sidecar"
        raise ModelError(f"The matte calibration in {side} is invalid: {exc}") from exc
