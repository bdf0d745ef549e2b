"""The matte curve: parsing, exactness of the fused (pre-filter) stretch, fitting, and what it
does to the shipped model's mattes on real soft ground truth."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from vbg.config import MattingConfig
from vbg.errors import ModelError
from vbg.evaluation import mad, read_mask, soft_share
from vbg.matting.engine import MaskEngine
from vbg.matting.matte import MatteCurve, band_share, curves_for, fit_width
from vbg.matting.refine import GuidedUpsampler
from vbg.matting.registry import load_model, resolve


def test_sidecar_entries():
    assert MatteCurve.from_sidecar(None, "live").identity
    assert MatteCurve.from_sidecar({"still": [0.2, 0.8]}, "live").identity
    assert MatteCurve.from_sidecar({"live": [0.3, 0.7]}, "live") == MatteCurve(0.3, 0.7)
    for bad in ({"live": [0.7, 0.3]}, {"live": [0.3]}, {"live": "0.3-0.7"}, [0.3, 0.7]):
        with pytest.raises(ValueError):
            MatteCurve.from_sidecar(bad, "live")


def test_a_malformed_sidecar_entry_names_the_sidecar():
    class Info:
        matte = {"live": [0.9, 0.1]}
        path = Path("/models/mine.onnx")

    with pytest.raises(ModelError, match=r"mine\.json"):
        curves_for(Info())


def test_lut_maps_lo_to_0_hi_to_255_and_is_monotonic():
    lut = MatteCurve(0.3, 0.7).lut()
    assert lut[round(0.3 * 255)] == 0 and lut[round(0.7 * 255) + 1] == 255
    assert lut[128] in (127, 128, 129)
    assert np.all(np.diff(lut.astype(int)) >= 0)


def test_stretching_before_the_guided_filter_equals_stretching_after_it():
    # The engine applies the curve to the small alpha, unclipped, before the guided filter;
    # this is only right because the filter is linear in the alpha and its output saturates.
    rng = np.random.default_rng(1)
    frame = cv2.GaussianBlur(rng.integers(0, 255, (360, 640, 3), np.uint8), (0, 0), 3)
    small = cv2.resize(frame, (160, 90), interpolation=cv2.INTER_AREA)
    guide = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
    yy, xx = np.mgrid[0:90, 0:160]
    alpha = np.clip((xx - 60) / 40.0 + 0.1 * np.sin(yy / 5.0), 0, 1).astype(np.float32)
    curve = MatteCurve(0.3, 0.7)
    up = GuidedUpsampler(4, 1e-2)
    after = curve.apply_u8(up(alpha, guide, frame))
    before = GuidedUpsampler(4, 1e-2)(curve.apply_small(alpha, np.empty_like(alpha)), guide, frame)
    diff = cv2.absdiff(after, before)
    assert diff.max() <= 3  # rounding of the uint8 stage only
    assert band_share(before) < 0.6 * band_share(up(alpha, guide, frame))


def test_fit_width_matches_the_true_band():
    x = np.arange(400, dtype=np.float32)
    truth_row = np.clip((x - 200) / 6 + 0.5, 0, 1)  # narrow true ramp
    pred_row = np.clip((x - 200) / 40 + 0.5, 0, 1)  # the model's wide one
    truth = np.tile((truth_row * 255).round().astype(np.uint8), (50, 1))
    pred = np.tile((pred_row * 255).round().astype(np.uint8), (50, 1))
    curve = fit_width([pred], [truth])
    assert curve.lo + curve.hi == pytest.approx(1.0)
    assert band_share(curve.apply_u8(pred)) == pytest.approx(band_share(truth), abs=0.01)


def test_shipped_model_is_calibrated_and_narrows_the_band_on_real_mattes(portraits):
    info = resolve("selfie_general")
    live, still = curves_for(info)
    assert not live.identity and not still.identity
    engine = MaskEngine(load_model("selfie_general"), MattingConfig())
    before, after, truths = [], [], []
    for img_path, mask_path in portraits[:6]:
        image = cv2.imread(str(img_path))
        truths.append(read_mask(mask_path, image.shape[1::-1]))
        for curve, out in ((live, after), (MatteCurve(), before)):
            engine.live_curve = curve
            engine.reset()
            out.append(engine.process(image).copy())
    band = lambda ms: np.mean([soft_share(m) for m in ms])  # noqa: E731
    err = lambda ms: np.mean([mad(m, t) for m, t in zip(ms, truths, strict=True)])  # noqa: E731
    assert band(after) < 0.5 * band(before)
    assert band(after) < 1.5 * band(truths)
    assert err(after) < err(before)
