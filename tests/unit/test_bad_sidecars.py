"""Issue 22, 4: one bad sidecar in the user's models folder is refused for its own model, in
one sentence, and every other model (the default included) keeps working."""

from __future__ import annotations

import json

import pytest

from tests.unit.test_registry import brightness_nhwc
from vbg.config import DEFAULT_MODEL
from vbg.errors import ModelError
from vbg.matting.registry import MAX_INPUT_SIDE, list_models, load_model, resolve, user_models_dir

BAD = [
    ({"mean": "abc"}, '"mean": "abc"; it must be a list of 3 numbers'),
    ({"mean": [0.5, 0.5]}, "a list of 3 numbers"),
    ({"std": [1, 1, 1, 1]}, "a list of 3 numbers"),
    ({"std": [1, "x", 1]}, "a list of 3 numbers"),
    ({"std": [1, True, 1]}, "a list of 3 numbers"),
    ({"mean": [0, 0, 1e999]}, "a list of 3 numbers"),  # Infinity
    ({"std": [0.5, 0, 0.5]}, "must be above 0"),
    ({"std": [-1, 1, 1]}, "must be above 0"),
    ({"input_size": [0, 256]}, f"whole numbers from 1 to {MAX_INPUT_SIDE}"),
    ({"input_size": [-256, 256]}, "whole numbers from 1"),
    ({"input_size": [60000, 60000]}, "whole numbers from 1"),
    ({"input_size": [256.5, 256]}, "whole numbers from 1"),
    ({"input_size": [256]}, "a list of 2 numbers"),
    ({"input_size": "256x256"}, "a list of 2 numbers"),
    ({"fit": "zoom"}, "names fit 'zoom'; use one of stretch, crop, letterbox"),
    ({"family": "magic"}, "names family 'magic'"),
    ({"name": 7}, '"name": 7; it must be a string'),
    ({"matte": {"live": [0.3]}}, "matte calibration"),
    ([1, 2], "must hold a JSON object"),
]


@pytest.fixture
def user_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    folder = user_models_dir()
    folder.mkdir(parents=True)
    return folder


@pytest.mark.parametrize("sidecar, reason", BAD)
def test_a_bad_value_refuses_that_model_alone(user_dir, sidecar, reason):
    brightness_nhwc(user_dir / "good.onnx")
    bad = brightness_nhwc(user_dir / "toy.onnx")
    bad.with_suffix(".json").write_text(json.dumps(sidecar))
    models = {m.key: m for m in list_models()}
    assert models[DEFAULT_MODEL].problem is None and models["good"].problem is None
    problem = models["toy"].problem
    assert problem is not None and reason in problem and str(bad.with_suffix(".json")) in problem
    assert "\n" not in problem
    with pytest.raises(ModelError) as err:
        resolve("toy")
    assert str(err.value) == problem
    with pytest.raises(ModelError, match="toy.json"):
        load_model(str(bad))  # by path too
    assert load_model(DEFAULT_MODEL).info.key == DEFAULT_MODEL
    assert load_model("good").info.key == "good"


def test_not_json_is_refused_alone(user_dir):
    bad = brightness_nhwc(user_dir / "toy.onnx")
    bad.with_suffix(".json").write_text("{nope")
    assert "not valid JSON" in {m.key: m for m in list_models()}["toy"].problem
    assert resolve(DEFAULT_MODEL).problem is None


def test_good_values_still_load(user_dir):
    toy = brightness_nhwc(user_dir / "toy.onnx")
    toy.with_suffix(".json").write_text(json.dumps(
        {"name": "Toy", "mean": [0, 0, 0], "std": [1, 1, 1], "fit": "crop",
         "input_size": [48, 64], "matte": {"live": [0.3, 0.7]}}))
    info = resolve("toy")
    assert info.problem is None and info.input_size == (48, 64) and info.std == (1.0, 1.0, 1.0)
    assert load_model("toy").fit == "crop"


def test_the_app_menu_leaves_a_refused_model_out(user_dir, caplog):
    from vbg.app.session import list_models as menu_models

    bad = brightness_nhwc(user_dir / "toy.onnx")
    bad.with_suffix(".json").write_text(json.dumps({"std": [0, 0, 0]}))
    keys = [m.key for m in menu_models()]
    assert DEFAULT_MODEL in keys and "toy" not in keys
    assert "must be above 0" in caplog.text
