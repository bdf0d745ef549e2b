"""Command line: ``vbg`` (the app), ``vbg run`` (headless), ``vbg image``, ``vbg video``,
``vbg cameras``, ``vbg models``, ``vbg bench``, ``vbg doctor``.

Argument parsing ends here: options become an AppConfig and components never see argparse.
Logging is configured here only. A user error (VbgError, invalid option) prints one sentence
and exits with status 2.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Sequence

from vbg.cli.options import (
    D,
    _size,
    add_engine_options,
    add_pipeline_options,
    config_from_args,
    count,
    seconds,
    seconds_or_zero,
)
from vbg.errors import OutputError, UserError, VbgError

log = logging.getLogger("vbg")
EXIT_USAGE = 2
RECORD_CLOSE_S = 30.0  # how long `vbg run` waits for a recording to be finished on exit


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vbg", description="Real-time virtual background for webcams. Without a command, "
                                "starts the desktop app.")
    parser.add_argument("--version", action="store_true", help="print the version")
    parser.add_argument("-v", "--verbose", action="store_true", help="more log output")
    parser.add_argument("--tray", action="store_true",
                        help="start in the system tray without opening the window")
    parser.add_argument("--selftest", action="store_true",
                        help="check models, pipeline and virtual camera, then exit")
    add_pipeline_options(parser)
    sub = parser.add_subparsers(dest="command")

    run = sub.add_parser(
        "run", help="run headless (no window)",
        description="Run the virtual background without a window: read the camera (or a video "
                    "or image file), blur or replace the background, and send the result to "
                    "the virtual camera and/or a video file. Stops on Ctrl+C, or after "
                    "--frames/--seconds.")
    run.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                     help="more log output, and the rates every 5 s")
    add_pipeline_options(run)
    run.add_argument("--record", metavar="OUT", help="also write the output to a video file")
    run.add_argument("--record-mask", metavar="OUT",
                     help="write the alpha mask as a lossless greyscale video (.mkv/.avi)")
    run.add_argument("--frames", type=int, help="stop after N output frames")
    run.add_argument("--seconds", type=float, help="stop after S seconds")
    run.add_argument("--force", action="store_true",
                     help="let --record/--record-mask replace an existing file")

    img = sub.add_parser(
        "image", help="cut the person out of still images",
        description="Cut the person out of photos: for each IN, write NAME_mask_binary.png, "
                    "NAME_mask_soft.png and NAME_foreground.png (transparent, or over "
                    "--bg-color / --background). Existing files of those names are replaced.")
    img.add_argument("inputs", nargs="+", metavar="IN", help="image files")
    img.add_argument("--out", default=None, help="output folder [next to each input]")
    img.add_argument("--model", default=D.matting.model,
                     help="segmentation model: a name from `vbg models` or an .onnx path "
                          "[%(default)s]")
    img.add_argument("--bg-color", default=None, metavar="#RRGGBB",
                     help="composite over this colour instead of a transparent PNG")
    img.add_argument("--threshold", type=float, default=0.5,
                     help="binary mask threshold, 0..1 [0.5]")
    img.add_argument("--background", "-b", dest="still_background", default=None,
                     metavar="SPEC", help="put the person over color:#RRGGBB or image:PATH "
                                          "instead of writing a transparent PNG")
    img.add_argument("--blend", default="alpha", choices=("alpha", "poisson"),
                     help="how the person goes over --background: alpha, or poisson "
                          "(takes on the new scene's light) [alpha]")
    img.add_argument("--light", default=D.output.light, metavar="off|auto",
                     help="auto: a dim person brought up to a good exposure (once per photo) "
                          "[%(default)s]")
    img.add_argument("--light-match", type=float, default=D.output.light_match,
                     metavar="0..1", help="with --light auto and --background image:PATH: "
                                          "move the person's colour temperature and brightness "
                                          "this far toward the picture's [%(default)s]")

    sub.add_parser("cameras", help="list cameras and the sizes they offer",
                   description="List the cameras found here and the frame sizes each offers "
                               "(for --source and --size).")
    sub.add_parser("models", help="list built-in and user models",
                   description="List the segmentation models --model accepts: the built-in "
                               "ones and your .onnx files, with the folder to put them in.")

    from vbg.cli.evaluate import add_parser as add_eval_parser

    add_eval_parser(sub)
    from vbg.cli.video import add_parser as add_video_parser

    add_video_parser(sub)
    from vbg.cli.doctor import add_parser as add_doctor_parser

    add_doctor_parser(sub)
    bench = sub.add_parser(
        "bench", help="measure speed, CPU, latency and memory",
        description="Measure the engine on SOURCE without a virtual camera: time per stage, "
                    "CPU per frame, capacity, latency and CPU of the threaded pipeline at "
                    "30 fps (what a call costs) and memory (see docs/benchmarks.md).")
    bench.add_argument("--source", default="demo", help="source to benchmark [demo]")
    bench.add_argument("--size", type=_size, default=None, metavar="WxH",
                       help="one size (default: 1280x720 and 1920x1080)")
    bench.add_argument("--frames", type=count, default=300, help="frames per size [300]")
    add_engine_options(bench)
    bench.add_argument("--cv-threads", type=int, default=None, metavar="N",
                       help="OpenCV worker threads (cv2.setNumThreads) [1, as the app]")
    bench.add_argument("--camera-like", action="store_true",
                       help="replay the source as in-memory MJPG, decoded per frame, "
                            "as a webcam delivers it")
    bench.add_argument("--no-reuse", action="store_true",
                       help="run the model on every frame, even where the picture is still")
    bench.add_argument("--json", action="store_true", help="print JSON instead of a table")
    bench.add_argument("--soak", type=seconds, default=None, metavar="SECONDS",
                       help="run this long and report memory growth")
    bench.add_argument("--latency-seconds", type=seconds_or_zero, default=3.0,
                       metavar="SECONDS",
                       help="length of the paced run (the threaded pipeline at 30 fps, after "
                            "1 s of warm-up) that measures latency and a call's CPU; 0 skips "
                            "it [3]")
    bench.add_argument("--preview", action="store_true",
                       help="also draw every frame in a Qt preview window (needs PySide6)")
    return parser


def _fail(message: str) -> int:
    print(f"vbg: {message}", file=sys.stderr)
    return EXIT_USAGE


def _refuse_clashing_paths(source: str, record: str | None, record_mask: str | None) -> None:
    """One file may not be two things: ``--force`` replaces an existing output, never the
    input or the other output (issue 22: the input was once replaced by the recording)."""
    def same(a: str, b: str) -> bool:
        return os.path.realpath(a) == os.path.realpath(b)

    if record and os.path.exists(source) and same(source, record):
        raise UserError(f"--record {record} is the video being read; record to another file.")
    if record_mask and os.path.exists(source) and same(source, record_mask):
        raise UserError(f"--record-mask {record_mask} is the video being read; write the mask "
                        "to another file.")
    if record and record_mask and same(record, record_mask):
        raise UserError(f"--record and --record-mask both name {record}; give the mask its own "
                        "file, e.g. mask.mkv.")


def cmd_run(a: argparse.Namespace) -> int:
    from vbg.pipeline import Pipeline, summarise

    cfg = config_from_args(a)
    if a.frames is not None and a.frames < 1:
        raise UserError("--frames must be at least 1.")
    if a.seconds is not None and not a.seconds > 0:
        raise UserError(f"--seconds {a.seconds:g} makes no sense; give a duration above 0, "
                        "e.g. --seconds 10.")
    _refuse_clashing_paths(cfg.capture.source, cfg.output.record, cfg.output.record_mask)
    errors: list[Exception] = []
    recording = bool(cfg.output.record or cfg.output.record_mask)
    if not cfg.output.vcam and not recording:
        # Frames that go nowhere: almost surely a mistake, unless the run is bounded (a dry
        # run that checks camera, model and speed). See README's "Using it" table.
        if a.frames is None and a.seconds is None:
            raise UserError("With --no-vcam and no --record the frames would go nowhere: add "
                            "--record OUT.mp4, drop --no-vcam, or give --frames/--seconds "
                            "for a dry run.")
        print("Dry run: no virtual camera and no recording; the frames are made and dropped.",
              file=sys.stderr)
        # Nobody can watch a run without outputs, so it would idle: the dry run itself is the
        # watcher that wants every frame made.
        cfg = dataclasses.replace(cfg, output=dataclasses.replace(cfg.output,
                                                                  keep_camera_on=True))

    def on_error(exc: Exception) -> None:
        errors.append(exc)
        if not (recording and isinstance(exc, OutputError)):  # those end the run: said below
            log.warning("%s", exc)

    pipe = Pipeline(cfg, on_error=on_error, max_frames=a.frames)
    try:
        pipe.start()
    except OutputError as exc:
        # The sink's advice is generic; the doctor knows this machine (container, Secure Boot,
        # a device OBS holds) and gives the exact fix.
        if cfg.output.vcam and "virtual camera" in str(exc).lower():
            raise OutputError(f"{exc} Run `vbg doctor` for the exact fix on this machine, or "
                              "add --no-vcam to only record.") from exc
        raise
    log.info("running: %s", summarise(cfg))
    s = pipe.stats()
    if s.vcam_device:
        print(f"Virtual camera: {s.vcam_device} - pick it in your video app.", file=sys.stderr)
        if "PipeWire" in s.vcam_device:
            print("Chromium needs chrome://flags/#enable-webrtc-pipewire-camera to list it; "
                  "V4L2-only apps (Zoom...) see it through pw-v4l2 (`vbg doctor` says more).",
                  file=sys.stderr)
    if s.activity == "idle":
        print("The camera stays off until an app opens the virtual camera "
              "(--keep-camera-on keeps it on).", file=sys.stderr)
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    if hasattr(signal, "SIGTERM"):
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
    deadline = time.monotonic() + a.seconds if a.seconds else None
    last_report = time.monotonic()
    try:
        while not stop.is_set() and not pipe.wait(0.2):
            now = time.monotonic()
            if deadline is not None and now >= deadline:
                break
            if now - last_report >= 5 and a.verbose:
                last_report = now
                st = pipe.stats()
                log.info("%.1f fps out, %.1f fps processed, latency %.0f ms, state %s, %s",
                         st.output_fps, st.process_fps, st.latency_ms, st.state, st.activity)
    finally:
        pipe.stop()
        if recording:
            # Recordings are finished (encoder flushed, file renamed) by the output thread.
            pipe.outputs_closed.wait(RECORD_CLOSE_S)
    failed = [e for e in errors if isinstance(e, OutputError)]
    if failed and recording:
        return _fail(str(failed[0]))
    print(f"Sent {pipe.output_count} frames.", file=sys.stderr)
    return 0


def cmd_cameras(a: argparse.Namespace) -> int:
    from vbg.capture import list_cameras

    cams = list_cameras()
    if not cams:
        print("No camera found. Plug one in, or try `vbg --source demo`.")
        return 0
    for c in cams:
        print(c)
    return 0


def cmd_models(a: argparse.Namespace) -> int:
    from vbg.matting.registry import DEFAULT_MODEL, list_models, user_models_dir

    for m in list_models():
        tag = " (default)" if m.key == DEFAULT_MODEL else ""
        kind = "built-in" if m.builtin else "user"
        if m.problem is not None:  # a broken sidecar: listed, refused, the reason said
            print(f"{m.key:24s} {kind:8s} refused: {m.problem}")
            continue
        print(f"{m.key:24s} {kind:8s} {m.name}{tag}  [{m.path}]")
    print(f"\nAdd your own .onnx models to {user_models_dir()}")
    return 0


def cmd_app(a: argparse.Namespace) -> int:
    try:
        from vbg.ui.app import run_app
    except ImportError as exc:
        raise UserError(
            f"The desktop app needs PySide6 ({exc}); install it with "
            "`pip install 'vbg[ui]'`, or use `vbg run` for the headless mode."
        ) from exc
    return run_app(config_from_args(a), verbose=a.verbose, tray=a.tray)


def _options_before_command(parser: argparse.ArgumentParser, argv: Sequence[str]) -> list[str]:
    """The app's options written before a command (``vbg -b color:#0f0 run``): argparse lets
    the command's defaults overwrite them without a word, so they are refused instead."""
    commands: set[str] = set()
    takes_value: set[str] = set()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            commands.update(action.choices)
        elif action.nargs != 0:
            takes_value.update(action.option_strings)
    given: list[str] = []
    previous = ""
    for token in argv:
        if token in commands and previous not in takes_value:
            return given
        if token.startswith("-") and token.split("=", 1)[0] not in (
                "-v", "--verbose", "--tray", "--selftest", "--version", "-h", "--help"):
            given.append(token.split("=", 1)[0])
        previous = token
    return []  # no command: the options are the app's


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    misplaced = _options_before_command(parser, argv)
    a = parser.parse_args(argv)
    if misplaced:
        return _fail(f"{', '.join(misplaced)} before `{a.command}` would be ignored; write the "
                     f"command first (`vbg {a.command} --help` lists its options).")
    logging.basicConfig(level=logging.INFO if getattr(a, "verbose", False) else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    # One OpenCV thread: the per-frame work is many small cv2 calls in one thread, where a
    # worker pool costs more CPU in hand-offs than it saves (docs/benchmarks.md: ~0.6 ms less
    # CPU per 720p frame than the default pool, wall time no worse). The CPU belongs to the call.
    import cv2

    cv2.setNumThreads(1)
    if a.version:
        from vbg import __version__

        print(f"vbg {__version__}")
        return 0
    try:
        if a.selftest:
            from vbg.cli.selftest import run_selftest

            return run_selftest()
        if a.command == "eval":
            from vbg.cli.evaluate import cmd_eval

            return cmd_eval(a)
        if a.command == "video":
            from vbg.cli.video import cmd_video

            return cmd_video(a)
        if a.command == "doctor":
            from vbg.cli.doctor import cmd_doctor

            return cmd_doctor(a)
        if a.command == "bench":
            from vbg.cli.bench import cmd_bench

            return cmd_bench(a)
        if a.command == "image":
            from vbg.cli.image import cmd_image

            return cmd_image(a)
        handler = {"run": cmd_run, "cameras": cmd_cameras,
                   "models": cmd_models, None: cmd_app}[a.command]
        return handler(a)
    except VbgError as exc:  # UserError included
        return _fail(str(exc))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
