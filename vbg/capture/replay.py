"""A camera-like source for benchmarks: frames held as JPEG in memory, decoded on every read.

A 720p or 1080p webcam at 30 fps delivers MJPG, so every frame a real camera hands over costs
a JPEG decode; reading a video file or the demo costs something else. ``MjpegReplaySource``
takes the first frames of another source once, encodes them at a webcam's JPEG quality and
then decodes one per ``read()``, looping, with the decoder ``CameraSource`` uses for an MJPG
camera on Linux (``vbg.capture.jpeg``). ``vbg bench --camera-like`` uses it, so its table shows
what a camera costs.
"""

from __future__ import annotations

import cv2
import numpy as np

from vbg.capture.base import Source, SourceInfo
from vbg.capture.jpeg import decode_jpeg, decoder_name
from vbg.errors import SourceEnded, SourceError
from vbg.timing import Pacer

# Typical of UVC webcams' MJPG streams (about 80-150 kB per 720p frame).
WEBCAM_JPEG_QUALITY = 85


class MjpegReplaySource:
    """The first ``frames`` frames of ``inner`` as in-memory JPEGs, decoded one per ``read()``.

    The inner source is read ``frames`` times here and closed. ``read()`` returns a new BGR
    array (the source contract) and loops over the frames forever; ``close()`` is idempotent
    and ``read()`` after it raises ``SourceEnded``. Unpaced (capacity runs) unless ``fps`` is
    given: then ``read()`` waits for the next tick of that rate, as a camera does.
    """

    def __init__(self, inner: Source, frames: int = 120,
                 quality: int = WEBCAM_JPEG_QUALITY, fps: float | None = None) -> None:
        if frames < 1:
            raise ValueError("frames must be at least 1")
        if not 1 <= quality <= 100:
            raise ValueError("JPEG quality must be 1 to 100")
        self._jpegs: list[np.ndarray] | None = []
        params = [cv2.IMWRITE_JPEG_QUALITY, int(quality)]
        try:
            for _ in range(frames):
                try:
                    frame = inner.read()
                except SourceEnded:
                    break
                ok, data = cv2.imencode(".jpg", frame, params)
                if not ok:
                    raise SourceError(f"{inner.info.label}: a frame could not be JPEG-encoded.")
                self._jpegs.append(data)
        finally:
            inner.close()
        if not self._jpegs:
            raise SourceError(f"{inner.info.label} delivered no frame to replay.")
        self._next = 0
        self._deadline = Pacer(fps) if fps else None
        self.quality = int(quality)
        i = inner.info
        label = f"{i.label} as MJPG (q {quality}, decoded by {decoder_name()})"
        self.info = SourceInfo(width=i.width, height=i.height, fps=i.fps, label=label,
                               fourcc="MJPG")

    def read(self) -> np.ndarray:
        """Decode the next frame (BGR uint8, a new array)."""
        if self._jpegs is None:
            raise SourceEnded
        if self._deadline is not None:
            self._deadline.sleep_until_next_frame()
        data = self._jpegs[self._next]
        self._next = (self._next + 1) % len(self._jpegs)
        frame = decode_jpeg(data)
        if frame is None:  # pragma: no cover - we encoded it ourselves
            raise SourceError("A replayed JPEG frame could not be decoded.")
        return frame

    def close(self) -> None:
        """Drop the frames (idempotent)."""
        self._jpegs = None
