"""A tiny end-to-end run on CPU: the loss goes down, the artefacts appear, resume continues,
and the exported ONNX is loaded and run by the engine's registry unchanged."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.slow  # trains a tiny network end to end

from vbg.config import MattingConfig  # noqa: E402
from vbg.matting.engine import MaskEngine  # noqa: E402
from vbg.matting.registry import load_model  # noqa: E402
from vbg.training.cli import main  # noqa: E402
from vbg.training.config import build_config  # noqa: E402
from vbg.training.loop import Run  # noqa: E402


def test_tiny_run_learns_exports_and_runs_in_the_engine(tiny_data: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    cfg = build_config(data=[str(tiny_data)], val_fraction=0.2, size=64, epochs=4, batch_size=4,
                       lr=0.01, out=str(out), progress=False, strip_images=2)
    run = Run(cfg)
    before = run.validate()["loss"]
    run.fit()
    hist = run.history
    assert len(hist) == 4
    assert hist[-1]["val_loss"] < 0.8 * before, (before, [h["val_loss"] for h in hist])
    assert hist[-1]["train_loss"] < hist[0]["train_loss"]
    for name in ("best.pt", "last.pt", "curves.png", "timelapse.gif", "timelapse.mp4",
                 "config.json", "history.json"):
        assert (out / name).is_file(), name
    assert len(list((out / "strips").glob("epoch_*.png"))) == 4
    video = cv2.VideoCapture(str(out / "timelapse.mp4"))
    n_frames = 0
    while video.read()[0]:
        n_frames += 1
    assert n_frames == 4  # one frame per epoch's strip
    best = torch.load(out / "best.pt", weights_only=True)
    assert all(isinstance(v, torch.Tensor) for v in best.values())

    # Resume: one more epoch continues the same run.
    cfg2 = build_config(**{**json.loads((out / "config.json").read_text()), "epochs": 5,
                           "resume": True})
    run2 = Run(cfg2)
    assert run2.epoch == 4 and len(run2.history) == 4
    run2.fit()
    assert [h["epoch"] for h in run2.history] == [1, 2, 3, 4, 5]

    onnx_path = tmp_path / "models" / "mine.onnx"
    assert main(["export", "--run", str(out), "--out", str(onnx_path)]) == 0
    side = json.loads(onnx_path.with_suffix(".json").read_text())
    assert side["family"] == "sigmoid_nchw" and side["input_size"] == [64, 64]
    assert set(side) == {"name", "family", "fit", "mean", "std", "input_size", "license",
                         "source"}

    loaded = load_model(str(onnx_path))
    assert loaded.input_hw == (64, 64)
    img = (np.random.default_rng(1).integers(0, 255, (64, 64, 3))).astype(np.uint8)
    prob, _ = loaded.adapter.infer(img)
    assert prob.shape == (64, 64) and 0.0 <= prob.min() and prob.max() <= 1.0
    engine = MaskEngine(loaded, MattingConfig(model=str(onnx_path)))
    alpha = engine.process(np.zeros((120, 160, 3), np.uint8))
    assert alpha.shape == (120, 160) and alpha.dtype == np.uint8
