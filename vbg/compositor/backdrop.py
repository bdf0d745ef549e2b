"""The background alone: a colour, a still image or a looping video, and the privacy blur.

``Backdrop`` draws what stands behind the person (the compositor blends the person over it)
and what is shown *instead* of a composite when no trustworthy mask exists: never the person.
It owns the decoded image and the open video, so whoever holds a Backdrop decodes a background
once; it does not mirror (it draws the frame it is given).
"""

from __future__ import annotations

import logging
import os
import threading
from typing import NamedTuple

import cv2
import numpy as np

from vbg.compositor.blur import SoftBlur
from vbg.config import BackgroundConfig
from vbg.errors import BackgroundError
from vbg.imaging import VideoFrames, cover_fit, read_image

log = logging.getLogger(__name__)

# The privacy blur (background only, for blur): far stronger than any blur level, and
# darkened, so nothing of the person is recognisable when no trustworthy mask exists.
_PRIVACY_SIGMA = 0.06
_PRIVACY_GAIN = 0.6
# Soft (blurred) copy of an image/video background, used for light wrap.
_SOFT_SIGMA = 0.02


def _load_image(path: str) -> np.ndarray:
    """Decode ``path`` as a BGR uint8 image or raise ``BackgroundError`` naming the file
    (``vbg.imaging.read_image``, which also opens non-ASCII paths on Windows)."""
    return read_image(os.path.expanduser(path), what="The background image",
                      error=BackgroundError)


class _ImageBackground:
    """A still image, cover-fitted once per frame size (and its soft copy, on demand)."""

    def __init__(self, path: str) -> None:
        self.path = path  # as configured: compared to tell whether a new config is the same
        self._image = _load_image(os.path.expanduser(path))
        self._fitted: np.ndarray | None = None
        self._soft: np.ndarray | None = None

    def frame(self, size: tuple[int, int]) -> np.ndarray:
        if self._fitted is None or self._fitted.shape[:2] != (size[1], size[0]):
            self._fitted = cover_fit(self._image, size)
            self._soft = None
        return self._fitted

    @property
    def shown(self) -> np.ndarray | None:
        """The picture the last ``frame()`` returned; before the first, the image itself (not
        yet fitted: the same light), so the first frame can already be matched to it."""
        return self._fitted if self._fitted is not None else self._image

    def soft(self, size: tuple[int, int], blur: SoftBlur) -> np.ndarray:
        fitted = self.frame(size)
        if self._soft is None:
            self._soft = blur(fitted, np.empty_like(fitted))
        return self._soft

    def close(self) -> None:
        pass


class _VideoBackground:
    """A looping video; each ``frame()`` call advances one frame, cover-fitted into a buffer."""

    def __init__(self, path: str) -> None:
        self.path = path  # as configured: compared to tell whether a new config is the same
        self._file = os.path.expanduser(path)
        self._video = VideoFrames(self._file, loop=True, decode_threads=1)  # least CPU
        self._raw: np.ndarray | None = None
        self._fitted: np.ndarray | None = None
        self._soft: np.ndarray | None = None
        self._warned = False
        if not self._video.first_ok:
            self._video.close()
            if self._video.refusal is not None:
                raise BackgroundError(self._video.refusal)
            if not os.path.isfile(self._file):
                raise BackgroundError(
                    f"The background video {path} does not exist; check the path."
                )
            raise BackgroundError(
                f"The background video {path} can't be opened or has no frames; "
                "use an MP4 or AVI file."
            )
        self._advance()  # the frame read to check the file is the first one shown
        self._shown = False

    def _advance(self) -> None:
        frame = self._video.read(self._raw)
        if frame is not None:
            self._raw = frame  # the same buffer from now on, while the video's size holds
        elif not self._warned:
            self._warned = True  # keep showing the last frame rather than fail mid-call
            log.warning(
                "Background video %s stopped delivering frames; holding the last one.", self.path
            )

    def frame(self, size: tuple[int, int]) -> np.ndarray:
        if self._shown:
            self._advance()
        self._shown = True
        if self._fitted is None or self._fitted.shape[:2] != (size[1], size[0]):
            self._fitted = np.empty((size[1], size[0], 3), np.uint8)
            self._soft = None
        if self._raw is not None:  # always true after __init__; keeps the type checker calm
            cover_fit(self._raw, size, self._fitted, fast=True)
        return self._fitted

    @property
    def shown(self) -> np.ndarray | None:
        """The picture the last ``frame()`` returned; before the first, the video's first
        frame as decoded (the one the first ``frame()`` shows, not yet fitted)."""
        return self._fitted if self._fitted is not None else self._raw

    def soft(self, size: tuple[int, int], blur: SoftBlur) -> np.ndarray:
        """The soft copy of the frame returned by the last ``frame()`` call."""
        fitted = self._fitted if self._fitted is not None else self.frame(size)
        if self._soft is None or self._soft.shape != fitted.shape:
            self._soft = np.empty_like(fitted)
        return blur(fitted, self._soft)

    def close(self) -> None:
        self._video.close()


class Loaded(NamedTuple):
    """A background configuration with its image or video already loaded (``source``: None
    for the kinds without a file): made by ``Backdrop.prepare``, put in place by ``install``."""

    cfg: BackgroundConfig
    source: _ImageBackground | _VideoBackground | None


class Backdrop:
    """The configured background alone, drawn at the size asked for.

    ``draw()`` gives the background with nobody in front of it: the colour, the image
    (cover-fitted once per size) or the video (one frame further per call), or, for blur and
    none, a picture made from the camera frame that never shows the person. ``soft()`` gives a
    blurred copy of the image/video for light wrap.

    Any thread may call any method (one lock; a ``Compositor`` and another thread may share
    one backdrop, see ``Compositor.backdrop``): a video then advances once per ``draw()``,
    whoever calls it. ``close()`` releases a video; it is safe to call twice, and an image or
    video drawn after it shows the configured colour. Per size the backdrop keeps a colour
    picture and an output buffer, allocated once: ``draw()`` allocates nothing while the size
    holds. No mirroring: the frame given is drawn as it is.
    """

    def __init__(self, cfg: BackgroundConfig) -> None:
        """Load ``cfg``'s image or video; ``BackgroundError`` (one sentence naming the file)
        when it can't be read."""
        self._lock = threading.Lock()
        self._cfg = BackgroundConfig(kind="none")
        self._source: _ImageBackground | _VideoBackground | None = None
        self._color: np.ndarray | None = None  # the colour background at its size, filled once
        self._color_key: tuple[object, ...] | None = None
        self._out: np.ndarray | None = None  # draw()'s result when the caller gives no buffer
        self._privacy_blur = SoftBlur(_PRIVACY_SIGMA, _PRIVACY_GAIN)
        self._soft_blur = SoftBlur(_SOFT_SIGMA)
        self.configure(cfg)

    @property
    def config(self) -> BackgroundConfig:
        """The background configuration in effect."""
        return self._cfg

    def prepare(self, cfg: BackgroundConfig) -> Loaded:
        """Load ``cfg``'s image or video without replacing anything (``BackgroundError``, one
        sentence naming the file, when it can't be read). The same image/video path as now is
        not loaded again: the loaded result reuses it. Hand the result to ``install``; this
        two-step form lets an owner switch its own state with the backdrop's at once (the
        compositor does, under its lock) while the slow load happens outside any lock."""
        current = self._source  # only compared here; install() swaps under the lock
        if current is not None and cfg.kind == self._cfg.kind and cfg.path == current.path:
            return Loaded(cfg, current)
        if cfg.kind == "image":
            return Loaded(cfg, _ImageBackground(cfg.path or ""))
        if cfg.kind == "video":
            return Loaded(cfg, _VideoBackground(cfg.path or ""))
        return Loaded(cfg, None)

    def install(self, loaded: Loaded) -> None:
        """Switch to ``loaded`` (from ``prepare``) between two draws; the replaced video, if
        it is not the one reused, is closed."""
        with self._lock:
            old = self._source
            self._cfg, self._source = loaded.cfg, loaded.source
            self._color_key = None
            if old is not None and old is not loaded.source:
                old.close()

    def configure(self, cfg: BackgroundConfig) -> None:
        """Switch to ``cfg``: loaded first, so when its file can't be read ``BackgroundError``
        is raised and the previous background stays in effect."""
        self.install(self.prepare(cfg))

    def close(self) -> None:
        """Release a video background. Idempotent."""
        with self._lock:
            if self._source is not None:
                self._source.close()
                self._source = None

    def draw(
        self,
        size: tuple[int, int],
        frame: np.ndarray | None = None,
        out: np.ndarray | None = None,
    ) -> np.ndarray:
        """The background alone at ``size`` = (width, height): never the person (privacy).

        colour/image/video: the background itself (a video advances one frame); ``frame`` is
        not read. blur: a very strong, darkened blur of the whole ``frame``. none: ``frame``
        itself, since the user chose passthrough. blur and none need ``frame`` (BGR uint8 of
        ``size``), else ``ValueError``.

        The picture is written into ``out`` (a C-contiguous uint8 H×W×3 buffer) when given,
        else into a buffer the backdrop owns and overwrites on the next call; the caller may
        draw on it (the cached background stays clean). Kind none returns ``frame``, not
        ``out``.
        """
        width, height = size
        shape = (height, width, 3)
        if out is not None and (out.shape != shape or out.dtype != np.uint8
                                or not out.flags.c_contiguous):
            raise ValueError(f"out must be a contiguous uint8 array of shape {shape}, not "
                             f"{out.dtype} {out.shape}.")
        with self._lock:
            kind = self._cfg.kind
            if kind in ("blur", "none"):
                if frame is None or frame.shape != shape or frame.dtype != np.uint8:
                    got = "None" if frame is None else f"{frame.dtype} {frame.shape}"
                    raise ValueError(f"A {kind} background is drawn from the camera frame: "
                                     f"frame must be uint8 of shape {shape}, not {got}.")
                if kind == "none":
                    return frame
            if out is None:
                if self._out is None or self._out.shape != shape:
                    self._out = np.empty(shape, np.uint8)
                out = self._out
            if kind == "blur":
                assert frame is not None  # checked above
                return self._privacy_blur(frame, out)
            np.copyto(out, self._picture(size))  # a copy: the cached picture stays clean
            return out

    def soft(self, size: tuple[int, int]) -> np.ndarray | None:
        """A strongly blurred copy of the image or video frame the last ``draw()`` at ``size``
        showed (light wrap mixes it into the person's edge: light from further away, no sharp
        texture); None for the other kinds (a colour is its own soft copy). Owned by the
        backdrop: read it, don't write it."""
        with self._lock:
            if self._source is None:
                return None
            return self._source.soft(size, self._soft_blur)

    def sample(self, width: int = 320) -> np.ndarray | None:
        """A small copy (``width`` px wide) of the image or video picture the last ``draw()``
        showed (before the first draw: the one it will show, uncropped), for measuring its
        light (vbg.light); None for the other kinds. A video is not advanced."""
        with self._lock:
            shown = None if self._source is None else self._source.shown
            if shown is None:
                return None
            h, w = shown.shape[:2]
            size = (min(width, w), max(1, round(h * min(width, w) / w)))
            return cv2.resize(shown, size, interpolation=cv2.INTER_AREA)

    def _picture(self, size: tuple[int, int]) -> np.ndarray:
        """The colour/image/video background at ``size``, cached (advances a video by one
        frame); an image or video after ``close()`` shows the colour. Call under the lock."""
        if self._cfg.kind == "color" or self._source is None:
            color = tuple(int(c) for c in self._cfg.color)
            shape = (size[1], size[0], 3)
            if self._color is None or self._color.shape != shape:
                self._color = np.empty(shape, np.uint8)
                self._color_key = None
            if self._color_key != (size, color):
                self._color[:] = color
                self._color_key = (size, color)
            return self._color
        return self._source.frame(size)
