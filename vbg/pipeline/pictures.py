"""Pictures the output shows instead of a composite: never the raw room.

Both are drawn with a :class:`~vbg.compositor.Backdrop` (the output stage's is the process
stage's compositor's, borrowed), and what they show follows the backdrop actually drawn, not a
configuration read beside it: a backdrop that hands back the room itself (kind none) gets the
heavy blur.
"""

from __future__ import annotations

import cv2
import numpy as np

from vbg.compositor import Backdrop


def badge(buf: np.ndarray, text: str) -> None:
    """Write ``text`` in the top-left corner of ``buf`` (in place), sized to the frame."""
    scale = max(0.5, buf.shape[0] / 720)
    cv2.putText(buf, text, (int(24 * scale), int(48 * scale)), cv2.FONT_HERSHEY_SIMPLEX,
                1.2 * scale, (255, 255, 255), max(1, int(2 * scale)), cv2.LINE_AA)


def paused_picture(backdrop: Backdrop, frame: np.ndarray,
                   buf: np.ndarray | None) -> np.ndarray:
    """The background alone with a visible "paused" badge, drawn into ``buf`` (reused when its
    shape fits, else a new buffer is returned).

    ``frame`` is the newest camera frame at the output size (mirrored already when mirroring
    is on); only its background-only rendering (``backdrop.draw``: colour/image/video, or a
    very strong blur) is shown. With passthrough (background "none", where the backdrop hands
    back the frame itself) a pause still must not show the room: a 32×18 blur.
    """
    h, w = frame.shape[:2]
    if buf is None or buf.shape != frame.shape:
        buf = np.empty_like(frame)
    drawn = backdrop.draw((w, h), frame, out=buf)
    if drawn is not buf:  # the room itself: passthrough
        small = cv2.blur(cv2.resize(drawn, (32, 18)), (5, 5))
        cv2.resize(small, (w, h), dst=buf)
    badge(buf, "paused")
    return buf


# Shown for blur/none, whose background is drawn from the room: a dark slate gradient.
_NEUTRAL_TOP, _NEUTRAL_BOTTOM = (70, 58, 50), (34, 28, 24)


def still_picture(backdrop: Backdrop, width: int, height: int, paused: bool) -> np.ndarray:
    """A picture that needs no camera frame: the chosen colour/image/video background (a
    still: one video frame), or a neutral gradient for blur and none, whose background would
    be the room itself; a small "vbg" mark in the bottom-right corner, and with ``paused`` the
    same "paused" badge as :func:`paused_picture`. A new array the caller owns.
    """
    if backdrop.config.kind in ("color", "image", "video"):
        # The frame given is never read for these kinds (blur and none would draw it: black).
        black = np.zeros((height, width, 3), np.uint8)
        picture = backdrop.draw((width, height), black, out=np.empty_like(black))
    else:
        ramp = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None, None]
        top = np.array(_NEUTRAL_TOP, np.float32)
        bottom = np.array(_NEUTRAL_BOTTOM, np.float32)
        column = (top + (bottom - top) * ramp).astype(np.uint8)
        picture = np.ascontiguousarray(np.broadcast_to(column, (height, width, 3)))
    scale = max(0.4, height / 720)
    font, thick, text = cv2.FONT_HERSHEY_SIMPLEX, max(1, int(2 * scale)), "vbg"
    (tw, th), _ = cv2.getTextSize(text, font, 0.9 * scale, thick)
    org = (width - tw - int(20 * scale), height - int(20 * scale))
    # A dark outline under white text reads on any background.
    cv2.putText(picture, text, org, font, 0.9 * scale, (0, 0, 0), thick + 2, cv2.LINE_AA)
    cv2.putText(picture, text, org, font, 0.9 * scale, (255, 255, 255), thick, cv2.LINE_AA)
    if paused:
        badge(picture, "paused")
    return picture
