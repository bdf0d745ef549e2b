"""The session's running pipeline: the one :class:`~vbg.pipeline.Pipeline` that runs (none while
off), the switches it keeps across restarts, its last stats and the preview's feeds (Qt-free):
the output, and the mask view (with auto-framing cropping: the whole camera frame's mask with
the crop drawn on it, so the user sees what the virtual camera operator does).

:class:`LivePipeline` is owned by :class:`vbg.app.session.Session`, which decides when a
pipeline starts, stops or changes (the policy); this holds it and reads from it. Every method
runs on the session's thread.
"""

from __future__ import annotations

import cv2
import numpy as np

from vbg.framing.operator import Crop
from vbg.pipeline import Pipeline
from vbg.stats import Stats

# The crop's outline in the mask view: the app's accent (vbg.ui.theme.ACCENT #3a7bfd) as BGR,
# plainly apart from the grey mask under it.
CROP_BGR = (253, 123, 58)
CROP_LINE_PX = 2  # the outline's width per 640 px of the picture's width (never thinner)


class LivePipeline:
    """``pipeline``: the running one or None; ``paused`` (privacy pause: the background only)
    and ``local_viewer`` (vbg's own preview is visible, which counts as someone watching) are
    kept while none runs and handed to the next; ``stats``: the last read (empty while off)."""

    def __init__(self) -> None:
        self.pipeline: Pipeline | None = None
        self.paused = False
        self.local_viewer = False
        self.stats = Stats()
        self._mask_key: int | None = None  # the composite the mask picture was drawn from
        self._mask_picture: np.ndarray | None = None  # H×W×3, kept and redrawn in place
        self._mask_grey = np.empty((0, 0), np.uint8)  # the camera alpha scaled to H×W

    def adopt(self, pipe: Pipeline) -> Stats:
        """``pipe`` started: it is the running one now, paused and watched as asked; its
        first stats."""
        self.pipeline = pipe
        self._mask_key = None  # a new run numbers its composites afresh
        pipe.set_paused(self.paused)
        pipe.set_local_viewer(self.local_viewer)
        return self.poll()

    def release(self) -> None:
        """Stop the running pipeline, if any (it stops in < 1 s)."""
        pipe, self.pipeline = self.pipeline, None
        if pipe is not None:
            pipe.stop()
        self.stats = Stats()

    def poll(self) -> Stats:
        """Read the running pipeline's stats afresh (the last ones while none runs)."""
        if self.pipeline is not None:
            self.stats = self.pipeline.stats()
        return self.stats

    def set_paused(self, paused: bool) -> None:
        self.paused = paused
        if self.pipeline is not None:
            self.pipeline.set_paused(paused)

    def set_local_viewer(self, visible: bool) -> None:
        self.local_viewer = visible
        if self.pipeline is not None:
            self.pipeline.set_local_viewer(visible)

    @property
    def vcam_device(self) -> str | None:
        return self.stats.vcam_device if self.pipeline is not None else None

    def latest_frame(self) -> tuple[int, np.ndarray | None]:
        """(key, the frame the virtual camera got last): the preview's feed. The key changes
        when the picture does (a composite's sequence number, kept while it is re-sent to keep
        the output rate steady; minus the send number for a still or paused picture); 0 with
        no frame."""
        sent = self.pipeline.latest_sent() if self.pipeline is not None else None
        if sent is None:
            return 0, None
        if sent.composite is not None:
            return sent.composite, sent.image
        return -sent.seq, sent.image

    def latest_mask(self) -> tuple[int, np.ndarray | None]:
        """(sequence, the mask view's picture of the newest composite); 0, None without one.

        As a rule the picture is the output's own alpha (uint8 H×W; mirrored with the output,
        since the pipeline mirrors the camera frame before the mask). While auto-framing crops
        it is instead a BGR picture at the output's size: the *whole camera frame's* alpha as
        grey with the crop drawn on it as a rectangle in the accent colour (:data:`CROP_BGR`).
        That picture is one buffer kept across calls and redrawn only when the composite's
        sequence number changes, so the key changes exactly when the picture does; like the
        alpha, read it before the next call."""
        comp = self.pipeline.latest_composite() if self.pipeline is not None else None
        if comp is None or comp.alpha is None:
            return 0, None
        if comp.crop is None or comp.crop.is_full or comp.camera_alpha is None:
            return comp.seq, comp.alpha
        if comp.seq != self._mask_key:
            self._draw_crop(comp.camera_alpha, comp.crop, comp.alpha.shape[:2])
            self._mask_key = comp.seq
        assert self._mask_picture is not None  # drawn just now or for this very composite
        return comp.seq, self._mask_picture

    def _draw_crop(self, camera_alpha: np.ndarray, crop: Crop, size: tuple[int, int]) -> None:
        """``camera_alpha`` (half size) scaled to ``size`` (h, w) as grey BGR into the kept
        picture (made anew at another size), with ``crop``'s outline on it: a line of
        :data:`CROP_LINE_PX` per 640 px of width (never thinner: it stays visible when the
        preview shrinks the picture) just inside the crop's edges, so a crop touching the
        frame's border still shows all four sides."""
        h, w = size
        if self._mask_picture is None or self._mask_picture.shape != (h, w, 3):
            self._mask_picture = np.empty((h, w, 3), np.uint8)
            self._mask_grey = np.empty((h, w), np.uint8)
        pic, grey = self._mask_picture, self._mask_grey
        cv2.resize(camera_alpha, (w, h), dst=grey, interpolation=cv2.INTER_LINEAR)
        cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR, dst=pic)
        x0, y0, cw, ch = crop.pixels(w, h)
        left, top = max(0, int(round(x0))), max(0, int(round(y0)))
        right, bottom = min(w, int(round(x0 + cw))), min(h, int(round(y0 + ch)))  # exclusive
        line = max(CROP_LINE_PX, round(CROP_LINE_PX * w / 640))
        pic[top:top + line, left:right] = CROP_BGR
        pic[bottom - line:bottom, left:right] = CROP_BGR
        pic[top:bottom, left:left + line] = CROP_BGR
        pic[top:bottom, right - line:right] = CROP_BGR
