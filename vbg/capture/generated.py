"""Generated sources: :class:`SyntheticSource` (a deterministic scene with ground truth, for
tests) and :class:`DemoSource` (the bundled photo, panned and zoomed, for running without a
camera)."""

from __future__ import annotations

import math

import cv2
import numpy as np

from vbg import resources
from vbg.capture.base import SourceInfo, check_size
from vbg.errors import SourceEnded, SourceError
from vbg.imaging import decode_image
from vbg.timing import Pacer


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
        check_size(width, height)
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
        check_size(width, height)
        if fps <= 0:
            raise ValueError(f"fps must be positive, got {fps}")
        path = resources.asset("demo", "astronaut.png")
        photo = decode_image(path, too_large_error=SourceError)
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
