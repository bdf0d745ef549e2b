"""Helpers for the tests of real media files: a short clip with a frame index in its pixels and a
sine tone for a sound track (made with PyAV from a real clip in ../shared/video), reading files
back, and a really full disk (a tiny tmpfs) where this machine allows mounting one."""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from tests.conftest import SHARED

CLIP_SOURCE = SHARED / "video" / "office_desk.mp4"
BITS = 8          # frame index bits stamped into each frame
CELL = 24         # pixels per bit: big flat blocks survive H.264 twice (input and output)
TONE_HZ = 440.0


def stamp(image: np.ndarray, index: int) -> None:
    """Write ``index`` as BITS black/white blocks along the top-left edge."""
    for b in range(BITS):
        image[:CELL, b * CELL:(b + 1) * CELL] = 255 if index >> b & 1 else 0


def read_stamp(image: np.ndarray) -> int:
    """The index written by :func:`stamp` (each block's mean decides its bit)."""
    value = 0
    for b in range(BITS):
        block = image[4:CELL - 4, b * CELL + 4:(b + 1) * CELL - 4]
        value |= int(block.mean() > 127) << b
    return value


def make_clip(path: Path, frames: int = 24, fps: int = 24, size: tuple[int, int] = (640, 360),
              audio: str | None = "aac", stamped: bool = True,
              rotation: int = 0, bt709: bool = False) -> list[np.ndarray]:
    """Write ``frames`` real frames (scaled to ``size``, index stamped) as H.264 with a
    ``TONE_HZ`` sine of the same duration (``audio``: "aac", "pcm_s16le" or None).
    ``rotation``: a display rotation (counter-clockwise degrees) stored with the video, as
    phones do. ``bt709``: tag the picture as BT.709 (HD) instead of leaving it untagged.
    Returns the BGR frames as encoded (before compression)."""
    src = av.open(str(CLIP_SOURCE))
    images = []
    for frame in src.decode(video=0):
        img = cv2.resize(frame.to_ndarray(format="bgr24"), size, interpolation=cv2.INTER_AREA)
        if stamped:
            stamp(img, len(images))
        images.append(img)
        if len(images) == frames:
            break
    src.close()
    out = av.open(str(path), "w")
    v = out.add_stream("libx264", rate=fps, options={"crf": "12", "preset": "ultrafast"})
    v.width, v.height, v.pix_fmt = size[0], size[1], "yuv420p"
    if rotation:
        v.set_display_rotation(rotation)
    if bt709:
        cc = v.codec_context
        cc.colorspace, cc.color_primaries, cc.color_trc, cc.color_range = 1, 1, 1, 1
    a = None
    rate = 48000
    if audio is not None:
        a = out.add_stream(audio, rate=rate)
        a.layout = "mono"
    for i, img in enumerate(images):
        f = av.VideoFrame.from_ndarray(img, format="bgr24")
        f.pts, f.time_base = i, Fraction(1, fps)
        for p in v.encode(f):
            out.mux(p)
    for p in v.encode(None):
        out.mux(p)
    if a is not None:
        total = frames * rate // fps
        t = np.arange(total) / rate
        tone = 0.3 * np.sin(2 * np.pi * TONE_HZ * t)
        chunk = a.codec_context.frame_size or 1024
        fmt = a.codec_context.codec.audio_formats[0].name
        for start in range(0, total, chunk):
            part = tone[start:start + chunk]
            if fmt.startswith("s16"):
                arr = (part * 32767).astype(np.int16)[None, :]
            else:
                arr = part.astype(np.float32)[None, :]
            af = av.AudioFrame.from_ndarray(arr, format=fmt, layout="mono")
            af.sample_rate, af.pts, af.time_base = rate, start, Fraction(1, rate)
            for p in a.encode(af):
                out.mux(p)
        for p in a.encode(None):
            out.mux(p)
    out.close()
    return images


def write_clip(path: Path, frames: list[np.ndarray], fps: int = 30, crf: int = 10) -> None:
    """``frames`` (BGR, one size, even sides) as a silent H.264 file at ``fps``."""
    out = av.open(str(path), "w")
    stream = out.add_stream("libx264", rate=fps, options={"crf": str(crf), "preset": "ultrafast"})
    stream.height, stream.width = frames[0].shape[:2]
    stream.pix_fmt = "yuv420p"
    for i, f in enumerate(frames):
        image = av.VideoFrame.from_ndarray(f, format="bgr24")
        image.pts = i
        for packet in stream.encode(image):
            out.mux(packet)
    for packet in stream.encode(None):
        out.mux(packet)
    out.close()


# A dim room, as issue 24 darkens the clips (ffmpeg eq=gamma=0.55:contrast=0.85, measured on
# office_desk: 60 -> 14, 100 -> 43, 150 -> 84, 200 -> 137), without the noise.
DARKEN = np.round(255 * 0.85 * (np.arange(256) / 255.0) ** (1 / 0.55)).astype(np.uint8)


def decode_video(path: Path, fmt: str = "bgr24", codec: str | None = None) -> list[np.ndarray]:
    """Every frame of the first video stream (``codec``: force a decoder, e.g. libvpx-vp9 to
    get VP9's alpha)."""
    c = av.open(str(path))
    s = c.streams.video[0]
    frames = []
    if codec is None:
        frames = [f.to_ndarray(format=fmt) for f in c.decode(s)]
    else:
        dec = av.CodecContext.create(codec, "r")
        dec.extradata = s.codec_context.extradata
        for packet in c.demux(s):
            frames += [f.to_ndarray(format=fmt) for f in dec.decode(packet)]
    c.close()
    return frames


def probe(path: Path) -> dict[str, dict[str, object]]:
    """Per stream type: codec name, pix_fmt / sample rate, frame count, duration (seconds)."""
    c = av.open(str(path))
    info: dict[str, dict[str, object]] = {}
    for s in c.streams:
        d: dict[str, object] = {"codec": s.codec_context.name}
        if s.type == "video":
            d["pix_fmt"] = s.codec_context.pix_fmt
        d["duration"] = float(s.duration * s.time_base) if s.duration else None
        info.setdefault(s.type, d)
    for kind in info:
        frames, last_end = 0, 0.0
        for p in c.demux(getattr(c.streams, kind)[0]):
            if p.dts is None:
                continue
            frames += 1
            if p.pts is not None and p.duration is not None:
                last_end = max(last_end, float((p.pts + p.duration) * p.time_base))
        info[kind]["packets"] = frames
        info[kind]["end"] = last_end
        c.seek(0)
    c.close()
    return info


@contextlib.contextmanager
def tiny_disk(folder: Path, size: str = "256k") -> Iterator[Path]:
    """A really full-able file system: a tmpfs of ``size`` mounted on ``folder`` (needs root
    and mount rights; skips the test where the sandbox refuses)."""
    folder.mkdir(exist_ok=True)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"can't mount a small tmpfs here ({r.stderr.strip()}); the simulated "
                    "ENOSPC test covers the writer")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)
