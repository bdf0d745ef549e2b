"""Frame sources: a webcam, a video file, still images, a synthetic scene and the bundled demo.

Every source is synchronous: ``read()`` blocks until the next frame and the pipeline owns the
thread that calls it. The contract, shared by all of them (see :class:`Source`):

- ``info`` says what the source really delivers (not what was asked for).
- ``read()`` returns a *new* BGR uint8 H×W×3 array on every call; the caller may keep it and
  hand it to another thread. It raises :class:`~vbg.errors.SourceEnded` when a finite source
  is exhausted (not an error), :class:`~vbg.errors.CameraError` /
  :class:`~vbg.errors.SourceError` with a sentence for the user when something is wrong.
- ``close()`` is idempotent. Call it from the reading thread or after that thread stopped: a
  source is not meant to be read and closed concurrently. ``read()`` after ``close()`` raises
  ``SourceEnded``.

Constructors fail early: a missing camera, an unreadable file or a camera that can't deliver
the requested size raise before the first ``read()``, so the user hears about it before the
pipeline starts.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import sys
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

import cv2
import numpy as np

from vbg import resources
from vbg.config import CaptureConfig
from vbg.errors import CameraError, SourceEnded, SourceError
from vbg.timing import Pacer

log = logging.getLogger(__name__)

IMAGE_EXTENSIONS = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff"})

# Sizes `list_cameras` asks each camera for; the usual webcam modes.
PROBE_SIZES: tuple[tuple[int, int], ...] = ((640, 480), (1280, 720), (1920, 1080))

# A file that reports no usable rate (0, NaN, or container nonsense like 90000) plays at this.
_DEFAULT_FILE_FPS = 30.0

# Webcams often fail the first read or two while they start streaming; give them a few tries
# before calling them busy. Mid-stream, tolerate a short glitch before calling them unplugged.
_FIRST_READ_ATTEMPTS = 5
_MIDSTREAM_FAILURES = 3


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


# --------------------------------------------------------------------------------------------
# Small helpers


_quiet_lock = threading.Lock()
_quiet_depth = 0
_quiet_saved: int | None = None


@contextlib.contextmanager
def _quiet_opencv() -> Iterator[None]:
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


def _fit(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """Scale ``image`` to cover ``width``×``height`` and crop the middle (aspect kept, like a
    camera app fills its window: a 4:3 or portrait clip is not squashed into 16:9).

    INTER_AREA when shrinking (no aliasing), INTER_LINEAR when enlarging (INTER_AREA is slow
    and blocky there). Returns ``image`` itself when it already has the size.
    """
    h, w = image.shape[:2]
    if (w, h) == (width, height):
        return image
    scale = max(width / w, height / h)
    cw, ch = min(w, round(width / scale)), min(h, round(height / scale))
    x0, y0 = (w - cw) // 2, (h - ch) // 2
    crop = image[y0 : y0 + ch, x0 : x0 + cw]
    interp = cv2.INTER_AREA if scale < 1.0 else cv2.INTER_LINEAR
    return cv2.resize(crop, (width, height), interpolation=interp)


def _as_bgr(image: np.ndarray) -> np.ndarray:
    """Make sure a decoded frame is 3-channel BGR (some cameras and files give grey or BGRA)."""
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    return image


def _decode_fourcc(value: float) -> str:
    """OpenCV reports FOURCC as a float holding four little-endian characters."""
    code = int(value)
    if code <= 0:
        return ""
    chars = "".join(chr((code >> (8 * i)) & 0xFF) for i in range(4))
    return chars.strip("\x00 ") if chars.isprintable() else ""


def _check_size(width: int | None, height: int | None) -> None:
    """Programming errors (the CLI validates user sizes in CaptureConfig)."""
    if (width is None) != (height is None):
        raise ValueError("give both width and height, or neither")
    if width is not None and height is not None and (width < 1 or height < 1):
        raise ValueError(f"size must be positive, got {width}x{height}")


def _read_image(path: Path) -> np.ndarray | None:
    """Decode an image file to BGR, or None when it isn't one.

    Goes through ``np.fromfile`` + ``imdecode`` because ``cv2.imread`` can't open non-ASCII
    paths on Windows.
    """
    try:
        data = np.fromfile(str(path), dtype=np.uint8)
    except OSError:
        return None
    if data.size == 0:
        return None
    return cv2.imdecode(data, cv2.IMREAD_COLOR)


# --------------------------------------------------------------------------------------------
# Cameras


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
    with _quiet_opencv():
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
        _check_size(width, height)
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
        with _quiet_opencv():
            if mjpg:
                cap.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter_fourcc(*"MJPG"))
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
            cap.set(cv2.CAP_PROP_FPS, fps)
            frame = None
            for _ in range(_FIRST_READ_ATTEMPTS):
                ok, frame = cap.read()
                if ok and frame is not None and frame.size:
                    break
                frame = None
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
        return _as_bgr(frame)

    def read(self) -> np.ndarray:
        """Next frame (a new array). ``CameraError`` when the camera stops delivering."""
        if self._pending is not None:
            frame, self._pending = self._pending, None
            return frame
        if self._cap is None:
            raise SourceEnded
        for _ in range(_MIDSTREAM_FAILURES):
            ok, frame = self._cap.read()
            if ok and frame is not None and frame.size:
                return _as_bgr(frame)
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
            with _quiet_opencv():
                cap.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter_fourcc(*"MJPG"))
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


# --------------------------------------------------------------------------------------------
# Files


class VideoSource:
    """A video file, scaled to ``width``×``height`` (aspect not kept).

    ``loop``: start again at the end (re-opening the file, which works for every container,
    unlike seeking); otherwise ``SourceEnded``. ``realtime``: deliver frames at the file's own
    rate on a monotonic deadline; otherwise as fast as decoding allows.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        width: int,
        height: int,
        loop: bool = True,
        realtime: bool = True,
    ) -> None:
        _check_size(width, height)
        self.path = Path(path)
        self.width, self.height, self.loop = width, height, loop
        if not self.path.is_file():
            raise SourceError(f"Video file {self.path} does not exist.")
        cap, first = self._open()
        if first is None:
            cap.release()
            raise SourceError(
                f"{self.path} is not a video OpenCV can read; convert it to MP4 or pick "
                "another file."
            )
        self._cap: cv2.VideoCapture | None = cap
        self._pending: np.ndarray | None = first
        file_fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        if not (math.isfinite(file_fps) and 1.0 <= file_fps <= 240.0):
            file_fps = _DEFAULT_FILE_FPS
        self._deadline = Pacer(file_fps) if realtime else None
        self.info = SourceInfo(width=width, height=height, fps=file_fps, label=self.path.name)

    def _open(self) -> tuple[cv2.VideoCapture, np.ndarray | None]:
        with _quiet_opencv():
            cap = cv2.VideoCapture(str(self.path))
            if not cap.isOpened():
                return cap, None
            ok, frame = cap.read()
        return cap, (frame if ok and frame is not None and frame.size else None)

    def read(self) -> np.ndarray:
        """Next frame, scaled; loops or raises ``SourceEnded`` at the end of the file."""
        if self._cap is None:
            raise SourceEnded
        if self._deadline is not None:
            self._deadline.sleep_until_next_frame()
        if self._pending is not None:
            frame, self._pending = self._pending, None
        else:
            ok, frame = self._cap.read()
            if not ok or frame is None:
                if not self.loop:
                    raise SourceEnded
                self._cap.release()
                self._cap, frame = self._open()
                if frame is None:
                    raise SourceError(
                        f"{self.path} could not be read again from the start; check that the "
                        "file is still there."
                    )
        # cap.read() allocates a new array each call, so returning it (or its resize) is safe.
        return _fit(_as_bgr(frame), self.width, self.height)

    def close(self) -> None:
        """Close the file (idempotent)."""
        cap, self._cap = self._cap, None
        self._pending = None
        if cap is not None:
            cap.release()


class ImageSource:
    """Still images: each of ``paths`` once, then ``SourceEnded``; or forever with ``loop``.

    With ``width``/``height`` every image is scaled to that size; with None each keeps its own
    size (``info`` then describes the first image). ``fps`` paces reads (use it for a looping
    still standing in for a camera, or the capture thread would spin); None: no pacing.

    Missing files raise ``SourceError`` here, at construction; the first image is decoded here
    too, so an unreadable single still is reported before anything runs. Later images are
    decoded when read and raise ``SourceError`` naming the file if they are not images.
    """

    def __init__(
        self,
        paths: Sequence[str | os.PathLike[str]],
        width: int | None = None,
        height: int | None = None,
        loop: bool = False,
        fps: float | None = None,
    ) -> None:
        _check_size(width, height)
        if isinstance(paths, (str, os.PathLike)):  # one path, not a sequence of characters
            paths = [paths]
        if not paths:
            raise SourceError("No image given; name at least one image file.")
        self.paths = [Path(p) for p in paths]
        for p in self.paths:
            if not p.is_file():
                raise SourceError(f"Image file {p} does not exist.")
        self.size = None if width is None or height is None else (width, height)
        self.loop = loop
        self._cache: dict[int, np.ndarray] = {}
        first = self._load(0)
        self._next = 0
        self._closed = False
        self._deadline = Pacer(fps) if fps else None
        w, h = self.size or (first.shape[1], first.shape[0])
        label = self.paths[0].name if len(self.paths) == 1 else f"{len(self.paths)} images"
        self.info = SourceInfo(width=w, height=h, fps=float(fps or 0.0), label=label)

    def _load(self, i: int) -> np.ndarray:
        cached = self._cache.get(i)
        if cached is not None:
            return cached
        image = _read_image(self.paths[i])
        if image is None:
            raise SourceError(
                f"{self.paths[i]} is not an image OpenCV can read; use a PNG or JPEG file."
            )
        if self.size is not None:
            image = _fit(image, *self.size)
        # Keep decoded stills only when they will be shown again (looping), to bound memory
        # for long one-shot lists.
        if self.loop:
            self._cache[i] = image
        return image

    def read(self) -> np.ndarray:
        """The next still (a copy the caller owns)."""
        if self._closed:
            raise SourceEnded
        if self._next >= len(self.paths):
            if not self.loop:
                raise SourceEnded
            self._next = 0
        if self._deadline is not None:
            self._deadline.sleep_until_next_frame()
        image = self._load(self._next)
        self._next += 1
        return image.copy()

    def close(self) -> None:
        """Forget the decoded images (idempotent)."""
        self._closed = True
        self._cache.clear()


# --------------------------------------------------------------------------------------------
# Generated sources


class SyntheticSource:
    """A deterministic moving scene for tests: a bright "person" (head and shoulders) sliding
    slowly left and right over a fixed textured background, with the frame number printed in
    the top-left corner.

    Frame ``k`` depends only on ``k`` and the size, never on time, so two sources give
    identical frames. :meth:`person_mask` returns the exact person region of a frame (ground
    truth for matting tests). ``fps`` paces reads (None: as fast as read). ``n_frames`` ends the
    source with ``SourceEnded`` after that many frames (None: endless).
    """

    PERSON_BGR = (150, 190, 235)  # a warm skin-like tone, far from the background's greys

    def __init__(
        self,
        width: int,
        height: int,
        fps: float | None = None,
        n_frames: int | None = None,
    ) -> None:
        _check_size(width, height)
        self.width, self.height, self.n_frames = width, height, n_frames
        self._index = 0
        self._closed = False
        self._deadline = Pacer(fps) if fps else None
        self._background = self._make_background(width, height)
        self.info = SourceInfo(
            width=width, height=height, fps=float(fps or 30.0), label="synthetic"
        )

    @staticmethod
    def _make_background(width: int, height: int) -> np.ndarray:
        # Fixed seed: the same size always gives the same background.
        rng = np.random.default_rng(20240601)
        coarse = rng.integers(
            40, 120, size=(max(2, height // 32), max(2, width // 32), 3), dtype=np.uint8
        )
        bg = cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC)
        # Diagonal stripes give the matting model edges that are not the person's.
        yy, xx = np.mgrid[0:height, 0:width]
        stripes = (((xx + yy) // 24) % 2 * 20).astype(np.uint8)
        return cv2.add(bg, np.dstack([stripes] * 3))

    def _geometry(self, k: int) -> tuple[int, int, int, int, int, int]:
        """Head centre, head radius and shoulder centre/half-width/half-height at frame ``k``."""
        w, h = self.width, self.height
        # One slow sweep every 120 frames (4 s at 30 fps), a quarter of the width each way.
        cx = int(round(w / 2 + 0.25 * w * math.sin(2 * math.pi * k / 120)))
        head_r = max(2, int(0.12 * h))
        head_cy = int(0.42 * h)
        sh_cy = h  # shoulders: an ellipse centred on the bottom edge
        sh_ax = max(3, int(0.24 * w))
        sh_ay = max(2, int(0.38 * h))
        return cx, head_cy, head_r, sh_cy, sh_ax, sh_ay

    def _draw_person(self, canvas: np.ndarray, k: int, color: tuple[int, ...]) -> None:
        cx, head_cy, head_r, sh_cy, sh_ax, sh_ay = self._geometry(k)
        cv2.ellipse(canvas, (cx, head_cy), (int(head_r * 0.8), head_r), 0, 0, 360, color, -1)
        cv2.ellipse(canvas, (cx, sh_cy), (sh_ax, sh_ay), 0, 180, 360, color, -1)
        neck_w = max(1, head_r // 2)
        cv2.rectangle(canvas, (cx - neck_w, head_cy), (cx + neck_w, sh_cy - sh_ay + 2), color, -1)

    def person_mask(self, k: int) -> np.ndarray:
        """The person's region in frame ``k`` (0-based) as an H×W uint8 mask of 0/255."""
        mask = np.zeros((self.height, self.width), np.uint8)
        self._draw_person(mask, k, (255,))
        return mask

    def read(self) -> np.ndarray:
        """Frame number ``k`` of the scene, k = 0, 1, 2, ..."""
        if self._closed or (self.n_frames is not None and self._index >= self.n_frames):
            raise SourceEnded
        if self._deadline is not None:
            self._deadline.sleep_until_next_frame()
        k = self._index
        self._index += 1
        frame = self._background.copy()
        self._draw_person(frame, k, self.PERSON_BGR)
        scale = max(0.3, self.height / 480)
        cv2.putText(
            frame,
            str(k),
            (8, int(24 * scale)),
            cv2.FONT_HERSHEY_SIMPLEX,
            0.7 * scale,
            (255, 255, 255),
            max(1, int(2 * scale)),
            cv2.LINE_AA,
        )
        return frame

    def close(self) -> None:
        """Stop the source (idempotent)."""
        self._closed = True


class DemoSource:
    """The bundled NASA astronaut portrait, slowly panned and zoomed (Ken Burns), so the app
    runs anywhere without a camera.

    Motion is periodic (10 s) and smooth: zoom goes 1.0 → 1.15 → 1.0 and the view drifts a
    little, always inside the photo (no borders). Frame ``k`` is computed from ``k / fps``, so
    it is deterministic. ``realtime`` paces reads at ``fps``. The photo is loaded from
    ``assets/demo/astronaut.png``; ``SourceError`` if that file is missing.
    """

    PERIOD_S = 10.0
    ZOOM_RANGE = (1.0, 1.15)

    def __init__(self, width: int, height: int, fps: float = 30.0, realtime: bool = True) -> None:
        _check_size(width, height)
        if fps <= 0:
            raise ValueError(f"fps must be positive, got {fps}")
        path = resources.asset("demo", "astronaut.png")
        photo = _read_image(path)
        if photo is None:
            raise SourceError(f"The demo picture {path} is missing or damaged; reinstall vbg.")
        self._photo = photo
        self.width, self.height, self.fps = width, height, fps
        self._index = 0
        self._closed = False
        self._deadline = Pacer(fps) if realtime else None
        self.info = SourceInfo(
            width=width, height=height, fps=float(fps), label="demo (NASA astronaut photo)"
        )

    def _matrix(self, t: float) -> np.ndarray:
        """The photo→frame affine transform at time ``t`` seconds."""
        ph, pw = self._photo.shape[:2]
        fw, fh = self.width, self.height
        phase = 2 * math.pi * t / self.PERIOD_S
        z_lo, z_hi = self.ZOOM_RANGE
        zoom = z_lo + (z_hi - z_lo) * (1 - math.cos(phase)) / 2
        # Cover the frame at zoom 1 (crop, never letterbox), then zoom in.
        scale = max(fw / pw, fh / ph) * zoom
        # Half the visible window in photo pixels; the centre may move only where the window
        # stays inside the photo, so there are never borders.
        half_w, half_h = fw / (2 * scale), fh / (2 * scale)
        lo_x, hi_x = half_w - 0.5, pw - 0.5 - half_w
        lo_y, hi_y = half_h - 0.5, ph - 0.5 - half_h
        # Positions within that slack (0..1): drift sideways; stay near the top, because the
        # photo has little headroom above the hair and a landscape crop would cut the head.
        u = 0.5 + 0.3 * math.sin(phase)
        v = 0.03 + 0.03 * math.cos(phase)
        cx = lo_x + (hi_x - lo_x) * u
        cy = lo_y + (hi_y - lo_y) * v
        return np.array(
            [[scale, 0.0, (fw - 1) / 2 - scale * cx], [0.0, scale, (fh - 1) / 2 - scale * cy]],
            dtype=np.float64,
        )

    def read(self) -> np.ndarray:
        """The next frame of the animation (a new array)."""
        if self._closed:
            raise SourceEnded
        if self._deadline is not None:
            self._deadline.sleep_until_next_frame()
        t = self._index / self.fps
        self._index += 1
        # The caller owns (and hands to another thread) each frame, so warp straight into a
        # new array rather than into a buffer that would then have to be copied.
        frame = np.empty((self.height, self.width, 3), np.uint8)
        cv2.warpAffine(
            self._photo,
            self._matrix(t),
            (self.width, self.height),
            dst=frame,
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_REFLECT_101,
        )
        return frame

    def close(self) -> None:
        """Stop the source (idempotent)."""
        self._closed = True


# --------------------------------------------------------------------------------------------


def open_source(cfg: CaptureConfig) -> Source:
    """The source ``cfg.source`` names.

    "auto" is camera 0 when one can be opened, else the demo (so a fresh install shows
    something anywhere); "demo" and "synthetic" (any case) are the generated sources; all digits
    is a camera index;
    a file with an image extension is a looping still (paced at ``cfg.fps`` when
    ``cfg.realtime``); anything else is a video file. Raises ``CameraError``/``SourceError``
    when the source can't be opened.
    """
    name = cfg.source.strip()
    keyword = name.lower()
    if keyword == "auto":
        try:
            return CameraSource(0, cfg.width, cfg.height, cfg.fps, mjpg=cfg.mjpg)
        except CameraError:
            log.warning("No usable camera 0: showing the demo picture instead.")
            keyword = "demo"
    if keyword == "demo":
        return DemoSource(cfg.width, cfg.height, cfg.fps, realtime=cfg.realtime)
    if keyword == "synthetic":
        return SyntheticSource(cfg.width, cfg.height, fps=cfg.fps if cfg.realtime else None)
    if name.isascii() and name.isdigit():
        return CameraSource(int(name), cfg.width, cfg.height, cfg.fps, mjpg=cfg.mjpg)
    if Path(name).suffix.lower() in IMAGE_EXTENSIONS:
        return ImageSource(
            [name], cfg.width, cfg.height, loop=True, fps=cfg.fps if cfg.realtime else None
        )
    return VideoSource(name, cfg.width, cfg.height, loop=cfg.loop, realtime=cfg.realtime)
