"""``vbg eval``: measure what each mask-quality feature is worth, on data you point it at.

Stills (a folder with images/ + masks/): IoU and boundary F at full resolution for each fit mode
and for plain / refined / person-focused / focused + mirrored passes. Video: flicker on still
content with and without temporal smoothing. These are the numbers behind the defaults
(docs/quality.md, models/MODEL_CARD.md).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

from vbg.config import DEFAULT_MODEL, MattingConfig
from vbg.errors import UserError
from vbg.evaluation import clip_frames, lag_check, paired_images, score_stills, video_flicker
from vbg.matting.engine import MaskEngine
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


def cmd_eval(a: argparse.Namespace) -> int:
    from vbg.config import parse_size

    if not a.data and not a.video:
        raise UserError("Nothing to measure: give --data DIR (images/ + masks/) or --video CLIP.")
    models = a.model or [DEFAULT_MODEL]
    out: dict = {"stills": [], "flicker": [], "lag": []}
    for d in a.data:
        folder = Path(d)
        if not (folder / "images").is_dir() or not (folder / "masks").is_dir():
            raise UserError(f"{folder} must contain images/ and masks/ folders.")
        pairs = [p for p in paired_images(folder) if not a.only or p[0].name.startswith(a.only)]
        if not pairs:
            raise UserError(f"{folder} has no image with a mask of the same name.")
        for m in models:
            rows = [] if a.live_only else still_table(m, pairs, ["stretch", "letterbox", "crop"])
            for row in [*rows, live_row(m, pairs)]:
                out["stills"].append({"data": folder.name, **row})
    size = parse_size(a.size)
    for m in models:
        clips = [Path(v) for v in a.video]
        if a.lag:
            out["lag"] += lag_table(m, clips, a.frames, size, a.freeze)
        else:
            out["flicker"] += flicker_table(m, clips, a.frames, size)
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
    return 0
