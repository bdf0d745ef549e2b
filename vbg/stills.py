"""Cutting the person out of still photos (``vbg image`` and the app's still-image tool).

Stills get the best the default model can do: a full-frame pass to find the person, a pass on
the region around them, each averaged with a mirrored pass, then the same guided edge
refinement as live video and the model's stills matte curve. The cut-out's colour in the soft
edge is the estimated foreground (pymatting's multi-level estimate with the ``matting`` extra),
not the camera pixel, so no room colour comes along. An input's own transparency (a PNG with
alpha) is kept: the cut-out is never more opaque than the input. Over a new picture the person
is alpha-blended or, with ``blend="poisson"``, gradient-domain blended (``cv2.seamlessClone``)
so they take on the scene's light. Outputs are written at the original resolution, each to a
temporary file first and renamed into place, so a failure never leaves a half-written file.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np

from vbg import imaging
from vbg.config import DEFAULT_MODEL, BackgroundConfig, MattingConfig
from vbg.errors import BackgroundError, OutputError, SourceError, clause
from vbg.fileio import atomic_output
from vbg.light import LightParams, Relighter, measure_scene
from vbg.matting.engine import STILL_WORKING_SIDE, MaskEngine
from vbg.matting.foreground import estimate_foreground_still
from vbg.matting.registry import load_model

BLENDS = ("alpha", "poisson")

def read_image_alpha(path: str | Path) -> tuple[np.ndarray, np.ndarray | None]:
    """Read a photo as BGR uint8 plus its own alpha channel (uint8, None when it has none);
    SourceError with one sentence when that is impossible (missing, unreadable, not an
    image, smaller than ``imaging.MIN_SIDE`` or, from its header before decoding, over
    ``imaging.MAX_PIXELS``). 16-bit images are scaled to 8."""
    p = Path(path)
    raw = imaging.read_image(p, what="The file", as_stored=True)
    h, w = raw.shape[:2]
    imaging.check_min_size(p, w, h)
    if raw.dtype == np.uint16:
        raw = (raw >> 8).astype(np.uint8)
    elif raw.dtype != np.uint8:
        raise SourceError(f"{p} has {raw.dtype} pixels; save it as an 8- or 16-bit image.")
    alpha = None
    if raw.ndim == 2:
        image = cv2.cvtColor(raw, cv2.COLOR_GRAY2BGR)
    elif raw.shape[2] == 4:
        image, alpha = np.ascontiguousarray(raw[..., :3]), np.ascontiguousarray(raw[..., 3])
        if cv2.countNonZero(cv2.bitwise_not(alpha)) == 0:
            alpha = None  # fully opaque: nothing to keep
    elif raw.shape[2] == 2:  # grey + alpha
        image = cv2.cvtColor(np.ascontiguousarray(raw[..., 0]), cv2.COLOR_GRAY2BGR)
        alpha = np.ascontiguousarray(raw[..., 1])
    else:
        image = raw
    return image, alpha


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
    """The soft alpha (uint8, 255 = person) of ``image`` at its own resolution, and the
    person's estimated colour ``fg`` (BGR uint8; equal to ``image`` where alpha is 255; None:
    use ``image``)."""

    image: np.ndarray
    alpha: np.ndarray
    fg: np.ndarray | None = None

    @property
    def colour(self) -> np.ndarray:
        """The person's colour to composite: the foreground estimate, else the photo."""
        return self.image if self.fg is None else self.fg

    def binary(self, threshold: float = 0.5) -> np.ndarray:
        """0/255 mask: alpha at or above ``threshold`` (0..1) is person."""
        return np.where(self.alpha >= round(threshold * 255), 255, 0).astype(np.uint8)

    def foreground(self, bg_color: tuple[int, int, int] | None = None) -> np.ndarray:
        """Transparent BGRA cut-out, or (``bg_color`` given, BGR) a composite over that colour."""
        if bg_color is None:
            return np.dstack([self.colour, self.alpha])
        bg = np.empty_like(self.image)
        bg[:] = bg_color
        return self.over(bg)

    def over(self, background: np.ndarray, blend: str = "alpha") -> np.ndarray:
        """The person over ``background`` (BGR uint8, the photo's size): ``alpha`` blending, or
        ``poisson``: the person's region is first gradient-domain blended into the background
        (``cv2.seamlessClone``, so the person takes on the scene's colour and light), then
        laid over it with the soft alpha, so edges stay as soft as the matte."""
        if blend not in BLENDS:
            raise ValueError(f"Blend {blend!r} is unknown; use one of {', '.join(BLENDS)}.")
        if background.shape != self.image.shape:
            raise ValueError("The background must have the photo's size.")
        person = self.colour
        if blend == "poisson":
            person = poisson_person(person, self.alpha, background)
        a = self.alpha[..., None].astype(np.uint16)
        return ((person * a + background * (255 - a) + 127) // 255).astype(np.uint8)


# Poisson blending: the clone region is the matte above this (0..255), grown by a few pixels
# so its boundary (where the background's colours are imposed) lies outside the soft edge.
_POISSON_THRESHOLD = 26
_POISSON_GROW = 7
_POISSON_PAD = 16  # seamlessClone needs the region clear of the image border


def poisson_person(person: np.ndarray, alpha: np.ndarray, background: np.ndarray) -> np.ndarray:
    """``person`` re-lit for ``background`` by gradient-domain blending (same sizes, BGR
    uint8): inside the grown matte the result keeps the person's gradients and takes its
    boundary colours from the background. Returns the background itself where nobody is."""
    region = np.where(alpha > _POISSON_THRESHOLD, 255, 0).astype(np.uint8)
    if not cv2.countNonZero(region):
        return background.copy()
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * _POISSON_GROW + 1,) * 2)
    grown = cv2.dilate(region, k)
    pad = _POISSON_PAD
    src = cv2.copyMakeBorder(person, pad, pad, pad, pad, cv2.BORDER_REFLECT)
    dst = cv2.copyMakeBorder(background, pad, pad, pad, pad, cv2.BORDER_REFLECT)
    mask = cv2.copyMakeBorder(grown, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0)
    # Keep the mask one pixel clear of the padded border as well.
    mask[:1], mask[-1:], mask[:, :1], mask[:, -1:] = 0, 0, 0, 0
    x, y, w, h = cv2.boundingRect(mask)
    # seamlessClone places the mask's bounding box centred on `center`; centring it where it
    # already is keeps the person in place (w // 2: OpenCV's own rounding of the centre).
    center = (x + w // 2, y + h // 2)
    cloned = cv2.seamlessClone(src, dst, mask, center, cv2.NORMAL_CLONE)
    return np.ascontiguousarray(cloned[pad:-pad, pad:-pad])


class StillCutter:
    """Loads a model once and cuts out any number of photos."""

    def __init__(self, model: str = DEFAULT_MODEL, cfg: MattingConfig | None = None) -> None:
        cfg = cfg or MattingConfig(model=model)
        self.model = load_model(model, cfg.threads, cfg.provider, cfg.fit)
        self.cfg = cfg
        self.engine = MaskEngine(self.model, cfg, working_side=STILL_WORKING_SIDE)

    def cut(self, image: np.ndarray, own_alpha: np.ndarray | None = None,
            foreground: bool = True) -> Cutout:
        """The cut-out of one BGR photo (focused pass and mirrored pass as configured).

        ``own_alpha``: the photo's own transparency (uint8), kept: the cut-out's alpha is the
        smaller of it and the person matte. ``foreground``: estimate the person's colour in the
        soft edge (see ``vbg.matting.foreground.estimate_foreground_still``).
        """
        alpha = self.engine.process_still(image, focus=self.cfg.focus, mirror=True).copy()
        if own_alpha is not None:
            cv2.min(alpha, own_alpha, dst=alpha)
        fg = estimate_foreground_still(image, alpha) if foreground else None
        return Cutout(image, alpha, fg)


def relight_still(cut: Cutout, strength: float = 0.0,
                  background: np.ndarray | None = None) -> Cutout:
    """``cut`` with the person's colour relit once (``vbg image --light auto``): the low-light
    curve of vbg.light for this photo's person, applied at once (no easing), and with
    ``strength`` > 0 and a ``background`` picture moved that far toward its light. The
    photo's pixels with alpha 0 keep their values; ``cut`` itself is not changed."""
    person = np.ascontiguousarray(cut.colour).copy()
    scene = measure_scene(background) if background is not None and strength > 0 else None
    Relighter(LightParams(strength=strength)).process(person, cut.alpha, 0.0, scene=scene,
                                                     mix="mask")
    return replace(cut, fg=person)


def load_background(spec: BackgroundConfig, size: tuple[int, int]) -> np.ndarray:
    """The still background for ``vbg image``: a colour or an image (cover-fitted to ``size``
    = (width, height)); BackgroundError with one sentence for anything else."""
    width, height = size
    if spec.kind == "color":
        bg = np.empty((height, width, 3), np.uint8)
        bg[:] = spec.color
        return bg
    if spec.kind == "image" and spec.path:
        try:
            image, _ = read_image_alpha(Path(spec.path).expanduser())
        except SourceError as exc:
            raise BackgroundError(f"The background can't be used: {clause(exc)}") from exc
        return imaging.cover_fit(image, size)
    raise BackgroundError(
        f"A still cut-out can go over color:#RRGGBB or image:PATH, not {spec.kind}."
    )


def output_paths(src: Path, out_dir: Path) -> dict[str, Path]:
    """The three files ``vbg image`` writes for ``src``."""
    return {k: out_dir / f"{src.stem}_{k}.png" for k in ("mask_binary", "mask_soft", "foreground")}


def save_cutout(cut: Cutout, src: Path, out_dir: Path, threshold: float = 0.5,
                bg_color: tuple[int, int, int] | None = None,
                background: np.ndarray | None = None, blend: str = "alpha") -> list[Path]:
    """Write ``<stem>_mask_binary.png``, ``<stem>_mask_soft.png``, ``<stem>_foreground.png``.

    The foreground is the transparent cut-out, or the person over ``background`` (BGR, the
    photo's size; ``blend`` as in ``Cutout.over``) or over ``bg_color``.
    """
    paths = output_paths(src, out_dir)
    if background is not None:
        fg = cut.over(background, blend)
    else:
        fg = cut.foreground(bg_color)
    write_png_atomic(paths["mask_binary"], cut.binary(threshold))
    write_png_atomic(paths["mask_soft"], cut.alpha)
    write_png_atomic(paths["foreground"], fg)
    return list(paths.values())
