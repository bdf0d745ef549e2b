"""Cutting the person out of still photos (``vbg image`` and the app's still-image tool).

Stills get the best the default model can do: a full-frame pass to find the person, a pass on
the region around them, each averaged with a mirrored pass, then the same guided edge
refinement as live video. Outputs are written at the original resolution, each to a temporary
file first and renamed into place, so a failure never leaves a half-written file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from vbg import imaging
from vbg.config import DEFAULT_MODEL, MattingConfig
from vbg.errors import OutputError, SourceError
from vbg.fileio import atomic_output
from vbg.matting.engine import STILL_WORKING_SIDE, MaskEngine
from vbg.matting.registry import load_model

MAX_SIDE = 10000  # beyond this the float buffers of a 4-channel cut-out get unreasonably large


def read_image(path: str | Path) -> np.ndarray:
    """Read a photo as BGR uint8; SourceError with one sentence when that is impossible."""
    p = Path(path)
    image = imaging.read_image(p, what="The file")
    h, w = image.shape[:2]
    if max(h, w) > MAX_SIDE:
        raise SourceError(
            f"{p} is {w}x{h}; vbg handles images up to {MAX_SIDE} pixels on a side, so scale it "
            "down first."
        )
    return image


def write_png_atomic(path: Path, image: np.ndarray) -> None:
    """Encode ``image`` as PNG into ``path`` via a temporary file and a rename."""
    ok, buf = cv2.imencode(".png", image)
    if not ok:
        raise OutputError(f"Could not encode {path.name} as PNG.")
    try:
        with atomic_output(path) as f:
            f.write(buf.tobytes())
    except OSError as exc:
        raise OutputError(f"Can't write {path} ({exc.strerror or exc}); choose another folder "
                          "with --out.") from exc


@dataclass(frozen=True)
class Cutout:
    """The soft alpha (uint8, 255 = person) of ``image`` at its own resolution."""

    image: np.ndarray
    alpha: np.ndarray

    def binary(self, threshold: float = 0.5) -> np.ndarray:
        """0/255 mask: alpha at or above ``threshold`` (0..1) is person."""
        return np.where(self.alpha >= round(threshold * 255), 255, 0).astype(np.uint8)

    def foreground(self, bg_color: tuple[int, int, int] | None = None) -> np.ndarray:
        """Transparent BGRA cut-out, or (``bg_color`` given, BGR) a composite over that colour."""
        if bg_color is None:
            return np.dstack([self.image, self.alpha])
        bg = np.empty_like(self.image)
        bg[:] = bg_color
        a = self.alpha[..., None].astype(np.uint16)
        return ((self.image * a + bg * (255 - a) + 127) // 255).astype(np.uint8)


class StillCutter:
    """Loads a model once and cuts out any number of photos."""

    def __init__(self, model: str = DEFAULT_MODEL, cfg: MattingConfig | None = None) -> None:
        cfg = cfg or MattingConfig(model=model)
        self.model = load_model(model, cfg.threads, cfg.provider, cfg.fit)
        self.cfg = cfg
        self.engine = MaskEngine(self.model, cfg, working_side=STILL_WORKING_SIDE)

    def cut(self, image: np.ndarray) -> Cutout:
        """The cut-out of one BGR photo (focused pass and mirrored pass as configured)."""
        alpha = self.engine.process_still(image, focus=self.cfg.focus, mirror=True)
        return Cutout(image, alpha.copy())


def output_paths(src: Path, out_dir: Path) -> dict[str, Path]:
    """The three files ``vbg image`` writes for ``src``."""
    return {k: out_dir / f"{src.stem}_{k}.png" for k in ("mask_binary", "mask_soft", "foreground")}


def save_cutout(cut: Cutout, src: Path, out_dir: Path, threshold: float = 0.5,
                bg_color: tuple[int, int, int] | None = None) -> list[Path]:
    """Write ``<stem>_mask_binary.png``, ``<stem>_mask_soft.png``, ``<stem>_foreground.png``."""
    paths = output_paths(src, out_dir)
    write_png_atomic(paths["mask_binary"], cut.binary(threshold))
    write_png_atomic(paths["mask_soft"], cut.alpha)
    write_png_atomic(paths["foreground"], cut.foreground(bg_color))
    return list(paths.values())
