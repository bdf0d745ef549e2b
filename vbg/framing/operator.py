"""The virtual camera operator: where the crop goes next, as one pure function.

``step(box, state, dt, params) -> (crop, state)`` takes the person's box in the *camera* frame
(never in the framed output, so the crop cannot move the box that moves the crop), the plain
state of the last step and the time since it, and returns the crop to show now. Tests drive it
frame by frame; the pipeline and ``vbg video`` call it once per composited frame.

A good operator's habits, each a parameter of :class:`FramingParams`:

- a **dead zone**: the aim (where the camera is heading) changes only when the wanted framing
  left it by more than a share of the crop; then the camera re-frames fully, so a person who
  sits still is framed, not followed by every twitch of the mask;
- **critically damped easing** toward the aim: no overshoot;
- a **speed limit**, in crop widths per second, so a pan never tears across the picture, and
  an acceleration limit under it, so a pan never starts or stops with a jolt;
- **head room**: the top of the box about ``head_room`` of the crop's height below its top
  edge; the crop never starts below the box's top (the head is never cut by the framing);
- a **zoom range**: never closer than ``max_zoom`` (the picture stays sharp), never wider than
  the camera's own view;
- **nobody there**: after ``absent_s`` without a box, a slow return to the full view.

The first box after a reset (the camera going live) is framed at once, as an operator sets the
shot before going on air: a call never opens with a second of zooming.

Coordinates are shares of the camera frame: x of its width, y of its height, in [0, 1]. A crop
keeps the frame's aspect, so its ``size`` is its share of the width and of the height alike.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

FULL_SIZE = 1.0


@dataclass(frozen=True, slots=True)
class Box:
    """The person's bounding box (all people together), shares of the frame, x0 < x1, y0 < y1."""

    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2


@dataclass(frozen=True, slots=True)
class Crop:
    """The part of the frame to show: centre (``cx``, ``cy``) and ``size`` (share of the width
    and of the height), always inside the frame."""

    cx: float = 0.5
    cy: float = 0.5
    size: float = FULL_SIZE

    @property
    def x0(self) -> float:
        return self.cx - self.size / 2

    @property
    def y0(self) -> float:
        return self.cy - self.size / 2

    @property
    def is_full(self) -> bool:
        return self.size >= FULL_SIZE - 1e-6

    def pixels(self, width: int, height: int) -> tuple[float, float, float, float]:
        """``(x0, y0, w, h)`` in pixels of a ``width`` × ``height`` frame (sub-pixel)."""
        return (self.x0 * width, self.y0 * height, self.size * width, self.size * height)


FULL = Crop()


@dataclass(frozen=True, slots=True)
class FramingParams:
    """How the operator behaves (see the module docstring). Shares of the crop unless said."""

    head_room: float = 0.10      # box top this far below the crop's top (share of crop height)
    max_zoom: float = 1.75       # the closest crop: 1/max_zoom of the frame
    dead_zone: float = 0.04      # re-aim when the wanted centre moved this far (crop widths)
    dead_zone_zoom: float = 0.08  # ... or the wanted size changed by this share
    settle_s: float = 1.0        # critically damped: about this long to settle on a new aim
    max_speed: float = 0.12      # pan limit, crop widths per second
    max_zoom_speed: float = 0.10  # size change limit, share of the size per second
    ramp_s: float = 0.25         # no faster than this from rest to full speed (no jerk)
    min_crop: float = 0.08       # wanted sizes above 1 - min_crop are the full view
    absent_s: float = 2.0        # nobody this long: head back to the full view ...
    return_speed: float = 0.05   # ... at this (slower) pan speed, crop widths per second

    def __post_init__(self) -> None:
        if not 1.0 <= self.max_zoom <= 4.0:
            raise ValueError(f"max_zoom {self.max_zoom} is out of range; use 1 to 4.")
        if not 0.0 <= self.head_room < 0.5:
            raise ValueError(f"head_room {self.head_room} is out of range; use 0 to 0.5.")


@dataclass(frozen=True, slots=True)
class Axis:
    """One eased quantity: where it is, how fast it moves, where it heads."""

    pos: float
    vel: float = 0.0
    aim: float = 0.0


@dataclass(frozen=True, slots=True)
class FramingState:
    """Everything the operator remembers between frames (plain data; ``FramingState()`` is the
    state after a reset: full view, not yet on air)."""

    cx: Axis = Axis(0.5, 0.0, 0.5)
    cy: Axis = Axis(0.5, 0.0, 0.5)
    size: Axis = Axis(FULL_SIZE, 0.0, FULL_SIZE)
    absent: float = 0.0      # seconds since the last box
    on_air: bool = False     # a box was framed since the reset

    @property
    def crop(self) -> Crop:
        return Crop(self.cx.pos, self.cy.pos, self.size.pos)


def wanted(box: Box, params: FramingParams) -> Crop:
    """The crop a patient operator would settle on for ``box``.

    The size is the largest of the full view that still lets the crop centre the box
    (``1 - 2·|offset|``), keep the head room, and show the box's whole height; bounded by the
    zoom range. So a centred, well-framed person keeps the full view, and one off to the side or
    under the top edge is framed closer, cutting the sides or below rather than the head.
    """
    min_size = 1.0 / params.max_zoom
    centre = 1.0 - 2.0 * abs(box.cx - 0.5)
    # Head room hr·size above the box, inside the frame: size <= y0 / hr.
    head = box.y0 / params.head_room if params.head_room > 0 else FULL_SIZE
    body = (box.y1 - box.y0) / (1.0 - params.head_room)
    size = min(FULL_SIZE, max(min_size, min(centre, head, max(body, min_size))))
    if size > FULL_SIZE - params.min_crop:
        size = FULL_SIZE  # a sliver less than the full view is not worth its softness
    cx = min(max(box.cx, size / 2), 1.0 - size / 2)
    top = min(max(box.y0 - params.head_room * size, 0.0), 1.0 - size)
    return Crop(cx, top + size / 2, size)


def _ease(axis: Axis, dt: float, omega: float, vmax: float, ramp_s: float) -> Axis:
    """Move ``axis.pos`` toward ``axis.aim`` over ``dt``: the critically damped path (its exact
    solution, stable at any dt), then the speed limit ``vmax`` reached over no less than
    ``ramp_s`` (no jump to full speed), never past the aim."""
    if dt <= 0.0:
        return axis
    x0 = axis.pos - axis.aim
    decay = math.exp(-omega * dt)
    v = ((x0 + (axis.vel + omega * x0) * dt) * decay - x0) / dt  # the damped path's mean speed
    v = min(max(v, -vmax), vmax)
    accel = vmax / ramp_s * dt
    v = min(max(v, axis.vel - accel), axis.vel + accel)
    pos = axis.pos + v * dt
    if (pos - axis.aim) * x0 < 0.0:  # arrived: stop there rather than overshoot
        return Axis(axis.aim, 0.0, axis.aim)
    return Axis(pos, v, axis.aim)


def _reaim(axis: Axis, target: float, threshold: float) -> Axis:
    """Hysteresis: head for ``target`` only when it left the dead zone around the aim."""
    return replace(axis, aim=target) if abs(target - axis.aim) > threshold else axis


def step(box: Box | None, state: FramingState, dt: float,
         params: FramingParams = FramingParams()) -> tuple[Crop, FramingState]:
    """One frame of the operator: ``box`` (None: nobody seen) after ``dt`` seconds.

    Returns the crop to show and the new state. Pure: the same inputs give the same outputs.
    """
    dt = min(max(dt, 0.0), 0.5)  # a stall (a slow frame, a debugger) is not a long glide
    if box is not None and not state.on_air:
        want = wanted(box, params)
        return want, FramingState(Axis(want.cx, 0.0, want.cx), Axis(want.cy, 0.0, want.cy),
                                  Axis(want.size, 0.0, want.size), 0.0, True)
    absent = 0.0 if box is not None else state.absent + dt
    cx, cy, size = state.cx, state.cy, state.size
    speed = params.max_speed
    if box is not None:
        want = wanted(box, params)
        zone = params.dead_zone * size.aim
        size = _reaim(size, want.size, params.dead_zone_zoom * size.aim)
        cx = _reaim(cx, want.cx, zone)
        cy = _reaim(cy, want.cy, zone)
        if size.aim != state.size.aim:  # a new size re-aims the centre with it
            cx, cy = replace(cx, aim=want.cx), replace(cy, aim=want.cy)
    elif absent >= params.absent_s:
        cx, cy, size = replace(cx, aim=0.5), replace(cy, aim=0.5), replace(size, aim=FULL_SIZE)
        speed = params.return_speed
    omega = 5.8 / params.settle_s  # a critically damped step is within 2 % after 5.8/omega
    s = size.pos
    size = _ease(size, dt, omega, params.max_zoom_speed * s, params.ramp_s)
    cx = _ease(cx, dt, omega, speed * s, params.ramp_s)
    cy = _ease(cy, dt, omega, speed * s, params.ramp_s)
    # Keep the crop inside the frame whatever the easing did (size first: it bounds the centre).
    s = min(max(size.pos, 1.0 / params.max_zoom), FULL_SIZE)
    if s != size.pos:
        size = Axis(s, 0.0, size.aim)
    lo, hi = s / 2, 1.0 - s / 2
    if not lo <= cx.pos <= hi:
        cx = Axis(min(max(cx.pos, lo), hi), 0.0, cx.aim)
    if box is not None and cy.pos - s / 2 > box.y0:
        # Never cut the head: the person rose faster than the camera may pan. Following the
        # head exactly for those frames is the lesser evil.
        cy = Axis(box.y0 + s / 2, min(cy.vel, 0.0), cy.aim)
    if not lo <= cy.pos <= hi:
        cy = Axis(min(max(cy.pos, lo), hi), 0.0, cy.aim)
    new = FramingState(cx, cy, size, absent, state.on_air)
    return new.crop, new
