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

Recorded videos for ``vbg video`` are read otherwise, every frame once with its sound:
:class:`vbg.capture.media.MediaReader` (PyAV).

Constructors fail early: a missing camera, an unreadable file or a camera that can't deliver
the requested size raise before the first ``read()``, so the user hears about it before the
pipeline starts.
"""

from __future__ import annotations

import logging
from pathlib import Path

from vbg.capture.base import Source, SourceInfo
from vbg.capture.camera import PROBE_SIZES, CameraInfo, CameraSource, list_cameras
from vbg.capture.files import ImageSource, VideoSource
from vbg.capture.generated import DemoSource, SyntheticSource
from vbg.config import CaptureConfig
from vbg.errors import CameraError
from vbg.imaging import IMAGE_EXTENSIONS

__all__ = [
    "PROBE_SIZES",
    "CameraInfo",
    "CameraSource",
    "DemoSource",
    "ImageSource",
    "Source",
    "SourceInfo",
    "SyntheticSource",
    "VideoSource",
    "list_cameras",
    "open_source",
]

log = logging.getLogger(__name__)


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
