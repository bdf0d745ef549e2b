"""The shipped MediaPipe Selfie ONNX models match the original .tflite (run by LiteRT).

models/source/*.tflite are the unmodified files from the mediapipe==0.10.14 wheel;
models/selfie_*.onnx were made from them by models/convert_mediapipe.py. The test
runs both on real photos from ../shared/data and compares, and checks that the model output is
a sensible person mask (so a broken conversion that merely agrees with itself can't pass).

Tolerance: the ONNX and LiteRT outputs differ only by float32 round-off, which the network
amplifies at mask edges. Over all 250 photos of ../shared/data the max abs difference is
3.2e-4 (general) / 9.6e-5 (landscape) -- 1.2e-4 / 3.5e-5 on the 8 photos used here -- while
the per-image mean abs difference stays below 5e-7; onnxruntime with and without its own graph
optimisations differs from itself by as much (up to 2.8e-4). So the max is bounded at 5e-4, not
1e-4, and the mean at 1e-6. A real conversion error is far outside both: a wrong Resize
coordinate mode gives max 1.0 / mean 0.045, a flipped transposed-conv kernel max 0.996 /
mean 0.013.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
from pathlib import Path

import cv2
import numpy as np
import onnx
import onnxruntime as ort
import pytest
from ai_edge_litert.interpreter import Interpreter

from tests.conftest import require_shared
from vbg import resources
from vbg.config import FIT_MODES

REPO = Path(__file__).resolve().parents[2]
MODELS = REPO / "models"  # the conversion script and its .tflite inputs (source/)
SHIPPED = resources.models_dir()  # the .onnx and their sidecars

MAX_ABS_TOL = 5e-4
MEAN_ABS_TOL = 1e-6
PER_DATASET = 4  # photos taken (sorted by name) from each data set

# onnx file, source tflite, sidecar json, input shape (NHWC), display name
SPECS = {
    "general": (
        "selfie_general.onnx",
        "selfie_segmentation.tflite",
        "selfie_general.json",
        (1, 256, 256, 3),
        "MediaPipe Selfie (general)",
    ),
    "landscape": (
        "selfie_landscape.onnx",
        "selfie_segmentation_landscape.tflite",
        "selfie_landscape.json",
        (1, 144, 256, 3),
        "MediaPipe Selfie (landscape)",
    ),
}


def _photos(dataset: str) -> list[Path]:
    folder = require_shared("data", dataset, "images")
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    assert len(files) >= PER_DATASET
    return files[:PER_DATASET]


def _load_rgb(path: Path) -> np.ndarray:
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    assert bgr is not None, path
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def _to_input(rgb: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Plain stretch to the model size, RGB, float32 in [0, 1], NHWC with batch 1."""
    _, h, w, _ = shape
    resized = cv2.resize(rgb, (w, h), interpolation=cv2.INTER_LINEAR)
    return (resized.astype(np.float32) / 255.0)[None]


class _Runner:
    def __init__(self, key: str) -> None:
        onnx_name, tflite_name, _json, self.shape, _name = SPECS[key]
        self.onnx_path = SHIPPED / onnx_name
        self.tflite_path = MODELS / "source" / tflite_name
        so = ort.SessionOptions()
        so.intra_op_num_threads = 1
        so.inter_op_num_threads = 1
        self.sess = ort.InferenceSession(
            str(self.onnx_path), so, providers=["CPUExecutionProvider"]
        )
        self.interp = Interpreter(model_path=str(self.tflite_path), num_threads=1)
        self.interp.allocate_tensors()
        self._in = self.interp.get_input_details()[0]["index"]
        self._out = self.interp.get_output_details()[0]["index"]

    def onnx(self, x: np.ndarray) -> np.ndarray:
        return self.sess.run(["alpha"], {"input": x})[0]

    def litert(self, x: np.ndarray) -> np.ndarray:
        self.interp.set_tensor(self._in, x)
        self.interp.invoke()
        return self.interp.get_tensor(self._out).copy()


@pytest.fixture(scope="module", params=sorted(SPECS))
def runner(request) -> _Runner:
    return _Runner(request.param)


@pytest.fixture(scope="module")
def photos() -> list[tuple[Path, np.ndarray]]:
    paths = _photos("aiseg60") + _photos("vikram190")
    return [(p, _load_rgb(p)) for p in paths]


def test_onnx_contract(runner: _Runner) -> None:
    model = onnx.load(str(runner.onnx_path))
    onnx.checker.check_model(model)
    opsets = {o.domain: o.version for o in model.opset_import}
    assert opsets.get("", opsets.get("ai.onnx", 0)) >= 13
    assert {n.domain for n in model.graph.node} <= {"", "ai.onnx"}, "non-standard ops"

    (inp,) = runner.sess.get_inputs()
    (out,) = runner.sess.get_outputs()
    _, h, w, c = runner.shape
    assert (inp.name, inp.type, inp.shape) == ("input", "tensor(float)", [1, h, w, 3])
    assert (out.name, out.type, out.shape) == ("alpha", "tensor(float)", [1, h, w, 1])

    details = runner.interp.get_input_details()[0]
    assert tuple(details["shape"]) == runner.shape, "ONNX and tflite input shapes differ"


def test_parity_with_litert_on_real_photos(runner: _Runner, photos) -> None:
    worst_max, worst_mean, worst_share = 0.0, 0.0, 0.0
    for path, rgb in photos:
        x = _to_input(rgb, runner.shape)
        ref = runner.litert(x)
        got = runner.onnx(x)
        assert got.shape == ref.shape == (*runner.shape[:3], 1), path.name
        assert got.dtype == np.float32
        assert np.isfinite(got).all() and got.min() >= 0.0 and got.max() <= 1.0, path.name
        diff = np.abs(got - ref)
        worst_max = max(worst_max, float(diff.max()))
        worst_mean = max(worst_mean, float(diff.mean()))
        worst_share = max(worst_share, float(np.mean(diff > 1e-4)))
    # The 1e-4 bound holds for all but a few float-rounding outliers per photo:
    assert worst_share <= 1e-3, f"{worst_share:.2%} of pixels differ by more than 1e-4"
    assert worst_max <= MAX_ABS_TOL, f"max |ONNX - LiteRT| = {worst_max:.3g}"
    assert worst_mean <= MEAN_ABS_TOL, f"mean |ONNX - LiteRT| = {worst_mean:.3g}"


def test_portraits_give_a_person_mask(runner: _Runner) -> None:
    """AISegment portraits: person in the centre, background in the top corners, mask ≈ GT."""
    for path in _photos("aiseg60"):
        alpha = runner.onnx(_to_input(_load_rgb(path), runner.shape))[0, :, :, 0]
        h, w = alpha.shape
        centre = alpha[int(0.4 * h) : int(0.6 * h), int(0.4 * w) : int(0.6 * w)].mean()
        corners = max(alpha[: h // 10, : w // 10].mean(), alpha[: h // 10, -(w // 10) :].mean())
        assert centre > 0.8, f"{path.name}: centre probability {centre:.3f}"
        assert corners < 0.1, f"{path.name}: corner probability {corners:.3f}"
        mask_path = require_shared("data", "aiseg60", "masks") / f"{path.stem}.png"
        gt = cv2.resize(cv2.imread(str(mask_path), cv2.IMREAD_GRAYSCALE), (w, h)) > 127
        pred = alpha > 0.5
        iou = (gt & pred).sum() / max((gt | pred).sum(), 1)
        assert iou > 0.9, f"{path.name}: IoU with the ground-truth mask {iou:.3f}"


@pytest.mark.parametrize("key", sorted(SPECS))
def test_sidecar_json(key: str) -> None:
    onnx_name, _tflite, json_name, _shape, name = SPECS[key]
    meta = json.loads((SHIPPED / json_name).read_text())
    assert meta == {
        "name": name,
        "family": "sigmoid_nhwc",
        "fit": meta["fit"],  # revisited by measurement; checked below
        "mean": [0.0, 0.0, 0.0],
        "std": [1.0, 1.0, 1.0],
        "channels": "rgb",
        "license": "Apache-2.0",
        "source": "mediapipe==0.10.14",
        "matte": meta["matte"],  # fitted on aiseg60 by `vbg eval --calibrate`; checked below
    }
    assert meta["fit"] in FIT_MODES
    for path in ("live", "still"):
        lo, hi = meta["matte"][path]
        assert 0.0 <= lo < 0.5 < hi <= 1.0, (path, lo, hi)


def test_source_tflite_are_the_recorded_originals() -> None:
    """models/source/*.tflite are byte-identical to the files pinned in convert_mediapipe.py."""
    script = MODELS / "convert_mediapipe.py"
    spec = importlib.util.spec_from_file_location("convert_mediapipe", script)
    conv = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conv)
    for _member, digest, fname, onnx_name, _shape, _name in conv.MODELS.values():
        data = (MODELS / "source" / fname).read_bytes()
        assert hashlib.sha256(data).hexdigest() == digest, fname
        assert (SHIPPED / onnx_name).is_file()
