"""Configuration as frozen dataclasses.

Each section validates itself in ``__post_init__`` and raises ``ValueError`` with a sentence a
user can act on. Change a running configuration with ``dataclasses.replace`` and hand the new
object to ``Pipeline.apply``; components never see argparse namespaces or Qt objects.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, TypeGuard, get_args

# Bounded strings are Literal types (checked by mypy) and validated at run time from the same
# definition, since values also come from the command line and the settings file.
BackgroundKind = Literal["none", "blur", "color", "image", "video"]
FitMode = Literal["stretch", "crop", "letterbox"]
Provider = Literal["auto", "cpu", "cuda", "directml", "coreml"]
BACKGROUND_KINDS: tuple[BackgroundKind, ...] = get_args(BackgroundKind)
FIT_MODES: tuple[FitMode, ...] = get_args(FitMode)
PROVIDERS: tuple[Provider, ...] = get_args(Provider)


def is_background_kind(text: str) -> TypeGuard[BackgroundKind]:
    return text in BACKGROUND_KINDS

# The model used when none is chosen: named here only.
DEFAULT_MODEL = "selfie_general"
# The capture sizes vbg offers (Camera menu, Settings) and probes cameras for, smallest first.
CAMERA_SIZES: tuple[tuple[int, int], ...] = ((640, 480), (960, 540), (1280, 720), (1920, 1080))

# A palette the user can cycle with one key: calm, call-friendly colours (BGR order as cv2 uses).
COLOR_PALETTE: tuple[tuple[int, int, int], ...] = (
    (64, 48, 40),     # slate
    (120, 120, 120),  # neutral grey
    (235, 235, 235),  # off-white
    (160, 110, 40),   # deep blue
    (90, 130, 60),    # sage green
    (60, 90, 150),    # terracotta
    (30, 30, 30),     # near black
)


def parse_hex_color(text: str) -> tuple[int, int, int]:
    """``#RRGGBB`` (or ``RRGGBB``) to a BGR tuple; ``ValueError`` with a usable sentence."""
    m = re.fullmatch(r"#?([0-9a-fA-F]{6})", text.strip())
    if not m:
        raise ValueError(f"Colour {text!r} is not #RRGGBB; write it like #1E88E5.")
    v = m.group(1)
    r, g, b = int(v[0:2], 16), int(v[2:4], 16), int(v[4:6], 16)
    return (b, g, r)


def color_hex(bgr: Sequence[int]) -> str:
    """A BGR tuple as ``#RRGGBB`` (upper case): :func:`parse_hex_color` the other way round."""
    b, g, r = (int(c) for c in bgr)
    return f"#{r:02X}{g:02X}{b:02X}"


def parse_size(text: str) -> tuple[int, int]:
    """``WxH`` to ``(width, height)``; ``ValueError`` with a usable sentence."""
    m = re.fullmatch(r"\s*(\d+)\s*[xX×]\s*(\d+)\s*", text)
    if not m:
        raise ValueError(f"Size {text!r} is not WIDTHxHEIGHT; write it like 1280x720.")
    return int(m.group(1)), int(m.group(2))


@dataclass(frozen=True)
class CaptureConfig:
    """Where frames come from.

    ``source``: a camera index ("0"), a video or image path, "demo" (bundled, no camera needed)
    or "synthetic" (tests). ``width``/``height``: requested size; for files and the demo the
    frames are scaled to it, for a camera it is requested and what it really delivers is
    reported. ``realtime``: pace files at their own fps (False: as fast as possible).
    """

    source: str = "0"
    width: int = 1280
    height: int = 720
    fps: float = 30.0
    mjpg: bool = True
    loop: bool = True
    realtime: bool = True

    def __post_init__(self) -> None:
        if not self.source:
            raise ValueError("No source given; use a camera index, a file path or 'demo'.")
        if not (16 <= self.width <= 7680 and 16 <= self.height <= 4320):
            raise ValueError(
                f"Size {self.width}x{self.height} is out of range; use 16x16 up to 7680x4320."
            )
        if self.width % 2 or self.height % 2:
            raise ValueError(
                f"Size {self.width}x{self.height} must have even width and height "
                "(virtual cameras need it); use e.g. 1280x720."
            )
        if not (1 <= self.fps <= 120):
            raise ValueError(f"Frame rate {self.fps} is out of range; use 1 to 120 fps.")


@dataclass(frozen=True)
class MattingConfig:
    """How the person is found.

    ``model``: a built-in name (see ``vbg models``) or a path to an ONNX file.
    ``threads``: onnxruntime intra-op threads (1 keeps CPU free for the call itself).
    ``provider``: "auto" takes the best installed accelerator; what is really used is reported.
    ``smoothing``: motion-aware temporal smoothing; ``smooth_strength`` is the weight kept from
    the previous mask where the picture is still (0 = off, towards 1 = stronger);
    ``motion_threshold``: grey-level change (0-255) at which a pixel counts as moving.
    ``refine``: guided-filter upsampling of the mask; ``refine_radius`` in working-resolution
    pixels and ``refine_eps`` its regulariser.
    ``focus``: run the model on a crop around the person, tracked from the previous mask, with a
    full-frame pass every ``full_frame_every`` frames. ``mirror_pass``: average with a mirrored
    pass (better edges, twice the inference). ``stale_after_ms``: a mask older than this is not
    trusted (privacy).
    """

    model: str = DEFAULT_MODEL
    threads: int = 1
    provider: Provider = "auto"
    fit: FitMode | None = None
    smoothing: bool = True
    smooth_strength: float = 0.85
    motion_threshold: float = 12.0
    refine: bool = True
    refine_radius: int = 4
    refine_eps: float = 1e-2
    focus: bool = True
    full_frame_every: int = 15
    mirror_pass: bool = False
    stale_after_ms: float = 250.0

    def __post_init__(self) -> None:
        if not self.model:
            raise ValueError("No model given; use a built-in name (vbg models) or an .onnx path.")
        if not (1 <= self.threads <= 64):
            raise ValueError(f"Thread count {self.threads} is out of range; use 1 to 64.")
        if self.provider not in PROVIDERS:
            raise ValueError(
                f"Provider {self.provider!r} is unknown; use one of {', '.join(PROVIDERS)}."
            )
        if self.fit is not None and self.fit not in FIT_MODES:
            raise ValueError(f"Fit {self.fit!r} is unknown; use one of {', '.join(FIT_MODES)}.")
        if not (0.0 <= self.smooth_strength < 1.0):
            raise ValueError("Smoothing strength must be at least 0 and below 1.")
        if self.motion_threshold <= 0:
            raise ValueError("Motion threshold must be above 0.")
        if not (1 <= self.refine_radius <= 32):
            raise ValueError("Refinement radius must be 1 to 32.")
        if not (0 < self.refine_eps < 1):
            raise ValueError("Refinement eps must be between 0 and 1.")
        if self.full_frame_every < 1:
            raise ValueError("full_frame_every must be at least 1.")
        if self.stale_after_ms <= 0:
            raise ValueError("stale_after_ms must be above 0.")


@dataclass(frozen=True)
class BackgroundConfig:
    """What replaces the background.

    ``kind``: none (passthrough: the raw camera), blur, color, image, video.
    ``blur_level``: 1 (light) to 10 (strong). ``color``: BGR. ``path``: image or video file.
    ``light_wrap``: 0 (off) to 1: how much of the new background bleeds into the person's edge.
    """

    kind: BackgroundKind = "blur"
    blur_level: int = 5
    color: tuple[int, int, int] = COLOR_PALETTE[0]
    path: str | None = None
    light_wrap: float = 0.0

    def __post_init__(self) -> None:
        if self.kind not in BACKGROUND_KINDS:
            raise ValueError(
                f"Background {self.kind!r} is unknown; use one of {', '.join(BACKGROUND_KINDS)}."
            )
        if not (1 <= self.blur_level <= 10):
            raise ValueError(f"Blur level {self.blur_level} is out of range; use 1 to 10.")
        if len(self.color) != 3 or not all(0 <= int(c) <= 255 for c in self.color):
            raise ValueError("Colour must be three values from 0 to 255.")
        if self.kind in ("image", "video") and not self.path:
            raise ValueError(f"Background {self.kind} needs a file: write {self.kind}:PATH.")
        if not (0.0 <= self.light_wrap <= 1.0):
            raise ValueError("Light wrap must be between 0 and 1.")

    @property
    def spec(self) -> str:
        """The canonical CLI form, :meth:`parse` the other way round (``blur:5``,
        ``color:#283040``, ``image:PATH``, ``video:PATH``, ``none``): what the settings file,
        the menus and the picker name a background by. Light wrap is not part of it."""
        if self.kind == "blur":
            return f"blur:{self.blur_level}"
        if self.kind == "color":
            return f"color:{color_hex(self.color)}"
        if self.kind in ("image", "video"):
            return f"{self.kind}:{self.path}"
        return "none"

    @classmethod
    def parse(cls, spec: str) -> BackgroundConfig:
        """Parse the CLI form: blur, blur:N, color:#RRGGBB, image:PATH, video:PATH, none."""
        kind, _, arg = spec.partition(":")
        kind = kind.strip().lower()
        if kind == "colour":
            kind = "color"
        if kind == "blur":
            if not arg:
                return cls(kind="blur")
            if not arg.isdigit():
                raise ValueError(f"Blur level {arg!r} is not a number; write blur:5 (1 to 10).")
            return cls(kind="blur", blur_level=int(arg))
        if kind == "color":
            return cls(kind="color", color=parse_hex_color(arg or "#283040"))
        if kind in ("image", "video") and is_background_kind(kind):
            return cls(kind=kind, path=arg or None)
        if kind == "none" and not arg:
            return cls(kind="none")
        raise ValueError(
            f"Background {spec!r} is unknown; use blur, blur:N, color:#RRGGBB, image:PATH, "
            "video:PATH or none."
        )


# The user's choices of virtual camera (``--vcam-backend``, Settings); any other name is a
# pyvirtualcam backend used directly (tests' in-process backends, "obs").
VCAM_BACKENDS = ("auto", "pipewire", "v4l2")
# "auto": a virtual camera operator keeps the person framed (vbg.framing); "off": the camera's
# own view, pixel for pixel as before framing existed.
FRAMING_MODES = ("off", "auto")
# "auto": a dim person is brought up to a good exposure (vbg.light, issue 24); "off": the
# camera's own light, pixel for pixel as before.
LIGHT_MODES = ("off", "auto")


@dataclass(frozen=True)
class OutputConfig:
    """Where the result goes.

    ``vcam``: offer a virtual camera; ``vcam_backend`` picks which: "pipewire" (a PipeWire
    camera node), "v4l2" (a v4l2loopback device, or the OBS camera elsewhere, through
    pyvirtualcam), "auto" (PipeWire when it runs, v4l2loopback when loaded, both when both
    are: :func:`vbg.pipeline.sinkset.choose_vcams`), or any other name: that pyvirtualcam
    backend; ``vcam_device`` names the v4l2loopback device (None: the first free one).
    ``fps``: the steady output rate. ``mirror``: flip left-right.
    ``record``/``record_mask``: write the composite / the alpha (lossless grey) to a file;
    ``overwrite``: replace an existing file there (a symbolic link is never replaced).
    ``keep_camera_on``: run the camera and the model all the time; otherwise (Linux with a
    PipeWire node or a v4l2loopback device) only while an app reads the virtual camera or the
    preview is shown. ``framing``: one of :data:`FRAMING_MODES`. ``light``: one of
    :data:`LIGHT_MODES`; ``light_match``: with an image or video background, how far the
    person's colour temperature and brightness move toward the background's, 0 (not at all)
    to 1 (vbg.light).
    """

    vcam: bool = True
    vcam_device: str | None = None
    vcam_backend: str = "auto"
    fps: float = 30.0
    mirror: bool = False
    record: str | None = None
    record_mask: str | None = None
    overwrite: bool = False
    keep_camera_on: bool = False
    framing: str = "off"
    light: str = "off"
    light_match: float = 0.0

    def __post_init__(self) -> None:
        if not (1 <= self.fps <= 120):
            raise ValueError(f"Output frame rate {self.fps} is out of range; use 1 to 120 fps.")
        check_framing(self.framing)
        check_light(self.light)
        check_light_match(self.light_match)


def check_framing(mode: str) -> str:
    """``mode`` if it is one of :data:`FRAMING_MODES`, else ValueError with one sentence."""
    if mode not in FRAMING_MODES:
        raise ValueError(f"Unknown framing {mode!r}; use {' or '.join(FRAMING_MODES)}.")
    return mode


def check_light(mode: str) -> str:
    """``mode`` if it is one of :data:`LIGHT_MODES`, else ValueError with one sentence."""
    if mode not in LIGHT_MODES:
        raise ValueError(f"Unknown light {mode!r}; use {' or '.join(LIGHT_MODES)}.")
    return mode


def check_light_match(strength: float) -> float:
    """``strength`` if it is within 0..1, else ValueError with one sentence."""
    if not 0.0 <= strength <= 1.0:
        raise ValueError(f"Light matching {strength:g} is out of range; use 0 to 1.")
    return strength


@dataclass(frozen=True)
class AppConfig:
    """Everything the pipeline needs; the single object handed from CLI/UI to the engine."""

    capture: CaptureConfig = field(default_factory=CaptureConfig)
    matting: MattingConfig = field(default_factory=MattingConfig)
    background: BackgroundConfig = field(default_factory=BackgroundConfig)
    output: OutputConfig = field(default_factory=OutputConfig)


# What `vbg` with no options means: the dataclasses' defaults, with the camera chosen
# automatically (camera 0 when there is one, else the demo). The command line takes its
# defaults from here and the app's settings start from it; an option whose value differs from
# it was given explicitly (vbg.app.settings.cli_overrides).
CLI_DEFAULTS = AppConfig(capture=CaptureConfig(source="auto"))
