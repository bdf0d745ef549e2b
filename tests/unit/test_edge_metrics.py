"""MAD, soft-band share and composite error (vbg.evaluation), checked on hand-made mattes and
on real ground truth scored against itself."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from vbg.evaluation import composite_error, mad, read_mask, score_mattes, soft_share


def test_mad_and_soft_share_by_hand():
    truth = np.zeros((10, 10), np.uint8)
    truth[:, 5:] = 255
    pred = truth.copy()
    pred[:, 4] = 51  # one column at 0.2: error 0.2 on 10 % of the pixels
    assert mad(pred, truth) == pytest.approx(0.02)
    assert soft_share(pred) == pytest.approx(0.1)
    assert soft_share(truth) == 0.0
    pred[:, 3] = 240  # above 0.9: not soft
    assert soft_share(pred) == pytest.approx(0.1)


def test_composite_error_by_hand():
    image = np.full((4, 4, 3), 200, np.uint8)
    alpha = np.full((4, 4), 255, np.uint8)
    assert composite_error(image, alpha, image, alpha) == 0.0
    half = np.full((4, 4), 0, np.uint8)
    # Predicting "all background" where the truth is a grey person: on green (0, 255, 0) the
    # error per channel is |200-0|, |200-255|, |200-0|; on black 200 each.
    expected = (np.mean([200, 55, 200]) + 200) / 2 / 255
    assert composite_error(image, half, image, alpha) == pytest.approx(expected, abs=1e-6)


def test_ground_truth_scored_against_itself_is_perfect(portraits):
    pairs = portraits[:3]
    truths = {}
    for img_path, mask_path in pairs:
        image = cv2.imread(str(img_path))
        truths[image.tobytes()[:4096]] = read_mask(mask_path, image.shape[1::-1])

    def predict(image):
        return truths[image.tobytes()[:4096]]

    s = score_mattes(predict, pairs)
    assert s.n == 3 and s.iou == 1.0 and s.mad == 0.0 and s.composite == 0.0
    assert s.band == s.band_true > 0.002  # real soft mattes have a soft band
