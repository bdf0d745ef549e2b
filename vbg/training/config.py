"""Training configuration: one frozen dataclass, read from JSON and ``--set key=value``.

An unknown key or a value of the wrong type is a ConfigError naming the key, raised before any
data is read or any training starts.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path

from vbg.training.errors import ConfigError

ARCHS = ("unet", "mobilenetv2", "restricted", "tiny", "tiny_fast")
LOSSES = ("bce_iou_l1", "bce_dice")


@dataclass(frozen=True)
class TrainConfig:
    """Everything a training run needs.

    ``data``: labelled folders (``images/``+``masks/`` or the AISegment ``clip_img``/``matting``
    layout); ``include``: per-folder file-name prefixes to keep (e.g. ``{"aiseg60": ["d1_"]}``),
    keyed by folder name; ``composites``: how many extra synthetic samples per epoch are made by
    pasting a labelled person onto another sample's background (0 = none).
    ``arch``/``width``: network and its base width; ``temporal``: add the previous-alpha input.
    ``size``: square training resolution. ``freeze_encoder_epochs``: epochs with the encoder
    frozen. ``amp``: mixed precision (used only on CUDA).
    """

    data: tuple[str, ...] = ()
    include: dict[str, list[str]] = field(default_factory=dict)
    val_data: tuple[str, ...] = ()  # separate validation folders; else a 90/10 split of data
    val_fraction: float = 0.1
    seed: int = 42
    composites: float = 0.0  # fraction of samples replaced by a synthetic composite
    arch: str = "tiny"
    width: int = 16
    temporal: bool = False
    size: int = 256
    epochs: int = 10
    max_steps: int = 0  # stop after this many optimiser steps in total (0 = no limit)
    max_minutes: float = 0.0  # stop after the epoch that passes this wall time (0 = no limit)
    batch_size: int = 8
    lr: float = 3e-3
    weight_decay: float = 1e-4
    loss: str = "bce_iou_l1"
    plateau_patience: int = 2
    plateau_factor: float = 0.5
    freeze_encoder_epochs: int = 0
    amp: bool = True
    workers: int = 0
    threads: int = 1
    out: str = "runs/vbg"
    resume: bool = False
    strip_images: int = 4
    progress: bool = True
    device: str = "auto"

    def __post_init__(self) -> None:
        if self.arch not in ARCHS:
            raise ConfigError(
                f"Config key 'arch' is {self.arch!r}; use one of {', '.join(ARCHS)}.")
        if self.loss not in LOSSES:
            raise ConfigError(
                f"Config key 'loss' is {self.loss!r}; use one of {', '.join(LOSSES)}.")
        for key in ("size", "epochs", "batch_size", "width", "threads"):
            if getattr(self, key) < 1:
                raise ConfigError(f"Config key {key!r} must be at least 1.")
        if self.size % 32:
            raise ConfigError(f"Config key 'size' is {self.size}; use a multiple of 32.")
        if not 0.0 < self.val_fraction < 1.0:
            raise ConfigError("Config key 'val_fraction' must lie strictly between 0 and 1.")
        if not 0.0 <= self.composites <= 1.0:
            raise ConfigError("Config key 'composites' must lie between 0 and 1.")


_FIELDS = {f.name: f for f in dataclasses.fields(TrainConfig)}


def _coerce(key: str, value: object) -> object:
    default = _FIELDS[key].default
    if default is dataclasses.MISSING:
        default = _FIELDS[key].default_factory()  # type: ignore[misc]
    try:
        if isinstance(default, bool):
            if isinstance(value, str):
                if value.lower() not in ("true", "false", "1", "0", "yes", "no"):
                    raise ValueError(value)
                return value.lower() in ("true", "1", "yes")
            return bool(value)
        if isinstance(default, int):
            if isinstance(value, float) and not value.is_integer():
                raise ValueError(value)
            return int(value)  # type: ignore[arg-type]
        if isinstance(default, float):
            return float(value)  # type: ignore[arg-type]
        if isinstance(default, tuple):
            if isinstance(value, str):
                value = [v for v in value.split(",") if v]
            if not isinstance(value, list | tuple):
                raise ValueError(value)
            return tuple(str(v) for v in value)
        if isinstance(default, dict):
            if isinstance(value, str):
                value = json.loads(value)
            if not isinstance(value, dict):
                raise ValueError(value)
            return value
        return str(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(
            f"Config key {key!r} has the value {value!r}, which is not a valid "
            f"{type(default).__name__}."
        ) from exc


def build_config(path: str | Path | None = None, overrides: list[str] | None = None,
                 **kwargs: object) -> TrainConfig:
    """A TrainConfig from a JSON file, then ``key=value`` overrides, then keyword arguments."""
    values: dict[str, object] = {}
    if path is not None:
        p = Path(path)
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"Config file {p} can't be read ({exc.strerror}).") from exc
        except ValueError as exc:
            raise ConfigError(f"Config file {p} is not valid JSON ({exc}).") from exc
        if not isinstance(data, dict):
            raise ConfigError(f"Config file {p} must hold a JSON object of settings.")
        values.update(data)
    for item in overrides or []:
        key, sep, value = item.partition("=")
        if not sep:
            raise ConfigError(f"The setting {item!r} is not of the form key=value.")
        values[key.strip()] = value.strip()
    values.update(kwargs)
    for key in values:
        if key not in _FIELDS:
            raise ConfigError(
                f"Config key {key!r} does not exist; known keys: {', '.join(sorted(_FIELDS))}."
            )
    return TrainConfig(**{k: _coerce(k, v) for k, v in values.items()})  # type: ignore[arg-type]


def to_json(cfg: TrainConfig) -> str:
    return json.dumps(dataclasses.asdict(cfg), indent=2)


@dataclass(frozen=True)
class FitConfig:
    """One run on a pack. ``minutes`` bounds the wall time (0 = only ``steps``)."""

    pack: str = ""
    out: str = "runs/gpu"
    arch: str = "tiny_fast"
    width: int = 16
    temporal: bool = False
    size: int = 256
    batch: int = 64
    steps: int = 20000
    minutes: float = 0.0
    lr: float = 4e-3
    weight_decay: float = 1e-4
    composite: float = 0.45
    focus: float = 0.55
    consistency: float = 1.0
    eval_every: int = 500
    seed: int = 0
    device: str = "auto"
    loss: str = "bce_iou_l1"
    init: str = ""  # a state_dict (best.pt) to start from instead of random weights
    photo_share: float = 0.0  # fraction of each batch drawn from photos (0 = uniform draw)
    # A picture with no label (e.g. the bundled demo) whose [input | prediction] strip at each
    # evaluation makes ``showcase.gif``/``.mp4``: a timelapse that may be published, unlike
    # the validation strips, which show the pack's photos.
    showcase: str = ""
    # Extra BCE on the label's edge band (pixels within ``edge_px`` of the 0.5 outline),
    # weighted by ``edge_weight`` (0 = off): the boundary is where the model is weakest.
    edge_weight: float = 0.0
    edge_px: int = 5
