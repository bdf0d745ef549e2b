"""Recording to a video file, never leaving a half-written file at the final path.

Frames go to a hidden temporary file in the destination folder (same folder, so the final
``os.replace`` is an atomic rename on one file system); ``close()`` finishes it and renames it
to the requested name. An interrupted run therefore leaves either nothing or a complete earlier
file at the final path, plus at most a hidden ``.NAME.*.part.EXT`` temporary.

Codecs (what the OpenCV wheels can write; they have no H.264 encoder):

- colour: ``.mp4`` → MPEG-4 Part 2 (``mp4v``), ``.avi`` → Motion JPEG, ``.mkv`` → FFV1
  (lossless, large).
- grayscale (the alpha mask): FFV1 in ``.mkv`` or ``.avi``, written as 8-bit grey
  (``isColor=False``). Checked with OpenCV 5.0 / FFmpeg 62: read back with ``cv2.VideoCapture``
  every pixel is identical (the reader returns it as 3 equal BGR channels; take channel 0).
  Other extensions are refused for masks because every other codec available is lossy.
"""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path

import cv2
import numpy as np

from vbg.errors import OutputError
from vbg.fileio import create_temporary_beside

log = logging.getLogger(__name__)

COLOR_CODECS: dict[str, str] = {".mp4": "mp4v", ".avi": "MJPG", ".mkv": "FFV1"}
GRAY_CODECS: dict[str, str] = {".mkv": "FFV1", ".avi": "FFV1"}


class VideoFileSink:
    """Writes frames to ``path`` at ``fps``; follows the :mod:`vbg.sinks.base` contract.

    Colour: ``send`` takes BGR uint8 ``height``×``width``×3. ``grayscale``: ``send`` takes an
    H×W uint8 array and the file is lossless. Everything that can be checked up front is checked
    in the constructor, which raises ``OutputError`` naming the path (unknown extension, missing
    or unwritable folder, a writer OpenCV can't open), so no frame is processed for nothing.

    ``close()`` finishes the file and renames it into place. If no frame was sent there is
    nothing to play, so no file is created (and a warning is logged). If the rename fails,
    ``OutputError`` names the temporary file, which is kept so the recording is not lost.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        width: int,
        height: int,
        fps: float,
        grayscale: bool = False,
    ) -> None:
        if width < 1 or height < 1 or not fps > 0:
            raise ValueError(f"bad recording format {width}x{height} @ {fps} fps")
        self.path = Path(path)
        self.width, self.height, self.fps = width, height, float(fps)
        self.grayscale = grayscale
        self.frames_sent = 0
        ext = self.path.suffix.lower()
        codecs = GRAY_CODECS if grayscale else COLOR_CODECS
        if ext not in codecs:
            if grayscale:
                raise OutputError(
                    f"Cannot record the mask to {self.path}: only .mkv or .avi keep it "
                    "lossless; use a name like mask.mkv."
                )
            raise OutputError(
                f"Cannot record to {self.path}: use a name ending in .mp4, .avi or .mkv."
            )
        self.codec = codecs[ext]
        folder = self.path.parent
        if not folder.is_dir():
            raise OutputError(
                f"Cannot record to {self.path}: the folder {folder} does not exist; create it "
                "or choose another path."
            )
        if self.path.is_dir():
            raise OutputError(f"Cannot record to {self.path}: it is a folder; add a file name.")
        # The file's mode is what a new file gets (not mkstemp's 0600), or the replaced one's.
        try:
            tmp = create_temporary_beside(self.path, suffix=f".part{ext}")
        except OSError as exc:
            raise OutputError(
                f"Cannot record to {self.path}: the folder can't be written to "
                f"({exc.strerror}); choose another path."
            ) from exc
        self._tmp = tmp
        # The extension of the temporary name (kept as the last suffix) picks the container.
        writer = cv2.VideoWriter(
            str(self._tmp),
            cv2.VideoWriter.fourcc(*self.codec),
            self.fps,
            (width, height),
            isColor=not grayscale,
        )
        if not writer.isOpened():
            writer.release()
            self._tmp.unlink(missing_ok=True)
            raise OutputError(
                f"Cannot record to {self.path}: OpenCV could not start a {self.codec} writer "
                "for it; try a .mkv or .avi name."
            )
        self._writer: cv2.VideoWriter | None = writer
        self._shape = (height, width) if grayscale else (height, width, 3)

    @property
    def temp_path(self) -> Path:
        """Where frames are written until ``close()`` renames the file into place."""
        return self._tmp

    def send(self, frame: np.ndarray) -> None:
        """Append one frame; ``ValueError`` if its shape or dtype is not the sink's.

        (OpenCV would silently drop a frame of the wrong size, hence the check.)
        """
        if self._writer is None:
            raise RuntimeError("send() after close()")
        if frame.shape != self._shape or frame.dtype != np.uint8:
            raise ValueError(
                f"frame {frame.shape} {frame.dtype} does not match the recording "
                f"{self._shape} uint8"
            )
        self._writer.write(frame)
        self.frames_sent += 1

    def close(self) -> None:
        """Finish the file and move it to its final name (idempotent)."""
        writer, self._writer = self._writer, None
        if writer is None:
            return
        writer.release()
        if self.frames_sent == 0:
            log.warning("Nothing was recorded to %s, so no file was written.", self.path)
            with contextlib.suppress(OSError):
                self._tmp.unlink()
            return
        try:
            os.replace(self._tmp, self.path)
        except OSError as exc:
            raise OutputError(
                f"The recording could not be saved as {self.path} ({exc.strerror}); it is "
                f"kept as {self._tmp}."
            ) from exc
