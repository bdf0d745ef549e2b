"""``vbg-train``: train, export, evaluate and distil segmentation models.

    vbg-train train  --config CFG.json --set key=value ...
    vbg-train export --run RUN_DIR --out models/NAME.onnx [--int8 --calib CLIP_OR_DIR]
    vbg-train eval   --models A.onnx B.onnx --data DIR --video CLIP
    vbg-train distill SOURCE... --out DIR (outside the repository)

Bad input (missing masks, unreadable files, an empty split, an unknown config key) ends with
one sentence and exit status 2, before any training starts; so does a command that needs the
training extra (PyTorch, ONNX, ...) when it is not installed.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from vbg.errors import VbgError

REPO = Path(__file__).resolve().parents[2]


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="vbg-train",
                                 description=__doc__.splitlines()[0].replace("``", ""))
    sub = ap.add_subparsers(dest="cmd", required=True)

    t = sub.add_parser("train", help="train a network")
    t.add_argument("--config", help="JSON file of settings (see vbg.training.config)")
    t.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override one setting (repeatable)")

    e = sub.add_parser("export", help="export a run's best checkpoint to ONNX + sidecar")
    e.add_argument("--run", required=True, help="run folder (config.json + best.pt)")
    e.add_argument("--out", required=True, help="the .onnx file to write")
    e.add_argument("--checkpoint", default="best.pt")
    e.add_argument("--name", default=None)
    e.add_argument("--size", type=int, default=None, help="input side [training size]")
    e.add_argument("--fit", default="stretch", choices=["stretch", "letterbox", "crop"])
    e.add_argument("--opset", type=int, default=17)
    e.add_argument("--int8", action="store_true", help="also write NAME_int8.onnx")
    e.add_argument("--calib", default=None, help="clip or folder of photos for calibration")
    e.add_argument("--source", default="vbg.training")

    v = sub.add_parser("eval", help="compare models (the default is always included)")
    v.add_argument("--models", nargs="*", default=[])
    v.add_argument("--data", action="append", default=[], metavar="DIR")
    v.add_argument("--only", action="append", default=None, metavar="PREFIX",
                   help="only image names starting with PREFIX (repeatable)")
    v.add_argument("--heldout", action="store_true",
                   help="only each folder's held-out photos (aiseg60 d2_/d3_, a fixed fifth "
                        "of vikram190: vbg.training.data.heldout), never trained on")
    v.add_argument("--video", action="append", default=[], metavar="CLIP")
    v.add_argument("--frames", type=int, default=300)
    v.add_argument("--size", default="1280x720")
    v.add_argument("--mode", default="live", choices=["live", "still"])

    lt = sub.add_parser("latency", help="per-call latency on one thread, models interleaved")
    lt.add_argument("--models", nargs="*", default=[])
    lt.add_argument("--rounds", type=int, default=300)

    k = sub.add_parser("pack", help="label clips with the teacher and pack them with the "
                       "photos that are not held out (a compact .npz for a GPU machine)")
    k.add_argument("--clips", nargs="*", default=[], metavar="CLIP")
    k.add_argument("--photos", nargs="*", default=[], metavar="DIR")
    k.add_argument("--backgrounds", nargs="*", default=None, metavar="IMAGE",
                   help="person-free pictures [the shipped backgrounds]")
    k.add_argument("--out", required=True, help="the .npz to write (outside the repository)")
    k.add_argument("--side", type=int, default=320)
    k.add_argument("--every", type=int, default=1, help="every N-th clip frame [1]")
    k.add_argument("--teacher", default="selfie_general")

    f = sub.add_parser("fit", help="train on a pack with the data and augmentation on the GPU")
    f.add_argument("--pack", required=True)
    f.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override one setting of vbg.training.gpu.FitConfig (repeatable)")

    d = sub.add_parser("distill", help="label frames/photos with the teacher model")
    d.add_argument("sources", nargs="+")
    d.add_argument("--out", required=True)
    d.add_argument("--every", type=int, default=10, help="every N-th video frame [10]")
    d.add_argument("--max-frames", type=int, default=None, help="per video")
    d.add_argument("--teacher", default="selfie_general")
    return ap


def cmd_train(a: argparse.Namespace) -> int:
    from vbg.training.config import build_config

    cfg = build_config(a.config, a.set)  # config errors before torch is even imported
    from vbg.training.loop import train

    run = train(cfg)
    print(f"best validation IoU {run.best_iou:.4f}; checkpoints in {run.out}")
    return 0


def _calibration_frames(src: str, n: int = 32) -> list:
    from vbg.training.distill import _frames

    frames = []
    for _, f in _frames(Path(src), every=5, max_frames=n):
        frames.append(f)
        if len(frames) >= n:
            break
    return frames


def cmd_export(a: argparse.Namespace) -> int:
    from vbg.training.config import build_config
    from vbg.training.errors import TrainingError

    run = Path(a.run)
    ckpt = run / a.checkpoint
    if not (run / "config.json").is_file() or not ckpt.is_file():
        raise TrainingError(f"{run} is not a finished run: it needs config.json and "
                            f"{a.checkpoint}.")
    import json

    saved = json.loads((run / "config.json").read_text(encoding="utf-8"))
    from vbg.training.export import export, load_checkpoint, quantize_int8, sidecar
    from vbg.training.loop import MEAN, STD
    from vbg.training.nets import build_net

    if "pack" in saved:  # a `vbg-train fit` run (vbg.training.gpu)
        from vbg.training.config import FitConfig

        cfg = FitConfig(**saved)
    else:
        cfg = build_config(**saved)  # type: ignore[assignment]
    in_ch = 4 if cfg.temporal else 3
    net = load_checkpoint(build_net(cfg.arch, in_ch, cfg.width), ckpt)
    side = a.size or cfg.size
    out = Path(a.out)
    meta = sidecar(a.name or out.stem, cfg.temporal, (side, side), MEAN, STD, a.fit,
                   source=a.source)
    diff = export(net, out, (side, side), in_ch, meta, a.opset)
    print(f"wrote {out} and {out.with_suffix('.json').name} (max |ONNX - PyTorch| = {diff:.1e})")
    if a.int8:
        q = quantize_int8(out, out.with_name(out.stem + "_int8.onnx"),
                          _calibration_frames(a.calib) if a.calib else [], meta)
        print(f"wrote {q}")
    return 0


def cmd_eval(a: argparse.Namespace) -> int:
    from vbg.config import parse_size
    from vbg.training.evaluate import evaluate, format_table

    rows = evaluate(a.models, [Path(d) for d in a.data], [Path(v) for v in a.video], a.only,
                    a.frames, parse_size(a.size), a.mode, heldout=a.heldout)
    print(format_table(rows))
    return 0


def cmd_distill(a: argparse.Namespace) -> int:
    from vbg.training.distill import distill, teacher

    n = distill([Path(s) for s in a.sources], Path(a.out), a.every, a.max_frames,
                label=teacher(a.teacher), repo_root=REPO)
    print(f"labelled {n} frames into {a.out}")
    return 0


def cmd_latency(a: argparse.Namespace) -> int:
    from vbg.training.evaluate import interleaved_latency

    print("| model | median ms | 25th-75th percentile ms |\n|---|---|---|")
    for key, (med, lo, hi) in interleaved_latency(a.models, a.rounds).items():
        print(f"| {key} | {med:.2f} | {lo:.2f}-{hi:.2f} |")
    return 0


def cmd_pack(a: argparse.Namespace) -> int:
    from vbg.training.distill import teacher
    from vbg.training.pack import build_pack

    if a.backgrounds is None:
        from vbg import resources

        backgrounds = sorted((resources.assets_dir() / "backgrounds").glob("*.jpg"))
    else:
        backgrounds = [Path(b) for b in a.backgrounds]
    counts = build_pack([Path(c) for c in a.clips], [Path(p) for p in a.photos], backgrounds,
                        Path(a.out), a.side, a.every, label=teacher(a.teacher))
    print(f"wrote {a.out}: " + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in counts.items()))
    return 0


def cmd_fit(a: argparse.Namespace) -> int:
    import dataclasses

    from vbg.training.config import ConfigError

    pack = Path(a.pack)
    if not pack.is_file():
        raise ConfigError(f"Pack {pack} does not exist; make one with `vbg-train pack`.")
    from vbg.training.config import FitConfig
    from vbg.training.gpu import fit

    fields = {f.name: f for f in dataclasses.fields(FitConfig)}
    values: dict[str, object] = {"pack": str(pack)}
    for item in a.set:
        key, sep, value = item.partition("=")
        if not sep or key not in fields:
            raise ConfigError(f"The setting {item!r} is not KEY=VALUE with a key of "
                              f"{', '.join(fields)}.")
        kind = type(fields[key].default)
        try:
            values[key] = (value.lower() in ("1", "true", "yes") if kind is bool
                           else kind(value))
        except ValueError as exc:
            raise ConfigError(f"The setting {item!r} is not a valid {kind.__name__}.") from exc
    result = fit(FitConfig(**values))  # type: ignore[arg-type]
    print(json.dumps(result))
    return 0


# The modules of the training extra (``pip install 'vbg[train]'``), as the user knows them.
TRAIN_EXTRA = {"torch": "PyTorch", "torchvision": "torchvision", "onnx": "ONNX",
               "albumentations": "albumentations", "matplotlib": "matplotlib",
               "PIL": "Pillow"}

COMMANDS = {"train": cmd_train, "export": cmd_export, "eval": cmd_eval, "distill": cmd_distill,
            "pack": cmd_pack, "fit": cmd_fit, "latency": cmd_latency}


def main(argv: list[str] | None = None) -> int:
    a = _parser().parse_args(argv)
    try:
        return COMMANDS[a.cmd](a)
    except VbgError as exc:
        print(f"vbg-train: {exc}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as exc:
        missing = TRAIN_EXTRA.get((exc.name or "").partition(".")[0])
        if missing is None:
            raise  # not the extra: a bug, whose traceback is worth seeing
        print(f"vbg-train: vbg-train {a.cmd} needs {missing}, which is not installed; install "
              "the training extra with `pip install 'vbg[train]'`.", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
