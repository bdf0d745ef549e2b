"""The one way vbg reads pictures and videos from files and fits them to a frame size.

- :func:`decode_image` / :func:`read_image`: an image file as BGR uint8. Through
  ``np.fromfile`` + ``cv2.imdecode`` (the same decoder as ``cv2.imread``, but it also opens
  non-ASCII paths on Windows, where ``imread`` returns None).
- :func:`cover_fit`: scale to cover a size keeping the aspect, centre-crop the rest (a 4:3 or
  portrait picture is cropped, never squashed). One interpolation rule: ``INTER_AREA`` when
  shrinking (no aliasing) unless ``fast``, ``INTER_LINEAR`` when enlarging (``INTER_AREA`` is
  slow and blocky there) or when ``fast`` (``INTER_AREA`` at a non-integer factor costs a few
  ms: fine once per still, too much for every video frame).
- :class:`VideoFrames`: a video file frame by frame, looping or not.

Sources (capture), backgrounds (compositor), stills and the UI's thumbnails all use these.
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np

from vbg.errors import SourceError, VbgError

IMAGE_FORMATS = "PNG, JPEG, BMP, WebP or TIFF"
# The smallest picture or video frame vbg cuts out: below it the model's input and the
# foreground estimate have nothing to work with (a 1x1 file once ended in a ZeroDivisionError).
MIN_SIDE = 16


def check_min_size(path: object, width: int, height: int, what: str = "picture") -> None:
    """``SourceError`` (one sentence) when a ``what`` of ``width``x``height`` is too small."""
    if min(width, height) < MIN_SIDE:
        raise SourceError(f"{path} is {width}x{height} pixels; vbg needs a {what} of at least "
                          f"{MIN_SIDE}x{MIN_SIDE}.")


def decode_image(path: str | os.PathLike[str], *, as_stored: bool = False
                 ) -> np.ndarray | None:
    """The image at ``path`` as BGR uint8 (grey and alpha converted), or None when the file
    is missing, unreadable or not an image. ``as_stored``: keep its channels and depth as in
    the file (grey, BGRA: masks with an alpha channel)."""
    try:
        data = np.fromfile(os.fspath(path), np.uint8)
    except OSError:
        return None
    flags = cv2.IMREAD_UNCHANGED if as_stored else cv2.IMREAD_COLOR
    return cv2.imdecode(data, flags) if data.size else None


def read_image(path: str | os.PathLike[str], *, what: str = "Image",
               error: type[VbgError] = SourceError) -> np.ndarray:
    """The image at ``path`` as BGR uint8, or ``error`` with one sentence naming ``what`` and
    the file: it does not exist, can't be read (with the reason), or is not an image."""
    p = Path(path)
    if not p.is_file():
        raise error(f"{what} {p} does not exist; check the path.")
    try:
        data = np.fromfile(str(p), np.uint8)
    except OSError as exc:
        raise error(f"{what} {p} can't be read ({exc.strerror or exc}); check the path.") from exc
    image = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if image is None:
        raise error(f"{what} {p} is not an image vbg can read; use {IMAGE_FORMATS}.")
    return image


def cover_fit(src: np.ndarray, size: tuple[int, int], out: np.ndarray | None = None,
              fast: bool = False) -> np.ndarray:
    """``src`` scaled to cover ``size`` = (width, height) with its aspect kept, the middle
    cropped; written into ``out`` (allocated when None; never ``src`` itself).

    The crop is taken from the source first and resized in one step, which is cheaper than
    resizing the whole picture and cropping after. Interpolation: see the module docstring.
    """
    width, height = size
    sh, sw = src.shape[:2]
    if sw * height > width * sh:  # wider than the target: crop the sides
        cw, ch = max(1, round(sh * width / height)), sh
    else:  # taller: crop top and bottom
        cw, ch = sw, max(1, round(sw * height / width))
    x0, y0 = (sw - cw) // 2, (sh - ch) // 2
    crop = src[y0 : y0 + ch, x0 : x0 + cw]
    if out is None:
        out = np.empty((height, width) + src.shape[2:], src.dtype)
    shrinking = cw > width or ch > height
    interp = cv2.INTER_AREA if shrinking and not fast else cv2.INTER_LINEAR
    cv2.resize(crop, (width, height), dst=out, interpolation=interp)
    return out


class VideoFrames:
    """The frames of a video file, in order; with ``loop`` from the start again at the end.

    Opening reads the first frame (so a file that is not a video fails at once, with
    :attr:`first_ok` False) and :meth:`read` returns it first, not skipped. At the end of the
    file, looping re-opens it (seeking back is not reliable in every container and backend).
    :meth:`read` returns None at the end without ``loop``, or when the file can't be read
    again. Frames may be written into ``into`` (a buffer of the video's size) to avoid an
    allocation per frame; without it each frame is a new array. Not thread-safe.
    """

    def __init__(self, path: str | os.PathLike[str], loop: bool = True,
                 decode_threads: int | None = None) -> None:
        """``decode_threads``: the decoder's thread count (None: OpenCV's default, one per
        core). One thread costs less CPU per frame (no hand-offs between decoder threads:
        1.4 vs 1.6-1.8 ms for a 540p H.264 frame here), enough for a file played at its
        own rate next to a video call."""
        self.path = os.fspath(path)
        self.loop = loop
        self._params = ([] if decode_threads is None
                        else [cv2.CAP_PROP_N_THREADS, int(decode_threads)])
        self._cap: cv2.VideoCapture | None = self._open()
        self._pending: np.ndarray | None = None
        if self._cap.isOpened():
            ok, frame = self._cap.read()
            if ok and frame is not None and frame.size:
                self._pending = frame
        self.first_ok = self._pending is not None
        self.fps = float(self._cap.get(cv2.CAP_PROP_FPS) or 0.0) if self.first_ok else 0.0

    def read(self, into: np.ndarray | None = None) -> np.ndarray | None:
        """The next frame (see the class docstring)."""
        if self._pending is not None:
            first, self._pending = self._pending, None
            return first
        if self._cap is None:
            return None
        frame = self._grab(into)
        if frame is not None or not self.loop:
            return frame
        self._cap.release()
        self._cap = self._open()
        return self._grab(into)

    def _open(self) -> cv2.VideoCapture:
        cap = cv2.VideoCapture(self.path, cv2.CAP_ANY, self._params)
        if not cap.isOpened() and self._params:  # a backend that refuses the thread setting
            cap = cv2.VideoCapture(self.path)
        return cap

    def _grab(self, into: np.ndarray | None) -> np.ndarray | None:
        cap = self._cap
        if cap is None:
            return None
        ok, frame = cap.read(into) if into is not None else cap.read()
        return frame if ok and frame is not None and frame.size else None

    def close(self) -> None:
        """Release the file (idempotent)."""
        cap, self._cap = self._cap, None
        self._pending = None
        if cap is not None:
            cap.release()
