"""Losses and metrics against values computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from vbg import evaluation  # noqa: E402
from vbg.training import losses as L  # noqa: E402


def t(rows: list[list[float]]) -> torch.Tensor:
    return torch.tensor(rows, dtype=torch.float32)[None, None]


def test_soft_iou_and_dice_by_hand() -> None:
    p, y = t([[1.0, 0.5], [0.0, 0.0]]), t([[1.0, 1.0], [0.0, 0.0]])
    # intersection 1 + 0.5 = 1.5; union (1+1-1) + (0.5+1-0.5) = 2 -> 0.75
    assert L.soft_iou(p, y).item() == pytest.approx(0.75, abs=1e-5)
    # dice 2*1.5 / (1.5 + 2) = 6/7
    assert L.soft_dice(p, y).item() == pytest.approx(6 / 7, abs=1e-5)


def test_bce_iou_l1_by_hand() -> None:
    logits, y = t([[0.0, 0.0], [0.0, 0.0]]), t([[1.0, 0.0], [1.0, 0.0]])
    # p = 0.5 everywhere: BCE = ln 2; soft IoU = (0.5+0.5)/(1+1+0.5+0.5) = 1/3; L1 = 0.5
    expected = math.log(2) + 0.5 * (1 - 1 / 3) + 0.5 * 0.5
    assert L.bce_iou_l1(logits, y).item() == pytest.approx(expected, abs=1e-5)


def test_bce_dice_by_hand() -> None:
    logits, y = t([[0.0, 0.0], [0.0, 0.0]]), t([[1.0, 0.0], [1.0, 0.0]])
    # dice = 2*(0.5+0.5) / (2 + 2) = 0.5
    assert L.bce_dice(logits, y).item() == pytest.approx(math.log(2) + 0.5, abs=1e-5)


def test_loss_is_lower_for_better_prediction() -> None:
    y = t([[1.0, 0.0], [1.0, 0.0]])
    good, bad = t([[4.0, -4.0], [4.0, -4.0]]), t([[-4.0, 4.0], [-4.0, 4.0]])
    for fn in L.LOSSES.values():
        assert fn(good, y).item() < 0.1 < 2.0 < fn(bad, y).item()


def test_binary_metrics_by_hand() -> None:
    pred = np.zeros((4, 4), np.float32)
    truth = np.zeros((4, 4), np.float32)
    pred[0, 0:4] = 0.9  # 4 pixels
    truth[0, 1:4] = 1.0  # 6 pixels, 3 of them shared with pred
    truth[1, 0:3] = 0.6
    p, y = torch.from_numpy(pred)[None, None], torch.from_numpy(truth)[None, None]
    assert L.iou(p, y).item() == pytest.approx(3 / 7)
    assert L.dice(p, y).item() == pytest.approx(2 * 3 / (4 + 6))
    assert L.pixel_accuracy(p, y).item() == pytest.approx(12 / 16)  # 1 FP + 3 FN wrong


def test_metrics_empty_masks() -> None:
    z = torch.zeros(1, 1, 8, 8)
    one = torch.ones(1, 1, 8, 8)
    assert L.iou(z, z).item() == 1.0 and L.dice(z, z).item() == 1.0
    assert L.iou(one, z).item() == 0.0
    assert L.boundary_f(z, z).item() == 1.0


def test_boundary_f_matches_the_runtime_definition() -> None:
    import cv2

    rng = np.random.default_rng(3)
    for _ in range(4):
        a = np.zeros((96, 128), np.uint8)
        b = np.zeros((96, 128), np.uint8)
        cv2.circle(a, (int(rng.integers(40, 90)), 48), int(rng.integers(15, 30)), 255, -1)
        cv2.circle(b, (int(rng.integers(40, 90)), 50), int(rng.integers(15, 30)), 255, -1)
        ref = evaluation.boundary_f(a, b)
        got = L.boundary_f(torch.from_numpy(a / 255.0).float()[None, None],
                           torch.from_numpy(b / 255.0).float()[None, None]).item()
        assert got == pytest.approx(ref, abs=1e-6)
        assert L.iou(torch.from_numpy(a / 255.0)[None, None].float(),
                     torch.from_numpy(b / 255.0)[None, None].float()).item() == pytest.approx(
            evaluation.iou(a, b), abs=1e-6)


def test_boundary_f_of_far_apart_squares_is_zero() -> None:
    a = torch.zeros(1, 1, 64, 64)
    b = torch.zeros(1, 1, 64, 64)
    a[..., 5:15, 5:15] = 1
    b[..., 40:50, 40:50] = 1
    assert L.boundary_f(a, b).item() == 0.0
    assert L.boundary_f(a, a).item() == 1.0
