#!/usr/bin/env python3
"""Convert MediaPipe Selfie Segmentation (.tflite, Apache-2.0) to ONNX, reproducibly.

What it does
------------
1. ``pip download mediapipe==0.10.14 --no-deps`` (the cp311 manylinux x86_64 wheel; any
   wheel of that release carries the same two .tflite files) and checks its sha256 against
   ``WHEEL_SHA256`` below (``--wheel PATH`` uses a wheel you already have, same check).
2. Extracts ``mediapipe/modules/selfie_segmentation/selfie_segmentation.tflite`` and
   ``..._landscape.tflite``, checks their sha256 and writes them to ``models/source/``.
3. Converts each with tf2onnx. tf2onnx handles every op but MediaPipe's custom op
   ``Convolution2DTransposeBias`` (a stride-2, 2x2 transposed convolution with bias,
   weights OHWI, SAME padding). A custom-op handler replaces that node with
   Transpose(NHWC->NCHW) -> ConvTranspose -> Transpose(NCHW->NHWC). tf2onnx's transpose
   optimizer then folds the transposes that cancel out; it is taught that HardSwish is
   element-wise (tf2onnx 1.17 doesn't know), which leaves a single Transpose at the input.
4. Renames the graph input to ``input`` and the output to ``alpha``, removes no-op Reshapes
   that tf2onnx leaves behind, drops unused opset imports, renumbers tf2onnx's generated names
   (re-runs give byte-identical files), adds metadata, runs the ONNX checker and writes
   ``models/selfie_general.onnx`` and ``models/selfie_landscape.onnx``, next to this script.
5. Checks parity against LiteRT (``ai_edge_litert``, XNNPACK, which implements the custom op)
   running the original .tflite, on 4 random inputs and on real photos (``--images``; default:
   the first 30 of ``../shared/data/{aiseg60,vikram190}/images`` when those folders exist).
   Exit 1 if any max abs difference exceeds ``--tol`` (5e-4) or any per-image mean abs
   difference exceeds ``--mean-tol`` (1e-6). The differences are float32 round-off, amplified
   by the network: measured on all 250 photos, max 3.2e-4 (general) / 9.6e-5 (landscape),
   mean ~5e-8; onnxruntime with and without its graph optimizations differs from itself by
   as much (up to 2.8e-4).

ONNX models written
-------------------
=========================  =================================  ===================================
file                       input ``input`` (float32, NHWC)    output ``alpha`` (float32, NHWC)
=========================  =================================  ===================================
selfie_general.onnx        [1, 256, 256, 3] RGB in [0, 1]     [1, 256, 256, 1] P(person) in [0,1]
selfie_landscape.onnx      [1, 144, 256, 3] RGB in [0, 1]     [1, 144, 256, 1] P(person) in [0,1]
=========================  =================================  ===================================
Opset 15 (default ai.onnx domain only). The sigmoid is inside the model.

How to run (tested on Linux x86_64, Python 3.11.7)
--------------------------------------------------
tensorflow-cpu is big (~1.6 GB installed) and is needed only here, offline: use a separate
venv, never the app's/CI's one::

    python3.11 -m venv /work/venvs/convert
    /work/venvs/convert/bin/pip install tensorflow-cpu==2.21.0 tf2onnx==1.17.0 onnx==1.23.2 \\
        onnxruntime==1.31.1 ai-edge-litert==2.3.0 numpy==2.4.6 opencv-python-headless==5.0.0.93
    /work/venvs/convert/bin/python models/convert_mediapipe.py          # from the repo root

Options: ``--wheel PATH`` (skip the download), ``--images DIR`` (repeatable; photos for the
parity check), ``--per-dir N`` (photos per folder, 30), ``--out-dir DIR`` (where the .onnx
go; default: ``models``, the .tflite always go to ``models/source``), ``--tol``, ``--mean-tol``, ``--skip-parity``.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

MEDIAPIPE_VERSION = "0.10.14"
WHEEL_NAME = "mediapipe-0.10.14-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
WHEEL_SHA256 = "a807328339e7356fda0bb14df12fedbf1d33bdf81649c5f8666b0026b1cc30b4"

OPSET = 15
INPUT_NAME = "input"
OUTPUT_NAME = "alpha"
CUSTOM_OP = "Convolution2DTransposeBias"

# key -> (path inside the wheel, sha256 of that .tflite, source file name, onnx file name,
#         input shape NHWC, human name)
MODELS = {
    "general": (
        "mediapipe/modules/selfie_segmentation/selfie_segmentation.tflite",
        "9ee168ec7c8f2a16c56fe8e1cfbc514974cbbb7e434051b455635f1bd1462f5c",
        "selfie_segmentation.tflite",
        "selfie_general.onnx",
        (1, 256, 256, 3),
        "MediaPipe Selfie (general)",
    ),
    "landscape": (
        "mediapipe/modules/selfie_segmentation/selfie_segmentation_landscape.tflite",
        "a77d03f4659b9f6b6c1f5106947bf40e99d7655094b6527f214ea7d451106edd",
        "selfie_segmentation_landscape.tflite",
        "selfie_landscape.onnx",
        (1, 144, 256, 3),
        "MediaPipe Selfie (landscape)",
    ),
}

HERE = Path(__file__).resolve().parent
# Where the shipped models live: this folder (the build copies them into the package as
# vbg/_data/models; vbg.resources.models_dir() finds either).
SHIPPED = HERE
DEFAULT_IMAGE_DIRS = [
    HERE.parent.parent / "shared" / "data" / "aiseg60" / "images",
    HERE.parent.parent / "shared" / "data" / "vikram190" / "images",
]


def log(msg: str) -> None:
    print(f"[convert_mediapipe] {msg}", flush=True)


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------- 1. download
def fetch_wheel(dest: Path) -> Path:
    cmd = [
        sys.executable, "-m", "pip", "download", f"mediapipe=={MEDIAPIPE_VERSION}",
        "--no-deps", "--only-binary=:all:", "--python-version", "3.11",
        "--implementation", "cp", "--abi", "cp311", "--platform", "manylinux_2_17_x86_64",
        "-d", str(dest),
    ]
    log("running: " + " ".join(cmd))
    subprocess.run(cmd, check=True)
    path = dest / WHEEL_NAME
    if not path.exists():
        found = sorted(p.name for p in dest.iterdir())
        raise SystemExit(f"expected {WHEEL_NAME} in {dest}, found {found}")
    return path


def check_wheel(path: Path) -> None:
    digest = sha256_of(path.read_bytes())
    if digest != WHEEL_SHA256:
        raise SystemExit(f"sha256 mismatch for {path}: got {digest}, expected {WHEEL_SHA256}")
    log(f"wheel {path.name} sha256 OK ({digest})")


# --------------------------------------------------------------------------- 2. extract
def extract_tflite(wheel: Path, source_dir: Path) -> dict[str, Path]:
    source_dir.mkdir(parents=True, exist_ok=True)
    out = {}
    with zipfile.ZipFile(wheel) as zf:
        for key, (member, digest, fname, *_rest) in MODELS.items():
            data = zf.read(member)
            got = sha256_of(data)
            if got != digest:
                raise SystemExit(f"sha256 mismatch for {member}: got {got}, expected {digest}")
            path = source_dir / fname
            path.write_bytes(data)
            log(f"wrote {path} ({len(data)} bytes, sha256 {got})")
            out[key] = path
    return out


# --------------------------------------------------------------------------- 3. convert
def read_custom_op_options(tflite_path: Path) -> list[tuple[int, int, int]]:
    """(padding, stride_w, stride_h) of each Convolution2DTransposeBias in the file.

    MediaPipe stores TfLiteTransposeConvParams raw as the custom options:
    int32 padding (1 = SAME, 2 = VALID), int32 stride_width, int32 stride_height.
    """
    import struct

    from tf2onnx.tflite.Model import Model

    buf = tflite_path.read_bytes()
    model = Model.GetRootAsModel(buf, 0)
    codes = [model.OperatorCodes(i).CustomCode() for i in range(model.OperatorCodesLength())]
    found = []
    for s in range(model.SubgraphsLength()):
        g = model.Subgraphs(s)
        for i in range(g.OperatorsLength()):
            op = g.Operators(i)
            code = codes[op.OpcodeIndex()]
            if code is not None and code.decode() == CUSTOM_OP:
                raw = op.CustomOptionsAsNumpy().tobytes()
                found.append(struct.unpack("<iii", raw[:12]))
    return found


def make_conv_transpose_bias_handler(stride_w: int, stride_h: int):
    """tf2onnx custom-op handler: TFL Convolution2DTransposeBias -> ONNX ConvTranspose.

    Input x is NHWC, weights are OHWI [C_out, kH, kW, C_in], bias is [C_out]. ONNX
    ConvTranspose wants NCHW and weights [C_in, C_out, kH, kW]. With kernel == stride the
    SAME-padded output is exactly in*stride, so pads are 0 (checked below).
    """
    from tf2onnx import utils

    def handler(ctx, node, name, args):
        x_name, w_name, _b_name = node.input
        x_shape = ctx.get_shape(x_name)
        w_shape = ctx.get_shape(w_name)
        out_shape = ctx.get_shape(node.output[0])
        kh, kw = int(w_shape[1]), int(w_shape[2])
        if (kh, kw) != (stride_h, stride_w):
            raise ValueError(f"{CUSTOM_OP}: kernel {kh}x{kw} != stride {stride_h}x{stride_w}")
        if out_shape[1] != x_shape[1] * stride_h or out_shape[2] != x_shape[2] * stride_w:
            raise ValueError(f"{CUSTOM_OP}: unexpected shapes {x_shape} -> {out_shape}")

        node.type = "ConvTranspose"
        node.domain = ""
        for attr in list(node.attr):
            del node.attr[attr]
        node.set_attr("kernel_shape", [kh, kw])
        node.set_attr("strides", [stride_h, stride_w])
        node.set_attr("pads", [0, 0, 0, 0])
        node.set_attr("dilations", [1, 1])
        node.set_attr("group", 1)

        # NHWC -> NCHW on the data input.
        t_in = ctx.insert_new_node_on_input(node, "Transpose", x_name, perm=[0, 3, 1, 2])
        ctx.set_shape(t_in.output[0], [x_shape[0], x_shape[3], x_shape[1], x_shape[2]])
        # OHWI -> IOHW on the weights (constant-folded by the optimizer).
        t_w = ctx.insert_new_node_on_input(node, "Transpose", w_name, perm=[3, 0, 1, 2])
        ctx.set_shape(t_w.output[0], [w_shape[3], w_shape[0], w_shape[1], w_shape[2]])
        # NCHW -> NHWC on the output.
        t_out = ctx.insert_new_node_on_output(
            "Transpose", node.output[0], name=utils.make_name(node.name), perm=[0, 2, 3, 1]
        )
        ctx.set_shape(t_out.output[0], out_shape)
        ctx.set_shape(node.output[0], [out_shape[0], out_shape[3], out_shape[1], out_shape[2]])
        return node

    return handler


def drop_identity_reshapes(model) -> int:
    """Remove Reshape nodes whose output shape equals their input shape.

    tf2onnx's transpose optimizer leaves some of these behind (Transpose of a [1,1,1,C]
    tensor becomes a Reshape), and how many varies from run to run. They are no-ops here
    (all shapes are static), so removing them makes the graph smaller and the same each time.
    """
    from onnx import shape_inference

    g = model.graph
    inferred = shape_inference.infer_shapes(model, strict_mode=True).graph
    shapes = {}
    for vi in list(inferred.value_info) + list(inferred.input) + list(inferred.output):
        dims = vi.type.tensor_type.shape.dim
        shapes[vi.name] = [d.dim_value if d.HasField("dim_value") else 0 for d in dims]
    outputs = {o.name for o in g.output}
    removed = 0
    for n in list(g.node):
        if n.op_type != "Reshape" or n.output[0] in outputs:
            continue
        src, dst = shapes.get(n.input[0]), shapes.get(n.output[0])
        if src and src == dst and all(src):
            for m in g.node:
                for i, name in enumerate(m.input):
                    if name == n.output[0]:
                        m.input[i] = n.input[0]
            g.node.remove(n)
            removed += 1
    used = {name for n in g.node for name in n.input}
    for t in list(g.initializer):
        if t.name not in used:
            g.initializer.remove(t)
    return removed


def canonicalize_names(model) -> None:
    """Make the file byte-reproducible.

    tf2onnx numbers the names it generates (``conv2d__653``, ``const_fold_opt__1153``) from a
    global counter and orders nodes by a topological sort whose ties vary from run to run
    (set iteration order), while the graph itself is the same. Re-sort the nodes by a
    depth-first walk from the output (inputs in their semantic order), renumber every
    generated name in that order and sort the initializers by first use, so that re-running
    the script gives identical bytes.
    """
    import re

    g = model.graph
    producer = {out: n for n in g.node for out in n.output}
    order, seen = [], set()

    def visit(node) -> None:
        if id(node) in seen:
            return
        seen.add(id(node))
        for name in node.input:
            if name in producer:
                visit(producer[name])
        order.append(node)

    for out in g.output:
        visit(producer[out.name])
    if len(order) != len(g.node):
        raise SystemExit(f"{len(g.node) - len(order)} nodes do not reach the output")

    fixed = {vi.name for vi in list(g.input) + list(g.output)}
    suffix = re.compile(r"(__\d+)+(:\d+)?$|:\d+$")

    def renamer():
        mapping: dict[str, str] = {}

        def canon(name: str) -> str:
            if not name or name in fixed or not suffix.search(name):
                return name
            if name not in mapping:
                mapping[name] = f"{suffix.sub('', name)}__{len(mapping)}"
            return mapping[name]

        return canon

    tensor, node_name = renamer(), renamer()
    for n in order:
        n.name = node_name(n.name)
        for i, name in enumerate(n.input):
            n.input[i] = tensor(name)
        for i, name in enumerate(n.output):
            n.output[i] = tensor(name)
    for init in g.initializer:
        init.name = tensor(init.name)
    del g.value_info[:]
    first_use = {}
    for n in order:
        for name in n.input:
            first_use.setdefault(name, len(first_use))
    inits = sorted(g.initializer, key=lambda t: first_use.get(t.name, len(first_use)))
    nodes = list(order)
    del g.initializer[:]
    g.initializer.extend(inits)
    del g.node[:]
    g.node.extend(nodes)


def teach_transpose_optimizer_hardswish() -> None:
    """Let tf2onnx's transpose optimizer push Transposes through HardSwish.

    HardSwish is element-wise, so Transpose(HardSwish(x)) == HardSwish(Transpose(x)) exactly,
    but tf2onnx 1.17 does not list it among the ops it moves transposes through. Without this,
    every HardSwish stays wrapped in an NCHW->NHWC->NCHW Transpose pair (28 extra Transposes
    in the general model, some on 128x128x16 tensors).
    """
    from tf2onnx.optimizer.transpose_optimizer import TransposeOptimizer

    original = TransposeOptimizer._initialize_handlers
    if getattr(original, "_vbg_hardswish", False):
        return

    def _initialize_handlers(self):
        original(self)
        self._handler_map.setdefault("HardSwish", self._simple_through_handler)

    _initialize_handlers._vbg_hardswish = True
    TransposeOptimizer._initialize_handlers = _initialize_handlers


def convert(tflite_path: Path, human_name: str, shape: tuple[int, ...]):
    import onnx
    import tf2onnx

    opts = read_custom_op_options(tflite_path)
    if len(opts) != 1:
        raise SystemExit(f"{tflite_path}: expected one {CUSTOM_OP}, found {len(opts)}")
    padding, stride_w, stride_h = opts[0]
    if padding not in (1, 2) or (stride_w, stride_h) != (2, 2):
        raise SystemExit(f"{tflite_path}: unexpected {CUSTOM_OP} options {opts[0]}")
    log(f"{tflite_path.name}: {CUSTOM_OP} padding={padding} strides={stride_w}x{stride_h}")

    handler = make_conv_transpose_bias_handler(stride_w, stride_h)
    teach_transpose_optimizer_hardswish()
    model, _ = tf2onnx.convert.from_tflite(
        str(tflite_path),
        opset=OPSET,
        custom_op_handlers={f"TFL_{CUSTOM_OP}": (handler, [])},
    )

    g = model.graph
    bad = [n.op_type for n in g.node if n.domain not in ("", "ai.onnx")]
    if bad:
        raise SystemExit(f"non-standard ops left after conversion: {bad}")
    if len(g.input) != 1 or len(g.output) != 1:
        raise SystemExit(f"expected 1 input / 1 output, got {len(g.input)} / {len(g.output)}")

    # Stable, readable I/O names.
    renames = {g.input[0].name: INPUT_NAME, g.output[0].name: OUTPUT_NAME}
    for vi in list(g.input) + list(g.output):
        vi.name = renames[vi.name]
    for n in g.node:
        for i, name in enumerate(n.input):
            if name in renames:
                n.input[i] = renames[name]
        for i, name in enumerate(n.output):
            if name in renames:
                n.output[i] = renames[name]

    drop_identity_reshapes(model)
    canonicalize_names(model)

    # Keep only the opset imports actually used.
    used = {n.domain for n in g.node}
    keep = [o for o in model.opset_import if o.domain in used or o.domain == ""]
    del model.opset_import[:]
    model.opset_import.extend(keep)

    g.name = tflite_path.stem
    model.producer_name = "vbg/models/convert_mediapipe.py (tf2onnx)"
    model.doc_string = (
        f"{human_name}: converted from {tflite_path.name} in mediapipe=={MEDIAPIPE_VERSION} "
        f"(Apache-2.0). Input '{INPUT_NAME}' float32 NHWC {list(shape)} RGB in [0,1]; output "
        f"'{OUTPUT_NAME}' float32 NHWC {list(shape[:3]) + [1]} person probability in [0,1]. "
        f"{CUSTOM_OP} replaced by Transpose->ConvTranspose->Transpose."
    )
    del model.metadata_props[:]
    for k, v in {
        "name": human_name,
        "source": f"mediapipe=={MEDIAPIPE_VERSION}:{MODELS_BY_FILE[tflite_path.name]}",
        "source_sha256": sha256_of(tflite_path.read_bytes()),
        "license": "Apache-2.0",
        "layout": "NHWC",
        "channels": "rgb",
    }.items():
        model.metadata_props.add(key=k, value=v)

    onnx.checker.check_model(model, full_check=True)
    ins = [d.dim_value for d in g.input[0].type.tensor_type.shape.dim]
    outs = [d.dim_value for d in g.output[0].type.tensor_type.shape.dim]
    if tuple(ins) != tuple(shape) or tuple(outs) != tuple(shape[:3]) + (1,):
        raise SystemExit(f"unexpected I/O shapes {ins} -> {outs}")
    return model


MODELS_BY_FILE = {v[2]: v[0] for v in MODELS.values()}


# --------------------------------------------------------------------------- 5. parity
def load_photos(dirs: list[Path], per_dir: int = 30) -> list[np.ndarray]:
    """First ``per_dir`` images (sorted by name) of each folder, as RGB uint8."""
    import cv2

    photos = []
    for d in dirs:
        if not d.is_dir():
            log(f"image folder {d} not found, skipped")
            continue
        files = sorted(p for p in d.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
        for p in files[:per_dir]:
            bgr = cv2.imread(str(p), cv2.IMREAD_COLOR)
            if bgr is not None:
                photos.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    return photos


def to_input(rgb: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    import cv2

    _, h, w, _ = shape
    x = cv2.resize(rgb, (w, h), interpolation=cv2.INTER_LINEAR).astype(np.float32) / 255.0
    return x[None]


def parity(onnx_path: Path, tflite_path: Path, shape, photos, tol: float, mean_tol: float):
    """Max and mean abs difference ONNX (onnxruntime, 1 thread) vs LiteRT (XNNPACK, 1 thread)."""
    import onnxruntime as ort
    from ai_edge_litert.interpreter import Interpreter

    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    sess = ort.InferenceSession(str(onnx_path), so, providers=["CPUExecutionProvider"])
    it = Interpreter(model_path=str(tflite_path), num_threads=1)
    it.allocate_tensors()
    i_idx = it.get_input_details()[0]["index"]
    o_idx = it.get_output_details()[0]["index"]

    rng = np.random.default_rng(0)
    inputs = [("random", rng.random(shape, dtype=np.float32)) for _ in range(4)]
    inputs += [("photo", to_input(p, shape)) for p in photos]
    worst = {"random": 0.0, "photo": 0.0}
    worst_mean = 0.0
    for kind, x in inputs:
        it.set_tensor(i_idx, x)
        it.invoke()
        ref = it.get_tensor(o_idx)
        got = sess.run([OUTPUT_NAME], {INPUT_NAME: x})[0]
        if got.shape != ref.shape:
            raise SystemExit(f"{onnx_path.name}: shape {got.shape} != LiteRT {ref.shape}")
        diff = np.abs(got - ref)
        worst[kind] = max(worst[kind], float(diff.max()))
        worst_mean = max(worst_mean, float(diff.mean()))
    log(
        f"{onnx_path.name}: max|ONNX-LiteRT| on {len(photos)} photos = {worst['photo']:.3g}, "
        f"on 4 random inputs = {worst['random']:.3g}; worst per-image mean = {worst_mean:.3g}"
    )
    if max(worst.values()) > tol or worst_mean > mean_tol:
        raise SystemExit(f"{onnx_path.name}: parity outside tolerance (max {tol}, mean {mean_tol})")
    return worst["photo"], worst_mean


# --------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--wheel", type=Path, help="use this mediapipe wheel instead of downloading")
    ap.add_argument("--out-dir", type=Path, default=SHIPPED,
                    help="where to write the .onnx (default: models/)")
    ap.add_argument("--images", type=Path, action="append", help="photo folder for parity")
    ap.add_argument("--per-dir", type=int, default=30, help="photos used from each folder")
    ap.add_argument("--tol", type=float, default=5e-4, help="max abs difference allowed")
    ap.add_argument("--mean-tol", type=float, default=1e-6, help="max per-image mean abs diff")
    ap.add_argument("--skip-parity", action="store_true")
    args = ap.parse_args(argv)

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # quieter TensorFlow start-up
    missing = []
    for mod in ("tensorflow", "tf2onnx", "onnx", "onnxruntime", "ai_edge_litert", "cv2"):
        if importlib.util.find_spec(mod) is None:
            missing.append(mod)
    if missing:
        raise SystemExit(
            f"missing {', '.join(missing)} in {sys.executable}: run this script in the separate "
            "conversion venv described at the top of models/convert_mediapipe.py"
        )
    import onnx

    out_dir = args.out_dir.resolve()
    with tempfile.TemporaryDirectory(prefix="mediapipe-wheel-") as tmp:
        wheel = args.wheel if args.wheel else fetch_wheel(Path(tmp))
        check_wheel(wheel)
        tflites = extract_tflite(wheel, HERE / "source")

    written = {}
    for key, (_member, _digest, _fname, onnx_name, shape, human) in MODELS.items():
        model = convert(tflites[key], human, shape)
        path = out_dir / onnx_name
        onnx.save(model, str(path))
        log(f"wrote {path} ({path.stat().st_size} bytes)")
        written[key] = path

    if args.skip_parity:
        return 0
    photos = load_photos(args.images or DEFAULT_IMAGE_DIRS, args.per_dir)
    if not photos:
        log("WARNING: no photos found; parity checked on random inputs only")
    for key, path in written.items():
        parity(path, tflites[key], MODELS[key][4], photos, args.tol, args.mean_tol)
    log("all parity checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
