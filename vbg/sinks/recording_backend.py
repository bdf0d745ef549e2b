"""A pyvirtualcam backend that records instead of showing: for tests and self-tests.

Registered as ``"vbg-recording"`` by :func:`register_recording_backend`, it is driven by the
real ``pyvirtualcam.Camera`` (shape checks, ``sleep_until_next_frame``, the joined error
message when every backend fails), so code under test takes exactly the path it takes with a
real virtual camera; only the device at the end is replaced.

It follows pyvirtualcam's backend contract (``pyvirtualcam.camera.Backend``): keyword-only
constructor ``(width, height, fps, fourcc, device, **kw)``, ``send`` gets a flat C-contiguous
uint8 array, ``close`` is called exactly once and nothing after it.

Each instance keeps the last :attr:`RecordingBackend.max_frames` frames (copies, reshaped to
H×W×C) and their ``time.monotonic()`` arrival times in bounded rings, so a long self-test can't
grow memory. Instances are listed, newest last, in :attr:`RecordingBackend.instances` (also
bounded). Setting :attr:`RecordingBackend.fail_with` makes the constructor raise
``RuntimeError(fail_with)``: a pretend "no virtual camera".
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Any, ClassVar

import numpy as np
import pyvirtualcam
from pyvirtualcam.camera import FrameShapes
from pyvirtualcam.util import decode_fourcc

BACKEND_NAME = "vbg-recording"


class RecordingBackend:
    """Records what pyvirtualcam sends; see the module docstring."""

    instances: ClassVar[deque[RecordingBackend]] = deque(maxlen=16)
    fail_with: ClassVar[str | None] = None
    max_frames: ClassVar[int] = 300

    def __init__(
        self,
        *,
        width: int,
        height: int,
        fps: float,
        fourcc: int,
        device: str | None,
        **kw: Any,
    ) -> None:
        if type(self).fail_with is not None:
            raise RuntimeError(type(self).fail_with)
        fmt = pyvirtualcam.PixelFormat(decode_fourcc(fourcc))  # ValueError if unknown
        shape = FrameShapes[fmt](width, height)
        # Flat formats (I420, ...) are kept flat; image formats get their H×W(×C) shape back.
        self._shape: tuple[int, ...] = (shape,) if isinstance(shape, int) else tuple(shape)
        self.width, self.height, self.fps = width, height, fps
        self.fourcc = fourcc
        self.fmt = fmt
        self.kw = kw
        self._device = device if device is not None else BACKEND_NAME
        self._lock = threading.Lock()  # tests read while the output thread sends
        self._frames: deque[np.ndarray] = deque(maxlen=self.max_frames)
        self._times: deque[float] = deque(maxlen=self.max_frames)
        self.frames_sent = 0
        self.close_calls = 0
        type(self).instances.append(self)

    # -- pyvirtualcam backend interface ------------------------------------------------------

    def send(self, frame: np.ndarray) -> None:
        """Keep a copy of ``frame`` (flat, as pyvirtualcam passes it) and its arrival time."""
        if self.close_calls:
            raise RuntimeError("send() after close(): the backend contract was broken")
        t = time.monotonic()
        image = np.array(frame, dtype=np.uint8, copy=True).reshape(self._shape)
        with self._lock:
            self._frames.append(image)
            self._times.append(t)
            self.frames_sent += 1

    def close(self) -> None:
        """Count the call; pyvirtualcam promises exactly one, tests can check ``close_calls``."""
        self.close_calls += 1

    def device(self) -> str:
        """The device name given, or ``"vbg-recording"``."""
        return self._device

    def native_fourcc(self) -> int:
        """The format frames arrive in (this backend converts nothing)."""
        return self.fourcc

    # -- for tests ---------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        """True once pyvirtualcam closed this backend."""
        return self.close_calls > 0

    def recorded(self) -> tuple[list[np.ndarray], list[float]]:
        """The kept frames (oldest first) and their ``time.monotonic()`` arrival times."""
        with self._lock:
            return list(self._frames), list(self._times)

    @classmethod
    def last(cls) -> RecordingBackend:
        """The most recently opened instance; ``LookupError`` when none was."""
        if not cls.instances:
            raise LookupError("no vbg-recording virtual camera has been opened")
        return cls.instances[-1]

    @classmethod
    def reset(cls) -> None:
        """Forget all instances and stop pretending to fail (call between tests)."""
        cls.instances.clear()
        cls.fail_with = None


def register_recording_backend() -> str:
    """Make ``backend="vbg-recording"`` available to ``pyvirtualcam.Camera``; returns the name.

    Idempotent (pyvirtualcam replaces a backend registered twice under one name). With
    ``backend=None`` pyvirtualcam tries backends in registration order, so this one is used only
    when the real ones (v4l2loopback, OBS) fail.
    """
    pyvirtualcam.register_backend(BACKEND_NAME, RecordingBackend)
    return BACKEND_NAME
