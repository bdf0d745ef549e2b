"""Model registry and adapters, on small ONNX graphs built here and run by onnxruntime."""

import json

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from vbg.errors import ModelError
from vbg.matting.registry import list_models, load_model, resolve


def save(model_graph, path):
    model = helper.make_model(model_graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def brightness_nhwc(path, h=48, w=64):
    """[1,H,W,3] -> [1,H,W,1]: the mean of the channels (bright = person)."""
    g = helper.make_graph(
        [helper.make_node("ReduceMean", ["img"], ["alpha"], axes=[3], keepdims=1)], "b",
        [helper.make_tensor_value_info("img", TensorProto.FLOAT, [1, h, w, 3])],
        [helper.make_tensor_value_info("alpha", TensorProto.FLOAT, [1, h, w, 1])])
    return save(g, path)


def two_class_nchw(path, with_softmax, h=32, w=32):
    """[1,3,H,W] -> [1,2,H,W] logits (or probabilities): person where the input is bright."""
    weight = np.array([[-4, -4, -4], [4, 4, 4]], np.float32).reshape(2, 3, 1, 1)
    nodes = [helper.make_node("Conv", ["img", "w"], ["logits" if with_softmax else "out"])]
    if with_softmax:
        nodes.append(helper.make_node("Softmax", ["logits"], ["out"], axis=1))
    g = helper.make_graph(
        nodes, "c", [helper.make_tensor_value_info("img", TensorProto.FLOAT, [1, 3, h, w])],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, [1, 2, h, w])],
        initializer=[helper.make_tensor("w", TensorProto.FLOAT, [2, 3, 1, 1], weight.ravel())])
    return save(g, path)


def half_bright(h, w):
    img = np.zeros((h, w, 3), np.uint8)
    img[:, w // 2:] = 255
    return img


def test_mediapipe_layout_detected_and_run(tmp_path):
    m = load_model(str(brightness_nhwc(tmp_path / "toy.onnx")))
    assert m.adapter.family == "sigmoid_nhwc" and m.input_hw == (48, 64)
    assert m.provider == "cpu"  # what onnxruntime really uses here, read from the session
    prob, _ = m.adapter.infer(half_bright(48, 64))
    assert prob.shape == (48, 64)
    assert prob[:, 40:].min() > 0.99 and prob[:, :20].max() < 0.01


@pytest.mark.parametrize("with_softmax", [False, True])
def test_two_class_softmax_layout(tmp_path, with_softmax):
    m = load_model(str(two_class_nchw(tmp_path / "seg.onnx", with_softmax)))
    assert m.adapter.family == "softmax2_nchw"
    prob, _ = m.adapter.infer(half_bright(32, 32))
    # PP-HumanSeg normalisation (mean .5, std .5): black -> -1, white -> +1; logits +-12
    assert prob[:, 20:].min() > 0.99 and prob[:, :12].max() < 0.01
    assert 0.0 <= prob.min() and prob.max() <= 1.0


def test_sidecar_sets_fit_and_normalisation(tmp_path):
    path = brightness_nhwc(tmp_path / "toy.onnx")
    path.with_suffix(".json").write_text(json.dumps(
        {"name": "Toy", "family": "sigmoid_nhwc", "fit": "letterbox", "mean": [0.5] * 3,
         "std": [0.5] * 3}))
    m = load_model(str(path))
    assert m.fit == "letterbox" and m.info.name == "Toy"
    prob, _ = m.adapter.infer(np.zeros((48, 64, 3), np.uint8))
    assert prob.max() == pytest.approx(-1.0)  # (0 - .5) / .5


def red_channel_nhwc(path, h=8, w=8):
    """[1,H,W,3] -> [1,H,W,1]: the first input channel as it is (RGB order: red)."""
    g = helper.make_graph(
        [helper.make_node("Slice", ["img", "starts", "ends", "axes"], ["alpha"])], "r",
        [helper.make_tensor_value_info("img", TensorProto.FLOAT, [1, h, w, 3])],
        [helper.make_tensor_value_info("alpha", TensorProto.FLOAT, [1, h, w, 1])],
        initializer=[helper.make_tensor(n, TensorProto.INT64, [1], [v])
                     for n, v in (("starts", 0), ("ends", 1), ("axes", 3))])
    return save(g, path)


@pytest.mark.parametrize("mean, std", [
    ([0.0] * 3, [1.0] * 3),  # MediaPipe's: one scale for all channels (numpy's path)
    ([0.5] * 3, [0.5] * 3),  # ours: one scale and one offset (numpy's path)
    ([0.1, 0.2, 0.3], [0.5, 1.0, 2.0]),  # per channel (cv2's path)
    ([0.0] * 3, [0.25, 1.0, 1.0]),  # per-channel scale, no offset
])
def test_input_is_rgb_scaled_by_mean_and_std(tmp_path, mean, std):
    path = red_channel_nhwc(tmp_path / "red.onnx")
    path.with_suffix(".json").write_text(json.dumps(
        {"name": "Red", "family": "sigmoid_nhwc", "mean": mean, "std": std}))
    m = load_model(str(path))
    bgr = np.empty((8, 8, 3), np.uint8)
    bgr[:] = (10, 20, 200)
    bgr[0, 0] = (0, 0, 255)
    prob, _ = m.adapter.infer(bgr)
    expect = np.full((8, 8), (200 / 255 - mean[0]) / std[0])
    expect[0, 0] = (1.0 - mean[0]) / std[0]
    np.testing.assert_allclose(prob, expect, rtol=1e-6)


def test_not_a_segmentation_model_names_the_expected_signature(tmp_path):
    g = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["y"])], "r",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 10])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 10])])
    with pytest.raises(ModelError) as e:
        load_model(str(save(g, tmp_path / "relu.onnx")))
    assert "[1,H,W,3]" in str(e.value) and "[1, 10]" in str(e.value)


def test_garbage_file_and_missing_file(tmp_path):
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not a model at all")
    with pytest.raises(ModelError, match="could not be loaded"):
        load_model(str(bad))
    with pytest.raises(ModelError, match="does not exist"):
        resolve(str(tmp_path / "missing.onnx"))


def test_broken_sidecar_and_unknown_name(tmp_path):
    path = brightness_nhwc(tmp_path / "toy.onnx")
    path.with_suffix(".json").write_text("{nope")
    with pytest.raises(ModelError, match="not valid JSON"):
        resolve(str(path))
    with pytest.raises(ModelError, match="no model called"):
        resolve("no_such_model")


def test_explicit_missing_provider_is_an_error_not_a_silent_fallback(tmp_path):
    with pytest.raises(ModelError, match="cuda execution provider is not available"):
        load_model(str(brightness_nhwc(tmp_path / "toy.onnx")), provider="cuda")


def test_builtin_models_are_listed():
    keys = [m.key for m in list_models() if m.builtin]
    assert "selfie_general" in keys and "selfie_landscape" in keys


def test_builtin_model_names_are_plain_words() -> None:
    # The Model menu and the settings show these names to people in video calls: no build
    # jargon (the file key, the quantisation, "ours") in them.
    names = [m.name for m in list_models() if m.builtin]
    assert names and len(set(names)) == len(names)
    for name in names:
        assert not any(word in name.lower() for word in ("int8", "ours", "temporal", "_")), name
