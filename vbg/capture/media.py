"""Recorded videos through PyAV (FFmpeg's maintained Python binding): :class:`MediaReader`
decodes a file's video frame by frame, upright, and hands its sound on untouched, for
``vbg video`` (:mod:`vbg.video`) and the cut-out window's video mode. The writers for what
those produce are :mod:`vbg.sinks.media`'s.

PyAV is an optional extra (``pip install 'vbg[video]'``); :func:`vbg.imaging.load_av` says so
in one sentence when it is missing.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from vbg.errors import SourceError, reason
from vbg.imaging import check_max_size, check_min_size, load_av


@dataclass(frozen=True)
class MediaInfo:
    """What a video file holds. ``frames``: the container's frame count, or an estimate from
    duration × rate (0 when neither is known: progress then shows no total). ``rate``: the
    average frame rate; ``duration``: seconds (0.0 when unknown); ``audio``: the audio codec's
    name, or None without sound."""

    width: int
    height: int
    rate: Fraction
    frames: int
    duration: float
    audio: str | None


@dataclass(frozen=True, slots=True)
class DecodedFrame:
    """One decoded video frame: BGR uint8 H×W×3 (a new array), its index from 0 in decoding
    order, and its presentation time in ``time_base`` units (None when the file has none)."""

    index: int
    image: np.ndarray
    pts: int | None


# Display rotation (counter-clockwise degrees, as FFmpeg's display matrix gives it) -> the cv2
# rotation that makes the picture upright. Phones store portrait clips sideways with one.
_UPRIGHT = {90: cv2.ROTATE_90_COUNTERCLOCKWISE, -270: cv2.ROTATE_90_COUNTERCLOCKWISE,
            -90: cv2.ROTATE_90_CLOCKWISE, 270: cv2.ROTATE_90_CLOCKWISE,
            180: cv2.ROTATE_180, -180: cv2.ROTATE_180}


class MediaReader:
    """Opens IN and decodes its first video stream in order; keeps its first audio stream's
    packets for a writer to copy or re-encode.

    Frames come out upright: a clip with a display rotation (a phone's portrait video) is
    rotated as players show it, so the model sees the person upright and the output needs no
    rotation flag; ``info`` gives the upright size.

    The constructor raises SourceError (one sentence) for a missing, empty, corrupt or
    sound-only file, before any work. :meth:`items` yields, in file order,
    :class:`DecodedFrame` for the video and raw PyAV packets for the audio. A file that turns
    out to be damaged half-way raises SourceError from :meth:`items`. ``close()`` is idempotent.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        av = load_av()
        self.path = Path(path)
        if not self.path.is_file():
            raise SourceError(f"Video {self.path} does not exist; check the path.")
        if self.path.stat().st_size == 0:
            raise SourceError(f"{self.path} is empty (0 bytes); it holds no video.")
        try:
            self._c = av.open(str(self.path), "r")
        except (av.FFmpegError, UnicodeDecodeError, ValueError) as exc:
            raise SourceError(f"{self.path} is not a video vbg can read ({reason(exc)}).") \
                from exc
        if not self._c.streams.video:
            self._c.close()
            raise SourceError(f"{self.path} has no video stream (only sound or data); give a "
                              "video file.")
        self.video = self._c.streams.video[0]
        self.video.thread_type = "AUTO"  # frame threads: decoding keeps up on two cores
        self.audio = self._c.streams.audio[0] if self._c.streams.audio else None
        cc = self.video.codec_context
        if not cc.width or not cc.height:
            self._c.close()
            raise SourceError(f"{self.path} has a video stream without a picture size; it is "
                              "probably damaged.")
        try:
            check_min_size(self.path, cc.width, cc.height, "video")
            # From the header, before anything is decoded (a 56 KB FFV1 file that declares
            # 16000x16000 once cost 11 GB in the decoder's frame threads).
            check_max_size(self.path, cc.width, cc.height, video=True)
        except SourceError:
            self._c.close()
            raise
        # The picture's colour tags (matrix, primaries, transfer, range). Decoding to BGR and
        # encoding back both use swscale's default matrix, so a writer that copies these tags
        # makes players show the colours exactly as they showed the input's.
        self.color = (cc.colorspace, cc.color_primaries, cc.color_trc, cc.color_range)
        self._rotate = _UPRIGHT.get(self._peek_rotation())
        width, height = cc.width, cc.height
        if self._rotate in (cv2.ROTATE_90_CLOCKWISE, cv2.ROTATE_90_COUNTERCLOCKWISE):
            width, height = height, width
        rate = self.video.average_rate or self.video.guessed_rate or Fraction(30)
        duration = 0.0
        if self.video.duration and self.video.time_base:
            duration = float(self.video.duration * self.video.time_base)
        elif self._c.duration:
            duration = self._c.duration / 1_000_000
        frames = self.video.frames or round(duration * float(rate))
        self._frames_exact = bool(self.video.frames)  # from the index, not an estimate
        self.decoded: int | None = None  # frames decoded, once items() reached the end
        self.info = MediaInfo(width, height, Fraction(rate), int(frames), duration,
                              self.audio.codec_context.name if self.audio else None)
        self._closed = False

    def _peek_rotation(self) -> int:
        """The first frame's display rotation in degrees (0 when none or unreadable); read
        from a second, short-lived opening so that the main one still starts at the top."""
        av = load_av()
        try:
            with av.open(str(self.path), "r") as c:
                for frame in c.decode(video=0):
                    return int(round(getattr(frame, "rotation", 0) or 0))
        except (av.FFmpegError, ValueError):
            pass
        return 0

    @property
    def time_base(self) -> Fraction | None:
        """The video stream's time base (the unit of ``DecodedFrame.pts``)."""
        return self.video.time_base

    def items(self) -> Iterator[DecodedFrame | Any]:
        """Video frames (as :class:`DecodedFrame`) and audio packets, in file order."""
        av = load_av()
        streams = [self.video] + ([self.audio] if self.audio is not None else [])
        index = 0
        try:
            for packet in self._c.demux(*streams):
                if packet.stream is self.video:
                    for frame in packet.decode():
                        image = frame.to_ndarray(format="bgr24")
                        if self._rotate is not None:
                            image = cv2.rotate(image, self._rotate)
                        yield DecodedFrame(index, image, frame.pts)
                        index += 1
                elif packet.dts is not None:  # the demuxer's final empty packet has no dts
                    yield packet
        except av.FFmpegError as exc:
            raise SourceError(f"{self.path} is damaged after frame {index} ({reason(exc)}); "
                              "repair or re-export it.") from exc
        if index == 0:
            raise SourceError(f"{self.path} holds no decodable video frame; it is probably "
                              "damaged or empty.")
        self.decoded = index

    @property
    def ended_early(self) -> bool:
        """Whether the file ended well before the frames it declares (a truncated download
        or copy: its index, or its duration, still counts the lost part), once :meth:`items`
        reached the end. An exact count may differ by one frame (edit lists), an estimate
        from the duration by 2 %."""
        if self.decoded is None or not self.info.frames:
            return False
        slack = 1 if self._frames_exact else max(2, self.info.frames // 50)
        return self.info.frames - self.decoded > slack

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._c.close()
