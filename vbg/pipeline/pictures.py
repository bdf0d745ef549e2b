"""Pictures the output shows instead of a composite: never the raw room."""

from __future__ import annotations

import cv2
import numpy as np

from vbg.compositor import Compositor


def badge(buf: np.ndarray, text: str) -> None:
    """Write ``text`` in the top-left corner of ``buf`` (in place), sized to the frame."""
    scale = max(0.5, buf.shape[0] / 720)
    cv2.putText(buf, text, (int(24 * scale), int(48 * scale)), cv2.FONT_HERSHEY_SIMPLEX,
                1.2 * scale, (255, 255, 255), max(1, int(2 * scale)), cv2.LINE_AA)


def paused_picture(fallback: Compositor, frame: np.ndarray, passthrough: bool,
                   buf: np.ndarray | None) -> np.ndarray:
    """The background alone with a visible "paused" badge, drawn into ``buf`` (reused when its
    shape fits, else a new buffer is returned).

    ``frame`` is the newest camera frame at the output size; only its background-only rendering
    (``fallback.background_only``: colour/image/video, or a very strong blur) is shown. With
    passthrough (background "none") a pause still must not show the room: a 32×18 blur.
    """
    bg = fallback.background_only(frame)
    if passthrough:
        bg = cv2.blur(cv2.resize(bg, (32, 18)), (5, 5))
        bg = cv2.resize(bg, (frame.shape[1], frame.shape[0]))
    if buf is None or buf.shape != bg.shape:
        buf = np.empty_like(bg)
    np.copyto(buf, bg)
    badge(buf, "paused")
    return buf


# Shown for blur/none, whose background is drawn from the room: a dark slate gradient.
_NEUTRAL_TOP, _NEUTRAL_BOTTOM = (70, 58, 50), (34, 28, 24)


def still_picture(fallback: Compositor, width: int, height: int, paused: bool) -> np.ndarray:
    """A picture that needs no camera frame: the chosen colour/image/video background (a
    still: one video frame), or a neutral gradient for blur and none, whose background would
    be the room itself; a small "vbg" mark in the bottom-right corner, and with ``paused`` the
    same "paused" badge as :func:`paused_picture`. A new array the caller owns.
    """
    kind = fallback.config.kind
    if kind in ("color", "image", "video"):
        picture = fallback.background_only(np.zeros((height, width, 3), np.uint8)).copy()
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
