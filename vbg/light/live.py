"""``Lighting``: the light step of a frame path (the live pipeline's process stage, ``vbg
video``, ``vbg bench``), between the mask and the picture.

It owns a :class:`~vbg.light.relight.Relighter` and one reused buffer: the camera frame is
never written (the live pipeline's output stage may still show it as the room, a video job's
preview shows it as the input). Over a background (``prepare(blended=True)``) it only decides
the curve and hands its lookup table to the compositor, which applies it over the person's box
as it blends: the cheapest place, since the blend reads those pixels anyway. Shown as it is
(background none) the frame is copied into the buffer and corrected there by alpha when the
curve changes anything; otherwise the frame goes on as it is. The
time between frames comes from the frames' own clock (capture time, a video's frame index), so
the easing follows the picture, not the machine's speed. For matching, the background
picture's statistics are measured once per picture (``scene``), a video background's again
every :data:`SCENE_EVERY` frames, from a small copy.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import replace

import numpy as np

from vbg.light.adapt import LightParams
from vbg.light.measure import SceneStats, measure_scene
from vbg.light.relight import Mix, Relighter

SCENE_EVERY = 15   # a moving (video) background is measured again every this many frames
FIRST_DT = 1 / 30  # seconds assumed before the first frame after a reset
MAX_DT = 0.5       # a longer gap (a stall) eases no further than this


class Lighting:
    """Low-light correction (and matching with ``strength`` > 0) of the person, per frame.

    Not thread-safe: one per worker thread. ``reset()`` after idle, a source switch or a
    switch from off: the adaptation starts afresh (the first person seen is corrected at once).
    """

    def __init__(self, strength: float = 0.0) -> None:
        self.relighter = Relighter(LightParams(strength=strength))
        self._buf: np.ndarray | None = None
        self._t: float | None = None
        self._scene: SceneStats | None = None
        self._scene_key: Hashable = None
        self._scene_age = 0

    @property
    def strength(self) -> float:
        return self.relighter.params.strength

    def configure(self, strength: float) -> None:
        """Another matching strength (0..1), from the next frame on."""
        if strength != self.strength:
            self.relighter.configure(replace(self.relighter.params, strength=strength))

    def reset(self) -> None:
        """Forget the adaptation and the frames' clock."""
        self.relighter.reset()
        self._t = None

    def scene(self, key: Hashable, picture: Callable[[], np.ndarray | None],
              moving: bool = False) -> SceneStats | None:
        """The background's statistics for matching (None while ``strength`` is 0): measured
        on ``picture()`` (any size; None: not drawn yet) when ``key`` (which picture it is)
        changes, and for a ``moving`` (video) background every :data:`SCENE_EVERY` calls."""
        if self.strength <= 0.0:
            return None
        if (key != self._scene_key or self._scene is None
                or (moving and self._scene_age >= SCENE_EVERY)):
            shown = picture()
            if shown is not None:
                self._scene, self._scene_key, self._scene_age = measure_scene(shown), key, 0
        self._scene_age += 1
        return self._scene if self._scene_key == key else None

    def _dt(self, t: float) -> float:
        dt = FIRST_DT if self._t is None else min(max(t - self._t, 0.0), MAX_DT)
        self._t = t
        return dt

    def __call__(self, frame: np.ndarray, alpha: np.ndarray, t: float, *,
                 frame_half: np.ndarray | None = None,
                 alpha_half: np.ndarray | None = None,
                 scene: SceneStats | None = None, mix: Mix = "mask") -> np.ndarray:
        """``frame`` (BGR uint8, not written) with the person relit: the frame itself when
        nothing changes, else this object's buffer (valid until the next call). ``t``: the
        frame's time in seconds; ``mix``: "mask" when the picture is blended over a
        background next, "alpha" when it is shown as it is (background none)."""
        dt = self._dt(t)
        if self._buf is None or self._buf.shape != frame.shape:
            self._buf = np.empty(frame.shape, np.uint8)
        return self.relighter.relight(frame, alpha, dt, out=self._buf, frame_half=frame_half,
                                      alpha_half=alpha_half, scene=scene, mix=mix)

    def prepare(self, frame: np.ndarray, alpha: np.ndarray, t: float, *, blended: bool,
                frame_half: np.ndarray | None = None,
                alpha_half: np.ndarray | None = None,
                scene: SceneStats | None = None) -> tuple[np.ndarray, np.ndarray | None]:
        """The light step of one frame, for a frame path: ``(picture, person_lut)``.

        ``blended`` (a background is blended behind the person next): ``frame`` itself and
        the curve's lookup table for the compositor to apply over the person's box
        (``Compositor.compose(person_lut=...)``), or None when it changes nothing: no copy of
        the frame and no pass of its own (the compositor reads the person's pixels anyway).
        Not ``blended`` (background none: the frame is shown as it is): the picture relit by
        alpha (see ``__call__``, mix "alpha") and None."""
        if not blended:
            return self(frame, alpha, t, frame_half=frame_half, alpha_half=alpha_half,
                        scene=scene, mix="alpha"), None
        return frame, self.relighter.decide(frame, alpha, self._dt(t), frame_half=frame_half,
                                            alpha_half=alpha_half, scene=scene)
