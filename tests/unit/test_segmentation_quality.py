"""The shipped default model on real held-out portraits (../shared/data), full resolution."""

from __future__ import annotations

import numpy as np
import pytest

from vbg.config import MattingConfig
from vbg.evaluation import boundary_f, iou, paired_images, read_mask, read_photo
from vbg.matting.engine import MaskEngine
from vbg.matting.registry import load_model
from vbg.stills import StillCutter


@pytest.fixture(scope="module")
def street_people(shared):
    """Every 10th photo of the street/portrait set: varied, people not centred."""
    return paired_images(shared / "data" / "vikram190")[::10]


def scores(predict, pairs):
    ious, bfs = [], []
    for img_path, mask_path in pairs:
        image = read_photo(img_path)
        truth = read_mask(mask_path, image.shape[1::-1])
        pred = predict(image)
        assert pred.shape == truth.shape and pred.dtype == np.uint8
        ious.append(iou(pred, truth))
        bfs.append(boundary_f(pred, truth))
    return float(np.mean(ious)), float(np.mean(bfs))


def test_still_cutout_meets_the_iou_floor(shared):
    pairs = [p for p in paired_images(shared / "data" / "aiseg60") if p[0].name[:3] in
             ("d2_", "d3_")][::3]
    cutter = StillCutter("selfie_general")
    mean_iou, mean_bf = scores(lambda im: cutter.cut(im).alpha, pairs)
    assert mean_iou > 0.95 and mean_bf > 0.85


def test_person_focused_pass_beats_a_single_full_frame_pass(street_people):
    model = load_model("selfie_general")
    cfg = MattingConfig(smoothing=False)
    single = MaskEngine(model, cfg, working_side=1024)
    focused = MaskEngine(model, cfg, working_side=1024)
    s_iou, s_bf = scores(lambda im: single.process_still(im, focus=False, mirror=False),
                         street_people)
    f_iou, f_bf = scores(lambda im: focused.process_still(im, focus=True, mirror=True),
                         street_people)
    assert s_iou > 0.8  # the floor for the plain model on these photos
    assert f_iou > s_iou and f_bf > s_bf


def test_video_engine_finds_the_person_in_a_real_clip(shared):
    import cv2

    cap = cv2.VideoCapture(str(shared / "video" / "office_desk.mp4"))
    engine = MaskEngine(load_model("selfie_general"), MattingConfig())
    try:
        for _ in range(20):
            ok, frame = cap.read()
            assert ok
            alpha = engine.process(frame)
    finally:
        cap.release()
    person = np.count_nonzero(alpha > 127) / alpha.size
    assert 0.03 < person < 0.6  # someone is there, and it is not the whole room
    assert engine.tracker.region is not None  # and the focused region follows them


def test_live_path_at_1080p_cuts_the_model_input_from_a_smaller_copy_and_keeps_quality(shared):
    """At 1080p the person's crop in the half-size copy is more than twice the model input, so
    the engine cuts it from the next exact halving (cheap bilinear fit instead of a slow
    non-integer INTER_AREA). The mask must still match the truth as well as at 720p."""
    import cv2

    pairs = [p for p in paired_images(shared / "data" / "vikram190")
             if read_photo(p[0]).shape[:2] == (480, 640)][::4]  # landscape 4:3 -> 1440×1080
    model = load_model("selfie_general")
    cfg = MattingConfig(smoothing=False)
    results = {}
    for height in (720, 1080):
        engine = MaskEngine(model, cfg)
        used = []
        fit_source = engine._fit_source

        def spy(frame, region, fit_source=fit_source, used=used):
            src = fit_source(frame, region)
            used.append(src.shape[0])
            return src

        engine._fit_source = spy  # type: ignore[method-assign]

        def predict(im, engine=engine, height=height):
            h, w = im.shape[:2]
            big = cv2.resize(im, (round(w * height / h) // 2 * 2, height),
                             interpolation=cv2.INTER_CUBIC)
            engine.reset()
            return cv2.resize(engine.process(big), (w, h), interpolation=cv2.INTER_AREA)

        results[height] = scores(predict, pairs)
        if height == 1080:
            assert min(used) == 1080 // 4  # the quarter-size copy was used for the crops
        else:
            assert set(used) == {720 // 2}  # at 720p the half-size copy, as before
    (iou_720, bf_720), (iou_1080, bf_1080) = results[720], results[1080]
    assert iou_1080 > 0.75 and bf_1080 > 0.6  # the floor for these street photos
    assert iou_1080 > iou_720 - 0.01 and bf_1080 > bf_720 - 0.02
