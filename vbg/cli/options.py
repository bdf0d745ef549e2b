"""The command line's options, declared once: the app, ``vbg run`` and ``vbg bench`` share
them, and every default comes from :data:`vbg.config.CLI_DEFAULTS` (the config dataclasses).
Components never see argparse: the options become an :class:`~vbg.config.AppConfig` here."""

from __future__ import annotations

import argparse
from dataclasses import replace

from vbg.config import (
    CLI_DEFAULTS,
    PROVIDERS,
    AppConfig,
    BackgroundConfig,
    MattingConfig,
    parse_size,
)
from vbg.errors import UserError
from vbg.framing.operator import FramingParams

D = CLI_DEFAULTS  # every option's default comes from the config dataclasses


def _size(text: str) -> tuple[int, int]:
    try:
        return parse_size(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def count(text: str) -> int:
    """An argparse type: a whole number of at least 1 (frames, iterations)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number; give e.g. 300.") \
            from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} must be at least 1.")
    return value


def seconds(text: str, allow_zero: bool = False) -> float:
    """An argparse type: a duration in seconds above 0 (or 0 too, with ``allow_zero``)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds; give e.g. 10.") \
            from None
    if not (value >= 0 if allow_zero else value > 0) or value == float("inf"):
        raise argparse.ArgumentTypeError(
            f"{text} makes no sense; give a duration {'of 0 or more' if allow_zero else 'above 0'}"
            " seconds.")
    return value


def seconds_or_zero(text: str) -> float:
    """:func:`seconds`, where 0 means "leave it out"."""
    return seconds(text, allow_zero=True)


def add_engine_options(p: argparse.ArgumentParser) -> None:
    """How the person is found and what replaces the background: shared by the app, ``vbg run``
    and ``vbg bench``. Defaults come from :data:`vbg.config.CLI_DEFAULTS`."""
    m, bg = D.matting, D.background
    p.add_argument("--background", "-b", default=bg.spec,
                   help="blur, blur:N (1-10), color:#RRGGBB, image:PATH, video:PATH or none "
                        "[%(default)s]")
    p.add_argument("--light-wrap", type=float, default=bg.light_wrap, metavar="0..1",
                   help="blend a little of the background into the person's edge [%(default)s]")
    p.add_argument("--model", default=m.model,
                   help="segmentation model: a name from `vbg models` or the path of an .onnx "
                        "file [%(default)s]")
    p.add_argument("--threads", type=int, default=m.threads,
                   help="inference threads [%(default)s]")
    p.add_argument("--provider", default=m.provider,
                   help=f"{', '.join(PROVIDERS)} [%(default)s]")
    p.add_argument("--no-smoothing", action="store_true", help="no temporal smoothing")
    p.add_argument("--no-refine", action="store_true", help="no guided edge refinement")
    p.add_argument("--no-focus", action="store_true",
                   help="run the model on the whole frame instead of a crop around the person")
    p.add_argument("--mirror-pass", action="store_true",
                   help="average with a mirrored model pass (better edges, 2x inference)")
    p.add_argument("--framing", default=D.output.framing, metavar="off|auto",
                   help="auto: a virtual camera operator keeps you framed (follows you "
                        f"calmly, zooms up to {FramingParams().max_zoom:g}x, never cuts your "
                        "head) [%(default)s]")
    p.add_argument("--light", default=D.output.light, metavar="off|auto",
                   help="auto: low-light correction, a dim person brought up to a good "
                        "exposure, slowly and only on the person [%(default)s]")
    p.add_argument("--light-match", type=float, default=D.output.light_match, metavar="0..1",
                   help="with --light auto and an image or video background: move the person's "
                        "colour temperature and brightness this far toward the background's "
                        "[%(default)s]")


def add_pipeline_options(p: argparse.ArgumentParser) -> None:
    """Options shared by the app (``vbg``) and ``vbg run``; defaults from
    :data:`vbg.config.CLI_DEFAULTS`."""
    c, o = D.capture, D.output
    p.add_argument("--source", default=c.source,
                   help="camera index (0, 1, ...), a video or image file, 'demo' (no camera "
                        "needed) or 'auto' (camera 0, else the demo) [%(default)s]")
    p.add_argument("--size", type=_size, default=(c.width, c.height), metavar="WxH",
                   help=f"frame size [{c.width}x{c.height}]")
    p.add_argument("--fps", type=float, default=c.fps, help="frame rate [%(default)g]")
    p.add_argument("--no-mjpg", action="store_true", help="don't ask the camera for MJPG")
    add_engine_options(p)
    p.add_argument("--mirror", action="store_true", help="flip the output left-right")
    p.add_argument("--no-vcam", action="store_true", help="don't open a virtual camera")
    p.add_argument("--vcam-device", default=o.vcam_device,
                   help="virtual camera device (e.g. /dev/video2)")
    p.add_argument("--vcam-backend", default=o.vcam_backend, metavar="auto|pipewire|v4l2",
                   help="the virtual camera: a PipeWire camera node (browsers, pw-v4l2), a "
                        "v4l2loopback device, or auto: PipeWire when it runs, v4l2loopback when "
                        "loaded, both when both are there [auto]")
    p.add_argument("--keep-camera-on", action="store_true",
                   help="run the camera and the model all the time; by default (Linux with a "
                        "v4l2loopback virtual camera) they run only while an app reads the "
                        "virtual camera or the preview is shown")


def matting_from_args(a: argparse.Namespace) -> MattingConfig:
    """The MattingConfig of :func:`add_engine_options`' options (``ValueError`` if invalid)."""
    return replace(D.matting, model=a.model, threads=a.threads, provider=a.provider,
                   smoothing=not a.no_smoothing, refine=not a.no_refine,
                   focus=not a.no_focus, mirror_pass=a.mirror_pass)


def background_from_args(a: argparse.Namespace) -> BackgroundConfig:
    """The BackgroundConfig of :func:`add_engine_options`' options (``ValueError``)."""
    return replace(BackgroundConfig.parse(a.background), light_wrap=a.light_wrap)


def config_from_args(a: argparse.Namespace) -> AppConfig:
    """Build the AppConfig; UserError (one sentence) for invalid values."""
    try:
        return _config_from_args(a)
    except ValueError as exc:
        raise UserError(str(exc)) from exc


def _config_from_args(a: argparse.Namespace) -> AppConfig:
    w, h = a.size
    return AppConfig(
        capture=replace(D.capture, source=str(a.source), width=w, height=h, fps=a.fps,
                        mjpg=not a.no_mjpg),
        matting=matting_from_args(a),
        background=background_from_args(a),
        output=replace(D.output, vcam=not a.no_vcam, vcam_device=a.vcam_device,
                       vcam_backend=a.vcam_backend, fps=a.fps, mirror=a.mirror,
                       record=getattr(a, "record", None),
                       record_mask=getattr(a, "record_mask", None),
                       overwrite=getattr(a, "force", False),
                       keep_camera_on=a.keep_camera_on, framing=a.framing,
                       light=a.light, light_match=a.light_match),
    )


