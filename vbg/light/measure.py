"""What the light is fitted to, measured on a small sample of the frame (about 160 px wide).

The person's **exposure** is read on the face, where a viewer looks and where clothes don't
count: the top of the person's mask, a band as tall as 1.3 head widths (the mean width of the
mask's top 15 %), at most 40 % of the person's height. Its *log-average* luminance (the key, as
photographers' meters and Reinhard's tone mapping use it) is what a gamma maps exactly:
``key(x^g) = key(x)^g``. The band's 90th percentile (its *top*) is the brightest the face
really is: a face that is lit while hair, a hat or sunglasses darken its band has a bright top,
a face in a dim room a dim one. A figure too small for a face band (under ``MIN_FACE_WEIGHT``
of person in it) is metered on the whole person. The **highlights** are the person's 99th
percentile of luminance; the whole person's key is what matching compares with the background's
(like with like: a face is darker than most backgrounds); the **colour** is the mean
linear-light BGR of the person's well-exposed pixels (luma neither near black, where noise
rules, nor near clipping), so the colour temperature is read from light, not from noise or from
a blown-out shirt.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from vbg.light.curve import LINEAR

SAMPLE_WIDTH = 160
# Luma below this is mostly noise, above this near clipping: neither tells the colour.
_DARK, _CLIPPED = 8, 245
# The key's log is taken of x + _EPS (x in 0..1), so black noise does not rule the average.
_EPS = 0.01
_LOG = np.log(np.arange(256, dtype=np.float64) / 255.0 + _EPS).astype(np.float32)
# A face band needs this many pixels' worth of person (alpha sum / 255) to be read alone.
MIN_FACE_WEIGHT = 24.0
# A sample with less person than this (share of its pixels) is "nobody there".
MIN_PERSON_SHARE = 0.002


@dataclass(frozen=True, slots=True)
class PersonStats:
    """The person in one frame; luminances are shares of 255 (0..1)."""

    key: float                               # log-average luminance of the face (or person)
    person_key: float                        # log-average luminance of the whole person
    highlight: float                         # 99th percentile of the person's luminance
    colour: tuple[float, float, float] | None  # mean linear-light B, G, R (well exposed)
    share: float                             # the person's share of the picture (alpha mean)
    face_top: float | None = None            # 90th percentile of the face band's (as the key)


@dataclass(frozen=True, slots=True)
class SceneStats:
    """A background picture: its log-average luminance (0..1) and mean linear-light colour."""

    key: float
    colour: tuple[float, float, float]


def sample_size(width: int, height: int) -> tuple[int, int]:
    """(w, h) of the statistics sample for a picture of ``width`` × ``height``."""
    w = min(width, SAMPLE_WIDTH)
    return w, max(1, round(height * w / width))


def face_rows(person: np.ndarray) -> slice | None:
    """Rows of the face band in a boolean person mask (see the module doc); None if empty."""
    rows = np.flatnonzero(person.any(axis=1))
    if rows.size == 0:
        return None
    y0, y1 = int(rows[0]), int(rows[-1]) + 1
    height = y1 - y0
    top = person[y0:y0 + max(1, int(0.15 * height))]
    head = float(top.sum(axis=1).mean())
    band = min(max(1, round(1.3 * head)), max(1, math.ceil(0.4 * height)))
    return slice(y0, y0 + band)


def _percentile(luma: np.ndarray, weight: np.ndarray, q: float) -> float:
    """The weighted ``q`` quantile (0..1) of uint8 ``luma``, as a share of 255."""
    hist = np.bincount(luma.ravel(), weights=weight.ravel(), minlength=256)
    return min(float(np.searchsorted(np.cumsum(hist), q * float(hist.sum()))) / 255.0, 1.0)


def _key(luma: np.ndarray, weight: np.ndarray) -> float:
    total = float(weight.sum())
    mean_log = float(np.dot(_LOG[luma].ravel(), weight.ravel())) / total
    return max(math.exp(mean_log) - _EPS, 1.0 / 255.0)


def _colour(bgr: np.ndarray, luma: np.ndarray, weight: np.ndarray
            ) -> tuple[float, float, float]:
    """Weighted mean linear-light B, G, R of the pixels whose luma is neither noise nor near
    clipping (all of them if none is), from one weighted histogram per channel."""
    usable = np.where((luma >= _DARK) & (luma < _CLIPPED), weight, 0.0).ravel()
    if not usable.any():
        usable = weight.ravel()
    total = float(usable.sum())
    means = [float(np.dot(np.bincount(bgr[..., c].ravel(), weights=usable, minlength=256),
                          LINEAR)) / total for c in range(3)]
    return means[0], means[1], means[2]


def measure_person(sample: np.ndarray, alpha: np.ndarray, *, colour: bool = True
                   ) -> PersonStats | None:
    """The person's statistics from a small BGR uint8 ``sample`` and its uint8 ``alpha``
    (255 = person) of the same size; None when there is (almost) nobody. ``colour=False``
    leaves the colour out (None; only matching needs it, and it is half the cost)."""
    weight = alpha.astype(np.float32)
    total = float(weight.sum())
    if total < MIN_PERSON_SHARE * 255.0 * alpha.size:
        return None
    luma = cv2.cvtColor(sample, cv2.COLOR_BGR2GRAY)
    face = face_rows(alpha > 127)
    key_luma, key_weight = luma, weight
    if face is not None and float(weight[face].sum()) >= MIN_FACE_WEIGHT * 255.0:
        key_luma, key_weight = luma[face], weight[face]
    return PersonStats(
        key=_key(key_luma, key_weight),
        person_key=_key(luma, weight),
        highlight=_percentile(luma, weight, 0.99),
        colour=_colour(sample, luma, weight) if colour else None,
        share=total / (255.0 * alpha.size),
        face_top=_percentile(key_luma, key_weight, 0.90),
    )


def measure_scene(picture: np.ndarray) -> SceneStats:
    """A background picture's statistics (any size; it is sampled down to ~160 px wide)."""
    if picture.ndim != 3 or picture.shape[2] != 3 or picture.dtype != np.uint8:
        raise ValueError("picture must be a BGR uint8 H×W×3 image.")
    h, w = picture.shape[:2]
    small = cv2.resize(picture, sample_size(w, h), interpolation=cv2.INTER_AREA)
    luma = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
    weight = np.ones(luma.shape, np.float32)
    return SceneStats(key=_key(luma, weight), colour=_colour(small, luma, weight))
