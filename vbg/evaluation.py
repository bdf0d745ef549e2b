"""Mask quality measurements: IoU, boundary F-score, mean absolute alpha error (MAD), the share
of soft (neither person nor background) pixels, composite error on a flat colour, flicker; and
runners over photo folders and video clips. Pure numpy/cv2 so both ``vbg eval`` and
``vbg.training`` can use them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from vbg.errors import SourceError
from vbg.imaging import VideoFrames, read_image

IMAGE_EXTS = (".jpg", ".jpeg", ".png", ".bmp", ".webp")


class DataFileError(SourceError, ValueError):
    """A data set's photo or mask that can't be used, in one sentence naming it: a
    :class:`~vbg.errors.VbgError` for ``vbg eval`` (exit 2), a ValueError for the callers that
    catch that (``vbg.training.data``)."""


def _read_data_file(path: Path, what: str, as_stored: bool) -> np.ndarray:
    """``what`` ("Photo" or "Mask") at ``path`` decoded, or DataFileError with one sentence."""
    if path.is_dir():
        raise DataFileError(f"{what} {path} is a folder, not an image; move or rename it.")
    try:
        empty = path.is_file() and path.stat().st_size == 0
    except OSError:
        empty = False
    if empty:
        raise DataFileError(f"{what} {path} is empty (0 bytes); replace or remove it.")
    return read_image(path, what=what, error=DataFileError, as_stored=as_stored)


def iou(pred: np.ndarray, truth: np.ndarray, threshold: int = 128) -> float:
    """Intersection over union of ``pred >= threshold`` and ``truth >= threshold`` (uint8)."""
    p, t = pred >= threshold, truth >= threshold
    union = np.count_nonzero(p | t)
    return 1.0 if union == 0 else np.count_nonzero(p & t) / union


def _boundary(mask: np.ndarray) -> np.ndarray:
    m = mask.astype(np.uint8)
    return cv2.morphologyEx(m, cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8)) > 0


def boundary_f(pred: np.ndarray, truth: np.ndarray, threshold: int = 128,
               tolerance: float = 0.0075) -> float:
    """Boundary F-score (DAVIS-style): boundary pixels of each binary mask that lie within
    ``tolerance`` × image diagonal of the other's boundary; F = 2PR / (P + R)."""
    p, t = _boundary(pred >= threshold), _boundary(truth >= threshold)
    d = max(1, round(tolerance * np.hypot(*pred.shape[:2])))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * d + 1, 2 * d + 1))
    p_near = cv2.dilate(p.astype(np.uint8), kernel) > 0
    t_near = cv2.dilate(t.astype(np.uint8), kernel) > 0
    np_, nt = np.count_nonzero(p), np.count_nonzero(t)
    if np_ == 0 and nt == 0:
        return 1.0
    if np_ == 0 or nt == 0:
        return 0.0
    precision = np.count_nonzero(p & t_near) / np_
    recall = np.count_nonzero(t & p_near) / nt
    return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)


def mad(pred: np.ndarray, truth: np.ndarray) -> float:
    """Mean absolute alpha error (0..1) of two uint8 mattes of the same size."""
    return float(cv2.absdiff(pred, truth).mean()) / 255.0


# A pixel is "soft" (in the edge band) when its alpha is strictly between these (0..255):
# 0.1 and 0.9, as in the matting literature's trimap-free band measures.
BAND_LO, BAND_HI = 26, 229


def soft_share(alpha: np.ndarray) -> float:
    """Share (0..1) of pixels whose alpha lies strictly between 0.1 and 0.9: the width of the
    edge band, where whatever is mixed in is the room. Compare with the ground truth's."""
    band = (alpha > BAND_LO) & (alpha < BAND_HI)
    return float(np.count_nonzero(band)) / alpha.size


def composite(image: np.ndarray, alpha: np.ndarray, color: tuple[int, int, int]) -> np.ndarray:
    """``image`` over a flat ``color`` with ``alpha`` (uint8), as float32 BGR 0..255."""
    a = alpha.astype(np.float32)[..., None] / 255.0
    return image.astype(np.float32) * a + np.array(color, np.float32) * (1.0 - a)


# The flat colours of the composite error: green screen and black, where a room-coloured
# fringe (white wall, bright rim) shows most.
COMPOSITE_COLORS: tuple[tuple[int, int, int], ...] = ((0, 255, 0), (0, 0, 0))


def composite_error(fg_pred: np.ndarray, alpha_pred: np.ndarray, fg_true: np.ndarray,
                    alpha_true: np.ndarray) -> float:
    """Mean absolute colour error (0..1) between the predicted composite (``fg_pred`` over a
    flat colour with ``alpha_pred``) and the reference (``fg_true`` with ``alpha_true``),
    averaged over the colours in ``COMPOSITE_COLORS`` and the three channels."""
    errs = [float(np.abs(composite(fg_pred, alpha_pred, c)
                         - composite(fg_true, alpha_true, c)).mean())
            for c in COMPOSITE_COLORS]
    return float(np.mean(errs)) / 255.0


class FlickerMeter:
    """Mean |Δalpha| (0..1) between consecutive masks, counted only where the picture did not
    change (grey change below ``still_threshold`` after a light blur): on still content any
    change of the mask is flicker."""

    def __init__(self, still_threshold: float = 4.0) -> None:
        self.still_threshold = still_threshold
        self._prev: tuple[np.ndarray, np.ndarray] | None = None
        self.total = 0.0
        self.pixels = 0

    def add(self, frame: np.ndarray, alpha: np.ndarray) -> None:
        gray = cv2.GaussianBlur(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY), (5, 5), 0)
        if self._prev is not None:
            pg, pa = self._prev
            still = cv2.absdiff(gray, pg) < self.still_threshold
            n = int(np.count_nonzero(still))
            if n:
                diff = cv2.absdiff(alpha, pa)
                self.total += float(diff[still].sum()) / 255.0
                self.pixels += n
        self._prev = (gray, alpha.copy())

    @property
    def value(self) -> float:
        return self.total / self.pixels if self.pixels else 0.0


def paired_images(folder: Path) -> list[tuple[Path, Path]]:
    """(image, mask) pairs from ``folder/images`` and ``folder/masks`` matched by stem."""
    images = sorted(p for p in (folder / "images").iterdir() if p.suffix.lower() in IMAGE_EXTS)
    masks = {p.stem: p for p in (folder / "masks").iterdir() if p.suffix.lower() in IMAGE_EXTS}
    return [(p, masks[p.stem]) for p in images if p.stem in masks]


def read_mask(path: Path, size: tuple[int, int]) -> np.ndarray:
    """A ground-truth mask as uint8 at ``size`` (w, h); a 4-channel PNG's alpha is used.
    :class:`DataFileError` (a ValueError) naming it when it can't be read."""
    m = _read_data_file(Path(path), "Mask", as_stored=True)
    if m.ndim == 3:
        m = m[..., 3] if m.shape[2] == 4 else cv2.cvtColor(m, cv2.COLOR_BGR2GRAY)
    if m.shape[1::-1] != size:
        m = cv2.resize(m, size, interpolation=cv2.INTER_LINEAR)
    return m


@dataclass(frozen=True)
class StillScore:
    iou: float
    boundary_f: float
    n: int


def score_stills(predict, pairs: Iterable[tuple[Path, Path]]) -> StillScore:  # type: ignore[no-untyped-def]
    """Mean IoU and boundary F of ``predict(bgr) -> uint8 alpha`` at full resolution."""
    ious, bfs = [], []
    for img_path, mask_path in pairs:
        image = read_photo(img_path)
        truth = read_mask(mask_path, image.shape[1::-1])
        pred = predict(image)
        ious.append(iou(pred, truth))
        bfs.append(boundary_f(pred, truth))
    return StillScore(float(np.mean(ious)), float(np.mean(bfs)), len(ious))


def video_flicker(process, clip: Path, frames: int = 300,  # type: ignore[no-untyped-def]
                  size: tuple[int, int] | None = None) -> float:
    """Flicker of ``process(bgr) -> uint8 alpha`` over the first ``frames`` of ``clip``."""
    video = VideoFrames(clip, loop=False)
    meter = FlickerMeter()
    try:
        for _ in range(frames):
            frame = video.read()
            if frame is None:
                break
            if size is not None:
                frame = cv2.resize(frame, size, interpolation=cv2.INTER_AREA)
            meter.add(frame, process(frame))
    finally:
        video.close()
    return meter.value


@dataclass(frozen=True)
class LagScore:
    """How a mask that is sometimes reused compares with one computed on every frame.

    ``moving_*`` count only frames where the picture moved (box-filtered grey change of at
    least ``MOTION_LEVEL`` anywhere, against the previous frame): there the reused mask must
    be the fresh one, not one frame behind (``moving_reused`` counts those where the mask was
    reused all the same: allowed only when the motion lies outside the person's region).
    Differences are mean |Δalpha| (0..1); IoU at 0.5. What remains of them on moving frames
    comes from the temporal smoother's history, which differs after a run of reused frames.
    """

    frames: int
    reused_share: float
    moving_frames: int
    moving_reused: int
    moving_mean_diff: float
    moving_min_iou: float
    all_mean_diff: float
    flicker_reuse: float
    flicker_every: float


MOTION_LEVEL = 3.0


def clip_frames(clip: Path, frames: int, size: tuple[int, int] | None = None,
                freeze: int = 0, noise: float = 3.0) -> Iterable[np.ndarray]:
    """The first ``frames`` frames of ``clip`` (resized to ``size``), optionally preceded by
    ``freeze`` copies of its first frame with fresh Gaussian sensor noise (σ = ``noise``):
    a person sitting still, then the clip's real motion from its second frame on."""
    cap = cv2.VideoCapture(str(clip))
    rng = np.random.default_rng(0)
    try:
        for i in range(frames):
            ok, frame = cap.read()
            if not ok:
                return
            if size is not None:
                frame = cv2.resize(frame, size, interpolation=cv2.INTER_AREA)
            if i == 0:
                for _ in range(freeze):
                    noisy = frame + rng.normal(0.0, noise, frame.shape)
                    yield np.clip(noisy, 0, 255).astype(np.uint8)
            yield frame
    finally:
        cap.release()


def lag_check(reusing, every, frames: Iterable[np.ndarray]) -> LagScore:  # type: ignore[no-untyped-def]
    """Compare two mask engines frame by frame: ``reusing`` (may return its last mask) against
    ``every`` (runs the model on every frame). Both take BGR frames and return uint8 alpha;
    ``reusing.last_reused`` says whether it reused."""
    n = reused = moving = moving_reused = 0
    diffs, moving_diffs, moving_ious = [], [], []
    flick_r, flick_e = FlickerMeter(), FlickerMeter()
    prev = None
    for frame in frames:
        a = reusing.process(frame).copy()
        b = every.process(frame)
        reused += bool(reusing.last_reused)
        n += 1
        d = float(cv2.absdiff(a, b).mean()) / 255.0
        diffs.append(d)
        small = cv2.cvtColor(cv2.resize(frame, (320, max(2, 320 * frame.shape[0]
                                                        // frame.shape[1])),
                                        interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2GRAY)
        boxed = cv2.boxFilter(small, cv2.CV_32F, (5, 5))
        if prev is not None and float(cv2.absdiff(boxed, prev).max()) >= MOTION_LEVEL:
            moving += 1
            moving_reused += bool(reusing.last_reused)
            moving_diffs.append(d)
            moving_ious.append(iou(a, b))
        prev = boxed
        flick_r.add(frame, a)
        flick_e.add(frame, b)
    return LagScore(n, reused / max(n, 1), moving, moving_reused,
                    float(np.mean(moving_diffs)) if moving_diffs else 0.0,
                    float(np.min(moving_ious)) if moving_ious else 1.0,
                    float(np.mean(diffs)) if diffs else 0.0, flick_r.value, flick_e.value)


@dataclass(frozen=True)
class MatteScore:
    """Means over a photo set: IoU, boundary F, MAD, soft-band share of the prediction and of
    the truth, composite error (all 0..1)."""

    iou: float
    boundary_f: float
    mad: float
    band: float
    band_true: float
    composite: float
    n: int


Foreground = Callable[[np.ndarray, np.ndarray], np.ndarray]  # (bgr, alpha) -> foreground bgr


def score_mattes(predict: Callable[[np.ndarray], np.ndarray],
                 pairs: Iterable[tuple[Path, Path]],
                 foreground: Foreground | None = None,
                 reference: Foreground | None = None) -> MatteScore:
    """Score ``predict(bgr) -> uint8 alpha`` as a matte at each photo's full resolution.

    The composite error compares ``foreground(image, pred)`` (the raw photo when None) over
    the flat colours with the predicted alpha against ``reference(image, truth)`` (the raw
    photo when None) with the true alpha.
    """
    rows = []
    for img_path, mask_path in pairs:
        image = read_photo(img_path)
        truth = read_mask(mask_path, image.shape[1::-1])
        pred = predict(image).copy()
        fg = foreground(image, pred) if foreground is not None else image
        ref = reference(image, truth) if reference is not None else image
        rows.append((iou(pred, truth), boundary_f(pred, truth), mad(pred, truth),
                     soft_share(pred), soft_share(truth), composite_error(fg, pred, ref, truth)))
    m = [float(x) for x in (np.mean(rows, axis=0) if rows else np.zeros(6))]
    return MatteScore(iou=m[0], boundary_f=m[1], mad=m[2], band=m[3], band_true=m[4],
                      composite=m[5], n=len(rows))


def read_photo(path: Path) -> np.ndarray:
    """A data set's photo as BGR uint8; :class:`DataFileError` (a ValueError) naming it when
    it is missing, a folder, empty, not an image or over ``imaging.MAX_PIXELS`` (checked from
    its header, before decoding)."""
    return _read_data_file(Path(path), "Photo", as_stored=False)
