"""Export parity (ONNX vs PyTorch, through the registry's own preprocessing), the temporal
adapter, the restricted op set and int8 quantization."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from vbg.matting.registry import load_model  # noqa: E402
from vbg.training.export import export, quantize_int8, sidecar  # noqa: E402
from vbg.training.loop import MEAN, STD  # noqa: E402
from vbg.training.nets import build_net, count_params  # noqa: E402

from .conftest import make_pair  # noqa: E402


def _torch_prob(net, bgr: np.ndarray, prev: np.ndarray | None = None) -> np.ndarray:  # noqa: ANN001
    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB).astype(np.float32) / 255
    x = ((rgb - np.float32(MEAN)) / np.float32(STD)).transpose(2, 0, 1)
    if prev is not None:
        x = np.concatenate([x, prev[None]])
    with torch.no_grad():
        return torch.sigmoid(net(torch.from_numpy(x)[None])).numpy()[0, 0]


def _randomise_bn(net) -> None:  # noqa: ANN001
    g = torch.Generator().manual_seed(0)
    for m in net.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.copy_(torch.randn(m.num_features, generator=g) * 0.1)
            m.running_var.copy_(torch.rand(m.num_features, generator=g) + 0.5)
    net.eval()


@pytest.mark.parametrize("arch", ["tiny", "restricted", "mobilenetv2"])
def test_export_parity_through_the_registry(arch: str, tmp_path: Path) -> None:
    torch.manual_seed(0)
    net = build_net(arch, 3)
    _randomise_bn(net)
    path = tmp_path / f"{arch}.onnx"
    diff = export(net, path, (64, 64), 3, sidecar(arch, False, (64, 64), MEAN, STD))
    assert diff < 1e-4
    loaded = load_model(str(path))
    img, _ = make_pair(np.random.default_rng(2))
    got, state = loaded.adapter.infer(img)
    assert state is None  # stateless family
    assert np.abs(got - _torch_prob(net, img)).max() < 1e-4


def test_restricted_uses_a_minimal_op_set(tmp_path: Path) -> None:
    import onnx

    net = build_net("restricted", 3)
    _randomise_bn(net)
    path = tmp_path / "r.onnx"
    export(net, path, (64, 64), 3, sidecar("r", False, (64, 64), MEAN, STD), opset=17)
    m = onnx.load(str(path))
    assert m.opset_import[0].version >= 17
    ops = {n.op_type for n in m.graph.node}
    assert ops <= {"Conv", "ConvTranspose", "BatchNormalization", "Relu", "Sigmoid"}, ops
    assert not ops & {"Add", "Concat"}  # no residuals, no skips


def test_param_counts_of_the_designs() -> None:
    assert count_params(build_net("tiny")) <= 500_000
    assert 30e6 < count_params(build_net("unet")) < 33e6
    for arch in ("unet", "mobilenetv2", "restricted", "tiny"):
        for ch in (3, 4):
            y = build_net(arch, ch, 8 if arch == "unet" else None)(torch.randn(1, ch, 64, 64))
            assert y.shape == (1, 1, 64, 64)


def test_temporal_export_and_adapter(tmp_path: Path) -> None:
    from vbg.matting.registry import FAMILIES
    from vbg.matting.temporal import TemporalNCHW

    torch.manual_seed(1)
    net = build_net("tiny", 4)
    _randomise_bn(net)
    path = tmp_path / "temporal.onnx"
    export(net, path, (64, 64), 4, sidecar("t", True, (64, 64), MEAN, STD))
    loaded = load_model(str(path))
    adapter = loaded.adapter
    assert FAMILIES["temporal_nchw"] is TemporalNCHW
    assert isinstance(adapter, TemporalNCHW) and adapter.stateful
    assert TemporalNCHW.matches([1, 4, 64, 64], [1, 1, 64, 64])
    assert not TemporalNCHW.matches([1, 3, 64, 64], [1, 1, 64, 64])
    img, _ = make_pair(np.random.default_rng(3))
    first, state = adapter.infer(img, None)
    first = first.copy()
    assert np.abs(first - _torch_prob(net, img, np.zeros((64, 64), np.float32))).max() < 1e-4
    assert state is not None and np.allclose(state, first)
    second, _ = adapter.infer(img, state)
    assert np.abs(second - _torch_prob(net, img, first)).max() < 1e-4
    assert np.abs(second - first).max() > 1e-6  # the previous alpha really is an input
    # The adapter keeps nothing itself: a None state is a cold start again, and a state of the
    # wrong size (another model's, another pass's) is treated as none.
    again, _ = adapter.infer(img, None)
    assert np.abs(again - first).max() < 1e-5
    wrong, _ = adapter.infer(img, np.ones((32, 32), np.float32))
    assert np.abs(wrong - first).max() < 1e-5


def test_temporal_signature_is_not_detected_as_sigmoid(tmp_path: Path) -> None:
    from vbg.matting.adapters import SigmoidNCHW

    assert not SigmoidNCHW.matches([1, 4, 64, 64], [1, 1, 64, 64])


def test_int8_quantization_runs_in_the_registry(tmp_path: Path) -> None:
    torch.manual_seed(0)
    net = build_net("tiny", 3)
    _randomise_bn(net)
    path = tmp_path / "f.onnx"
    meta = sidecar("f", False, (64, 64), MEAN, STD)
    export(net, path, (64, 64), 3, meta)
    rng = np.random.default_rng(4)
    frames = [make_pair(rng)[0] for _ in range(8)]
    q = quantize_int8(path, tmp_path / "f_int8.onnx", frames, meta)
    loaded, ref = load_model(str(q)), load_model(str(path))
    out, want = loaded.adapter.infer(frames[0])[0], ref.adapter.infer(frames[0])[0]
    assert out.shape == (64, 64)
    assert np.abs(out - want).mean() < 0.1
