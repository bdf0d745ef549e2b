"""Webcams through OpenCV: :class:`CameraSource`, :func:`list_cameras`, and the per-OS probing
(capture backend, /dev/videoN nodes and their sysfs names on Linux)."""

from __future__ import annotations

import math
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from vbg.capture.base import SourceInfo, as_bgr, check_size, quiet_opencv
from vbg.capture.jpeg import decode_jpeg
from vbg.config import CAMERA_SIZES
from vbg.errors import CameraError, SourceEnded

# Sizes `list_cameras` asks each camera for; the usual webcam modes.
PROBE_SIZES = CAMERA_SIZES  # the sizes vbg offers (Camera menu, Settings): one list

# Webcams often fail the first read or two while they start streaming; give them a few tries
# before calling them busy. Mid-stream, tolerate a short glitch before calling them unplugged.
_FIRST_READ_ATTEMPTS = 5
_MIDSTREAM_FAILURES = 3


@dataclass(frozen=True)
class CameraInfo:
    """A camera found by :func:`list_cameras`: its index (what ``--source`` takes), a label,
    and which of :data:`PROBE_SIZES` it accepted (with MJPG requested)."""

    index: int
    label: str
    sizes: tuple[tuple[int, int], ...]

    def __str__(self) -> str:
        """One line for `vbg cameras`, e.g. ``0: HD Pro Webcam C920 (640x480, 1280x720)``."""
        sizes = ", ".join(f"{w}x{h}" for w, h in self.sizes) or "none of the usual sizes"
        return f"{self.index}: {self.label} ({sizes})"



def _decode_fourcc(value: float) -> str:
    """OpenCV reports FOURCC as a float holding four little-endian characters."""
    code = int(value)
    if code <= 0:
        return ""
    chars = "".join(chr((code >> (8 * i)) & 0xFF) for i in range(4))
    return chars.strip("\x00 ") if chars.isprintable() else ""



def _camera_api() -> int:
    """The capture backend that handles webcams best on this OS.

    Linux: V4L2 (the FFmpeg backend can't open cameras in the wheels). Windows: DirectShow, which
    opens quickly and honours the MJPG request (Media Foundation can take many seconds to open
    some cameras). macOS: AVFoundation.
    """
    if sys.platform.startswith("linux"):
        return int(cv2.CAP_V4L2)
    if sys.platform == "win32":
        return int(cv2.CAP_DSHOW)
    if sys.platform == "darwin":
        return int(cv2.CAP_AVFOUNDATION)
    return int(cv2.CAP_ANY)


def _raw_mjpg(cap: cv2.VideoCapture) -> bool:
    """Ask OpenCV for the camera's undecoded MJPG frames; True when it agreed.

    Only on Linux (V4L2), where OpenCV then hands over each frame as one row of JPEG bytes and
    we decode it with libjpeg-turbo ourselves: the same picture for ~2 ms less CPU per 720p
    frame (``vbg.capture.jpeg``). Only when the driver really delivers MJPG (it may have
    refused the request). DirectShow and AVFoundation decode inside the OS, not in OpenCV,
    and keep their own conversion.
    """
    if not sys.platform.startswith("linux"):
        return False
    if _decode_fourcc(cap.get(cv2.CAP_PROP_FOURCC)) != "MJPG":
        return False
    return bool(cap.set(cv2.CAP_PROP_CONVERT_RGB, 0))


def _linux_device_missing(index: int) -> bool:
    """On Linux a camera index N is /dev/videoN; checking the node avoids a slow failed open."""
    return sys.platform.startswith("linux") and not os.path.exists(f"/dev/video{index}")


def _linux_device_name(index: int) -> str | None:
    """The driver's name for /dev/videoN (e.g. "HD Pro Webcam C920"), if sysfs has it."""
    try:
        text = Path(f"/sys/class/video4linux/video{index}/name").read_text(encoding="utf-8")
    except OSError:
        return None
    return text.strip() or None


def _candidate_indices(max_index: int) -> list[int] | None:
    """Indices worth probing: on Linux those with a /dev/videoN node; elsewhere None (= probe
    0, 1, ... until one fails to open, since Windows and macOS number cameras contiguously)."""
    if not sys.platform.startswith("linux"):
        return None
    return [i for i in range(max_index) if os.path.exists(f"/dev/video{i}")]


def _open_camera(index: int) -> cv2.VideoCapture | None:
    """Open camera ``index`` with the OS's preferred backend; None when nothing is there."""
    with quiet_opencv():
        cap = cv2.VideoCapture(index, _camera_api())
        if not cap.isOpened() and not sys.platform.startswith("linux"):
            # Some Windows/macOS cameras only work through the default backend.
            cap.release()
            cap = cv2.VideoCapture(index, cv2.CAP_ANY)
    if not cap.isOpened():
        cap.release()
        return None
    return cap


class CameraSource:
    """A webcam through ``cv2.VideoCapture``.

    Requests MJPG (before the size: many cameras only offer 720p/1080p at 30 fps compressed),
    then ``width``×``height`` at ``fps``, reads one frame and reports in ``info`` what the
    camera really delivers (size from the frame, fps and fourcc from the driver).

    On Linux an MJPG camera's frames are decoded here rather than inside OpenCV (see
    ``_raw_mjpg``); a frame that can't be decoded counts as a failed read.

    Raises ``CameraError`` when there is no camera at ``index``, when it opens but gives no
    frames (busy or unplugged), and when it delivers another size than requested (the message
    names the size to ask for instead).
    """

    def __init__(
        self,
        index: int,
        width: int = 1280,
        height: int = 720,
        fps: float = 30.0,
        mjpg: bool = True,
    ) -> None:
        check_size(width, height)
        self.index = index
        missing = CameraError(f"No camera at index {index}. Run `vbg cameras` to list them.")
        if _linux_device_missing(index):
            raise missing
        cap = _open_camera(index)
        if cap is None:
            node = f"/dev/video{index}"
            if (
                sys.platform.startswith("linux")
                and os.path.exists(node)
                and not os.access(node, os.R_OK | os.W_OK)
            ):
                raise CameraError(
                    f"You may not open {node}; add yourself to the 'video' group "
                    "(sudo usermod -a -G video $USER), log out and in again, then retry."
                )
            raise missing
        self._raw = False  # OpenCV hands over undecoded MJPG (set by _negotiate)
        self._size: tuple[int, int] | None = None  # (w, h) of the first frame, once checked
        try:
            first = self._negotiate(cap, width, height, fps, mjpg)
        except BaseException:
            cap.release()
            raise
        self._cap: cv2.VideoCapture | None = cap
        self._pending: np.ndarray | None = first
        reported_fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        name = (_linux_device_name(index) if sys.platform.startswith("linux") else None) or ""
        label = f"camera {index}" + (f" ({name})" if name else "")
        self.info = SourceInfo(
            width=first.shape[1],
            height=first.shape[0],
            # Some drivers report 0 or NaN; then the request is the best we know.
            fps=reported_fps if math.isfinite(reported_fps) and reported_fps > 0 else fps,
            label=label,
            fourcc=_decode_fourcc(cap.get(cv2.CAP_PROP_FOURCC)),
        )

    def _negotiate(
        self, cap: cv2.VideoCapture, width: int, height: int, fps: float, mjpg: bool
    ) -> np.ndarray:
        """Ask for the format, read the first frame and check the size; returns that frame."""
        with quiet_opencv():
            if mjpg:
                cap.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter.fourcc(*"MJPG"))
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
            cap.set(cv2.CAP_PROP_FPS, fps)
            self._raw = mjpg and _raw_mjpg(cap)
            frame = None
            for _ in range(_FIRST_READ_ATTEMPTS):
                frame = self._grab(cap)
                if frame is not None:
                    break
        if frame is None:
            raise CameraError(
                f"Camera {self.index} opened but gives no picture; it is probably used by "
                "another app (close it) or was unplugged."
            )
        got_w, got_h = frame.shape[1], frame.shape[0]
        if (got_w, got_h) != (width, height):
            raise CameraError(
                f"Camera {self.index} was asked for {width}x{height} but gives "
                f"{got_w}x{got_h}; run again with --size {got_w}x{got_h}."
            )
        self._size = (got_w, got_h)
        return frame

    def _grab(self, cap: cv2.VideoCapture) -> np.ndarray | None:
        """One frame as BGR, or None when the read failed or the frame can't be decoded."""
        ok, frame = cap.read()
        if not ok or frame is None or not frame.size:
            return None
        if self._raw and frame.ndim == 2 and frame.shape[0] == 1:  # one row of JPEG bytes
            picture = decode_jpeg(frame)
            if picture is not None and self._size is not None and (
                    picture.shape[1], picture.shape[0]) != self._size:
                return None  # another size mid-stream: not what the sinks were opened for
            return picture
        if self._raw and frame.ndim == 2:
            # Pixels in a layout we don't convert (the driver changed format): let OpenCV
            # convert again from the next frame on.
            cap.set(cv2.CAP_PROP_CONVERT_RGB, 1)
            self._raw = False
            return None
        return as_bgr(frame)  # the backend converted after all

    def read(self) -> np.ndarray:
        """Next frame (a new array). ``CameraError`` when the camera stops delivering."""
        if self._pending is not None:
            first, self._pending = self._pending, None
            return first
        if self._cap is None:
            raise SourceEnded
        for _ in range(_MIDSTREAM_FAILURES):
            frame = self._grab(self._cap)
            if frame is not None:
                return frame
        raise CameraError(
            f"Camera {self.index} stopped delivering frames; it was probably unplugged, so "
            "plug it back in and start again."
        )

    def close(self) -> None:
        """Release the camera (idempotent)."""
        cap, self._cap = self._cap, None
        self._pending = None
        if cap is not None:
            cap.release()


def list_cameras(max_index: int = 10) -> list[CameraInfo]:
    """Cameras that open, with the :data:`PROBE_SIZES` each one accepts.

    On Linux only indices with a /dev/videoN node are tried (nodes that are not capture
    devices, such as a UVC camera's metadata node or an idle v4l2loopback output, fail to open
    and are skipped). Elsewhere indices 0, 1, ... are tried until one fails. Fast when there
    is no camera: nothing is opened at all on Linux. Sizes are checked by setting them and
    reading back what the driver accepted, without grabbing frames.
    """
    candidates = _candidate_indices(max_index)
    contiguous = candidates is None
    indices = range(max_index) if candidates is None else candidates
    found: list[CameraInfo] = []
    for index in indices:
        cap = _open_camera(index)
        if cap is None:
            if contiguous:
                break
            continue
        try:
            sizes: list[tuple[int, int]] = []
            with quiet_opencv():
                cap.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter.fourcc(*"MJPG"))
                for w, h in PROBE_SIZES:
                    cap.set(cv2.CAP_PROP_FRAME_WIDTH, w)
                    cap.set(cv2.CAP_PROP_FRAME_HEIGHT, h)
                    got = (
                        int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)),
                        int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)),
                    )
                    if got == (w, h):
                        sizes.append(got)
                backend = cap.getBackendName()
        finally:
            cap.release()
        name = _linux_device_name(index) if candidates is not None else None
        found.append(
            CameraInfo(
                index=index, label=name or f"Camera {index} via {backend}", sizes=tuple(sizes)
            )
        )
    return found
