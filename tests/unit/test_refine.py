"""GuidedUpsampler / upsample_plain: mask upsampling, edge-aware and plain."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from vbg.matting.refine import GuidedUpsampler, upsample_plain


def _scene(
    size: tuple[int, int], small: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A sharp bright head-and-shoulders shape on a dark background (with sensor noise), its
    true mask, a blurry low-res alpha of it (what a small model gives) and the low-res grey."""
    (w, h), (sw, sh) = size, small
    rng = np.random.default_rng(0)
    mask = np.zeros((h, w), np.uint8)
    outline = np.array(
        [[0.3, 1.0], [0.35, 0.45], [0.45, 0.2], [0.58, 0.25], [0.66, 0.5], [0.72, 1.0]]
    ) * (w, h)
    cv2.fillPoly(mask, [outline.astype(np.int32)], 1)
    frame = np.full((h, w, 3), (40, 35, 30), np.uint8)
    frame[mask > 0] = (200, 215, 225)
    frame = np.clip(frame + rng.normal(0, 2, frame.shape), 0, 255).astype(np.uint8)
    alpha_small = cv2.resize(mask.astype(np.float32), (sw, sh), interpolation=cv2.INTER_AREA)
    alpha_small = cv2.GaussianBlur(alpha_small, (0, 0), 1.5)
    guide_small = cv2.cvtColor(
        cv2.resize(frame, (sw, sh), interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2GRAY
    )
    return frame, mask, alpha_small, guide_small


# 4× (evaluated at half size, then resized) and 2× (evaluated at full size) upscales.
@pytest.mark.parametrize(("size", "small"), [((640, 360), (160, 90)), ((640, 360), (320, 180))])
def test_refined_edge_error_is_much_lower_than_plain_bilinear(
    size: tuple[int, int], small: tuple[int, int]
) -> None:
    frame, mask, alpha_small, guide_small = _scene(size, small)
    kernel = np.ones((9, 9), np.uint8)
    band = (cv2.dilate(mask, kernel) - cv2.erode(mask, kernel)) > 0  # ±4 px around the edge

    refined = GuidedUpsampler(radius=4, eps=1e-3)(alpha_small, guide_small, frame)
    plain = upsample_plain(alpha_small, size)

    err_refined = np.abs(refined / 255.0 - mask)[band].mean()
    err_plain = np.abs(plain / 255.0 - mask)[band].mean()
    assert err_refined < 0.65 * err_plain, (err_refined, err_plain)
    # And it does not pay for the edges elsewhere.
    assert np.abs(refined / 255.0 - mask)[~band].mean() < 0.02


def test_output_dtype_shape_and_in_place_out() -> None:
    frame, _, alpha_small, guide_small = _scene((320, 180), (80, 45))
    up = GuidedUpsampler()
    res = up(alpha_small, guide_small, frame)
    assert res.dtype == np.uint8 and res.shape == (180, 320)

    out = np.full((180, 320), 7, np.uint8)
    got = up(alpha_small, guide_small, frame, out=out)
    assert got is out
    np.testing.assert_array_equal(out, res)  # same inputs, same result, now in `out`

    # Reusing the upsampler with another size reallocates its buffers correctly.
    frame2, _, a2, g2 = _scene((200, 120), (100, 60))
    assert up(a2, g2, frame2).shape == (120, 200)


def test_output_is_clipped_to_the_byte_range() -> None:
    frame, _, alpha_small, guide_small = _scene((320, 180), (80, 45))
    over = (alpha_small * 1.5 - 0.25).astype(np.float32)  # out of [0, 1] on both sides
    res = GuidedUpsampler()(over, guide_small, frame)
    assert res.min() == 0 and res.max() == 255  # saturated, not wrapped around


def test_upsample_plain_shape_clip_and_out() -> None:
    small = np.array([[-0.2, 0.5], [1.3, 1.0]], np.float32)
    res = upsample_plain(small, (8, 6))
    assert res.dtype == np.uint8 and res.shape == (6, 8)
    assert res[0, 0] == 0 and res[-1, 0] == 255 and res[0, -1] == 128

    out = np.zeros((6, 8), np.uint8)
    assert upsample_plain(small, (8, 6), out=out) is out
    np.testing.assert_array_equal(out, res)


def test_bad_arguments_are_rejected() -> None:
    frame, _, alpha_small, guide_small = _scene((320, 180), (80, 45))
    up = GuidedUpsampler()
    with pytest.raises(ValueError):
        up(alpha_small, guide_small[:-1], frame)
    with pytest.raises(ValueError):
        up(alpha_small, guide_small, frame, out=np.zeros((180, 321), np.uint8))
    with pytest.raises(ValueError):
        upsample_plain(alpha_small, (320, 180), out=np.zeros((180, 320), np.float32))
    with pytest.raises(ValueError):
        GuidedUpsampler(radius=0)
    with pytest.raises(ValueError):
        GuidedUpsampler(eps=0.0)


def test_a_given_half_size_frame_gives_the_same_result() -> None:
    frame, _, alpha_small, guide_small = _scene((640, 360), (160, 90))
    half = cv2.resize(frame, (320, 180), interpolation=cv2.INTER_AREA)
    plain = GuidedUpsampler(4, 1e-2)(alpha_small, guide_small, frame)
    up = GuidedUpsampler(4, 1e-2)
    hinted = up(alpha_small, guide_small, frame, frame_half=half)
    assert np.array_equal(plain, hinted)
    # ... and its half-size result is the full-size one, shrunk.
    assert up.alpha_half is not None and up.alpha_half.shape == (180, 320)
    shrunk = cv2.resize(hinted, (320, 180), interpolation=cv2.INTER_AREA)
    assert float(cv2.absdiff(shrunk, up.alpha_half).mean()) < 2.0


def test_a_flat_picture_keeps_the_masks_own_edge_instead_of_spreading_it() -> None:
    # A white coat in front of a white wall: the grey guide is flat, so the filter has no edge
    # to follow; its box means would spread the mask into a wide ramp (a glow of the wall).
    alpha_small = np.zeros((90, 160), np.float32)
    alpha_small[:, 80:] = 1.0
    alpha_small = cv2.GaussianBlur(alpha_small, (5, 5), 1.0)  # the model's own soft edge
    guide_small = np.full((90, 160), 230, np.uint8)
    frame = np.full((360, 640, 3), 230, np.uint8)
    spread = GuidedUpsampler(4, 1e-2, flat_eps=0.0)(alpha_small, guide_small, frame)
    kept = GuidedUpsampler(4, 1e-2)(alpha_small, guide_small, frame)
    own = cv2.resize(alpha_small * 255, (640, 360), interpolation=cv2.INTER_LINEAR)

    def ramp(a: np.ndarray) -> int:
        return int(((a > 12) & (a < 243)).sum(axis=1).mean())

    assert ramp(spread) > 2 * ramp(kept)
    # the mask's own edge (evaluated at half size, then enlarged: a few levels of rounding)
    assert np.abs(kept.astype(np.float32) - own).max() <= 4


def test_where_the_picture_has_an_edge_the_flat_rule_changes_little() -> None:
    # A bright shape on a dark room: the picture has its edge, the filter follows it.
    frame, mask, alpha_small, guide_small = _scene((640, 360), (160, 90))
    with_rule = GuidedUpsampler(4, 1e-2)(alpha_small, guide_small, frame)
    without = GuidedUpsampler(4, 1e-2, flat_eps=0.0)(alpha_small, guide_small, frame)
    band = cv2.dilate(mask, np.ones((9, 9), np.uint8)) != cv2.erode(mask, np.ones((9, 9),
                                                                            np.uint8))
    truth = mask.astype(np.float32) * 255
    err_with = np.abs(with_rule.astype(np.float32) - truth)[band].mean()
    err_without = np.abs(without.astype(np.float32) - truth)[band].mean()
    assert err_with <= err_without + 2.0  # no worse at a real edge (grey levels)


def test_a_faint_speck_on_a_flat_wall_stays_diluted() -> None:
    # The model's faint false speck (a patch of a flag, say): the box means dilute it; the
    # flat-picture rule must not bring it back, since it only sharpens towards the more
    # decided of the two values.
    alpha_small = np.zeros((90, 160), np.float32)
    cv2.circle(alpha_small, (40, 30), 3, 0.4, -1)
    guide_small = np.full((90, 160), 200, np.uint8)
    frame = np.full((360, 640, 3), 200, np.uint8)
    without = GuidedUpsampler(4, 1e-2, flat_eps=0.0)(alpha_small, guide_small, frame)
    with_rule = GuidedUpsampler(4, 1e-2)(alpha_small, guide_small, frame)
    assert int(with_rule.max()) <= int(without.max()) + 1 < 0.4 * 255 / 2
