"""``vbg eval``: measure what each mask-quality feature is worth, on data you point it at.

Stills (a folder with images/ + masks/): IoU and boundary F at full resolution for each fit mode
and for plain / refined / person-focused / focused + mirrored passes. Video: flicker on still
content with and without temporal smoothing. Edges (the "matte" table): for the live path and
the stills path, before (the model's own soft band, raw camera colour) and after the per-model
matte curve and the foreground colour estimate: IoU, boundary F, MAD, soft-band share against
the truth's, composite error on flat colours, and flicker on the clips in the same table.
``--calibrate`` fits the matte curve on soft ground truth (e.g. aiseg60). These are the
numbers behind the defaults (docs/quality.md, models/MODEL_CARD.md).
"""

from __future__ import annotations

import argparse
import hashlib
import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np

from vbg.config import DEFAULT_MODEL, MattingConfig
from vbg.errors import UserError
from vbg.evaluation import (
    clip_frames,
    lag_check,
    paired_images,
    read_mask,
    read_photo,
    score_mattes,
    score_stills,
    video_flicker,
)
from vbg.imaging import VideoFrames
from vbg.matting.engine import MaskEngine
from vbg.matting.foreground import FastForeground, estimate_foreground_still
from vbg.matting.matte import MatteCurve, fit_width
from vbg.matting.registry import load_model


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("eval", help="measure mask quality on labelled photos and clips")
    p.add_argument("--data", action="append", default=[], metavar="DIR",
                   help="folder with images/ and masks/ (repeatable)")
    p.add_argument("--video", action="append", default=[], metavar="CLIP",
                   help="clip for the flicker measurement (repeatable)")
    p.add_argument("--model", action="append", default=[], help=f"model(s) [{DEFAULT_MODEL}]")
    p.add_argument("--only", default=None, help="only image names starting with this (e.g. d2_)")
    p.add_argument("--frames", type=int, default=300, help="frames per clip [300]")
    p.add_argument("--size", default="1280x720", help="clip frame size [1280x720]")
    p.add_argument("--live-only", action="store_true",
                   help="stills: only the live (video) path, not every fit and variant")
    p.add_argument("--lag", action="store_true",
                   help="video: compare the mask reused on still frames with the every-frame "
                        "mask (share reused, difference where the picture moves)")
    p.add_argument("--freeze", type=int, default=0, metavar="N",
                   help="--lag: start each clip with N noisy copies of its first frame [0]")
    p.add_argument("--json", action="store_true")
    p.add_argument("--skip-variants", action="store_true",
                   help="only the edge (matte) table and flicker, not the fit/variant table")
    p.add_argument("--calibrate", action="store_true",
                   help="fit each model's matte curve on --data (soft ground truth) and print "
                        "the sidecar \"matte\" entry")


VARIANTS = {
    # name: (refine, focus, mirror)
    "single pass, bilinear": (False, False, False),
    "single pass, refined": (True, False, False),
    "focused, refined": (True, True, False),
    "focused + mirrored, refined": (True, True, True),
}


def still_table(model: str, pairs: list, fits: list[str]) -> list[dict]:
    rows = []
    default_fit = load_model(model).fit
    for fit in fits:
        loaded = load_model(model, fit=fit)
        for name, (refine, focus, mirror) in VARIANTS.items():
            if fit != default_fit and name != "single pass, bilinear":
                continue  # other fits: only the raw model comparison
            cfg = MattingConfig(model=model, refine=refine, focus=focus, smoothing=False)
            engine = MaskEngine(loaded, cfg, working_side=1024)

            def predict(img, engine=engine, focus=focus, mirror=mirror):  # noqa: ANN001
                return engine.process_still(img, focus=focus, mirror=mirror)

            s = score_stills(predict, pairs)
            rows.append({"model": model, "fit": fit, "variant": name, "iou": s.iou,
                         "boundary_f": s.boundary_f, "n": s.n})
    return rows


def live_row(model: str, pairs: list) -> dict:
    """IoU / boundary F of the live path: ``MaskEngine.process`` at the video working size with
    the default settings, one fresh start per photo (its detection pass, then the focused
    pass), smoothing off because a photo has no previous frame."""
    loaded = load_model(model)
    engine = MaskEngine(loaded, MattingConfig(model=model, smoothing=False))

    def predict(img):  # noqa: ANN001, ANN202
        engine.reset()
        return engine.process(img)

    s = score_stills(predict, pairs)
    return {"model": model, "fit": loaded.fit, "variant": "live path (video, 320 px)",
            "iou": s.iou, "boundary_f": s.boundary_f, "n": s.n}


def flicker_table(model: str, clips: list[Path], frames: int, size: tuple[int, int]) -> list[dict]:
    rows = []
    loaded = load_model(model)
    for clip in clips:
        for smoothing in (False, True):
            for focus in (False, True):
                cfg = replace(MattingConfig(model=model), smoothing=smoothing, focus=focus)
                engine = MaskEngine(loaded, cfg)
                f = video_flicker(engine.process, clip, frames, size)
                rows.append({"model": model, "clip": clip.name, "smoothing": smoothing,
                             "focus": focus, "flicker": f})
    return rows


def lag_table(model: str, clips: list[Path], frames: int, size: tuple[int, int],
              freeze: int) -> list[dict]:
    """Default live settings, mask reuse on vs. off, frame by frame on each clip."""
    loaded = load_model(model)
    cfg = MattingConfig(model=model)
    rows = []
    for clip in clips:
        s = lag_check(MaskEngine(loaded, cfg), MaskEngine(loaded, cfg, reuse_still=False),
                      clip_frames(clip, frames, size, freeze=freeze))
        rows.append({"model": model, "clip": clip.name, "freeze": freeze, **s.__dict__})
    return rows


# The edge states compared in the matte table: (name, matte curve on, foreground estimate on).
MATTE_STATES = (("before", False, False), ("+ matte curve", True, False),
                ("+ foreground", True, True))


def _engines(model: str) -> tuple[MaskEngine, MaskEngine]:
    """A live-path engine (defaults, 320 px) and a stills-path engine (1024 px)."""
    loaded = load_model(model)
    return (MaskEngine(loaded, MattingConfig(model=model)),
            MaskEngine(loaded, MattingConfig(model=model), working_side=1024))


def _predictor(engine: MaskEngine, path: str) -> Callable[[np.ndarray], np.ndarray]:
    """The live path sees each photo as the first frame of a video (detection pass, focused
    pass, no history); the stills path does what ``vbg image`` does."""
    if path == "live":
        def live(img: np.ndarray) -> np.ndarray:
            engine.reset()
            return engine.process(img)
        return live
    return lambda img: engine.process_still(img, focus=True, mirror=True)


def _fast_foreground() -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    ff = FastForeground()
    return lambda img, alpha: ff(img, alpha, np.empty_like(img))


class _ReferenceForeground:
    """The reference foreground of a photo for its *true* alpha (pymatting's ML estimate when
    installed), computed once per photo."""

    def __init__(self) -> None:
        self._cache: dict[bytes, np.ndarray] = {}

    def __call__(self, image: np.ndarray, truth: np.ndarray) -> np.ndarray:
        key = hashlib.sha1(image.tobytes() + truth.tobytes()).digest()
        if key not in self._cache:
            self._cache[key] = estimate_foreground_still(image, truth)
        return self._cache[key]


def matte_table(model: str, data: list[tuple[str, list]], clips: list[Path], frames: int,
                size: tuple[int, int]) -> list[dict]:
    """Rows of the edge table for one model: each data set × path × state, then flicker of the
    live path (smoothing and focus on, as shipped) before and after the matte curve."""
    live, still = _engines(model)
    curves = {"live": live.live_curve, "still": still.still_curve}
    reference = _ReferenceForeground()
    rows = []
    for name, pairs in data:
        for path, engine in (("live", live), ("still", still)):
            for state, curve_on, fg_on in MATTE_STATES:
                curve = curves[path] if curve_on else MatteCurve()
                engine.live_curve = engine.still_curve = curve
                fg = None
                if fg_on:
                    fg = _fast_foreground() if path == "live" else estimate_foreground_still
                s = score_mattes(_predictor(engine, path), pairs, fg, reference)
                rows.append({"data": name, "model": model, "path": path, "state": state,
                             "iou": s.iou, "boundary_f": s.boundary_f, "mad": s.mad,
                             "band": s.band, "band_true": s.band_true,
                             "composite": s.composite, "n": s.n})
    for clip in clips:
        for state, curve_on, _ in MATTE_STATES[:2]:
            live.live_curve = curves["live"] if curve_on else MatteCurve()
            live.reset()
            rows.append({"data": clip.name, "model": model, "path": "live", "state": state,
                         "flicker": video_flicker(live.process, clip, frames, size)})
    return rows


def calibrate(model: str, pairs: list) -> dict[str, list[float]]:
    """The sidecar ``"matte"`` entry fitted on ``pairs`` for both paths (uncalibrated preds)."""
    live, still = _engines(model)
    out = {}
    for path, engine in (("live", live), ("still", still)):
        engine.live_curve = engine.still_curve = MatteCurve()
        predict = _predictor(engine, path)
        preds, truths = [], []
        for img_path, mask_path in pairs:
            image = read_photo(img_path)
            preds.append(predict(image).copy())
            truths.append(read_mask(mask_path, image.shape[1::-1]))
        curve = fit_width(preds, truths)
        out[path] = [curve.lo, curve.hi]
    return out


def _print_matte(rows: list[dict]) -> None:
    print(f"\n{'data':22s} {'model':16s} {'path':5s} {'state':14s} {'IoU':>6s} {'BF':>6s} "
          f"{'MAD':>7s} {'band':>6s} {'true':>6s} {'comp':>7s} {'flicker':>8s}")
    for r in rows:
        if "flicker" in r:
            print(f"{r['data']:22s} {r['model']:16s} {r['path']:5s} {r['state']:14s} "
                  f"{'':>6s} {'':>6s} {'':>7s} {'':>6s} {'':>6s} {'':>7s} {r['flicker']:8.5f}")
            continue
        print(f"{r['data']:22s} {r['model']:16s} {r['path']:5s} {r['state']:14s} "
              f"{r['iou']:6.3f} {r['boundary_f']:6.3f} {r['mad']:7.4f} {r['band']:6.2%} "
              f"{r['band_true']:6.2%} {r['composite']:7.4f}")


def cmd_eval(a: argparse.Namespace) -> int:
    from vbg.config import parse_size

    if not a.data and not a.video:
        raise UserError("Nothing to measure: give --data DIR (images/ + masks/) or --video CLIP.")
    models = a.model or [DEFAULT_MODEL]
    out: dict = {"stills": [], "flicker": [], "lag": [], "matte": []}
    data = []
    for d in a.data:
        folder = Path(d)
        if not (folder / "images").is_dir() or not (folder / "masks").is_dir():
            raise UserError(f"{folder} must contain images/ and masks/ folders.")
        pairs = [p for p in paired_images(folder) if not a.only or p[0].name.startswith(a.only)]
        if not pairs:
            raise UserError(f"{folder} has no image with a mask of the same name.")
        data.append((folder.name, pairs))
    clips = [Path(v) for v in a.video]
    for clip in clips:
        if not clip.is_file():
            raise UserError(f"Clip {clip} does not exist; check the path.")
        probe = VideoFrames(clip, loop=False)
        try:
            readable = probe.read() is not None
        finally:
            probe.close()
        if probe.refusal is not None:
            raise UserError(probe.refusal)
        if not readable:
            raise UserError(f"Clip {clip} has no video frame vbg can read; give a video file "
                            "such as an .mp4.")
    if a.calibrate:
        if not data:
            raise UserError("--calibrate needs --data DIR with soft ground-truth mattes.")
        for m in models:
            fitted = calibrate(m, [p for _, ps in data for p in ps])
            print(f"{m}: \"matte\": {json.dumps(fitted)}")
        return 0
    size = parse_size(a.size)
    for m in models:
        if not a.skip_variants:
            for name, pairs in data:
                fits = ["stretch", "letterbox", "crop"]
                rows = [] if a.live_only else still_table(m, pairs, fits)
                for row in [*rows, live_row(m, pairs)]:
                    out["stills"].append({"data": name, **row})
            if a.lag:
                out["lag"] += lag_table(m, clips, a.frames, size, a.freeze)
            else:
                out["flicker"] += flicker_table(m, clips, a.frames, size)
        if not a.lag:
            out["matte"] += matte_table(m, data, clips, a.frames, size)
    if a.json:
        print(json.dumps(out, indent=2))
        return 0
    if out["stills"]:
        print(f"{'data':10s} {'model':16s} {'fit':9s} {'variant':28s} {'IoU':>6s} {'BF':>6s} n")
        for r in out["stills"]:
            print(f"{r['data']:10s} {r['model']:16s} {r['fit']:9s} {r['variant']:28s} "
                  f"{r['iou']:6.3f} {r['boundary_f']:6.3f} {r['n']}")
    if out["lag"]:
        print(f"\n{'clip':24s} {'model':16s} {'frames':>6s} {'reused':>7s} {'moving':>6s} "
              f"{'mv+reused':>9s} "
              f"{'|da| moving':>11s} {'min IoU mv':>10s} {'|da| all':>9s} "
              f"{'flicker reuse/every':>20s}")
        for r in out["lag"]:
            print(f"{r['clip']:24s} {r['model']:16s} {r['frames']:6d} "
                  f"{100 * r['reused_share']:6.1f}% {r['moving_frames']:6d} "
                  f"{r['moving_reused']:9d} "
                  f"{r['moving_mean_diff']:11.5f} {r['moving_min_iou']:10.4f} "
                  f"{r['all_mean_diff']:9.5f} {r['flicker_reuse']:9.5f}/{r['flicker_every']:.5f}")
    if out["flicker"]:
        print(f"\n{'clip':24s} {'model':16s} {'smoothing':9s} {'focus':6s} flicker (mean |dα|)")
        for r in out["flicker"]:
            print(f"{r['clip']:24s} {r['model']:16s} {r['smoothing']!s:9s} {r['focus']!s:6s} "
                  f"{r['flicker']:.5f}")
    if out["matte"]:
        _print_matte(out["matte"])
    return 0
