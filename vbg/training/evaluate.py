"""``vbg-train eval``: one table comparing models on labelled photos and clips.

For each model (the app's default is always included): IoU and boundary F at full resolution
through the engine's live path (``MaskEngine.process`` on each photo from a fresh state:
person-focused pass, guided upsampling) or its still path (``--mode still``: focused +
mirrored), flicker on still content (mean |Δalpha| where the picture did not change) through
the live path with its default smoothing, and the median latency of one model call at the
model's input size on one thread. Metrics come from ``vbg.evaluation``; no torch.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vbg.config import MattingConfig
from vbg.evaluation import paired_images, score_stills, video_flicker
from vbg.matting.engine import STILL_WORKING_SIDE, MaskEngine
from vbg.matting.registry import DEFAULT_MODEL, LoadedModel, load_model
from vbg.training.errors import DataError


@dataclass
class Row:
    model: str
    input_hw: tuple[int, int]
    params: int | None
    iou: float
    boundary_f: float
    flicker: float | None
    latency_ms: float
    n: int


def _params(path: Path) -> int | None:
    try:
        import onnx

        m = onnx.load(str(path))
        return int(sum(np.prod(t.dims) for t in m.graph.initializer))
    except Exception:  # noqa: BLE001 - the count is informative only
        return None



def latency_ms(loaded: LoadedModel, runs: int = 60) -> float:
    h, w = loaded.input_hw
    img = np.random.default_rng(0).integers(0, 256, (h, w, 3), np.uint8)
    times = []
    for _ in range(runs + 5):
        t = time.perf_counter()
        loaded.adapter.infer(img)  # a stateful model from a cold start each time
        times.append(time.perf_counter() - t)
    return float(np.median(times[5:]) * 1e3)


def interleaved_latency(models: list[str], rounds: int = 300) -> dict[str, tuple[float, ...]]:
    """Per model: (median, 25th, 75th percentile) ms of one ``adapter.infer`` on one thread,
    the models called in turn (A, B, C, A, B, C, ...) so a noisy machine affects all alike.
    A recurrent model is fed its own state, as in the engine."""
    if DEFAULT_MODEL not in models:
        models = [DEFAULT_MODEL, *models]
    loaded = [load_model(m, threads=1, provider="cpu") for m in models]
    rng = np.random.default_rng(0)
    imgs = [rng.integers(0, 256, (*m.input_hw, 3), np.uint8) for m in loaded]
    states: list[object] = [None] * len(loaded)
    times: list[list[float]] = [[] for _ in loaded]
    for r in range(rounds + 10):
        for i, m in enumerate(loaded):
            t = time.perf_counter()
            _, states[i] = m.adapter.infer(imgs[i], states[i])
            if r >= 10:  # warm-up
                times[i].append(time.perf_counter() - t)
    return {m.info.key: tuple(float(v) for v in np.percentile(t, [50, 25, 75]) * 1e3)
            for m, t in zip(loaded, times, strict=True)}


def evaluate_model(model: str, pairs: list, clips: list[Path], frames: int,
                   size: tuple[int, int], mode: str = "live") -> Row:
    loaded = load_model(model, threads=1, provider="cpu")
    focus = True  # the engine keeps a recurrent model's state per pass (crop, mirror, full)
    cfg = MattingConfig(model=model, focus=focus)
    if mode == "still":
        engine = MaskEngine(loaded, cfg, working_side=STILL_WORKING_SIDE)

        def predict(img: np.ndarray) -> np.ndarray:
            engine.reset()
            return engine.process_still(img, focus=focus, mirror=True)
    else:
        engine = MaskEngine(loaded, cfg)

        def predict(img: np.ndarray) -> np.ndarray:
            engine.reset()
            return engine.process(img)

    s = score_stills(predict, pairs) if pairs else None
    flicker = None
    if clips:
        vals = []
        for clip in clips:
            live = MaskEngine(loaded, cfg)
            live.reset()
            vals.append(video_flicker(live.process, clip, frames, size))
        flicker = float(np.mean(vals))
    return Row(loaded.info.key, loaded.input_hw, _params(loaded.info.path),
               s.iou if s else float("nan"), s.boundary_f if s else float("nan"), flicker,
               latency_ms(loaded), s.n if s else 0)


def gather_pairs(folders: list[Path], only: list[str] | None, heldout: bool = False) -> list:
    """(image, mask) paths of ``folders``, restricted to names starting with ``only`` and
    (``heldout``) to the photos ``vbg.training.data.heldout`` keeps out of training."""
    from vbg.training.data import discover
    from vbg.training.data import heldout as held_out_of

    pairs = []
    for folder in folders:
        if not (folder / "images").is_dir() or not (folder / "masks").is_dir():
            raise DataError(f"{folder} must contain images/ and masks/ folders.")
        keep = None
        if heldout:
            keep = {p.image for p in held_out_of(folder.name, discover(folder))[1]}
        found = [p for p in paired_images(folder)
                 if (not only or p[0].name.startswith(tuple(only)))
                 and (keep is None or p[0] in keep)]
        if not found:
            raise DataError(f"{folder} has no image with a mask of the same name"
                            + (f" starting with {' or '.join(only)}." if only else "."))
        pairs += found
    return pairs


def evaluate(models: list[str], data: list[Path], clips: list[Path], only: list[str] | None = None,
             frames: int = 300, size: tuple[int, int] = (1280, 720), mode: str = "live",
             heldout: bool = False) -> list[Row]:
    for clip in clips:
        if not clip.is_file():
            raise DataError(f"Clip {clip} does not exist.")
    if DEFAULT_MODEL not in models:
        models = [DEFAULT_MODEL, *models]
    pairs = gather_pairs(data, only, heldout)
    return [evaluate_model(m, pairs, clips, frames, size, mode) for m in models]


def format_table(rows: list[Row]) -> str:
    lines = [f"| {'model':18s} | input   | params  | IoU   | boundary F | flicker (mean dα)   "
             f"| latency ms | n  |",
             "|" + "|".join("-" * w for w in (20, 9, 9, 7, 12, 21, 12, 4)) + "|"]
    for r in rows:
        params = f"{r.params / 1e6:.2f}M" if r.params else "?"
        flick = f"{r.flicker:.5f}" if r.flicker is not None else "-"
        lines.append(f"| {r.model:18s} | {r.input_hw[0]}x{r.input_hw[1]:<3d} | {params:7s} | "
                     f"{r.iou:.3f} | {r.boundary_f:10.3f} | {flick:19s} | {r.latency_ms:10.2f} | "
                     f"{r.n:2d} |")
    return "\n".join(lines)
