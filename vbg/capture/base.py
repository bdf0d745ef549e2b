"""What every frame source shares: the :class:`Source` protocol, :class:`SourceInfo`, and the
small helpers the camera, file and generated sources use (OpenCV quieting, BGR conversion,
size checks); pictures are read and fitted with :mod:`vbg.imaging`. See the package docstring
for the contract.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import cv2
import numpy as np


@dataclass(frozen=True)
class SourceInfo:
    """What a source really delivers.

    ``width``/``height``: size of the frames ``read()`` returns. ``fps``: the content's frame
    rate (camera: as the driver reports it; file: the file's own; demo/synthetic/paced stills:
    the pacing rate; one-shot stills: 0.0). ``label``: a short human name for logs and the UI.
    ``fourcc``: the camera's pixel format (e.g. "MJPG", "YUYV"), empty for other sources.
    """

    width: int
    height: int
    fps: float
    label: str
    fourcc: str = ""



@runtime_checkable
class Source(Protocol):
    """Where frames come from; see the module docstring for the full contract."""

    info: SourceInfo

    def read(self) -> np.ndarray:
        """Block until the next frame; return a new BGR uint8 H×W×3 array the caller owns."""
        ...

    def close(self) -> None:
        """Release the device or file; safe to call more than once."""
        ...



# Small helpers


_quiet_lock = threading.Lock()
_quiet_depth = 0
_quiet_saved: int | None = None


@contextlib.contextmanager
def quiet_opencv() -> Iterator[None]:
    """Silence OpenCV's own warnings while probing devices and files.

    A failed open prints "[ WARN ] can't open camera by index" to stderr; we report failures
    ourselves in one sentence, so its noise would only confuse the user. The log level is
    process-wide, so overlapping uses (two threads opening files) are counted and the first
    one in saves the level that the last one out restores.
    """
    global _quiet_depth, _quiet_saved
    logging = getattr(getattr(cv2, "utils", None), "logging", None)
    if logging is None:  # pragma: no cover - very old OpenCV builds
        yield
        return
    with _quiet_lock:
        if _quiet_depth == 0:
            _quiet_saved = logging.getLogLevel()
            logging.setLogLevel(logging.LOG_LEVEL_ERROR)
        _quiet_depth += 1
    try:
        yield
    finally:
        with _quiet_lock:
            _quiet_depth -= 1
            if _quiet_depth == 0 and _quiet_saved is not None:
                logging.setLogLevel(_quiet_saved)


def as_bgr(image: np.ndarray) -> np.ndarray:
    """Make sure a decoded frame is 3-channel BGR (some cameras and files give grey or BGRA)."""
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    return image



def check_size(width: int | None, height: int | None) -> None:
    """Programming errors (the CLI validates user sizes in CaptureConfig)."""
    if (width is None) != (height is None):
        raise ValueError("give both width and height, or neither")
    if width is not None and height is not None and (width < 1 or height < 1):
        raise ValueError(f"size must be positive, got {width}x{height}")

