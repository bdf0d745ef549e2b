"""``vbg video IN --out OUT``: change the background of a recorded video, every frame once, with
its sound (see :mod:`vbg.video`).

Exit status: 0 done; 2 with one sentence for anything a user can fix (bad input, output that
can't be written, disk full, PyAV missing); 3 when the input ended early (a truncated file):
what it held is written, and one sentence says so; 130 after Ctrl+C, with what was written
kept as a playable ``NAME.partial.EXT`` file (said so on stderr).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from vbg.cli.options import add_engine_options, background_from_args, matting_from_args
from vbg.config import check_framing, check_light, check_light_match
from vbg.errors import UserError

EXIT_INTERRUPTED = 130
EXIT_INPUT_ENDED_EARLY = 3


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "video", help="change the background of a video file (every frame, with its sound)",
        description="Every frame of IN once, in order, through the same engine as the virtual "
                    "camera. OUT: .mp4 (H.264, sound kept), .webm (VP9 with transparency), "
                    ".mov (ProRes 4444 with transparency) or a name without extension (a folder "
                    "of transparent PNGs; these ignore --background). Needs PyAV: pip install "
                    "'vbg[video]'.")
    p.add_argument("input", metavar="IN", help="the video file to process")
    p.add_argument("--out", "-o", required=True, metavar="OUT", help="where to write the result")
    p.add_argument("--mask", metavar="MASK.mkv",
                   help="also write the alpha mask, lossless (FFV1), one frame per input frame")
    add_engine_options(p)  # the engine options of `vbg run`, declared once
    p.add_argument("--mirror", action="store_true", help="flip the output left-right")
    p.add_argument("--force", action="store_true", help="replace OUT / MASK if they exist")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    p.add_argument("--framing-report", action="store_true",
                   help="measure how the output is framed (centre, head room, cut heads, "
                        "jitter) and print it at the end")
    p.add_argument("--light-report", action="store_true",
                   help="measure what --light did to the person (mean luminance, steadiness) "
                        "and print it at the end")
    p.add_argument("--light-reference", metavar="ORIGINAL",
                   help="with --light-report: the well-lit original of a darkened IN, frame for "
                        "frame: also the share of the lost luminance restored and the colour "
                        "error against it")


def cmd_video(a: argparse.Namespace) -> int:
    from vbg.video import VideoJob, prepare, run_video

    try:
        background = background_from_args(a)
        matting = matting_from_args(a)
        framing = check_framing(a.framing)
        light = check_light(a.light)
        light_match = check_light_match(a.light_match)
    except ValueError as exc:
        raise UserError(str(exc)) from exc
    job = VideoJob(source=Path(a.input), out=Path(a.out),
                   mask=Path(a.mask) if a.mask else None, matting=matting,
                   background=background, mirror=a.mirror, force=a.force, framing=framing,
                   framing_report=a.framing_report, light=light, light_match=light_match,
                   light_report=a.light_report,
                   light_reference=Path(a.light_reference) if a.light_reference else None)
    prepared = prepare(job)  # VbgError: one sentence, exit 2 (handled by main)
    cancel = threading.Event()

    def on_sigint(*_: object) -> None:
        # First Ctrl+C: finish the frame, keep what was written. A second one stops at once
        # (KeyboardInterrupt; run_video then removes its unfinished files).
        cancel.set()
        signal.signal(signal.SIGINT, signal.default_int_handler)

    def on_sigterm(*_: object) -> None:
        # A logout or `kill`: like the first Ctrl+C, so the partial file gets its index and
        # stays playable instead of a temporary without a moov atom.
        cancel.set()

    previous = signal.signal(signal.SIGINT, on_sigint)
    previous_term = signal.signal(signal.SIGTERM, on_sigterm)
    try:
        from tqdm import tqdm
    except ImportError:  # part of the `video` extra; without it, no bar but the same job
        tqdm = None
    bar = None

    def progress(done: int, total: int) -> None:
        # The bar appears with the first frame, so a failure while opening the outputs or
        # loading the model is not preceded by an empty bar.
        nonlocal bar
        if a.quiet or tqdm is None:
            return
        if bar is None:
            bar = tqdm(total=total or None, unit="frame", desc=job.source.name,
                       file=sys.stderr, dynamic_ncols=True, mininterval=0.25)
        bar.update(done - bar.n)

    try:
        result = run_video(prepared, progress, cancel=cancel, keep_partial=True)
    except KeyboardInterrupt:
        print("\nvbg: stopped by a second Ctrl+C; the unfinished files were removed.",
              file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        signal.signal(signal.SIGINT, previous)
        signal.signal(signal.SIGTERM, previous_term)
        if bar is not None:
            bar.close()
    if result.cancelled:
        if result.out is None:
            print("vbg: interrupted before the first frame; nothing was written.",
                  file=sys.stderr)
        else:
            kept = f"{result.out}" + (f" and {result.mask}" if result.mask else "")
            print(f"vbg: interrupted after {result.frames} of {result.total or '?'} frames; "
                  f"what was written is kept, playable, as {kept}.", file=sys.stderr)
        return EXIT_INTERRUPTED
    code = 0
    if result.ended_early:  # said even with --quiet: the result is shorter than asked
        print(f"vbg: {result.ended_early_sentence(job.source)}", file=sys.stderr)
        code = EXIT_INPUT_ENDED_EARLY
    elif not a.quiet:
        sound = {"copied": "sound copied", "re-encoded": "sound re-encoded",
                 "none": "no sound in the input", "dropped": "sound left out (PNG folder)"}
        print(f"Wrote {result.frames} frames to {result.out} ({result.fps:.1f} fps, "
              f"{sound[result.audio]})" + (f"; mask: {result.mask}" if result.mask else "")
              + ".", file=sys.stderr)
    if result.framing is not None:
        print(result.framing.text())  # the measurement itself: stdout, even with --quiet
    if result.light is not None:
        print(result.light.text())
    return code
