"""Applying the operator: the camera frame and its alpha cropped together, before compositing.

:class:`Framer` reads the person's box from the *full* frame's alpha (so the crop never
changes the box that moves it), asks :func:`~vbg.framing.operator.step` where the crop goes,
and warps the frame and the alpha into its own buffers at the frame's size. The half-size
copies the engine made show the uncropped frame, so a cropped frame goes on without them and
the compositor makes its own (exact halvings: its banded blend relies on that; warping the
halves would cost as much and only approximate them).

The compositor then blends as usual: a colour, image or video background fills the output and
stays put; a blurred background is the cropped room, so it pans with the camera.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from vbg.framing.measure import BoxReader
from vbg.framing.operator import Crop, FramingParams, FramingState, step


@dataclass(frozen=True, slots=True)
class Framed:
    """One framed frame. The arrays are the framer's buffers (or, when the crop is the full
    view, the caller's own arrays): valid until the next call, copy what you keep. The halves
    are the caller's when the crop is the full view, else None. ``crop``: the part of the
    camera frame they show."""

    image: np.ndarray
    alpha: np.ndarray
    frame_half: np.ndarray | None
    alpha_half: np.ndarray | None
    crop: Crop


class Framer:
    """Keeps the operator's state and crops frame + alpha accordingly (one per stream).

    Not thread-safe: one thread calls :meth:`__call__`; :meth:`reset` on the same thread (or
    while no frame is in flight), e.g. when the camera comes back from idle.
    """

    def __init__(self, params: FramingParams | None = None) -> None:
        self.params = params or FramingParams()
        self.state = FramingState()
        self.crop: Crop = self.state.crop
        self._t: float | None = None
        self._boxes = BoxReader()
        self._bufs: dict[str, np.ndarray] = {}

    def reset(self) -> None:
        """Back to the full view, off air: the next person seen is framed at once."""
        self.state, self._t = FramingState(), None
        self.crop = self.state.crop

    def __call__(self, image: np.ndarray, alpha: np.ndarray, t: float,
                 frame_half: np.ndarray | None = None,
                 alpha_half: np.ndarray | None = None) -> Framed:
        """Frame one picture: ``image`` BGR uint8 H×W×3, ``alpha`` uint8 H×W (the mask of the
        whole camera frame), ``t`` its time in seconds (capture time, or frame index / fps);
        the halves as :meth:`vbg.compositor.Compositor.compose` takes them. Returns the frame
        and alpha cropped and scaled back to their size (see :class:`Framed`)."""
        dt = 0.0 if self._t is None else t - self._t
        self._t = t
        self.crop, self.state = step(self._boxes(alpha), self.state, dt, self.params)
        if self.crop.is_full:
            return Framed(image, alpha, frame_half, alpha_half, self.crop)
        return Framed(self._warp("image", image), self._warp("alpha", alpha), None, None,
                      self.crop)

    def _warp(self, name: str, src: np.ndarray) -> np.ndarray:
        """``src`` (the full frame at any scale) cropped to ``self.crop`` and scaled back to its
        own size, sub-pixel (a slow pan glides instead of stepping whole pixels)."""
        sh, sw = src.shape[:2]
        buf = self._bufs.get(name)
        if buf is None or buf.shape != src.shape:
            buf = self._bufs[name] = np.empty_like(src)
        x0, y0, cw, ch = self.crop.pixels(sw, sh)
        kx, ky = sw / cw, sh / ch
        matrix = np.array([[kx, 0.0, -kx * x0], [0.0, ky, -ky * y0]])
        cv2.warpAffine(src, matrix, (sw, sh), dst=buf, flags=cv2.INTER_LINEAR,
                       borderMode=cv2.BORDER_REPLICATE)
        return buf
