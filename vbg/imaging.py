"""The one way vbg reads pictures and videos from files and fits them to a frame size.

- :data:`IMAGE_EXTENSIONS` / :data:`VIDEO_EXTENSIONS`: which files are pictures and videos.
- :func:`decode_image` / :func:`read_image`: an image file as BGR uint8. Through
  ``np.fromfile`` + ``cv2.imdecode`` (the same decoder as ``cv2.imread``, but it also opens
  non-ASCII paths on Windows, where ``imread`` returns None).
- :func:`image_header_size` / :func:`check_max_size`: the size a picture's header declares,
  read before anything is decoded, and the one cap (:data:`MAX_PIXELS` for pictures,
  :data:`MAX_VIDEO_PIXELS` for video frames): a few-KB file that declares 30000x30000 is
  refused in one sentence instead of costing gigabytes in the decoder.
- :func:`cover_fit`: scale to cover a size keeping the aspect, centre-crop the rest (a 4:3 or
  portrait picture is cropped, never squashed). One interpolation rule: ``INTER_AREA`` when
  shrinking (no aliasing) unless ``fast``, ``INTER_LINEAR`` when enlarging (``INTER_AREA`` is
  slow and blocky there) or when ``fast`` (``INTER_AREA`` at a non-integer factor is OpenCV's
  slow path: fine once per still, too dear for every video frame; docs/benchmarks.md).
- :class:`VideoFrames`: a video file frame by frame, looping or not.
- :func:`load_av`: PyAV, the optional extra through which recorded videos are read
  (:mod:`vbg.capture.media`) and written (:mod:`vbg.sinks.media`), or one sentence that says
  how to install it.

Sources (capture), backgrounds (compositor), stills and the UI's thumbnails all use these.
"""

from __future__ import annotations

import os
import re
import struct
from pathlib import Path
from types import ModuleType

import cv2
import numpy as np

from vbg.errors import OutputError, SourceError, VbgError

IMAGE_FORMATS = "PNG, JPEG, BMP, WebP or TIFF"
# What a file is by its name: a picture or a video. ``--source`` takes a picture as a still
# (anything else as a video), the backgrounds folder and the file dialogs list both.
IMAGE_EXTENSIONS = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff"})
VIDEO_EXTENSIONS = frozenset({".mp4", ".mov", ".m4v", ".avi", ".mkv", ".webm"})
# The smallest picture or video frame vbg cuts out: below it the model's input and the
# foreground estimate have nothing to work with (a 1x1 file once ended in a ZeroDivisionError).
MIN_SIDE = 16
# The largest picture vbg decodes (a 100-megapixel photo, e.g. 12000x8000 or 10000x10000, is
# 300 MB as BGR, several GB in the still cut-out's float buffers) and the largest video frame
# (8K UHD: each frame in flight, times the decoder's threads, costs 100 MB). Checked from the
# file's header before decoding; see :func:`check_max_size`.
MAX_PIXELS = 100_000_000
MAX_VIDEO_SIZE = (7680, 4320)
MAX_VIDEO_PIXELS = MAX_VIDEO_SIZE[0] * MAX_VIDEO_SIZE[1]
AV_MISSING = ("Reading and writing video files needs PyAV, which is not installed; install it "
              "with `pip install 'vbg[video]'`.")


def check_min_size(path: object, width: int, height: int, what: str = "picture") -> None:
    """``SourceError`` (one sentence) when a ``what`` of ``width``x``height`` is too small."""
    if min(width, height) < MIN_SIDE:
        raise SourceError(f"{path} is {width}x{height} pixels; vbg needs a {what} of at least "
                          f"{MIN_SIDE}x{MIN_SIDE}.")


def too_large(path: object, width: int, height: int, video: bool = False) -> str | None:
    """The sentence refusing a picture (``video``: a video) of ``width``x``height`` over the
    cap, or None when it is within it."""
    if video:
        if width * height <= MAX_VIDEO_PIXELS:
            return None
        mw, mh = MAX_VIDEO_SIZE
        return (f"{path} is a {width}x{height} video; vbg takes videos up to {mw}x{mh} "
                f"(8K), so scale it down first.")
    if width * height <= MAX_PIXELS:
        return None
    return (f"{path} is {width}x{height} pixels; vbg takes pictures up to "
            f"{MAX_PIXELS // 1_000_000} megapixels (e.g. 12000x8000), so scale it down first.")


def check_max_size(path: object, width: int, height: int, *, video: bool = False,
                   error: type[VbgError] = SourceError) -> None:
    """``error`` with :func:`too_large`'s sentence when ``width``x``height`` is over the cap."""
    sentence = too_large(path, width, height, video)
    if sentence is not None:
        raise error(sentence)


def image_header_size(data: bytes | np.ndarray) -> tuple[int, int] | None:
    """(width, height) as the header of the image file ``data`` (its bytes) declares it,
    without decoding: PNG, JPEG, BMP, WebP, TIFF (classic and BigTIFF, first page), GIF and
    PNM/PAM/PFM. None for another format or a header that can't be parsed (the decoder then
    decides, and the decoded size is checked after)."""
    head = bytes(data[:4])
    # TIFF keeps its directory anywhere in the file and a JPEG's frame header may follow
    # large metadata segments; the others' headers are at the start.
    whole = head[:2] in (b"II", b"MM", b"\xff\xd8")
    b = bytes(data if whole else data[:1 << 16])
    try:
        return _header_size(b)
    except (struct.error, IndexError, ValueError):
        return None


def _header_size(b: bytes) -> tuple[int, int] | None:
    if b.startswith(b"\x89PNG\r\n\x1a\n") and b[12:16] == b"IHDR":
        w, h = struct.unpack(">II", b[16:24])
        return w, h
    if b.startswith(b"\xff\xd8"):
        return _jpeg_size(b)
    if b.startswith(b"BM"):
        if struct.unpack("<I", b[14:18])[0] == 12:  # OS/2 BITMAPCOREHEADER
            w, h = struct.unpack("<HH", b[18:22])
            return w, h
        w, h = struct.unpack("<ii", b[18:26])
        return abs(w), abs(h)
    if b[:4] == b"RIFF" and b[8:12] == b"WEBP":
        return _webp_size(b)
    if b[:4] in (b"II*\0", b"MM\0*", b"II+\0", b"MM\0+"):
        return _tiff_size(b)
    if b[:6] in (b"GIF87a", b"GIF89a"):
        w, h = struct.unpack("<HH", b[6:10])
        return w, h
    if b[:1] == b"P" and b[1:2] in b"123456Ff":
        text = re.sub(rb"#[^\n]*", b" ", b[2:512])
        w, h = (int(t) for t in text.split()[:2])
        return w, h
    if b[:3] == b"P7\n":  # PAM: WIDTH and HEIGHT lines before ENDHDR
        head = b[:1024].split(b"ENDHDR", 1)[0]
        found = dict(re.findall(rb"^(WIDTH|HEIGHT)\s+(\d+)", head, re.M))
        return int(found[b"WIDTH"]), int(found[b"HEIGHT"])
    return None


def _jpeg_size(b: bytes) -> tuple[int, int] | None:
    """The first frame header's size (SOF0..SOF15 but DHT, JPG and DAC), as libjpeg reads it."""
    i = 2
    while i + 4 <= len(b):
        if b[i] != 0xFF:
            return None
        marker = b[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in (0x01, 0xD8) or 0xD0 <= marker <= 0xD7:  # no length
            i += 2
            continue
        length = struct.unpack(">H", b[i + 2:i + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            h, w = struct.unpack(">HH", b[i + 5:i + 9])
            return w, h
        if marker in (0xD9, 0xDA) or length < 2:  # end or scan data before any frame header
            return None
        i += 2 + length
    return None


def _webp_size(b: bytes) -> tuple[int, int] | None:
    kind, body = b[12:16], b[20:]
    if kind == b"VP8X":
        w = int.from_bytes(body[4:7], "little") + 1
        h = int.from_bytes(body[7:10], "little") + 1
        return w, h
    if kind == b"VP8L" and body[0] == 0x2F:
        bits = int.from_bytes(body[1:5], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if kind == b"VP8 " and body[3:6] == b"\x9d\x01\x2a":
        w, h = struct.unpack("<HH", body[6:10])
        return w & 0x3FFF, h & 0x3FFF
    return None


def _tiff_size(b: bytes) -> tuple[int, int] | None:
    """ImageWidth (256) and ImageLength (257) of the first IFD (the page OpenCV reads)."""
    e = "<" if b[:2] == b"II" else ">"
    big = struct.unpack(e + "H", b[2:4])[0] == 43
    if big:
        offset = struct.unpack(e + "Q", b[8:16])[0]
        count = struct.unpack(e + "Q", b[offset:offset + 8])[0]
        start, step, value_at = offset + 8, 20, 12
    else:
        offset = struct.unpack(e + "I", b[4:8])[0]
        count = struct.unpack(e + "H", b[offset:offset + 2])[0]
        start, step, value_at = offset + 2, 12, 8
    found: dict[int, int] = {}
    for k in range(min(count, 4096)):
        at = start + k * step
        tag, kind = struct.unpack(e + "HH", b[at:at + 4])
        if tag in (256, 257):
            v = b[at + value_at:at + step]
            fmt = {3: "H", 4: "I", 16: "Q"}.get(kind)
            if fmt is None:
                return None
            found[tag] = struct.unpack(e + fmt, v[:struct.calcsize(fmt)])[0]
    if 256 in found and 257 in found:
        return found[256], found[257]
    return None


def _decode(path: object, data: np.ndarray, flags: int,
            too_large_error: type[VbgError] | None) -> np.ndarray | None:
    """``data`` (a file's bytes) decoded with ``flags``; None when it is not an image or is
    over :data:`MAX_PIXELS` (``too_large_error``: raised with the sentence instead). The size
    is checked from the header before decoding or, for a format whose header vbg does not
    parse, on the decoded picture."""
    if not data.size:
        return None
    size = image_header_size(data)
    sentence = None if size is None else too_large(path, *size)
    image = None
    if sentence is None:
        try:
            image = cv2.imdecode(data, flags)
        except cv2.error:  # OpenCV's own size limits and some broken headers raise
            return None
        if image is None:
            return None
        sentence = too_large(path, image.shape[1], image.shape[0])
    if sentence is None:
        return image
    if too_large_error is not None:
        raise too_large_error(sentence)
    return None


def decode_image(path: str | os.PathLike[str], *, as_stored: bool = False,
                 too_large_error: type[VbgError] | None = None) -> np.ndarray | None:
    """The image at ``path`` as BGR uint8 (grey and alpha converted), or None when the file
    is missing, unreadable, not an image, or larger than :data:`MAX_PIXELS` (then nothing is
    decoded; with ``too_large_error`` that error is raised with the sentence instead).
    ``as_stored``: keep its channels and depth as in the file (grey, BGRA: masks with an
    alpha channel)."""
    try:
        data = np.fromfile(os.fspath(path), np.uint8)
    except OSError:
        return None
    flags = cv2.IMREAD_UNCHANGED if as_stored else cv2.IMREAD_COLOR
    return _decode(path, data, flags, too_large_error)


def read_image(path: str | os.PathLike[str], *, what: str = "Image",
               error: type[VbgError] = SourceError, as_stored: bool = False) -> np.ndarray:
    """The image at ``path`` as BGR uint8 (``as_stored``: as :func:`decode_image`), or
    ``error`` with one sentence naming ``what`` and the file: it does not exist, can't be
    read (with the reason), is not an image, or is over :data:`MAX_PIXELS` (checked from its
    header, before decoding)."""
    p = Path(path)
    if not p.is_file():
        raise error(f"{what} {p} does not exist; check the path.")
    try:
        data = np.fromfile(str(p), np.uint8)
    except OSError as exc:
        raise error(f"{what} {p} can't be read ({exc.strerror or exc}); check the path.") from exc
    flags = cv2.IMREAD_UNCHANGED if as_stored else cv2.IMREAD_COLOR
    image = _decode(p, data, flags, error)
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

    A video whose header declares frames over :data:`MAX_VIDEO_PIXELS` is not decoded at
    all: :attr:`first_ok` is False and :attr:`refusal` holds the sentence to show (opening a
    file reads its header only; the first frame is read after the check).
    """

    def __init__(self, path: str | os.PathLike[str], loop: bool = True,
                 decode_threads: int | None = None) -> None:
        """``decode_threads``: the decoder's thread count (None: OpenCV's default, one per
        core). One thread costs less CPU per frame (no hand-offs between decoder threads;
        docs/benchmarks.md, "Decode video files on one thread") and keeps up with a file
        played at its own rate next to a video call."""
        self.path = os.fspath(path)
        self.loop = loop
        self._params = ([] if decode_threads is None
                        else [cv2.CAP_PROP_N_THREADS, int(decode_threads)])
        self._cap: cv2.VideoCapture | None = self._open()
        self._pending: np.ndarray | None = None
        self.refusal: str | None = None
        if self._cap.isOpened():
            width = int(self._cap.get(cv2.CAP_PROP_FRAME_WIDTH) or 0)
            height = int(self._cap.get(cv2.CAP_PROP_FRAME_HEIGHT) or 0)
            self.refusal = too_large(self.path, width, height, video=True)
        if self.refusal is not None:
            self._cap.release()
            self._cap = None
        elif self._cap.isOpened():
            ok, frame = self._cap.read()
            if ok and frame is not None and frame.size:
                self._pending = frame
        self.first_ok = self._pending is not None
        self.fps = (float(self._cap.get(cv2.CAP_PROP_FPS) or 0.0)
                    if self.first_ok and self._cap is not None else 0.0)

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


def load_av() -> ModuleType:
    """Import PyAV, or raise OutputError with the one sentence that says how to install it."""
    try:
        import av
    except ImportError as exc:
        raise OutputError(AV_MISSING) from exc
    return av


def av_available() -> bool:
    """Whether PyAV can be imported (the live ``--record`` then writes H.264)."""
    try:
        load_av()
    except OutputError:
        return False
    return True
