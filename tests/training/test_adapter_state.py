"""Model state as plain data: the engine keeps one recurrent state per pass (focused crop,
mirrored pass, full-frame detection pass), starts a pass afresh when its region jumps, and
the still-image path uses no state. A real exported temporal model runs through the real
registry; the adapter's ``infer`` is only wrapped to record what goes in and out."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from vbg.config import MattingConfig  # noqa: E402
from vbg.matting.engine import MaskEngine  # noqa: E402
from vbg.matting.focus import FULL, Region  # noqa: E402
from vbg.matting.registry import load_model  # noqa: E402
from vbg.training.export import export, sidecar  # noqa: E402
from vbg.training.loop import MEAN, STD  # noqa: E402


@pytest.fixture(scope="module")
def temporal_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 4-input model that calls bright pixels "person" (so the tracker finds the bright
    ellipse of ``_frame``) and also leans on the previous alpha (so the state matters)."""
    net = torch.nn.Conv2d(4, 1, 1)
    with torch.no_grad():
        net.weight[:] = torch.tensor([4.0, 4.0, 4.0, 1.0]).view(1, 4, 1, 1)
        net.bias.fill_(0.5)
    path = tmp_path_factory.mktemp("m") / "temporal.onnx"
    export(net.eval(), path, (64, 64), 4, sidecar("t", True, (64, 64), MEAN, STD))
    return path


class Recorder:
    """Wraps ``adapter.infer``: records (input picture, state in, state out) of every call."""

    def __init__(self, adapter) -> None:  # noqa: ANN001
        self.inner = adapter.infer
        self.calls: list[tuple[np.ndarray, object, object]] = []
        adapter.infer = self

    def __call__(self, bgr: np.ndarray, state=None):  # noqa: ANN001, ANN204
        prob, out = self.inner(bgr, state)
        self.calls.append((bgr.copy(), state, out))
        return prob, out


def _frame(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    img = rng.integers(0, 60, (240, 320, 3)).astype(np.uint8)
    cv2.ellipse(img, (160, 170), (60, 90), 0, 0, 360, (200, 180, 170), -1)
    return img


def _engine(path: Path, **cfg: object) -> tuple[MaskEngine, Recorder]:
    loaded = load_model(str(path), threads=1, provider="cpu")
    rec = Recorder(loaded.adapter)
    # reuse_still off: these tests feed the same still frame and count the model's calls.
    return MaskEngine(loaded, MattingConfig(model=str(path), **cfg), reuse_still=False), rec


def test_each_pass_gets_back_its_own_state(temporal_model: Path) -> None:
    engine, rec = _engine(temporal_model, focus=False, mirror_pass=True, smoothing=False)
    for _ in range(3):
        engine.process(_frame())
    # Per frame: the plain pass, then the mirrored pass (its input is the plain one mirrored).
    assert len(rec.calls) == 6
    assert np.array_equal(rec.calls[1][0], cv2.flip(rec.calls[0][0], 1))
    assert rec.calls[0][1] is None and rec.calls[1][1] is None  # both start cold
    for k in range(2, 6):
        assert rec.calls[k][1] is rec.calls[k - 2][2], k  # its own pass's last state
        assert rec.calls[k][1] is not rec.calls[k - 1][2], k  # never the other pass's


def test_focused_and_detection_passes_are_kept_apart(temporal_model: Path) -> None:
    engine, rec = _engine(temporal_model, focus=True, mirror_pass=False, smoothing=False,
                          full_frame_every=3)
    for _ in range(7):
        engine.process(_frame())
    keys = list(engine._states)
    assert ("full", False) in keys and ("focus", False) in keys
    full_state = engine._states[("full", False)]
    focus_state = engine._states[("focus", False)]
    assert full_state[1] == FULL and focus_state[1] != FULL
    assert full_state[0] is not focus_state[0]
    # The calls form exactly two chains (the detection pass's and the focused pass's): each
    # call gets the output of an earlier call or None (a chain's start), and no output is fed
    # to two calls (passes never share or overwrite each other's state).
    outputs = [out for _, _, out in rec.calls]
    starts, fed = 0, []
    for k, (_, state_in, _) in enumerate(rec.calls):
        if state_in is None:
            starts += 1
            continue
        source = [j for j in range(k) if outputs[j] is state_in]
        assert source, f"call {k} got a state no earlier call returned"
        fed.append(source[0])
    assert starts == 2
    assert len(fed) == len(set(fed))
    assert len(rec.calls) == 10  # 7 frames, 3 of them with a detection pass (every 3rd)


def test_a_region_jump_or_a_reset_starts_afresh(temporal_model: Path) -> None:
    engine, rec = _engine(temporal_model, focus=True, mirror_pass=False, smoothing=False,
                          full_frame_every=1000)
    engine.process(_frame())
    engine.process(_frame())
    assert rec.calls[-1][1] is not None  # the focused pass is carrying its state
    region = engine.tracker.region
    assert region is not None and region != FULL
    # Move the tracked region far away (as when the person jumps): the focused pass restarts.
    engine.tracker.region = Region(0.0, 0.0, 0.3, 0.3) if region.x0 > 0.2 else Region(
        0.7, 0.7, 1.0, 1.0)
    engine.process(_frame())
    assert rec.calls[-1][1] is None
    # Nobody there: the next frame's detection pass finds the person again and the focused
    # pass jumps back (afresh again); from then on it carries its state.
    engine.process(_frame())
    assert rec.calls[-1][1] is None
    engine.process(_frame())
    assert rec.calls[-1][1] is not None
    engine.reset()
    assert not engine._states
    engine.process(_frame())
    assert all(state is None for _, state, _ in rec.calls[-2:])


def test_stills_use_no_state(temporal_model: Path) -> None:
    engine, rec = _engine(temporal_model, focus=True, mirror_pass=False)
    engine.process(_frame())
    before = dict(engine._states)
    rec.calls.clear()
    engine.process_still(_frame(1), focus=True, mirror=True)
    assert rec.calls and all(state is None for _, state, _ in rec.calls)
    assert engine._states == before


def test_the_family_modules_do_not_import_each_other() -> None:
    code = ("import sys, vbg.matting.adapters as a; "
            "assert 'vbg.matting.temporal' not in sys.modules, 'adapters imports temporal'; "
            "import vbg.matting.registry as r; "
            "assert 'temporal_nchw' in r.FAMILIES and 'sigmoid_nhwc' in r.FAMILIES")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr
