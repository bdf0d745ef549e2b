"""Generate the bundled background pictures (run from the repository root).

They are drawn here from noise and gradients, so vbg owns them outright and can ship them
under its own licence. Deterministic: the same numpy/OpenCV give the same files.

    python tools/make_backgrounds.py   # writes assets/backgrounds/*.jpg
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

W, H = 1280, 720
OUT = Path(__file__).resolve().parents[1] / "assets" / "backgrounds"


def _grid() -> tuple[np.ndarray, np.ndarray]:
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    return xx / W, yy / H


def _mix(a: tuple[int, int, int], b: tuple[int, int, int], t: np.ndarray) -> np.ndarray:
    a_, b_ = np.array(a, np.float32), np.array(b, np.float32)
    return a_ + (b_ - a_) * t[..., None]


def _grain(img: np.ndarray, rng: np.random.Generator, amount: float = 2.0) -> np.ndarray:
    """A little noise so gradients don't band after JPEG compression."""
    return np.clip(img + rng.normal(0, amount, img.shape), 0, 255).astype(np.uint8)


def soft_gradient(rng: np.random.Generator) -> np.ndarray:
    x, y = _grid()
    t = np.clip(0.6 * x + 0.4 * y, 0, 1)
    img = _mix((180, 200, 250), (205, 170, 190), t)  # BGR: peach to lavender
    glow = np.exp(-(((x - 0.25) / 0.35) ** 2 + ((y - 0.3) / 0.45) ** 2))
    img += glow[..., None] * np.array((30, 35, 40), np.float32)
    return _grain(img, rng)


def bokeh(rng: np.random.Generator) -> np.ndarray:
    x, y = _grid()
    img = _mix((60, 30, 20), (90, 45, 35), y).astype(np.float32)
    lights = np.zeros((H, W, 3), np.float32)
    palette = [(90, 190, 255), (120, 160, 255), (200, 200, 255), (255, 200, 150)]
    for _ in range(70):
        cx, cy = int(rng.uniform(0, W)), int(rng.uniform(0, H * 0.85))
        r = int(rng.uniform(14, 60))
        color = np.array(palette[int(rng.integers(len(palette)))], np.float32)
        layer = np.zeros((H, W), np.float32)
        cv2.circle(layer, (cx, cy), r, 1.0, -1, cv2.LINE_AA)
        lights += layer[..., None] * color * rng.uniform(0.12, 0.35)
    lights = cv2.GaussianBlur(lights, (0, 0), 6)
    return _grain(img + lights, rng)


def studio(rng: np.random.Generator) -> np.ndarray:
    x, y = _grid()
    d = np.sqrt(((x - 0.5) / 0.75) ** 2 + ((y - 0.38) / 0.9) ** 2)
    t = np.clip(d, 0, 1) ** 1.4
    img = _mix((150, 146, 140), (62, 58, 55), t)
    return _grain(img, rng, 1.5)


def aurora(rng: np.random.Generator) -> np.ndarray:
    x, y = _grid()
    img = _mix((50, 28, 14), (30, 16, 10), y)
    for k, (color, phase) in enumerate((((170, 220, 80), 0.0), ((200, 140, 90), 1.7),
                                        ((150, 240, 160), 3.1))):
        centre = 0.35 + 0.1 * k + 0.08 * np.sin(6.0 * x + phase) + 0.04 * np.sin(13 * x + phase)
        band = np.exp(-((y - centre) / (0.06 + 0.02 * k)) ** 2)
        img += band[..., None] * np.array(color, np.float32) * 0.55
    stars = (rng.random((H, W)) > 0.9993).astype(np.float32)
    stars = cv2.GaussianBlur(stars, (0, 0), 0.8) * 900 * (1 - y)
    img += stars[..., None]
    return _grain(img, rng)


def main() -> None:
    rng = np.random.default_rng(7)
    for name, fn in (("soft_gradient", soft_gradient), ("evening_bokeh", bokeh),
                     ("studio_grey", studio), ("aurora", aurora)):
        cv2.imwrite(str(OUT / f"{name}.jpg"), fn(rng), [cv2.IMWRITE_JPEG_QUALITY, 88])
        print(OUT / f"{name}.jpg")


if __name__ == "__main__":
    main()
