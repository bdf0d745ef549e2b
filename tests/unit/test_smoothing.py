"""TemporalSmoother: calms a flickering mask where the picture is still, follows motion at once."""

from __future__ import annotations

import numpy as np
import pytest

from vbg.matting.smoothing import TemporalSmoother

H, W = 90, 160


def _still_scene(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A static grey picture (a bright blob on a gradient) and the matching soft mask."""
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    inside = ((xx - 80) / 35) ** 2 + ((yy - 50) / 30) ** 2 < 1
    gray = (40 + xx / 4 + 150 * inside).astype(np.float32)
    alpha = np.clip(1.2 - np.hypot((xx - 80) / 35, (yy - 50) / 30), 0, 1).astype(np.float32)
    return gray, alpha


def _flicker(seq: list[np.ndarray]) -> float:
    return float(np.mean([np.abs(b - a).mean() for a, b in zip(seq, seq[1:], strict=False)]))


def test_static_picture_flicker_is_at_least_halved() -> None:
    rng = np.random.default_rng(1)
    gray_base, alpha_base = _still_scene(rng)
    smoother = TemporalSmoother(strength=0.8, motion_threshold=12.0)
    inputs, outputs = [], []
    for _ in range(40):
        # Camera noise on the picture (it must not count as motion) and a noisy mask.
        gray = np.clip(gray_base + rng.normal(0, 3, gray_base.shape), 0, 255).astype(np.uint8)
        alpha = np.clip(alpha_base + rng.normal(0, 0.08, alpha_base.shape), 0, 1)
        alpha = alpha.astype(np.float32)
        inputs.append(alpha)
        outputs.append(smoother(alpha, gray).copy())
    in_flicker, out_flicker = _flicker(inputs[5:]), _flicker(outputs[5:])
    assert out_flicker <= 0.5 * in_flicker, (in_flicker, out_flicker)
    # Smoothing must not drift away from the true mask either.
    err_in = np.mean([np.abs(a - alpha_base).mean() for a in inputs[5:]])
    err_out = np.mean([np.abs(a - alpha_base).mean() for a in outputs[5:]])
    assert err_out < err_in


def test_moving_region_follows_new_alpha_without_lag_while_still_region_is_smoothed() -> None:
    smoother = TemporalSmoother(strength=0.8, motion_threshold=12.0)
    gray1 = np.full((H, W), 30, np.uint8)
    gray1[30:60, 20:50] = 200  # a bright square...
    gray2 = np.full((H, W), 30, np.uint8)
    gray2[30:60, 70:100] = 200  # ...that moved right by 50 px
    alpha1 = np.zeros((H, W), np.float32)
    alpha1[30:60, 20:50] = 1.0
    alpha2 = np.zeros((H, W), np.float32)
    alpha2[30:60, 70:100] = 1.0
    # A still part of the picture where the mask jumps (model noise): must be smoothed.
    alpha2[70:85, 130:150] = 1.0

    for _ in range(3):
        smoother(alpha1, gray1)
    out = smoother(alpha2, gray2).copy()

    # Inside both the old and the new square (2 px in from the edges: the box filter needs
    # its whole window on the changed pixels), the picture changed by 170 grey levels.
    np.testing.assert_array_equal(out[32:58, 72:98], alpha2[32:58, 72:98])
    np.testing.assert_array_equal(out[32:58, 22:48], alpha2[32:58, 22:48])
    # Still picture: 80 % of the previous (0) is kept.
    np.testing.assert_allclose(out[72:83, 132:148], 0.2, atol=1e-6)


def test_first_call_size_change_and_reset_return_alpha_unchanged() -> None:
    rng = np.random.default_rng(2)
    smoother = TemporalSmoother()
    gray = np.full((H, W), 100, np.uint8)
    a = rng.random((H, W), dtype=np.float32)
    np.testing.assert_array_equal(smoother(a, gray), a)  # first call
    b = rng.random((H, W), dtype=np.float32)
    assert not np.array_equal(smoother(b, gray), b)  # smoothed: history is used

    small_gray = np.full((45, 80), 100, np.uint8)
    c = rng.random((45, 80), dtype=np.float32)
    np.testing.assert_array_equal(smoother(c, small_gray), c)  # size change: restart
    d = rng.random((45, 80), dtype=np.float32)
    assert not np.array_equal(smoother(d, small_gray), d)

    smoother.reset()
    e = rng.random((45, 80), dtype=np.float32)
    np.testing.assert_array_equal(smoother(e, small_gray), e)


def test_strength_zero_is_passthrough_and_output_is_read_only() -> None:
    rng = np.random.default_rng(3)
    smoother = TemporalSmoother(strength=0.0)
    gray = np.full((H, W), 100, np.uint8)
    for _ in range(3):
        a = rng.random((H, W), dtype=np.float32)
        out = smoother(a, gray)
        np.testing.assert_array_equal(out, a)
    with pytest.raises(ValueError):
        out[0, 0] = 1.0  # it is the smoother's history: writing to it must fail loudly


@pytest.mark.parametrize(
    ("kwargs"), [{"strength": 1.0}, {"strength": -0.1}, {"motion_threshold": 0.0}]
)
def test_invalid_parameters_are_rejected(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        TemporalSmoother(**kwargs)


def test_mismatched_shapes_are_rejected() -> None:
    with pytest.raises(ValueError):
        TemporalSmoother()(np.zeros((H, W), np.float32), np.zeros((H, W + 1), np.uint8))


def test_defaults_are_the_configurations() -> None:
    # One source for the tuned values: a smoother built without arguments smooths as the
    # app's default configuration does.
    from vbg.config import MattingConfig

    cfg, smoother = MattingConfig(), TemporalSmoother()
    assert (smoother.strength, smoother.motion_threshold) == (cfg.smooth_strength,
                                                              cfg.motion_threshold)
