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
