"""Foreground colour estimation: the room's colour leaves the person's soft edge."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from vbg.compositor import Compositor
from vbg.config import BackgroundConfig
from vbg.matting.foreground import FastForeground, estimate_foreground_still

SKIN = np.array([70, 110, 190], np.float64)  # BGR
WALL = np.array([250, 250, 250], np.float64)


def _scene(h: int = 360, w: int = 640) -> tuple[np.ndarray, np.ndarray]:
    """A skin-coloured person (left) in front of a white wall with a 24-pixel soft edge: the
    camera sees the mix I = a·F + (1 − a)·B there."""
    x = np.arange(w, dtype=np.float64)
    a_row = np.clip((300 - x) / 24 + 0.5, 0, 1)
    alpha = np.tile(np.round(a_row * 255).astype(np.uint8), (h, 1))
    a = alpha[..., None] / 255.0
    frame = np.round(a * SKIN + (1 - a) * WALL).astype(np.uint8)
    return frame, alpha


def _band(alpha: np.ndarray) -> np.ndarray:
    return (alpha > 25) & (alpha < 230)


def test_fast_foreground_recovers_the_person_colour_in_the_band():
    frame, alpha = _scene()
    out = FastForeground()(frame, alpha, np.empty_like(frame))
    band = _band(alpha)
    raw_err = np.abs(frame[band].astype(float) - SKIN).mean()
    est_err = np.abs(out[band].astype(float) - SKIN).mean()
    assert raw_err > 40  # the camera pixel is far from the person's colour there
    assert est_err < 0.2 * raw_err
    # Outside the band nothing changes.
    solid = (alpha == 0) | (alpha == 255)
    np.testing.assert_array_equal(out[solid], frame[solid])


def test_fast_foreground_without_a_soft_band_is_a_copy():
    frame, alpha = _scene()
    hard = np.where(alpha >= 128, 255, 0).astype(np.uint8)
    out = FastForeground()(frame, hard, np.zeros_like(frame))
    np.testing.assert_array_equal(out, frame)


def test_fast_foreground_in_a_box_equals_the_whole_frame_there_and_leaves_the_rest():
    frame, alpha = _scene()
    whole = FastForeground()(frame, alpha, np.empty_like(frame))
    box = (slice(40, 300), slice(250, 350))  # across the soft edge (x 288..312)
    out = np.full_like(frame, 7)
    FastForeground()(frame, alpha, out, box)
    np.testing.assert_array_equal(out[box], whole[box])
    assert not np.array_equal(out[box], frame[box])  # the edge in the box was corrected
    outside = np.ones(alpha.shape, bool)
    outside[box] = False
    assert (out[outside] == 7).all()
    empty = np.full_like(frame, 7)
    FastForeground()(frame, alpha, empty, (slice(10, 10), slice(0, 640)))
    assert (empty == 7).all()


@pytest.mark.skipif(importlib.util.find_spec("pymatting") is None,
                    reason="the optional matting extra (pymatting) is not installed")
def test_still_foreground_with_pymatting_recovers_the_person_colour():
    frame, alpha = _scene(120, 640)
    out = estimate_foreground_still(frame, alpha)
    band = _band(alpha)
    assert np.abs(out[band].astype(float) - SKIN).mean() < 10
    np.testing.assert_array_equal(out[alpha == 255], frame[alpha == 255])


def test_compositor_uses_the_estimated_foreground_only_in_the_band():
    frame, alpha = _scene()
    black = BackgroundConfig(kind="color", color=(0, 0, 0))
    plain = Compositor(black).compose(frame, alpha).copy()
    clean = Compositor(black, foreground=FastForeground()).compose(frame, alpha)
    band = _band(alpha)
    # The white wall's glow on black: the clean edge is darker (less wall) in the band...
    assert clean[band].astype(float).mean() < plain[band].astype(float).mean() - 15
    # ...and the expected colour a·F over black is matched far better.
    a = alpha[..., None] / 255.0
    ideal = a * SKIN
    assert (np.abs(clean[band] - ideal[band]).mean()
            < 0.3 * np.abs(plain[band] - ideal[band]).mean())
    np.testing.assert_array_equal(clean[alpha == 255], frame[alpha == 255])
    assert np.all(clean[alpha == 0] == 0)


def test_blur_background_skips_the_estimate():
    # With blur the room behind the edge is the room itself: no correction, no cost.
    frame, alpha = _scene()
    blur = BackgroundConfig(kind="blur")
    plain = Compositor(blur).compose(frame, alpha).copy()
    calls = []

    def spy(frame, alpha, out):
        calls.append(1)
        return frame

    np.testing.assert_array_equal(Compositor(blur, foreground=spy).compose(frame, alpha), plain)
    assert not calls


def test_fast_foreground_handles_a_band_of_more_than_32767_pixels():
    # cv2.remap refuses maps with 32767 rows or more; a 1080p frame with a wide band has more
    # soft pixels than that.
    frame, alpha = _scene(1080, 1920)
    alpha = np.tile(np.linspace(0, 255, 1920).astype(np.uint8), (1080, 1))  # all soft
    out = FastForeground()(frame, alpha, np.empty_like(frame))
    assert np.count_nonzero((alpha > 2) & (alpha < 253)) > 40000
    assert out.shape == frame.shape
