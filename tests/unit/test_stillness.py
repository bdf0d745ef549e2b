"""StillnessGate and the engine's reuse of the last mask on still frames."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from vbg.config import MattingConfig
from vbg.matting.engine import MaskEngine
from vbg.matting.focus import Region
from vbg.matting.registry import load_model
from vbg.matting.stillness import StillnessGate

H, W = 180, 320


def _room(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return cv2.GaussianBlur(rng.integers(0, 256, (H, W), np.uint8), (7, 7), 2)


def _noisy(gray: np.ndarray, rng: np.random.Generator, sigma: float = 1.0) -> np.ndarray:
    """``gray`` with camera-like sensor noise *at working size*: σ = 1 here is a camera's
    σ ≈ 4 at 720p after the engine's 4× area shrink."""
    return np.clip(gray + rng.normal(0, sigma, gray.shape), 0, 255).astype(np.uint8)


def _run(gate: StillnessGate, gray: np.ndarray, region: Region | None) -> bool:
    """One frame of the protocol; returns whether the mask was reused."""
    gate.observe(gray)
    if gate.still(region):
        return True
    gate.ran()
    return False


def test_sensor_noise_is_still_and_forced_runs_come_every_max_skip_plus_one() -> None:
    rng = np.random.default_rng(1)
    room, gate = _room(), StillnessGate(max_skip=4)
    reused = [_run(gate, _noisy(room, rng), None) for _ in range(16)]
    # The first frame has no reference; then 4 reused, 1 forced run, 4 reused, ...
    assert reused == [False] + ([True] * 4 + [False]) * 3


def test_motion_in_the_region_runs_the_model_on_that_very_frame() -> None:
    rng = np.random.default_rng(2)
    room, gate = _room(), StillnessGate()
    assert not _run(gate, _noisy(room, rng), None)
    assert _run(gate, _noisy(room, rng), None)
    moved = room.copy()
    moved[80:110, 150:170] = 255  # a hand appears
    assert not _run(gate, _noisy(moved, rng), None)


def test_slow_drift_adds_up_against_the_frame_the_model_saw() -> None:
    # A change too small to see between two frames still triggers a run once it adds up.
    room, gate = _room(), StillnessGate(threshold=3.0, max_skip=100)
    results = [_run(gate, cv2.add(room, np.full_like(room, step)), None) for step in range(6)]
    assert results[:3] == [False, True, True] and False in results[3:]


def test_motion_outside_the_person_region_does_not_count() -> None:
    rng = np.random.default_rng(3)
    room, gate = _room(), StillnessGate()
    region = Region(0.0, 0.0, 0.4, 1.0)  # the person is on the left
    _run(gate, _noisy(room, rng), region)
    moved = room.copy()
    moved[:, 250:] = 255 - moved[:, 250:]  # something changes far right
    assert _run(gate, _noisy(moved, rng), region)
    assert not _run(gate, _noisy(moved, rng), None)  # over the whole frame it does


def test_reset_and_a_new_size_forget_the_reference() -> None:
    room, gate = _room(), StillnessGate()
    _run(gate, room, None)
    gate.reset()
    assert not _run(gate, room, None)
    assert not _run(gate, cv2.resize(room, (160, 90)), None)


@pytest.mark.parametrize("kwargs", [{"threshold": 0}, {"max_skip": -1}])
def test_bad_parameters_are_rejected(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        StillnessGate(**kwargs)  # type: ignore[arg-type]


def test_engine_reuses_on_a_still_picture_and_follows_motion_at_once(shared: Path) -> None:
    """Real model, real clip: a frozen frame with sensor noise reuses the mask; the first
    frame that moves gets exactly the mask an every-frame engine gives it."""
    cap = cv2.VideoCapture(str(shared / "video" / "walking_saltflat.mp4"))
    frames = []
    for _ in range(40):
        ok, f = cap.read()
        assert ok
        frames.append(cv2.resize(f, (640, 360)))
    cap.release()
    model = load_model("selfie_general")
    cfg = MattingConfig(smoothing=False)  # so both engines' masks depend on the frame alone
    reusing, every = MaskEngine(model, cfg), MaskEngine(model, cfg, reuse_still=False)
    rng = np.random.default_rng(4)
    still = [np.clip(frames[0] + rng.normal(0, 2, frames[0].shape), 0, 255).astype(np.uint8)
             for _ in range(8)]
    for f in still:
        reusing.process(f)
        every.process(f)
    assert reusing.reused >= 4
    moving = frames[39]  # the walker is elsewhere 39 frames on
    a = reusing.process(moving).copy()
    b = every.process(moving)
    assert not reusing.last_reused
    assert np.array_equal(a, b)


@pytest.mark.parametrize("size", [(640, 360), (1281, 721), (1280, 720)])
def test_engine_halves_fit_the_compositor_at_any_size(size: tuple[int, int]) -> None:
    from vbg.compositor import Compositor
    from vbg.config import BackgroundConfig

    rng = np.random.default_rng(5)
    frame = rng.integers(0, 256, (size[1], size[0], 3), np.uint8)
    engine = MaskEngine(load_model("selfie_general"), MattingConfig())
    alpha = engine.process(frame)
    for half in (engine.frame_half, engine.alpha_half):
        assert half is None or half.shape[:2] == (size[1] // 2, size[0] // 2)
    out = Compositor(BackgroundConfig()).compose(frame, alpha, frame_half=engine.frame_half,
                                                 alpha_half=engine.alpha_half)
    assert out.shape == frame.shape
