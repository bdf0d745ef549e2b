"""Decoding a webcam's MJPG frames.

A 720p or 1080p webcam at 30 fps delivers MJPG, so every frame costs a JPEG decode. OpenCV's
``imdecode`` (and its V4L2 backend, which calls it) takes 4.7-5.2 ms for a 720p webcam frame
on the team machine; libjpeg-turbo through ``simplejpeg`` gives the *same pixels* (max
difference 0 on the bench frames, both use libjpeg-turbo's accurate DCT and smooth chroma
upsampling) in 1.7 ms. In ``vbg bench --camera-like`` a 720p frame costs 2.1 ms less CPU in
all, a 1080p frame 3.4 ms less (docs/benchmarks.md). Where simplejpeg is missing, OpenCV
decodes.
"""

from __future__ import annotations

import cv2
import numpy as np

try:  # a small wheel (libjpeg-turbo inside) on every platform we ship; OpenCV otherwise
    import simplejpeg
except ImportError:  # pragma: no cover - exercised by monkeypatching simplejpeg in the tests
    simplejpeg = None


def decoder_name() -> str:
    """Which decoder ``decode_jpeg`` uses, for reports (e.g. ``vbg bench --camera-like``)."""
    return "libjpeg-turbo via simplejpeg" if simplejpeg is not None else "OpenCV"


def decode_jpeg(data: np.ndarray | bytes) -> np.ndarray | None:
    """One JPEG (the bytes of an MJPG frame, or a 1×N / N uint8 array of them) as a new BGR
    uint8 H×W×3 array; None when the data is not a JPEG that can be decoded.

    A frame cut short (no end-of-image marker: a USB transfer lost part of it) is None too, as
    with OpenCV's decoder, which a camera counts as a failed read, so the next frame is shown
    (libjpeg-turbo alone would return the top part over grey). Stray bytes before the end
    marker or padding after it, which many UVC cameras send on every frame, still give the
    picture.
    """
    buf = np.ascontiguousarray(data, dtype=np.uint8).reshape(-1) if isinstance(
        data, np.ndarray) else np.frombuffer(data, np.uint8)
    if buf.size < 4 or buf[0] != 0xFF or buf[1] != 0xD8:  # no JPEG start-of-image marker
        return None
    # FF D9 can't occur inside the compressed data (a data FF is always followed by 00), so
    # its absence means the frame is incomplete.
    if buf.tobytes().rfind(b"\xff\xd9") < 0:
        return None
    if simplejpeg is not None:
        try:
            return simplejpeg.decode_jpeg(buf, colorspace="BGR", strict=False)
        except ValueError:
            return None
    frame = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    return frame if frame is not None and frame.size else None
