from dataclasses import replace

import numpy as np

from vbg.config import MattingConfig
from vbg.matting.engine import MaskEngine
from vbg.matting.focus import FULL, Region, RegionTracker, person_region
from vbg.matting.registry import load_model


def blob(x0, y0, x1, y1, shape=(180, 320)):
    a = np.zeros(shape, np.float32)
    a[y0:y1, x0:x1] = 1.0
    return a


def test_region_surrounds_the_person_with_margin():
    r = person_region(blob(120, 60, 200, 180))
    assert r is not None
    assert r.x0 < 120 / 320 and r.x1 > 200 / 320 and r.y0 < 60 / 180
    assert r.x1 - r.x0 < 0.5  # much smaller than the frame: that's the point


def test_no_person_means_full_frame():
    assert person_region(np.zeros((180, 320), np.float32)) is None


def test_tracker_full_pass_periodically_and_grows_at_once():
    t = RegionTracker(full_every=5)
    region, full = t.plan()
    assert region is None and full
    t.update(blob(120, 60, 200, 180))
    plans = [t.plan() for _ in range(10)]
    assert [f for _, f in plans].count(True) == 2  # plans 5 and 10
    before = t.region
    t.update(blob(20, 60, 200, 180))  # an arm goes out to the left
    assert t.region.x0 < before.x0  # grew immediately


def test_tracker_shrinks_only_after_a_while():
    t = RegionTracker(full_every=100, shrink_after=3)
    t.update(blob(60, 20, 260, 180))
    big = t.region
    for _ in range(2):
        t.update(blob(140, 60, 180, 180))
        assert t.region == big
    t.update(blob(140, 60, 180, 180))
    assert t.region != big and big.contains(t.region)


def test_region_pixels_are_inside_the_picture():
    assert FULL.pixels(640, 360) == (0, 0, 640, 360)
    assert Region(0.5, 0.5, 0.5001, 0.5001).pixels(10, 10)[2:] == (6, 6)


def test_a_person_filling_the_frame_costs_one_model_run_per_frame(monkeypatch) -> None:
    """When the tracked region is the whole frame, the detection pass already ran the model on
    exactly the focused pass's input: one run per frame, and the same masks as an engine that
    never runs a detection pass after the first."""
    import vbg.matting.engine as engine_mod
    import vbg.matting.focus as focus_mod

    def fills_the_frame(alpha, *args, **kwargs):
        return FULL

    monkeypatch.setattr(engine_mod, "person_region", fills_the_frame)
    monkeypatch.setattr(focus_mod, "person_region", fills_the_frame)
    model = load_model("selfie_general")
    runs = {"n": 0}
    infer = model.adapter.infer

    def counting(*args, **kwargs):
        runs["n"] += 1
        return infer(*args, **kwargs)

    monkeypatch.setattr(model.adapter, "infer", counting)
    cfg = MattingConfig(smoothing=False, full_frame_every=5)
    detecting = MaskEngine(model, cfg, reuse_still=False)
    rng = np.random.default_rng(6)
    frames = [rng.integers(0, 256, (360, 640, 3), np.uint8) for _ in range(12)]
    masks = [detecting.process(f).copy() for f in frames]
    assert runs["n"] == len(frames)  # detection passes on frames 1, 6, 11: no second run
    once = MaskEngine(model, replace(cfg, full_frame_every=1000), reuse_still=False)
    for f, m in zip(frames, masks, strict=True):
        assert np.array_equal(once.process(f), m)
