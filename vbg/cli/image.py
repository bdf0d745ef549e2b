"""``vbg image PHOTO... [--out DIR]``: cut the person out of photos (see :mod:`vbg.stills`).

Exit status: 0 done; 2 when any input failed (each said in one sentence, the others still
processed); 130 after Ctrl+C (or SIGTERM), which stops after the photo being cut: its files are
written whole, the rest are not started. A second Ctrl+C stops at once, still leaving no
half-written file (every file is written under a temporary name and renamed).

Why Ctrl+C is caught rather than raised: the foreground estimate runs compiled code on worker
threads (pymatting through numba); a KeyboardInterrupt unwinding the interpreter while they run
crashed the process (a segmentation fault in 3 of 6 tries on a 27-megapixel photo).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from vbg.config import BackgroundConfig, check_light, check_light_match, parse_hex_color
from vbg.errors import UserError, VbgError

if TYPE_CHECKING:
    from vbg.stills import StillCutter

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


@contextmanager
def stop_between_photos() -> Iterator[threading.Event]:
    """While inside: the first Ctrl+C or SIGTERM sets the yielded event (the caller finishes
    the photo in hand and stops); a second Ctrl+C ends the process at once with status 130,
    without unwinding through the compiled code. The previous handlers come back after."""
    stop = threading.Event()

    def on_signal(*_: object) -> None:
        if stop.is_set():
            print("\nvbg: stopped; no file was left half-written.", file=sys.stderr, flush=True)
            os._exit(EXIT_INTERRUPTED)
        stop.set()
        print("\nvbg: stopping after this photo (Ctrl+C again to stop at once).",
              file=sys.stderr, flush=True)

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def cmd_image(a: argparse.Namespace) -> int:
    """Cut out each input; a bad input is reported in one sentence and skipped, the others are
    still processed, and the exit status is 2 if any input failed (130 after Ctrl+C)."""
    from vbg.stills import StillCutter, load_background

    if not (0.0 < a.threshold < 1.0):
        raise UserError(f"Threshold {a.threshold} must be between 0 and 1 (e.g. 0.5).")
    try:
        color = parse_hex_color(a.bg_color) if a.bg_color else None
        background = BackgroundConfig.parse(a.still_background) if a.still_background else None
        check_light(a.light)
        check_light_match(a.light_match)
    except ValueError as exc:
        raise UserError(str(exc)) from exc
    if background is not None and color is not None:
        raise UserError("Give either --bg-color or --background, not both.")
    if a.blend == "poisson" and background is None:
        raise UserError("--blend poisson needs --background image:PATH (or color:#RRGGBB).")
    if background is not None:
        load_background(background, (16, 16))  # a bad background fails before any work
    out_dir = Path(a.out) if a.out else None
    if out_dir is not None:
        if out_dir.exists() and not out_dir.is_dir():
            raise UserError(f"--out {out_dir} is a file, not a folder; give a folder.")
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UserError(f"Can't create the folder {out_dir} ({exc.strerror}).") from exc
    cutter = StillCutter(a.model)
    with stop_between_photos() as stop:
        failed = _cut_all(a, cutter, out_dir, color, background, stop)
    if stop.is_set():
        return EXIT_INTERRUPTED
    return EXIT_USAGE if failed else 0


def _cut_all(a: argparse.Namespace, cutter: StillCutter, out_dir: Path | None,
             color: tuple[int, int, int] | None, background: BackgroundConfig | None,
             stop: threading.Event) -> int:
    """Cut out ``a.inputs`` one by one until done or ``stop``; the number that failed."""
    from vbg.stills import load_background, read_image_alpha, relight_still, save_cutout

    failed = 0
    claimed: dict[tuple[Path, str], Path] = {}  # (folder, stem) -> the input that took it
    for name in a.inputs:
        if stop.is_set():
            break
        path = Path(name)
        target = ((out_dir or path.parent).resolve(), path.stem)
        if target in claimed:
            failed += 1
            print(f"vbg: {path} has the same name as {claimed[target]}, so its cut-out would "
                  f"replace that one's in {target[0]}; rename it or run it with another --out.",
                  file=sys.stderr)
            continue
        if path.exists() and not path.is_file():  # a FIFO or a device would block the read
            failed += 1
            print(f"vbg: {path} is not a regular file; give a picture file.", file=sys.stderr)
            continue
        claimed[target] = path
        try:
            image, own_alpha = read_image_alpha(path)
            cut = cutter.cut(image, own_alpha)
            bg = None
            if background is not None:
                bg = load_background(background, (image.shape[1], image.shape[0]))
            if a.light == "auto":
                cut = relight_still(cut, a.light_match, bg)
            written = save_cutout(cut, path, out_dir or path.parent, a.threshold, color, bg,
                                  a.blend)
        except VbgError as exc:
            failed += 1
            print(f"vbg: {exc}", file=sys.stderr)
            continue
        for w in written:
            print(w)
    return failed
