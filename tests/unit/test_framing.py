"""Auto-framing: the operator driven frame by frame, the box reader on drawn masks, the framer's
geometry on a drawn picture, and the report's numbers on masks whose answers are known."""

from __future__ import annotations

import math
import random

import cv2
import numpy as np
import pytest

from vbg.framing.framer import Framer
from vbg.framing.measure import BoxReader, box_of
from vbg.framing.operator import (
    FULL,
    Box,
    Crop,
    FramingParams,
    FramingState,
    step,
    wanted,
)
from vbg.framing.report import FramingMeter

DT = 1 / 30
P = FramingParams()


def run(boxes: list[Box | None], state: FramingState | None = None) -> list[Crop]:
    state = state or FramingState()
    crops = []
    for box in boxes:
        crop, state = step(box, state, DT, P)
        crops.append(crop)
    return crops


def inside(crop: Crop) -> bool:
    eps = 1e-9
    return (crop.x0 >= -eps and crop.y0 >= -eps and crop.x0 + crop.size <= 1 + eps
            and crop.y0 + crop.size <= 1 + eps)


# An off-centre seated person: head at 0.15 of the height, shoulders to the bottom edge.
SIDE = Box(0.45, 0.15, 0.85, 1.0)


def test_the_first_person_seen_is_framed_at_once_centred_with_head_room():
    crop = run([SIDE])[0]
    assert crop.size < 1.0                              # closer: the only way to centre her
    assert crop.cx == pytest.approx(SIDE.cx)            # her centre is the picture's centre
    # The top of her head 1/10 of the crop's height below its top edge.
    assert (SIDE.y0 - crop.y0) / crop.size == pytest.approx(P.head_room)
    assert inside(crop)


def test_a_centred_well_framed_person_keeps_the_full_view():
    assert run([Box(0.3, 0.12, 0.7, 1.0)] * 30)[-1] == FULL


def test_nobody_seen_yet_keeps_the_full_view():
    assert run([None] * 60) == [FULL] * 60


def test_small_moves_inside_the_dead_zone_do_not_move_the_camera():
    rng = random.Random(1)
    first = run([SIDE])[0]
    # Twitches of the mask: the box wanders by less than the dead zone (share of the crop).
    wobble = P.dead_zone * first.size * 0.8
    boxes = [SIDE]
    for _ in range(90):
        d = rng.uniform(-wobble, wobble) / 2
        boxes.append(Box(SIDE.x0 + d, SIDE.y0, SIDE.x1 + d, SIDE.y1))
    crops = run(boxes)
    assert all(c == first for c in crops)


def test_a_move_is_followed_without_overshoot_within_the_speed_limit():
    moved = Box(0.15, 0.15, 0.55, 1.0)  # she slides over to the other side
    crops = run([SIDE] + [moved] * 240)
    target = wanted(moved, P)
    xs = [c.cx for c in crops]
    # Monotonic approach (never past the target) and arrival.
    assert all(b <= a + 1e-12 for a, b in zip(xs, xs[1:], strict=False))
    assert min(xs) >= target.cx - 1e-9
    assert xs[-1] == pytest.approx(target.cx, abs=1e-3)
    # No frame moves faster than the limit (crop widths per second).
    steps = [abs(b - a) for a, b in zip(xs, xs[1:], strict=False)]
    assert max(steps) <= P.max_speed * crops[0].size * DT + 1e-9
    # Eased: it starts slowly rather than jumping to full speed.
    assert steps[0] < max(steps) / 2


def test_the_head_is_never_cut_even_when_she_stands_up_fast():
    boxes = [SIDE] * 10
    # Rising by 0.1 of the height within 5 frames: faster than the camera may pan.
    for i in range(1, 6):
        top = SIDE.y0 - 0.02 * i
        boxes.append(Box(SIDE.x0, top, SIDE.x1, SIDE.y1))
    boxes += [boxes[-1]] * 60
    crops = run(boxes)
    for box, crop in zip(boxes, crops, strict=False):
        assert crop.y0 <= box.y0 + 1e-9


def test_the_crop_stays_in_the_frame_and_the_zoom_range_whatever_the_boxes():
    rng = random.Random(7)
    boxes: list[Box | None] = []
    for _ in range(600):
        if rng.random() < 0.1:
            boxes.append(None)
            continue
        x0, y0 = rng.uniform(0, 0.9), rng.uniform(0, 0.9)
        boxes.append(Box(x0, y0, rng.uniform(x0 + 0.02, 1.0), rng.uniform(y0 + 0.02, 1.0)))
    for crop in run(boxes):
        assert inside(crop)
        assert 1 / P.max_zoom - 1e-9 <= crop.size <= 1.0


def test_nobody_there_returns_slowly_to_the_full_view_after_a_while():
    start = run([SIDE])[0]
    absent_frames = math.ceil(P.absent_s / DT)
    crops = run([SIDE] + [None] * (absent_frames + 600))
    waiting = crops[1:absent_frames]
    assert all(c == start for c in waiting)     # a moment away is not leaving
    gliding = crops[absent_frames:]
    assert gliding[-1] == pytest.approx(FULL) or gliding[-1].size == pytest.approx(1.0)
    steps = [abs(b.cx - a.cx) for a, b in zip(gliding, gliding[1:], strict=False)]
    assert max(steps) <= P.return_speed * DT + 1e-9  # slower than a pan after a person


def test_step_is_pure():
    state = FramingState()
    a = step(SIDE, state, DT, P)
    b = step(SIDE, state, DT, P)
    assert a == b and state == FramingState()


def test_a_person_at_the_edge_is_framed_as_close_as_the_limit_allows():
    crop = wanted(Box(0.85, 0.3, 1.0, 1.0), P)
    assert crop.size == pytest.approx(1 / P.max_zoom)
    assert crop.x0 + crop.size == pytest.approx(1.0)  # pushed against the edge, not past it


def test_bad_params_are_refused():
    with pytest.raises(ValueError, match="max_zoom"):
        FramingParams(max_zoom=0.5)


# ----------------------------------------------------------------------------- box reading
def test_box_of_a_drawn_rectangle_in_pixel_edges():
    mask = np.zeros((100, 200), bool)
    mask[20:100, 50:150] = True
    assert box_of(mask) == Box(50 / 200, 20 / 100, 150 / 200, 1.0)


def test_box_of_too_few_pixels_is_nobody():
    mask = np.zeros((100, 200), bool)
    mask[0:2, 0:2] = True
    assert box_of(mask) is None


def test_the_box_is_centred_on_head_and_shoulders_not_a_keyboard_on_the_desk():
    mask = np.zeros((360, 640), bool)
    mask[40:360, 300:500] = True    # the person, centre x 400
    mask[320:360, 60:300] = True    # a keyboard the mask caught, at the bottom left
    assert box_of(mask).cx == pytest.approx(280 / 640)          # everything
    assert box_of(mask, upper=0.6).cx == pytest.approx(400 / 640)  # head and shoulders


def test_the_reader_is_within_one_sample_of_the_truth_and_never_below_the_head():
    alpha = np.zeros((720, 1280), np.uint8)
    alpha[100:720, 400:900] = 255
    box = BoxReader()(alpha)
    sample_w, sample_h = 1 / 160, 1 / 90
    assert box.y0 <= 100 / 720 and 100 / 720 - box.y0 <= 2 * sample_h
    assert box.x0 <= 400 / 1280 and 400 / 1280 - box.x0 <= 2 * sample_w
    assert box.x1 >= 900 / 1280 and box.x1 - 900 / 1280 <= 2 * sample_w
    assert BoxReader()(np.zeros((720, 1280), np.uint8)) is None


# ----------------------------------------------------------------------------- framer
def test_the_framer_passes_the_full_view_through_untouched():
    image = np.random.default_rng(0).integers(0, 255, (360, 640, 3), np.uint8)
    alpha = np.zeros((360, 640), np.uint8)
    alpha[40:360, 220:420] = 255  # centred, head room 0.11: nothing to do
    half = cv2.resize(image, (320, 180), interpolation=cv2.INTER_AREA)
    framed = Framer()(image, alpha, 0.0, frame_half=half)
    assert framed.crop == FULL
    assert framed.image is image and framed.alpha is alpha and framed.frame_half is half


def test_the_framer_crops_frame_and_alpha_together():
    h, w = 360, 640
    # A picture whose pixel says where it is: x in blue, y in green.
    yy, xx = np.mgrid[0:h, 0:w]
    image = np.dstack([xx * 255 // (w - 1), yy * 255 // (h - 1), np.zeros_like(xx)]).astype(
        np.uint8)
    alpha = np.zeros((h, w), np.uint8)
    alpha[60:360, 400:600] = 255  # off to the right
    half = cv2.resize(image, (w // 2, h // 2), interpolation=cv2.INTER_AREA)
    framed = Framer()(image, alpha, 0.0, frame_half=half)
    crop = framed.crop
    assert crop.size < 1.0
    assert framed.image.shape == image.shape and framed.alpha.shape == alpha.shape
    # The engine's halves show the uncropped frame: dropped, the compositor makes its own.
    assert framed.frame_half is None and framed.alpha_half is None
    # The output's middle shows the crop's centre of the camera frame.
    mid = framed.image[h // 2, w // 2].astype(int)
    assert abs(mid[0] - crop.cx * 255) <= 3 and abs(mid[1] - crop.cy * 255) <= 3
    # The alpha moved with the picture: its box is where the person's pixels now are.
    x0, y0, cw, ch = crop.pixels(w, h)
    expect_left = (400 - x0) / cw
    assert box_of(framed.alpha > 127).x0 == pytest.approx(expect_left, abs=2 / w)


def test_reset_puts_the_framer_back_on_the_full_view_off_air():
    framer = Framer()
    alpha = np.zeros((360, 640), np.uint8)
    alpha[60:360, 400:600] = 255
    image = np.zeros((360, 640, 3), np.uint8)
    framer(image, alpha, 0.0)
    assert framer.crop != FULL
    framer.reset()
    assert framer.crop == FULL and framer.state == FramingState()


# ----------------------------------------------------------------------------- report
def test_the_report_measures_centre_head_room_jitter_and_cuts():
    meter = FramingMeter()
    h, w = 100, 200
    lefts = [80, 82, 80, 86]  # person 40 px wide: centres 100, 102, 100, 106 px
    for i, left in enumerate(lefts):
        out = np.zeros((h, w), np.uint8)
        out[10:100, left:left + 40] = 255
        source = np.zeros((h, w), np.uint8)
        source[5:100, 50:90] = 255
        # Frame 2's crop starts at row 20 of the camera frame: below her head (row 5).
        crop = Crop(0.5, 0.5 + (0.15 if i == 2 else 0.0), 0.7 if i == 2 else 1.0)
        meter.add(source, crop, out)
    s = meter.summary()
    centres = np.array([100, 102, 100, 106]) / w
    assert s.frames == 4 and s.seen == 4
    assert s.centre_offset == pytest.approx(np.median(np.abs(centres - 0.5)))
    assert s.head_room == pytest.approx(10 / h)
    assert s.head_cut == 1
    steps = np.abs(np.diff(centres))
    assert s.jitter_mean == pytest.approx(steps.mean())
    assert s.jitter_p95 == pytest.approx(np.percentile(steps, 95))
    assert "head cut by the framing in 1 frames" in s.text()


# ----------------------------------------------------------------------------- framed composite
def _scene() -> tuple[np.ndarray, np.ndarray]:
    """A textured 640×360 frame and a soft-edged person off to the right."""
    rng = np.random.default_rng(3)
    h, w = 360, 640
    yy, xx = np.mgrid[0:h, 0:w]
    image = np.dstack([xx * 255 // w, yy * 255 // h, (xx + yy) % 256]).astype(np.uint8)
    image = cv2.add(image, rng.integers(0, 20, image.shape, np.uint8))
    alpha = np.zeros((h, w), np.uint8)
    cv2.ellipse(alpha, (470, 360), (110, 290), 0, 0, 360, 255, -1)
    alpha = cv2.GaussianBlur(alpha, (9, 9), 0)
    return image, alpha


@pytest.mark.parametrize("background", ["color:#00FF00", "blur:5"])
@pytest.mark.parametrize("mirror", [False, True])
def test_blending_inside_the_crop_matches_blending_after_it(background, mirror):
    from vbg.compositor import Compositor
    from vbg.config import BackgroundConfig

    image, alpha = _scene()
    if mirror:  # mirrored as the pipeline's capture stage hands it on: the person on the left
        image, alpha = image[:, ::-1].copy(), alpha[:, ::-1].copy()
    bg = BackgroundConfig.parse(background)
    fast, slow = Framer(), Framer()
    with_crop = Compositor(bg)
    full_size = Compositor(bg)
    for t in (0.0, 1 / 30):
        got = fast.compose(with_crop, image, alpha, t)
        framed = slow(image, alpha, t)
        want = full_size.compose(framed.image, framed.alpha).copy()
    assert got.crop == framed.crop and got.crop.size < 1.0
    assert got.image.shape == image.shape
    np.testing.assert_array_equal(got.alpha, framed.alpha)
    diff = np.abs(got.image.astype(int) - want.astype(int))
    person = framed.alpha > 250
    # Where the person is, the same pixels up to resampling; the background alike (a blur
    # computed on the crop's own pixels differs a little at the crop's edges).
    assert diff[person].mean() < 1.5
    assert diff.mean() < (1.0 if background.startswith("color") else 4.0)


@pytest.mark.parametrize("estimator", [False, True])
def test_an_image_background_framed_matches_scaling_up_then_blending(tmp_path, estimator):
    # The framer estimates the person's colour on the camera's own pixels and scales up only
    # the person's box; the reference scales the whole frame and alpha up first and composes
    # at full size. Up to resampling the same picture; where nobody is, the picture exactly.
    from vbg.compositor import Compositor
    from vbg.config import BackgroundConfig
    from vbg.matting.foreground import FastForeground

    picture = np.random.default_rng(7).integers(0, 255, (360, 640, 3), np.uint8)
    path = tmp_path / "bg.png"
    cv2.imwrite(str(path), picture)
    image, alpha = _scene()
    bg = BackgroundConfig.parse(f"image:{path}")

    def compositor():
        return Compositor(bg, foreground=FastForeground() if estimator else None)

    fast, slow = Framer(), Framer()
    with_crop, full_size = compositor(), compositor()
    for t in (0.0, 1 / 30):
        got = fast.compose(with_crop, image, alpha, t, fixed_background=True)
        framed = slow(image, alpha, t)
        want = full_size.compose(framed.image, framed.alpha).copy()
    assert got.crop == framed.crop and got.crop.size < 1.0
    np.testing.assert_array_equal(got.alpha, framed.alpha)
    outside = framed.alpha == 0
    assert outside.any() and (framed.alpha == 255).any()
    np.testing.assert_array_equal(got.image[outside], picture[outside])
    diff = np.abs(got.image.astype(int) - want.astype(int))
    assert diff[framed.alpha > 0].mean() < 1.5
    assert diff.max() < 40


@pytest.mark.parametrize("background", ["color:#00FF00", "blur:5"])
def test_a_mirrored_frame_is_framed_as_the_mirror_image(background):
    # The pipeline mirrors the camera frame before the framer sees it (the framer does not
    # mirror): the crop and the picture are then the unmirrored ones flipped, up to resampling.
    from vbg.compositor import Compositor
    from vbg.config import BackgroundConfig

    image, alpha = _scene()
    bg = BackgroundConfig.parse(background)
    plain, mirrored = Framer(), Framer()
    for t in (0.0, 1 / 30):
        a = plain.compose(Compositor(bg), image, alpha, t)
        b = mirrored.compose(Compositor(bg), image[:, ::-1].copy(), alpha[:, ::-1].copy(), t)
    assert a.crop.size < 1.0 and b.crop.size == pytest.approx(a.crop.size, abs=1e-6)
    assert b.crop.cx == pytest.approx(1.0 - a.crop.cx, abs=1e-3) and b.crop.cy == a.crop.cy
    diff = np.abs(b.image.astype(int) - a.image[:, ::-1].astype(int))
    # Up to resampling: the two crops sample the texture at mirrored sub-pixel positions, and
    # the zoom (up to 1.75x) magnifies that.
    assert diff.mean() < (1.5 if background.startswith("color") else 4.0)


def test_an_image_background_is_blended_at_full_size_and_stays_put(tmp_path):
    from vbg.compositor import Compositor
    from vbg.config import BackgroundConfig

    picture = np.random.default_rng(5).integers(0, 255, (360, 640, 3), np.uint8)
    path = tmp_path / "bg.png"
    cv2.imwrite(str(path), picture)
    image, alpha = _scene()
    compositor = Compositor(BackgroundConfig.parse(f"image:{path}"))
    got = Framer().compose(compositor, image, alpha, 0.0, fixed_background=True)
    assert got.crop.size < 1.0
    outside = got.alpha == 0
    # Where nobody is, the picture itself, pixel for pixel: not zoomed with the camera.
    np.testing.assert_array_equal(got.image[outside], picture[outside])
