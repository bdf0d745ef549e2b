"""Render the before/after edge crops of docs/quality.md from the bundled demo picture.

    python docs/img/make_edge_crops.py

Live path (video engine, 320 px working size, defaults) on the bundled demo picture
(assets/demo/astronaut.png) scaled to 1024×1024, composited on green and on black:
"before" is the model's own soft band and the raw camera colour, "after" the model's matte
curve and the fast foreground estimate.
Crops of the hair and of the shoulder/neck, enlarged 2× (nearest) so the edge pixels show.
Also the stills path over the two bundled backgrounds, alpha-blended and Poisson-blended
(docs/img/poisson.png).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from vbg.compositor import Compositor
from vbg.config import BackgroundConfig, MattingConfig
from vbg.matting.engine import MaskEngine
from vbg.matting.foreground import FastForeground
from vbg.matting.matte import MatteCurve
from vbg.matting.registry import load_model
from vbg.stills import StillCutter, load_background

ROOT = Path(__file__).resolve().parents[2]
ASSETS = ROOT / "assets"
OUT = Path(__file__).resolve().parent
CROPS = {"hair": (290, 20, 610, 240), "shoulder": (540, 300, 760, 560)}  # x0, y0, x1, y1
COLOURS = {"green": (0, 255, 0), "black": (0, 0, 0)}


def label(img: np.ndarray, text: str) -> np.ndarray:
    out = img.copy()
    cv2.rectangle(out, (0, 0), (8 + 9 * len(text), 18), (255, 255, 255), -1)
    cv2.putText(out, text, (4, 13), cv2.FONT_HERSHEY_SIMPLEX, 0.42, (0, 0, 0), 1, cv2.LINE_AA)
    return out


def main() -> None:
    frame = cv2.imread(str(ASSETS / "demo" / "astronaut.png"))
    frame = cv2.resize(frame, (1024, 1024), interpolation=cv2.INTER_CUBIC)
    engine = MaskEngine(load_model("selfie_general"), MattingConfig())
    calibrated = engine.live_curve
    results = {}
    for state in ("before", "after"):
        engine.live_curve = calibrated if state == "after" else MatteCurve()
        engine.reset()
        alpha = engine.process(frame).copy()
        for name, colour in COLOURS.items():
            fg = FastForeground() if state == "after" else None
            comp = Compositor(BackgroundConfig(kind="color", color=colour), foreground=fg)
            results[state, name] = comp.compose(frame, alpha).copy()
    for crop, (x0, y0, x1, y1) in CROPS.items():
        rows = []
        for name in COLOURS:
            tiles = [label(cv2.resize(results[s, name][y0:y1, x0:x1], None, fx=2, fy=2,
                                      interpolation=cv2.INTER_NEAREST), f"{s}, {name}")
                     for s in ("before", "after")]
            rows.append(np.hstack([tiles[0], np.full((tiles[0].shape[0], 6, 3), 255, np.uint8),
                                   tiles[1]]))
        sheet = np.vstack([rows[0], np.full((6, rows[0].shape[1], 3), 255, np.uint8), rows[1]])
        cv2.imwrite(str(OUT / f"edges_{crop}.png"), sheet, [cv2.IMWRITE_PNG_COMPRESSION, 9])
        print(OUT / f"edges_{crop}.png", sheet.shape)



def poisson_sheet() -> None:
    image = cv2.imread(str(ASSETS / "demo" / "astronaut.png"))
    cut = StillCutter().cut(image)
    rows = []
    h, w = image.shape[:2]
    # A warm, softly lit wall (rendered here): a scene close to the photo's own light.
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    shade = 0.75 + 0.25 * (1 - np.hypot(xx - 0.7 * w, yy - 0.3 * h) / w)
    warm = np.clip(np.stack([120 * shade, 170 * shade, 215 * shade], -1), 0, 255)
    backgrounds = {"warm wall": warm.astype(np.uint8)}
    for name in ("aurora.jpg", "evening_bokeh.jpg"):
        spec = BackgroundConfig(kind="image", path=str(ASSETS / "backgrounds" / name))
        backgrounds[name.split(".")[0]] = load_background(spec, (w, h))
    for name, bg in backgrounds.items():
        tiles = [label(cut.over(bg, blend), f"{blend}, {name}")
                 for blend in ("alpha", "poisson")]
        rows.append(np.hstack([tiles[0], np.full((image.shape[0], 6, 3), 255, np.uint8),
                               tiles[1]]))
    gap = np.full((6, rows[0].shape[1], 3), 255, np.uint8)
    sheet = np.vstack([rows[0], gap, rows[1], gap, rows[2]])
    sheet = cv2.resize(sheet, None, fx=0.6, fy=0.6, interpolation=cv2.INTER_AREA)
    cv2.imwrite(str(OUT / "poisson.png"), sheet, [cv2.IMWRITE_PNG_COMPRESSION, 9])
    print(OUT / "poisson.png", sheet.shape)


if __name__ == "__main__":
    main()
    poisson_sheet()
