import numpy as np
import pytest

from vbg.matting.fitting import fit_into, placement, unfit


@pytest.mark.parametrize("mode", ["stretch", "crop", "letterbox"])
def test_fit_then_unfit_round_trips_a_mask(mode):
    # A left/right split region: the mask going back must keep the split in the same place.
    region = np.zeros((300, 500, 3), np.uint8)
    region[:, 250:] = 255
    dst = np.empty((256, 256, 3), np.uint8)
    p = fit_into(region, dst, mode)
    prob = (dst[..., 0] > 127).astype(np.float32)
    if mode == "letterbox":
        prob[: p.y0] = 0
    back = np.full((300, 500), -1.0, np.float32)
    unfit(prob, p, back)
    assert back[:, 270:390].mean() > 0.95  # inside what every mode shows
    assert back[150, 110:230].max() < 0.05


def test_letterbox_pads_with_grey_and_keeps_aspect():
    p = placement(400, 200, 256, 256, "letterbox")
    assert (p.x1 - p.x0) == 256 and (p.y1 - p.y0) == 128
    dst = np.zeros((256, 256, 3), np.uint8)
    fit_into(np.zeros((200, 400, 3), np.uint8), dst, "letterbox")
    assert dst[0, 0, 0] == 128 and dst[128, 128, 0] == 0


def test_crop_sees_the_centre_only_and_unseen_parts_are_background():
    p = placement(512, 256, 256, 256, "crop")
    fx0, _, fx1, _ = p.region_frac
    assert fx0 == pytest.approx(0.25) and fx1 == pytest.approx(0.75)
    out = np.ones((256, 512), np.float32)
    unfit(np.ones((256, 256), np.float32), p, out)
    assert out[:, :100].max() == 0.0 and out[:, 200:300].min() == 1.0
