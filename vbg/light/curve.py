"""The tone curve and colour gains applied to the person, as uint8 lookup tables.

On a value ``x`` in 0..1 (a channel / 255) the tone curve is

    tone(x) = min(1, slope · x, (x / white) ^ gamma)

- ``gamma`` < 1 lifts the mid-tones and shadows more than the highlights: an exposure lift
  that keeps white white, fitted so that the person's face lands at a target (vbg.light.adapt);
- ``white`` < 1 stretches the highlights (``white`` maps to 1): the contrast a dim, flat picture
  lost, fitted so the person's brightest pixels reach near white without clipping;
- ``slope`` caps the curve's steepness near black, where a gamma is steepest: the sensor noise
  of the shadows is lifted no more than ``slope`` times (a linear toe).

With gamma 1 and white 1 the tone curve is the identity. The colour ``gains`` (blue, green,
red) multiply the toned value in linear light (sRGB decoded), so a warmer or darker person is
what a warmer or dimmer light on the same person would give; each channel gets its own table.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_X = np.arange(256, dtype=np.float64) / 255.0


def srgb_to_linear(v: np.ndarray) -> np.ndarray:
    """sRGB-encoded values in 0..1 to linear light (IEC 61966-2-1)."""
    return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)


def linear_to_srgb(v: np.ndarray) -> np.ndarray:
    """Linear light in 0..1 to sRGB-encoded values (IEC 61966-2-1)."""
    v = np.clip(v, 0.0, 1.0)
    return np.where(v <= 0.0031308, v * 12.92, 1.055 * v ** (1.0 / 2.4) - 0.055)


def decode(v: float) -> float:
    """One sRGB-encoded value in 0..1 to linear light."""
    return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4


# Linear light of each uint8 value, for the measurements (vbg.light.measure).
LINEAR = srgb_to_linear(_X).astype(np.float32)

IDENTITY_GAINS = (1.0, 1.0, 1.0)


@dataclass(frozen=True, slots=True)
class Curve:
    """One frame's correction of the person: the tone curve and the colour gains."""

    gamma: float = 1.0
    white: float = 1.0
    slope: float = 4.0
    gains: tuple[float, float, float] = IDENTITY_GAINS  # blue, green, red; linear light

    def __post_init__(self) -> None:
        if not (0.0 < self.gamma <= 1.0 and 0.0 < self.white <= 1.0 and self.slope >= 1.0
                and all(g > 0.0 for g in self.gains)):
            raise ValueError(f"not a valid curve: {self}")

    @property
    def is_identity(self) -> bool:
        """Whether the tables would leave every value unchanged (then nothing is applied)."""
        return bool(np.array_equal(self.table(), _IDENTITY_TABLE))

    @property
    def colour_free(self) -> bool:
        """Whether all three channels share one table (no colour gains)."""
        return self.gains[0] == self.gains[1] == self.gains[2] == 1.0

    def tone(self, x: np.ndarray) -> np.ndarray:
        """The tone curve on values in 0..1 (floats)."""
        lifted = np.power(np.minimum(x / self.white, 1.0), self.gamma)
        return np.minimum(np.minimum(lifted, self.slope * x), 1.0)

    def table(self) -> np.ndarray:
        """The uint8 tables, shape 256×3 (column c: channel c of BGR)."""
        toned = self.tone(_X)
        if self.colour_free:
            column = np.rint(toned * 255.0).astype(np.uint8)
            return np.repeat(column[:, None], 3, axis=1)
        lin = srgb_to_linear(toned)[:, None] * np.asarray(self.gains)[None, :]
        return np.rint(linear_to_srgb(lin) * 255.0).astype(np.uint8)


_IDENTITY_TABLE = np.repeat(np.arange(256, dtype=np.uint8)[:, None], 3, axis=1)
