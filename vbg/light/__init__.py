"""Light on the person (issue 24): low-light correction and matching to the background.

- :mod:`~vbg.light.curve`: the tone curve (a fitted gamma with a highlight stretch and a
  slope limit) and the colour gains, as one uint8 table per channel;
- :mod:`~vbg.light.measure`: what is measured on a small sample of the frame: the person's
  exposure (the face region's log-average luminance), highlights and colour; the background's;
- :mod:`~vbg.light.adapt`: the pure ``step(stats, state, dt, params, scene) -> (curve, state)``
  that fits the curve and eases it slowly (plain frozen data);
- :mod:`~vbg.light.relight`: ``Relighter``, which measures, steps and applies the curve to the
  person's pixels in place (the background's pixels, alpha 0, are never touched);
- :mod:`~vbg.light.live`: ``Lighting``, the step a frame path calls between mask and picture
  (the camera frame never written, the background measured once per picture for matching).

The method was chosen by measurement (docs/quality.md, "Light"; tools/light_study.py).
"""

from vbg.light.adapt import LightParams, LightState, step
from vbg.light.curve import Curve
from vbg.light.live import Lighting
from vbg.light.measure import PersonStats, SceneStats, measure_person, measure_scene
from vbg.light.relight import Relighter

__all__ = [
    "Curve",
    "LightParams",
    "LightState",
    "Lighting",
    "PersonStats",
    "Relighter",
    "SceneStats",
    "measure_person",
    "measure_scene",
    "step",
]
