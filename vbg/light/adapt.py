"""How the light adapts: one pure ``step(stats, state, dt, params, scene) -> (curve, state)``.

Per frame the measured person (``PersonStats``, vbg.light.measure) and, when the background is
a picture, the background's ``SceneStats`` give what the curve should be (its *aim*); the curve
then eases toward it. Everything remembered is plain frozen data (``LightState``); the same
inputs give the same outputs, so tests drive it frame by frame.

**Low light.** The face's key (log-average luminance) is metered through a slow exponential
average (``meter_s``), so one frame's blink or hand does not move anything. A person whose key
is above ``engage`` is left alone (the dead band: nothing is done to a well-lit person); below
it the correction engages and stays until the key is back above ``release`` (hysteresis: a key
that hovers at the edge does not switch it on and off). While engaged the aim is the curve
(vbg.light.curve) whose gamma brings the face's key to ``target``, never lifting it more than
``max_lift`` stops, with the highlights stretched so the person's 99th percentile reaches
``white`` (at most ``max_stretch`` stops), and never so far that the top of the face band
(its 90th percentile) passes ``ceiling``: a face that is lit while black hair, a hat or
sunglasses fool the meter gets a small lift, not a washed-out one (docs/quality.md). The gamma
fit is exact for the key: a power maps a log-average to the same power of it.

**Matching** (``strength`` > 0 and a background picture): the person's colour temperature (the
log ratio of red to blue, linear light) and brightness (the whole corrected person's key against
the background's, linear light) are moved ``strength`` of the way toward the background's,
within ``max_warm`` / ``max_level`` stops, and never so far up that the person's highlights pass
``white`` (a white shirt in front of a bright picture stays a white shirt, not a blown one).
Only the warm–cool axis is matched: a green forest behind someone does not turn them green.

**Easing.** Each quantity is in stops (log2; 0 = unchanged) and moves toward its aim on the
critically damped path (its exact solution: no overshoot from rest, stable at any dt), at most
``max_rate`` stops per second. While a quantity moves its aim follows the wanted value; once it
has arrived, the aim moves again only when the wanted value left it by more than ``dead_zone``
stops (so a steady scene keeps a steady curve, whatever the metering noise), except that "no
correction" is always heeded, so a released correction goes back exactly to the identity.
The camera's own auto-exposure moves too: the slow meter and the dead zone keep the two from
chasing each other. With nobody in the picture the curve is held. The first person seen after
a reset is corrected at once (as auto-framing frames them at once).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from vbg.light.curve import Curve, decode
from vbg.light.measure import PersonStats, SceneStats

# Rec. 709 luminance weights of linear B, G, R: a colour-temperature change keeps luminance.
_LUMA_BGR = (0.0722, 0.7152, 0.2126)
# Within this many stops of its aim, with little speed, a quantity has arrived.
_ARRIVED = 1e-3


@dataclass(frozen=True, slots=True)
class LightParams:
    """How the light behaves (see the module doc). Luminances are shares of 255."""

    low_light: bool = True      # the low-light correction (matching is ``strength``)
    target: float = 90 / 255    # the face's key a dim person is brought to
    engage: float = 40 / 255    # correct only below this key (the dead band's edge) ...
    release: float = 48 / 255   # ... until it is back above this
    max_lift: float = 2.0       # stops at the face's key (4× at most)
    ceiling: float = 0.70       # the face band's 90th percentile is lifted no higher than this
    white: float = 0.96         # the person's 99th percentile is stretched up to this ...
    max_stretch: float = 0.32   # ... by at most this many stops (white point ≥ 0.8)
    slope: float = 4.0          # the curve is never steeper than this (noise in the shadows)
    strength: float = 0.0       # matching to the background: 0 (off) .. 1 (all the way)
    # Matching: the red/blue ratio changes by at most this many stops (beyond it skin turns
    # grey-blue in front of a night sky) ...
    max_warm: float = 0.5
    max_level: float = 0.75     # ... and the brightness by this many (linear light)
    settle_s: float = 1.5       # the easing settles (within 2 %) in about this long
    max_rate: float = 1.0       # stops per second, at most
    dead_zone: float = 0.1      # stops: once arrived, an aim moves only for a change this big
    meter_s: float = 0.5        # time constant of the metered face key and highlights

    def __post_init__(self) -> None:
        if not 0.0 < self.engage <= self.release < self.target < 1.0:
            raise ValueError("light levels must satisfy 0 < engage <= release < target < 1.")
        if not 0.0 <= self.strength <= 1.0:
            raise ValueError(f"strength {self.strength} is out of range; use 0 to 1.")
        if self.settle_s <= 0.0 or self.max_rate <= 0.0 or self.meter_s <= 0.0:
            raise ValueError("settle_s, max_rate and meter_s must be above 0.")
        if (self.max_lift < 0.0 or self.max_stretch < 0.0 or self.dead_zone < 0.0
                or self.max_warm < 0.0 or self.max_level < 0.0 or self.slope < 1.0
                or not 0.0 < self.white <= 1.0 or not 0.0 < self.ceiling <= 1.0):
            raise ValueError("light limits out of range.")


@dataclass(frozen=True, slots=True)
class Axis:
    """One eased quantity, in stops: where it is, how fast it moves (stops/s), where it heads."""

    pos: float = 0.0
    vel: float = 0.0
    aim: float = 0.0


@dataclass(frozen=True, slots=True)
class LightState:
    """Everything remembered between frames; ``LightState()`` is the state after a reset (no
    correction, nothing metered yet)."""

    lift: Axis = Axis()       # log2(1 / gamma)
    stretch: Axis = Axis()    # log2(1 / white point)
    warm: Axis = Axis()       # log2 of the red/blue gain ratio (linear light)
    level: Axis = Axis()      # log2 of the brightness gain (linear light)
    key: float | None = None  # metered face key, log2 of the share of 255
    high: float | None = None  # metered 99th percentile, log2
    top: float | None = None   # metered top of the face band (90th percentile), log2
    engaged: bool = False
    on_air: bool = False      # a person was seen since the reset

    def curve(self, params: LightParams) -> Curve:
        """The curve this state applies."""
        return Curve(gamma=2.0 ** -self.lift.pos, white=2.0 ** -self.stretch.pos,
                     slope=params.slope, gains=_gains(self.warm.pos, self.level.pos))


def _gains(warm: float, level: float) -> tuple[float, float, float]:
    """Linear-light B, G, R gains: red over blue by ``warm`` stops at the same luminance, then
    all by ``level`` stops."""
    b, g, r = 2.0 ** (-warm / 2), 1.0, 2.0 ** (warm / 2)
    norm = (_LUMA_BGR[0] * b + _LUMA_BGR[1] * g + _LUMA_BGR[2] * r) / 2.0 ** level
    return b / norm, g / norm, r / norm


def fit(key: float, high: float, params: LightParams,
        top: float | None = None) -> tuple[float, float]:
    """(lift, stretch) in stops that bring a face of ``key`` to ``params.target`` and the
    highlights ``high`` to ``params.white``, within the limits; with the face band's ``top``
    (90th percentile) known, neither the stretch nor the lift takes that top past
    ``params.ceiling`` (a top there already: no correction)."""
    white = min(1.0, max(2.0 ** -params.max_stretch, high / params.white))
    if top is not None:  # the stretch alone must not take the top past the ceiling either
        white = max(white, min(1.0, top / params.ceiling))
    stretch = -math.log2(white)
    base = math.log(key / white)  # the key after the stretch, log; < 0
    if base >= math.log(params.target):
        return 0.0, stretch
    gamma = math.log(params.target) / base
    limit = math.log(key) + params.max_lift * math.log(2.0)  # out ≤ key · 2^max_lift
    if limit < 0.0:
        gamma = max(gamma, limit / base)
    if top is not None:
        x = min(top / white, 1.0)
        if x >= params.ceiling:
            gamma = 1.0
        elif x > 0.0:
            gamma = max(gamma, math.log(params.ceiling) / math.log(x))
    return -math.log2(min(gamma, 1.0)), stretch


def _ease(axis: Axis, dt: float, omega: float, vmax: float) -> Axis:
    """``axis`` after ``dt`` seconds on the critically damped path toward its aim, at most
    ``vmax`` stops per second, never past the aim."""
    if dt <= 0.0:
        return axis
    x0, v0 = axis.pos - axis.aim, axis.vel
    decay = math.exp(-omega * dt)
    x = (x0 + (v0 + omega * x0) * dt) * decay
    v = (v0 - omega * (v0 + omega * x0) * dt) * decay
    move = min(max(x - x0, -vmax * dt), vmax * dt)
    if move != x - x0:
        x, v = x0 + move, move / dt
    v = min(max(v, -vmax), vmax)
    if x * x0 < 0.0 or (abs(x) < _ARRIVED and abs(v) < 10 * _ARRIVED):
        return Axis(axis.aim, 0.0, axis.aim)
    return Axis(axis.aim + x, v, axis.aim)


def _reaim(axis: Axis, wanted: float, dead_zone: float) -> Axis:
    """Head for ``wanted`` while moving (so a change is followed to its end, not to where the
    meter was when it began), once arrived only if it left the dead zone around the aim, and
    always when it is 0 (no correction)."""
    moving = axis.vel != 0.0 or axis.pos != axis.aim
    if moving or wanted == 0.0 or abs(wanted - axis.aim) > dead_zone:
        return replace(axis, aim=wanted)
    return axis


def _meter(old: float | None, value: float, dt: float, tau: float) -> float:
    """Exponential average in log2 (the first value is taken as it is)."""
    value = math.log2(max(value, 1.0 / 255.0))
    if old is None:
        return value
    return old + (1.0 - math.exp(-dt / tau)) * (value - old)


def step(stats: PersonStats | None, state: LightState, dt: float,
         params: LightParams = LightParams(),
         scene: SceneStats | None = None) -> tuple[Curve, LightState]:
    """One frame: ``stats`` of the person (None: nobody seen) ``dt`` seconds after the last,
    ``scene`` the background picture's statistics (None: not a picture, no matching).

    Returns the curve to apply now and the new state. Pure.
    """
    dt = min(max(dt, 0.0), 0.5)  # a stall (a slow frame, a debugger) is not a long glide
    lift, stretch, warm, level = state.lift, state.stretch, state.warm, state.level
    key, high, top, engaged = state.key, state.high, state.top, state.engaged
    if stats is not None:
        key = _meter(key, stats.key, dt, params.meter_s)
        high = _meter(high, stats.highlight, dt, params.meter_s)
        if stats.face_top is not None:
            top = _meter(top, stats.face_top, dt, params.meter_s)
        if engaged and key > math.log2(params.release):
            engaged = False
        elif not engaged and key < math.log2(params.engage):
            engaged = True
        want_lift = want_stretch = 0.0
        if params.low_light and engaged:
            want_lift, want_stretch = fit(2.0 ** key, 2.0 ** high, params,
                                          None if top is None else 2.0 ** top)
        lift = _reaim(lift, want_lift, params.dead_zone)
        stretch = _reaim(stretch, want_stretch, params.dead_zone)
        want_warm = want_level = 0.0
        if scene is not None and params.strength > 0.0 and stats.colour is not None:
            want_warm, want_level = _match(stats, stats.colour, scene, lift.aim, stretch.aim,
                                           params)
        warm = _reaim(warm, want_warm, params.dead_zone)
        level = _reaim(level, want_level, params.dead_zone)
    if stats is not None and not state.on_air:
        # The first person after a reset (the camera going live) is corrected at once: a
        # call does not open with a second of brightening.
        lift, stretch, warm, level = (Axis(a.aim, 0.0, a.aim)
                                      for a in (lift, stretch, warm, level))
    else:
        omega = 5.8 / params.settle_s  # critically damped: within 2 % after 5.8 / omega
        lift, stretch, warm, level = (_ease(a, dt, omega, params.max_rate)
                                      for a in (lift, stretch, warm, level))
    new = LightState(lift, stretch, warm, level, key, high, top, engaged,
                     state.on_air or stats is not None)
    return new.curve(params), new


def _match(stats: PersonStats, colour: tuple[float, float, float], scene: SceneStats,
           lift: float, stretch: float, params: LightParams) -> tuple[float, float]:
    """(warm, level) in stops: ``strength`` of the way from the person to the background;
    never brightening the person's highlights past ``params.white``."""
    b, _, r = colour
    sb, _, sr = scene.colour
    tiny = 1e-6
    warm = params.strength * (math.log2((sr + tiny) / (sb + tiny))
                              - math.log2((r + tiny) / (b + tiny)))
    # The whole person's key and highlights after the low-light curve being aimed at, then
    # compared in linear light with the background's key.
    curve = Curve(gamma=2.0 ** -lift, white=2.0 ** -stretch, slope=params.slope)
    key, high = curve.tone(np.array([stats.person_key, stats.highlight]))
    level = params.strength * math.log2((decode(scene.key) + tiny) / (decode(key) + tiny))
    headroom = math.log2(decode(params.white) / max(decode(high), tiny))
    level = min(level, max(headroom, 0.0))
    return (min(max(warm, -params.max_warm), params.max_warm),
            min(max(level, -params.max_level), params.max_level))
