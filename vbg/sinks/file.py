"""Recording to a video file (``vbg run --record``), never leaving a half-written file at the
final path, never replacing a file unasked, never replacing a symbolic link.

Frames go to a hidden temporary file in the destination folder (same folder, so the final
``os.replace`` is an atomic rename on one file system); ``close()`` finishes it and renames it
to the requested name. An interrupted run therefore leaves either nothing or a complete earlier
file at the final path, plus at most a hidden ``.NAME.*.part.EXT`` temporary, which the next
recording into that folder removes once its process is gone.

With PyAV installed (the ``video`` extra), ``.mp4`` is H.264 and the ``.mkv`` mask FFV1 through
:class:`vbg.sinks.media.MediaWriter`, which raises on a failed write (a full disk). Without it
(the desktop bundle), OpenCV's writer is used; it drops failed writes silently, so the file is
checked when it is closed (it must open and hold the frames sent) and the free space every
:data:`SPACE_CHECK_EVERY` frames; a broken recording is removed and reported.

Codecs of the OpenCV fallback (the OpenCV wheels have no H.264 encoder):

- colour: ``.mp4`` → MPEG-4 Part 2 (``mp4v``), ``.avi`` → Motion JPEG, ``.mkv`` → FFV1
  (lossless, large).
- grayscale (the alpha mask): FFV1 in ``.mkv`` or ``.avi``, written as 8-bit grey
  (``isColor=False``). Checked with OpenCV 5.0 / FFmpeg 62: read back with ``cv2.VideoCapture``
  every pixel is identical (the reader returns it as 3 equal BGR channels; take channel 0).
  Other extensions are refused for masks because every other codec available is lossy.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import shutil
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

from vbg.errors import OutputError
from vbg.fileio import create_temporary_beside, move_into_place
from vbg.imaging import av_available
from vbg.sinks.media import (
    MediaWriter,
    moved_aside,
    remove_killed_runs_leftovers,
    write_failed,
)

log = logging.getLogger(__name__)

COLOR_CODECS: dict[str, str] = {".mp4": "mp4v", ".avi": "MJPG", ".mkv": "FFV1"}
GRAY_CODECS: dict[str, str] = {".mkv": "FFV1", ".avi": "FFV1"}
# Colour tags of an H.264 recording: camera pictures are sRGB (BT.709 primaries), turned into
# YUV with swscale's default BT.601 matrix, limited range (FFmpeg's enum values).
SRGB_VIA_BT601 = (6, 1, 1, 1)
SPACE_CHECK_EVERY = 30   # frames between free-space checks of the OpenCV fallback
MIN_FREE_BYTES = 1 << 20  # below this the OpenCV writer is about to lose frames silently


def check_destination(path: Path, force: bool, folder_ok: bool = False) -> None:
    """Refuse, with one sentence, an output path vbg must not write: a symbolic link (never
    replaced, even with ``force``), an existing file without ``force``, a folder (unless
    ``folder_ok``: then an existing non-empty folder needs ``force``), a missing folder."""
    if path.is_symlink():
        raise OutputError(f"{path} is a symbolic link; vbg never replaces one, so choose "
                          "another name.")
    if path.is_dir():
        if not folder_ok:
            raise OutputError(f"Cannot write to {path}: it is a folder; add a file name.")
        if any(path.iterdir()) and not force:
            raise OutputError(f"The folder {path} is not empty; add --force to write the "
                              "frames into it anyway.")
    elif path.exists() and not force:
        raise OutputError(f"{path} already exists; add --force to replace it, or choose "
                          "another name.")
    if not path.parent.is_dir():
        raise OutputError(f"Cannot write {path}: the folder {path.parent} does not exist; "
                          "create it or choose another path.")


class VideoFileSink:
    """Writes frames to ``path`` at ``fps``; follows the :mod:`vbg.sinks.base` contract.

    An existing file at ``path`` is refused unless ``overwrite`` (a symbolic link always).
    A failed write raises OutputError from ``send`` (disk full named as such) and removes the
    broken file; ``close()`` then does nothing.

    Colour: ``send`` takes BGR uint8 ``height``×``width``×3. ``grayscale``: ``send`` takes an
    H×W uint8 array and the file is lossless. Everything that can be checked up front is checked
    in the constructor, which raises ``OutputError`` naming the path (unknown extension, missing
    or unwritable folder, a writer OpenCV can't open), so no frame is processed for nothing.

    ``close()`` finishes the file and renames it into place. If no frame was sent there is
    nothing to play, so no file is created (and a warning is logged). If the rename fails,
    ``OutputError`` names the temporary file, which is kept so the recording is not lost. A
    file that appeared at ``path`` during the recording (another run) is replaced only with
    ``overwrite``; otherwise the recording goes to ``NAME.new.EXT`` and ``OutputError`` says so.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        width: int,
        height: int,
        fps: float,
        grayscale: bool = False,
        overwrite: bool = False,
    ) -> None:
        if width < 1 or height < 1 or not fps > 0:
            raise ValueError(f"bad recording format {width}x{height} @ {fps} fps")
        self.path = Path(path)
        self.width, self.height, self.fps = width, height, float(fps)
        self.grayscale = grayscale
        self.overwrite = overwrite
        self.frames_sent = 0
        self._writer: cv2.VideoWriter | None = None
        self._media: MediaWriter | None = None
        self._shape = (height, width) if grayscale else (height, width, 3)
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
        check_destination(self.path, overwrite)
        if av_available() and (ext == ".mkv" if grayscale else ext == ".mp4"):
            self.codec = "FFV1" if grayscale else "H264"
            self._media = MediaWriter(self.path, "mask" if grayscale else "h264", width,
                                      height, Fraction(self.fps).limit_denominator(1001),
                                      color=SRGB_VIA_BT601)
            self._tmp = self._media.tmp
            return
        remove_killed_runs_leftovers(self.path)
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
        self._writer = writer

    @property
    def temp_path(self) -> Path:
        """Where frames are written until ``close()`` renames the file into place."""
        return self._tmp

    def send(self, frame: np.ndarray) -> None:
        """Append one frame; ``ValueError`` if its shape or dtype is not the sink's.

        (OpenCV would silently drop a frame of the wrong size, hence the check.)
        """
        if self._writer is None and self._media is None:
            raise RuntimeError("send() after close()")
        if frame.shape != self._shape or frame.dtype != np.uint8:
            raise ValueError(
                f"frame {frame.shape} {frame.dtype} does not match the recording "
                f"{self._shape} uint8"
            )
        if self._media is not None:
            try:
                self._media.write(frame)
            except OutputError:
                self._discard()
                raise
        else:
            self._writer.write(frame)  # type: ignore[union-attr]
            if self.frames_sent % SPACE_CHECK_EVERY == 0 and self._disk_nearly_full():
                self._discard()
                raise write_failed(self.path, OSError(errno.ENOSPC, "No space left"))
        self.frames_sent += 1

    def _disk_nearly_full(self) -> bool:
        try:
            return shutil.disk_usage(self._tmp.parent).free < MIN_FREE_BYTES
        except OSError:
            return False

    def _discard(self) -> None:
        """Drop the writer and the temporary file after a failure."""
        media, self._media = self._media, None
        writer, self._writer = self._writer, None
        self._drop(media, writer)

    def _drop(self, media: MediaWriter | None, writer: cv2.VideoWriter | None) -> None:
        """Abort/release whichever writer there is and remove the temporary file."""
        if media is not None:
            media.abort()
        if writer is not None:
            writer.release()
        with contextlib.suppress(OSError):
            self._tmp.unlink()

    def close(self) -> None:
        """Finish the file and move it to its final name (idempotent). OutputError, with the
        broken file removed, when the finished file is not playable (e.g. the disk filled)."""
        media, self._media = self._media, None
        writer, self._writer = self._writer, None
        if media is None and writer is None:
            return
        if self.frames_sent == 0:
            log.warning("Nothing was recorded to %s, so no file was written.", self.path)
            self._drop(media, writer)
            return
        if media is not None:
            # Renames into place, or removes and raises OutputError.
            got = media.finish(replace=self.overwrite)
            if got != self.path:
                raise OutputError(moved_aside([(self.path, got)]))
            return
        writer.release()  # type: ignore[union-attr]
        if not self._playable():
            full = self._disk_nearly_full()
            with contextlib.suppress(OSError):
                self._tmp.unlink()
            raise write_failed(self.path, OSError(errno.ENOSPC if full else errno.EIO,
                                                  "the file could not be finished"))
        if self.path.is_symlink():
            raise OutputError(f"{self.path} became a symbolic link during the recording; it "
                              f"was not replaced, and the recording is kept as {self._tmp}.")
        try:
            got = move_into_place(self._tmp, self.path, self.overwrite)
        except OSError as exc:
            raise OutputError(
                f"The recording could not be saved as {self.path} ({exc.strerror}); it is "
                f"kept as {self._tmp}."
            ) from exc
        if got != self.path:
            raise OutputError(moved_aside([(self.path, got)]))

    def _playable(self) -> bool:
        """The OpenCV writer reports no errors: check the file opens and reads a frame."""
        cap = cv2.VideoCapture(str(self._tmp))
        try:
            return bool(cap.isOpened() and cap.read()[0])
        finally:
            cap.release()
