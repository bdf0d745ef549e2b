"""Issue 22, 4 at the command line: a bad sidecar in the user's models folder is listed as
refused by `vbg models` (exit 0), and `vbg image` / `vbg run` with the default model work."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from tests.cli.console import one_sentence, run
from tests.unit.test_registry import brightness_nhwc
from vbg.matting.registry import user_models_dir


@pytest.fixture
def bad_model(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    folder = user_models_dir()
    folder.mkdir(parents=True)
    bad = brightness_nhwc(folder / "toy.onnx")
    bad.with_suffix(".json").write_text(json.dumps({"mean": "abc", "input_size": [60000, 1]}))
    return bad


def test_models_lists_the_refused_model_with_its_reason(capsys, bad_model):
    code, out, err = run(capsys, "models")
    assert code == 0 and "Traceback" not in err
    line = next(li for li in out.splitlines() if li.startswith("toy "))
    assert "refused:" in line and '"mean": "abc"' in line
    assert "(default)" in out


def test_the_default_model_still_works(capsys, bad_model, tmp_path):
    photo = tmp_path / "p.png"
    cv2.imwrite(str(photo), np.full((64, 64, 3), 120, np.uint8))
    code, _, err = run(capsys, "image", str(photo), "--out", str(tmp_path / "o"))
    assert code == 0, err
    code, _, err = run(capsys, "run", "--source", "synthetic", "--no-vcam", "--frames", "2")
    assert code == 0, err


def test_asking_for_the_refused_model_is_one_sentence(capsys, bad_model):
    code, _, err = run(capsys, "run", "--source", "synthetic", "--no-vcam", "--frames", "1",
                       "--model", "toy")
    assert code == 2 and '"mean": "abc"' in one_sentence(err)
