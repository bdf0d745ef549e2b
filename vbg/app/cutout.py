"""The stills window's policy, without Qt: what outputs are called, what can be saved when,
the background rules, how a video job is set up and the sentences that tell how it went.

``vbg.ui.stills_window.StillsWindow`` holds the widgets and threads and asks this module
everything else, so the rules are tested without a display.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import cv2
import numpy as np

from vbg import imaging
from vbg.config import BackgroundConfig, MattingConfig
from vbg.stills import Cutout
from vbg.video import VideoJob, VideoResult

Tone = Literal["info", "warning", "error"]
MaskKind = Literal["soft", "binary"]
PROGRESS_STEPS = 100  # a video job hands its progress over at most this many times


# ----------------------------------------------------------------- names
def suggested_name(source: Path | None, suffix: str, folder: Path) -> str:
    """Where a saved picture is suggested: beside the source, named as ``vbg image`` names
    its outputs (NAME_foreground.png, NAME_mask_soft.png / NAME_mask_binary.png), so the window
    and the CLI agree; ``folder``/cutout… before any photo was opened."""
    if source is None:
        return str(folder / f"cutout{suffix}.png")
    return str(source.with_name(f"{source.stem}{suffix}.png"))


def cutout_name(source: Path | None, folder: Path) -> str:
    return suggested_name(source, "_foreground", folder)


def mask_name(source: Path | None, kind: str, folder: Path) -> str:
    return suggested_name(source, f"_mask_{'binary' if kind == 'binary' else 'soft'}", folder)


def png_path(path: Path) -> Path:
    """``path`` as a PNG: ``.png`` is added unless it ends so already (any case)."""
    if path.suffix.lower() == ".png":
        return path
    return path.with_suffix(path.suffix + ".png") if path.suffix else path.with_suffix(".png")


def video_output_name(source: Path) -> str:
    """The suggested output of a video: NAME_vbg.mp4 beside it."""
    return str(source.with_name(f"{source.stem}_vbg.mp4"))


# ----------------------------------------------------------------- cut-outs
def can_save(cutout: Cutout | None, busy: bool) -> bool:
    """The cut-out and the mask can be saved once a cut is there and none is running."""
    return cutout is not None and not busy


def keep_own_alpha(cutout: Cutout, own_alpha: np.ndarray | None) -> Cutout:
    """The input's own transparency is kept: the cut-out is never more opaque than it."""
    if own_alpha is None:
        return cutout
    return Cutout(cutout.image, cv2.min(cutout.alpha, own_alpha), cutout.fg)


def chosen_mask(cutout: Cutout | None, kind: str, threshold_pct: int) -> np.ndarray | None:
    """The mask as chosen: the soft alpha, or binary at ``threshold_pct`` %; None before a
    cut."""
    if cutout is None:
        return None
    if kind == "binary":
        return cutout.binary(threshold_pct / 100)
    return cutout.alpha


def blend_for_background(blend: str) -> str:
    """The blend once a background picture is chosen: "Transparent" turns to the alpha blend
    (the user asked for the picture), any blend chosen stays."""
    return "alpha" if blend == "none" else blend


class Composites:
    """The person over the background picture, cached per cut-out and blend (Poisson takes a
    moment). ``background``: the picture (BGR) or None."""

    def __init__(self) -> None:
        self.background: np.ndarray | None = None
        self._cached: tuple[Cutout, str, np.ndarray] | None = None

    def set_background(self, picture: np.ndarray) -> None:
        self.background, self._cached = picture, None

    def forget(self) -> None:
        self._cached = None

    def composite(self, cutout: Cutout | None, blend: str) -> np.ndarray | None:
        """The composite (BGR), or None: no cut, no picture, or a transparent cut-out wanted
        (blend "none")."""
        if cutout is None or self.background is None or blend == "none":
            return None
        c = self._cached
        if c is None or c[0] is not cutout or c[1] != blend:
            h, w = cutout.image.shape[:2]
            bg = imaging.cover_fit(self.background, (w, h))
            c = self._cached = (cutout, blend, cutout.over(bg, blend))
        return c[2]

    def saved_picture(self, cutout: Cutout, blend: str) -> np.ndarray:
        """What "Save cut-out" writes: the composite when there is one, else the transparent
        cut-out (BGRA, alpha = the soft mask)."""
        composite = self.composite(cutout, blend)
        return composite if composite is not None else cutout.foreground()


# ----------------------------------------------------------------- videos
def video_background(chosen: BackgroundConfig) -> BackgroundConfig:
    """The background an MP4 gets: the one chosen, with "none" (the camera as is, which would
    save the video unchanged) replaced by blur."""
    return chosen if chosen.kind != "none" else BackgroundConfig()


def video_job(source: Path, out: Path, model: str, chosen: BackgroundConfig) -> VideoJob:
    """The job for a dropped or opened video; the save dialog already asked before replacing
    a file, hence ``force``."""
    return VideoJob(source, out, matting=MattingConfig(model=model),
                    background=video_background(chosen), force=True)


def progress_step(total: int) -> int:
    """Frames between two progress hand-offs (at most :data:`PROGRESS_STEPS` per video, not one
    per frame); an unknown total counts as 100."""
    return max(1, (total or PROGRESS_STEPS) // PROGRESS_STEPS)


@dataclass(frozen=True)
class Outcome:
    """How a video job ended, as the window shows it: ``text`` and its ``tone``, and the
    result pane's caption (None: keep what it shows)."""

    text: str
    tone: Tone
    caption: str | None = None


def video_outcome(result: VideoResult, source: Path | None) -> Outcome:
    """Saved, cancelled (nothing saved) or ended early (``vbg video``'s own sentence)."""
    if result.cancelled:
        return Outcome("Cancelled; nothing was saved.", "info", "Cancelled")
    if result.ended_early:
        return Outcome(result.ended_early_sentence(source or "The video"), "warning")
    return Outcome(f"Saved {result.out} ({result.frames} frames, {result.fps:.1f} fps).", "info")


# ----------------------------------------------------------------- sentences
def cut_sentence(source: Path | None, cutout: Cutout) -> str:
    name = source.name if source else "photo"
    return (f"{name}: {cutout.image.shape[1]}×{cutout.image.shape[0]}. "
            "Save the cut-out as a transparent PNG, or the mask.")


def background_sentence(path: Path) -> str:
    return (f"The person goes over {path.name}; \"Save cut-out\" writes that picture (choose "
            "Transparent for the PNG with alpha).")
