"""Model registry: built-in models, user models, and loading one into an adapter.

A model is an ONNX file plus an optional sidecar JSON of the same stem::

    {"name": "...", "family": "sigmoid_nhwc" | "sigmoid_nchw" | "softmax2_nchw"
                              | "temporal_nchw",
     "fit": "stretch" | "crop" | "letterbox", "mean": [r, g, b], "std": [r, g, b],
     "input_size": [H, W], "license": "...", "source": "...",
     "matte": {"live": [lo, hi], "still": [lo, hi]}}

("matte": the measured soft-band calibration, see ``vbg.matting.matte``.)

Without a sidecar the family is detected from the input/output signature, the fit is
"stretch" and normalisation is mean 0 / std 1 for sigmoid families and mean 0.5 / std 0.5 (the
PP-HumanSeg convention) for two-class softmax models.

A sidecar with a bad value (not JSON, ``"mean": "abc"``, a list of the wrong length, ``std``
0, ``input_size`` 0, negative or over :data:`MAX_INPUT_SIDE`, an unknown family or fit) is
refused for its own model only: :func:`list_models` still lists that model, with
:attr:`ModelInfo.problem` saying why in one sentence, and :func:`resolve` raises that
sentence when it is asked for; the other models (the default included) keep working.

This module is where every family is known: it imports the stateless adapters
(``vbg.matting.adapters``) and the recurrent one (``vbg.matting.temporal``), as rembg's
``sessions`` package lists its sessions, so neither family module imports the other's.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from vbg import resources
from vbg.config import DEFAULT_MODEL, FIT_MODES  # noqa: F401  (DEFAULT_MODEL: re-exported)
from vbg.errors import ModelError
from vbg.matting.adapters import Adapter, SigmoidNCHW, SigmoidNHWC, Softmax2NCHW
from vbg.matting.matte import curves_for
from vbg.matting.session import create_session, provider_in_use
from vbg.matting.temporal import TemporalNCHW

FAMILIES: dict[str, type[Adapter]] = {
    a.family: a for a in (SigmoidNHWC, SigmoidNCHW, Softmax2NCHW, TemporalNCHW)
}
# The largest model input side a sidecar may ask for: the input buffers are H x W x 3 floats
# (4096 x 4096: 200 MB; "input_size": [60000, 60000] once asked for 40 GB).
MAX_INPUT_SIDE = 4096


def detect_family(in_shape: list, out_shape: list) -> type[Adapter]:
    """The adapter whose signature matches, or ModelError listing what was expected."""
    for adapter in FAMILIES.values():
        if adapter.matches(in_shape, out_shape):
            return adapter
    expected = "; or ".join(a.expected for a in FAMILIES.values())
    raise ModelError(
        f"This ONNX file is not a segmentation model vbg understands: it has input {in_shape} "
        f"and output {out_shape}, but vbg expects {expected}. Add a sidecar JSON to describe it."
    )


def user_models_dir() -> Path:
    """Where a user drops extra .onnx models (listed by ``vbg models``)."""
    return Path(platformdirs.user_data_dir("vbg", appauthor=False)) / "models"


@dataclass(frozen=True)
class ModelInfo:
    """A model file and what its sidecar says (fields None where it says nothing)."""

    key: str
    path: Path
    name: str
    builtin: bool
    family: str | None = None
    fit: str | None = None
    mean: tuple[float, float, float] | None = None
    std: tuple[float, float, float] | None = None
    input_size: tuple[int, int] | None = None
    license: str | None = None
    matte: dict | None = None
    # Why the model can't be used (its sidecar is broken), in one sentence; None: usable.
    problem: str | None = None


def _read_sidecar(onnx_path: Path) -> dict:
    side = onnx_path.with_suffix(".json")
    if not side.exists():
        return {}
    try:
        data = json.loads(side.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(
            f"The model sidecar {side} is not valid JSON ({exc}); fix or remove it."
        ) from exc
    if not isinstance(data, dict):
        raise ModelError(f"The model sidecar {side} must hold a JSON object; fix or remove it.")
    family = data.get("family")
    if family is not None and family not in FAMILIES:
        raise ModelError(
            f"The model sidecar {side} names family {family!r}; use one of "
            f"{', '.join(FAMILIES)}."
        )
    fit = data.get("fit")
    if fit is not None and fit not in FIT_MODES:
        raise ModelError(f"The model sidecar {side} names fit {fit!r}; use one of "
                         f"{', '.join(FIT_MODES)}.")
    for key in ("name", "license"):
        if key in data and not isinstance(data[key], str):
            raise ModelError(f'The model sidecar {side} has "{key}": {json.dumps(data[key])}; '
                             "it must be a string.")
    return data


def _numbers(side: Path, d: dict, key: str, count: int) -> list[float] | None:
    """``d[key]`` as ``count`` finite numbers (None when absent), or ModelError."""
    v = d.get(key)
    if v is None:
        return None
    if not (isinstance(v, list) and len(v) == count
            and all(isinstance(x, int | float) and not isinstance(x, bool)
                    and math.isfinite(x) for x in v)):
        raise ModelError(f'The model sidecar {side} has "{key}": {json.dumps(v)}; it must be '
                         f"a list of {count} numbers.")
    return [float(x) for x in v]


def _checked(path: Path, builtin: bool) -> ModelInfo:
    d = _read_sidecar(path)
    side = path.with_suffix(".json")
    mean, std = _numbers(side, d, "mean", 3), _numbers(side, d, "std", 3)
    if std is not None and min(std) <= 0:
        raise ModelError(f'The model sidecar {side} has "std": {json.dumps(d["std"])}; each '
                         "value must be above 0.")
    size = _numbers(side, d, "input_size", 2)
    if size is not None and not all(x.is_integer() and 1 <= x <= MAX_INPUT_SIDE for x in size):
        raise ModelError(f'The model sidecar {side} has "input_size": '
                         f"{json.dumps(d['input_size'])}; it must be [H, W], whole numbers from "
                         f"1 to {MAX_INPUT_SIDE}.")
    info = ModelInfo(
        key=path.stem, path=path, name=d.get("name", path.stem), builtin=builtin,
        family=d.get("family"), fit=d.get("fit"),
        mean=(mean[0], mean[1], mean[2]) if mean else None,
        std=(std[0], std[1], std[2]) if std else None,
        input_size=(int(size[0]), int(size[1])) if size else None, license=d.get("license"),
        matte=d.get("matte"),
    )
    curves_for(info)  # a malformed "matte" calibration: ModelError naming the sidecar
    return info


def _info(path: Path, builtin: bool) -> ModelInfo:
    """The model at ``path``; a broken sidecar makes it a refused model (``problem`` set)
    instead of an error, so that one bad file does not take the other models down."""
    try:
        return _checked(path, builtin)
    except ModelError as exc:
        return ModelInfo(key=path.stem, path=path, name=path.stem, builtin=builtin,
                         problem=str(exc))


def list_models() -> list[ModelInfo]:
    """Built-in models first, then the user's, each sorted by key; a model whose sidecar is
    broken is listed with its ``problem``."""
    found: list[ModelInfo] = []
    for folder, builtin in ((resources.models_dir(), True), (user_models_dir(), False)):
        if folder.is_dir():
            found += [_info(p, builtin) for p in sorted(folder.glob("*.onnx"))]
    return found


def resolve(model: str) -> ModelInfo:
    """A built-in/user model key, or a path to an .onnx file, to its ModelInfo."""
    p = Path(model).expanduser()
    if p.suffix.lower() == ".onnx" or p.exists():
        if not p.is_file():
            raise ModelError(f"Model file {p} does not exist; give the path of an .onnx file.")
        return _usable(_info(p, builtin=False))
    for info in list_models():
        if info.key == model:
            return _usable(info)
    keys = ", ".join(i.key for i in list_models()) or "none installed"
    raise ModelError(f"There is no model called {model!r}; choose one of: {keys}.")


def _usable(info: ModelInfo) -> ModelInfo:
    """``info``, or ModelError with its problem when its sidecar is broken."""
    if info.problem is not None:
        raise ModelError(info.problem)
    return info


@dataclass
class LoadedModel:
    """A ready-to-run model: its adapter, the fit mode to use and the provider in use."""

    info: ModelInfo
    adapter: Adapter
    fit: str
    provider: str

    @property
    def input_hw(self) -> tuple[int, int]:
        return self.adapter.input_hw


def load_model(model: str, threads: int = 1, provider: str = "auto",
               fit: str | None = None) -> LoadedModel:
    """Resolve, open and wrap a model. ``fit`` overrides the sidecar's fit mode."""
    info = resolve(model)
    session = create_session(info.path, threads, provider)
    ins, outs = session.get_inputs(), session.get_outputs()
    if len(ins) != 1 or not outs:
        raise ModelError(
            f"{info.path.name} has {len(ins)} inputs and {len(outs)} outputs; vbg expects one "
            "image input and a mask output."
        )
    in_shape, out_shape = list(ins[0].shape), list(outs[0].shape)
    adapter_cls = FAMILIES[info.family] if info.family else detect_family(in_shape, out_shape)
    if not adapter_cls.matches(in_shape, out_shape):
        raise ModelError(
            f"{info.path.name} has input {in_shape} and output {out_shape}, but its sidecar says "
            f"{adapter_cls.family}, which expects {adapter_cls.expected}."
        )
    hw = info.input_size or adapter_cls.input_size(in_shape)
    if hw is None:
        raise ModelError(
            f"{info.path.name} has a variable input size {in_shape}; give \"input_size\": [H, W] "
            "in a sidecar JSON beside it."
        )
    softmax = adapter_cls.family == "softmax2_nchw"
    mean = info.mean or ((0.5,) * 3 if softmax else (0.0,) * 3)
    std = info.std or ((0.5,) * 3 if softmax else (1.0,) * 3)
    adapter = adapter_cls(session, hw, mean, std)
    return LoadedModel(info=info, adapter=adapter, fit=fit or info.fit or "stretch",
                       provider=provider_in_use(session))
