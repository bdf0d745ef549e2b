"""Export a trained network to the engine's ONNX contract.

The exported graph takes ``[1,C,H,W]`` float32 (C = 3 RGB normalised ``(x/255-mean)/std``, or
4 for the temporal variant: + previous alpha in [0,1]) and returns ``[1,1,H,W]`` person
probability (the sigmoid is inside the graph). Beside it goes the sidecar JSON the registry
reads. ``export`` checks parity between onnxruntime and PyTorch; ``quantize_int8`` makes a
static int8 copy calibrated on real frames.
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import torch
from torch import nn

from vbg.training.errors import TrainingError


class WithSigmoid(nn.Module):
    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.net(x))


def sidecar(name: str, temporal: bool, size: tuple[int, int], mean: tuple, std: tuple,
            fit: str = "stretch", license: str = "MIT", source: str = "") -> dict:
    return {"name": name, "family": "temporal_nchw" if temporal else "sigmoid_nchw",
            "fit": fit, "mean": list(mean), "std": list(std), "input_size": list(size),
            "license": license, "source": source}


def _ort_run(path: Path, x: np.ndarray) -> np.ndarray:
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    return sess.run(None, {sess.get_inputs()[0].name: x})[0]


def export(net: nn.Module, path: Path, size: tuple[int, int], in_ch: int, meta: dict,
           opset: int = 17, tolerance: float = 1e-4) -> float:
    """Write ``path`` (.onnx) and its sidecar; return the max |ONNX − PyTorch| difference,
    which must stay below ``tolerance`` (else TrainingError)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    model = WithSigmoid(net).eval().cpu()
    h, w = size
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(1, in_ch, h, w, generator=gen)
    if in_ch == 4:
        x[:, 3] = torch.rand(1, h, w, generator=gen)
    torch.onnx.export(model, (x,), str(path), input_names=["input"], output_names=["alpha"],
                      opset_version=opset, dynamo=False, do_constant_folding=True)
    with torch.no_grad():
        ref = model(x).numpy()
    diff = float(np.abs(_ort_run(path, x.numpy()) - ref).max())
    if diff > tolerance:
        raise TrainingError(f"{path} differs from the PyTorch model by {diff:.2e} (more than "
                            f"{tolerance:.0e}); the export is not faithful.")
    path.with_suffix(".json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return diff


def quantize_int8(src: Path, dst: Path, frames: list[np.ndarray], meta: dict) -> Path:
    """Static int8 quantization (QDQ, per-channel) calibrated on BGR ``frames``."""
    from onnxruntime.quantization import (
        CalibrationDataReader,
        QuantFormat,
        QuantType,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    if not frames:
        raise TrainingError("int8 quantization needs calibration frames; give --calib.")
    h, w = meta["input_size"]
    mean, std = np.float32(meta["mean"]), np.float32(meta["std"])
    temporal = meta["family"] == "temporal_nchw"

    def prep(bgr: np.ndarray) -> np.ndarray:
        rgb = cv2.cvtColor(cv2.resize(bgr, (w, h), interpolation=cv2.INTER_AREA),
                           cv2.COLOR_BGR2RGB).astype(np.float32) / 255
        x = ((rgb - mean) / std).transpose(2, 0, 1)
        if temporal:
            x = np.concatenate([x, np.zeros((1, h, w), np.float32)])
        return x[None].astype(np.float32)

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self.it = iter([{"input": prep(f)} for f in frames])

        def get_next(self):  # type: ignore[no-untyped-def]
            return next(self.it, None)

    pre = dst.with_suffix(".pre.onnx")
    quant_pre_process(str(src), str(pre))
    try:
        quantize_static(str(pre), str(dst), Reader(), quant_format=QuantFormat.QDQ,
                        per_channel=True, activation_type=QuantType.QUInt8,
                        weight_type=QuantType.QInt8)
    finally:
        pre.unlink(missing_ok=True)
    meta = {**meta, "name": meta["name"] + " (int8)"}
    dst.with_suffix(".json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return dst


def load_checkpoint(net: nn.Module, path: Path) -> nn.Module:
    """Load a best.pt (state_dict only) or last.pt (its "model" entry), weights only."""
    state = torch.load(path, map_location="cpu", weights_only=True)
    if "model" in state and isinstance(state["model"], dict):
        state = state["model"]
    net.load_state_dict(state)
    return net.eval()
