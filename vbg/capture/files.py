"""Files as sources: :class:`VideoSource` (a video file, looping or not, paced at its own
rate) and :class:`ImageSource` (still images, once or looping)."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from vbg.capture.base import SourceInfo, as_bgr, check_size, quiet_opencv
from vbg.errors import SourceEnded, SourceError
from vbg.imaging import VideoFrames, cover_fit, decode_image
from vbg.timing import Pacer

# A file that reports no usable rate (0, NaN, or container nonsense like 90000) plays at this.
_DEFAULT_FILE_FPS = 30.0


class VideoSource:
    """A video file, cover-fitted to ``width``×``height``: scaled to cover that size and the
    middle cropped, so the aspect is kept (a 4:3 or portrait clip is not squashed).

    ``loop``: start again at the end (``vbg.imaging.VideoFrames`` re-opens the file, which
    works for every container, unlike seeking); otherwise ``SourceEnded``. ``realtime``:
    deliver frames at the file's own rate on a monotonic deadline; otherwise as fast as
    decoding allows.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        width: int,
        height: int,
        loop: bool = True,
        realtime: bool = True,
    ) -> None:
        check_size(width, height)
        self.path = Path(path)
        self.width, self.height, self.loop = width, height, loop
        if not self.path.is_file():
            raise SourceError(f"Video file {self.path} does not exist.")
        with quiet_opencv():
            # One decoder thread: the least CPU per frame (VideoFrames).
            frames = VideoFrames(self.path, loop=loop, decode_threads=1)
        if not frames.first_ok:
            frames.close()
            if frames.refusal is not None:
                raise SourceError(frames.refusal)
            raise SourceError(
                f"{self.path} is not a video vbg can read; convert it to MP4 or pick "
                "another file."
            )
        self._frames: VideoFrames | None = frames
        file_fps = frames.fps
        if not (math.isfinite(file_fps) and 1.0 <= file_fps <= 240.0):
            file_fps = _DEFAULT_FILE_FPS
        self._deadline = Pacer(file_fps) if realtime else None
        self.info = SourceInfo(width=width, height=height, fps=file_fps, label=self.path.name)

    def read(self) -> np.ndarray:
        """Next frame, scaled; loops or raises ``SourceEnded`` at the end of the file."""
        if self._frames is None:
            raise SourceEnded
        if self._deadline is not None:
            self._deadline.sleep_until_next_frame()
        with quiet_opencv():
            frame = self._frames.read()
        if frame is None:
            if not self.loop:
                raise SourceEnded
            raise SourceError(
                f"{self.path} could not be read again from the start; check that the "
                "file is still there."
            )
        # Each frame is a new array (no ``into`` buffer), so returning it (or its resize) is
        # safe; one of the requested size is returned as it is.
        frame = as_bgr(frame)
        if frame.shape[:2] == (self.height, self.width):
            return frame
        return cover_fit(frame, (self.width, self.height))

    def close(self) -> None:
        """Close the file (idempotent)."""
        frames, self._frames = self._frames, None
        if frames is not None:
            frames.close()


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
        check_size(width, height)
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
        image = decode_image(self.paths[i], too_large_error=SourceError)
        if image is None:
            raise SourceError(
                f"{self.paths[i]} is not an image vbg can read; use a PNG or JPEG file."
            )
        if self.size is not None and image.shape[1::-1] != self.size:
            image = cover_fit(image, self.size)
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
