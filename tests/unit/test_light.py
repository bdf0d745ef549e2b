"""Light on the person (issue 24): the curve, the metering, the slow adaptation, the in-place
apply and the matching, on drawn pictures whose answers follow from the definitions."""

from __future__ import annotations

import math
import tracemalloc
from dataclasses import replace

import cv2
import numpy as np
import pytest

from vbg.light import (
    Curve,
    LightParams,
    LightState,
    PersonStats,
    Relighter,
    SceneStats,
    measure_person,
    step,
)
from vbg.light.measure import face_rows
from vbg.light.relight import person_bands, person_box

DT = 1 / 30
P = LightParams()
H, W = 360, 640


def decode(v: float) -> float:
    """sRGB (0..1) to linear light, IEC 61966-2-1."""
    return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4


def scene_frame(person_bgr: tuple[int, int, int], room: int = 90) -> tuple[np.ndarray,
                                                                           np.ndarray]:
    """A room of random texture with a person: a head (disc) on shoulders (a block), uniform
    ``person_bgr``; alpha 255 inside, a soft 2-px edge, 0 elsewhere."""
    rng = np.random.default_rng(7)
    frame = rng.integers(room - 40, room + 40, (H, W, 3), dtype=np.uint8)
    alpha = np.zeros((H, W), np.uint8)
    cv2.circle(alpha, (320, 110), 45, 255, -1)
    alpha[160:, 200:440] = 255
    alpha = cv2.GaussianBlur(alpha, (5, 5), 0)
    frame[alpha > 0] = person_bgr
    return frame, alpha


def run(light: Relighter, frame: np.ndarray, alpha: np.ndarray, seconds: float,
        **kw: object) -> np.ndarray:
    """``seconds`` of the same camera frame through ``light``; the last output."""
    out = frame
    for _ in range(round(seconds / DT)):
        out = frame.copy()
        light.process(out, alpha, DT, **kw)  # type: ignore[arg-type]
    return out


def stats(key: float, highlight: float | None = None) -> PersonStats:
    return PersonStats(key=key / 255, person_key=key / 255,
                       highlight=(highlight or key) / 255, colour=None, share=0.3)


# -- the curve -----------------------------------------------------------------------------------

def test_the_default_curve_is_the_identity() -> None:
    curve = Curve()
    assert curve.is_identity
    assert np.array_equal(curve.table()[:, 1], np.arange(256))


def test_the_tone_curve_is_monotone_keeps_black_and_white_and_caps_its_slope() -> None:
    curve = Curve(gamma=0.4, white=0.8, slope=4.0)
    x = np.linspace(0, 1, 1001)
    y = curve.tone(x)
    assert y[0] == 0.0 and y[-1] == 1.0
    assert np.all(np.diff(y) >= 0)
    assert np.all(np.diff(y) / np.diff(x) <= 4.0 + 1e-9)  # the shadows' noise: at most 4×


# -- metering ------------------------------------------------------------------------------------

def test_the_face_band_is_the_head_not_the_shoulders() -> None:
    _, alpha = scene_frame((0, 0, 0))
    rows = face_rows(alpha > 127)
    assert rows is not None
    assert rows.start <= 66  # the top of the head (disc centre 110, radius 45)
    assert 130 <= rows.stop <= 165  # about the head's height, not the shoulders below 160


def test_the_meter_reads_the_face_not_the_white_shirt() -> None:
    frame, alpha = scene_frame((30, 30, 30))
    frame[200:] = np.where(alpha[200:, :, None] > 0, 220, frame[200:])  # a white shirt
    small = cv2.resize(frame, (160, 90), interpolation=cv2.INTER_AREA)
    small_alpha = cv2.resize(alpha, (160, 90), interpolation=cv2.INTER_AREA)
    s = measure_person(small, small_alpha)
    assert s is not None
    assert s.key * 255 == pytest.approx(30, abs=3)
    assert s.highlight * 255 == pytest.approx(220, abs=2)


def test_nobody_there_measures_nothing_and_holds_the_curve() -> None:
    dark = stats(30)
    _, state = step(dark, LightState(), DT)
    curve, held = step(None, state, DT)
    assert held.lift == state.lift and curve == state.curve(P)


# -- low light -----------------------------------------------------------------------------------

def test_a_dark_person_is_brought_to_the_target() -> None:
    frame, alpha = scene_frame((30, 30, 30))
    out = run(Relighter(), frame, alpha, 4.0)
    # A uniform person's key is its value: the curve maps it to the target (90 levels).
    assert out[300, 320] == pytest.approx([P.target * 255] * 3, abs=2)


def test_the_lift_is_limited() -> None:
    frame, alpha = scene_frame((10, 10, 10))
    out = run(Relighter(), frame, alpha, 4.0)
    # 2 stops at most: 4 × 10 levels.
    assert out[300, 320] == pytest.approx([4 * 10] * 3, abs=1)


def _lit_face_under_dark_hair() -> tuple[np.ndarray, np.ndarray]:
    """A person of 20 levels (black hair, a hat, a dark coat) whose face, a fifth of the face
    band, is lit at 150: the meter's key is dim, the band's top is not."""
    frame, alpha = scene_frame((20, 20, 20))
    frame[120:150, 300:340] = 150
    return frame, alpha


def test_the_meter_reads_the_top_of_the_face_band() -> None:
    frame, alpha = _lit_face_under_dark_hair()
    s = measure_person(frame, alpha)
    assert s is not None and s.face_top is not None
    assert s.face_top * 255 == pytest.approx(150, abs=2)
    assert s.key * 255 < 40  # dim enough to engage the correction


def test_a_lit_face_is_lifted_no_higher_than_the_ceiling() -> None:
    # Black hair or a hat fool the key; the lift then stops where the face band's top (its
    # brightest tenth: the lit face) reaches the ceiling, a well-lit face's brightness.
    frame, alpha = _lit_face_under_dark_hair()
    capped = run(Relighter(), frame, alpha, 4.0)
    uncapped = run(Relighter(replace(P, ceiling=1.0)), frame, alpha, 4.0)
    assert uncapped[135, 320, 0] > P.ceiling * 255 + 10  # without it the face washes out
    assert capped[135, 320, 0] <= round(P.ceiling * 255) + 1
    assert 20 < capped[300, 320, 0] < uncapped[300, 320, 0]  # a smaller lift, not none


def test_a_face_whose_top_is_already_bright_is_not_lifted() -> None:
    frame, alpha = scene_frame((20, 20, 20))
    frame[120:140, 300:340] = 200  # the top of the band past the ceiling already
    s = measure_person(frame, alpha)
    assert s is not None and s.key * 255 < 40  # the meter alone would correct it
    assert np.array_equal(run(Relighter(), frame, alpha, 4.0), frame)
    assert not np.array_equal(run(Relighter(replace(P, ceiling=1.0)), frame, alpha, 4.0), frame)


def test_a_well_lit_person_is_left_exactly_as_they_are() -> None:
    frame, alpha = scene_frame((120, 110, 100))
    out = run(Relighter(), frame, alpha, 2.0)
    assert np.array_equal(out, frame)


def test_the_dead_band_has_hysteresis() -> None:
    # Between engage (40) and release (48): a correction that is on stays on, one that is off
    # stays off, so a key hovering at the edge switches nothing.
    state = LightState()
    for key in [100] * 10 + [44] * 60:
        _, state = step(stats(key), state, DT)
    assert not state.engaged and state.lift.pos == 0.0
    for key in [30] * 10 + [44] * 60:
        _, state = step(stats(key), state, DT)
    assert state.engaged and state.lift.pos > 0.0
    for _ in range(300):  # well lit again: back to exactly nothing
        _, state = step(stats(100), state, DT)
    assert not state.engaged and state.curve(P).is_identity


def test_the_first_person_after_a_reset_is_corrected_at_once() -> None:
    curve, state = step(stats(30), LightState(), DT)
    assert state.lift.pos == state.lift.aim > 0.0


def test_the_correction_adapts_slowly_without_overshoot() -> None:
    state = LightState()
    for _ in range(30):  # on air, well lit
        _, state = step(stats(120), state, DT)
    lifts, outs = [], []
    for _ in range(round(5.0 / DT)):  # the room goes dark
        curve, state = step(stats(30), state, DT)
        lifts.append(state.lift.pos)
        outs.append(curve.tone(np.array([30 / 255]))[0] * 255)
    steps = np.diff([0.0, *lifts])
    assert np.all(steps >= 0.0)  # one way only
    assert np.all(steps <= P.max_rate * DT + 1e-9)  # ≤ max_rate stops per second
    assert lifts[0] < 0.1  # the first frame barely moves (the meter and the easing are slow)
    assert max(outs) <= P.target * 255 + 0.5  # never past the target
    assert outs[-1] == pytest.approx(P.target * 255, abs=1.0)  # and there in 5 s


def test_the_curve_is_steady_under_metering_noise() -> None:
    rng = np.random.default_rng(1)
    state = LightState()
    for _ in range(120):
        _, state = step(stats(30), state, DT)
    curves = set()
    for _ in range(300):  # ±4 % of noise on the face's key, frame to frame
        curve, state = step(stats(30 * (1 + rng.uniform(-0.04, 0.04))), state, DT)
        curves.add(curve)
    assert len(curves) == 1


# -- the apply -----------------------------------------------------------------------------------

@pytest.mark.parametrize("mix", ["alpha", "mask"])
def test_the_background_is_never_touched(mix: str) -> None:
    frame, alpha = scene_frame((25, 30, 35))
    out = run(Relighter(), frame, alpha, 1.0, mix=mix)
    room = alpha == 0
    assert np.array_equal(out[room], frame[room])
    assert np.all(out[alpha == 255] > frame[alpha == 255])


def test_the_soft_edge_is_mixed_by_alpha_or_gets_the_whole_curve() -> None:
    frame, alpha = scene_frame((30, 30, 30))
    light = Relighter()
    run(light, frame, alpha, 3.0)
    lifted = int(light.curve.table()[30, 0])
    assert lifted > 30
    edge = (alpha > 0) & (alpha < 255)
    mixed, masked = frame.copy(), frame.copy()
    light.apply(mixed, alpha, light.curve, mix="alpha")
    light.apply(masked, alpha, light.curve, mix="mask")
    person = edge & (frame[..., 0] == 30)  # the soft edge, where the picture is the person
    a = alpha[person].astype(np.float64) / 255
    # x + alpha · (table(x) − x), rounded once
    assert np.abs(mixed[person][:, 0] - (30 + a * (lifted - 30))).max() <= 1.0
    assert np.all(masked[person] == lifted)
    assert np.array_equal(mixed[alpha == 255], masked[alpha == 255])


def peak_bytes_of_a_frame(width: int, height: int) -> int:
    """Peak of Python-side allocations while a ``Relighter`` (warmed up) corrects one frame
    of ``width`` × ``height`` into the caller's buffer; checks that it wrote there."""
    frame, alpha = scene_frame((30, 30, 30))
    frame = cv2.resize(frame, (width, height), interpolation=cv2.INTER_NEAREST)
    alpha = cv2.resize(alpha, (width, height), interpolation=cv2.INTER_NEAREST)
    size = (width // 2, height // 2)
    half = cv2.resize(frame, size, interpolation=cv2.INTER_AREA)
    alpha_half = cv2.resize(alpha, size, interpolation=cv2.INTER_AREA)
    light = Relighter()
    buf = np.empty_like(frame)
    view = buf[:, :]
    for _ in range(3):
        np.copyto(buf, frame)
        light.process(buf, alpha, DT, frame_half=half, alpha_half=alpha_half)
    assert np.array_equal(view, buf) and not np.array_equal(buf, frame)
    np.copyto(buf, frame)
    tracemalloc.start()
    light.process(buf, alpha, DT, frame_half=half, alpha_half=alpha_half)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert not np.array_equal(buf, frame)
    return peak


def test_apply_writes_into_the_callers_buffer_without_full_size_allocations() -> None:
    hd, full_hd = peak_bytes_of_a_frame(1280, 720), peak_bytes_of_a_frame(1920, 1080)
    # Only the ~160-px sample's statistics: the same at any frame size, far below one
    # full-size channel (921,600 bytes at 720p).
    assert full_hd < 1.1 * hd
    assert hd < 1280 * 720 // 2


@pytest.mark.parametrize("size", [(W, H), (W - 1, H - 1)])
def test_the_bands_hold_every_pixel_of_the_person_once(size: tuple[int, int]) -> None:
    _, alpha = scene_frame((0, 0, 0))
    alpha[5, 7] = 3  # a faint speck far away
    alpha[-1, -1] = 255  # the last (odd) row and column, that no half-size pixel shows
    alpha = np.ascontiguousarray(alpha[:size[1], :size[0]])
    half = cv2.resize(alpha, (size[0] // 2, size[1] // 2), interpolation=cv2.INTER_AREA)
    half[2, 3] = max(half[2, 3], 1)  # the speck, as the exact 2x shrink keeps it
    for boxes in (person_bands(alpha, half), person_bands(alpha), [person_box(alpha, half)]):
        count = np.zeros(alpha.shape, np.int32)
        for box in boxes:
            count[box] += 1
        assert not np.any(alpha[count == 0]) and count.max() == 1


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(ValueError):
        LightParams(engage=0.5, release=0.4)
    with pytest.raises(ValueError):
        LightParams(strength=1.5)
    with pytest.raises(ValueError):
        Relighter().process(np.zeros((4, 4, 3), np.uint8), np.zeros((4, 5), np.uint8), DT)
    with pytest.raises(ValueError):  # a half-size copy that is not the exact halving
        Relighter().process(np.zeros((8, 8, 3), np.uint8), np.zeros((8, 8), np.uint8), DT,
                            alpha_half=np.zeros((3, 4), np.uint8))


# -- matching ------------------------------------------------------------------------------------

def linear_bgr(pixel: np.ndarray) -> np.ndarray:
    return np.array([decode(v / 255) for v in pixel])


@pytest.mark.parametrize("strength", [0.25, 0.5, 1.0])
def test_matching_moves_the_colour_temperature_by_strength(strength: float) -> None:
    frame, alpha = scene_frame((128, 128, 128))
    # A warm background: red over blue by 0.8 stops in linear light, as bright as the person.
    grey = decode(128 / 255)
    warm = SceneStats(key=128 / 255, colour=(grey * 2 ** -0.4, grey, grey * 2 ** 0.4))
    params = replace(P, strength=strength)
    out = run(Relighter(params), frame, alpha, 4.0, scene=warm)
    b, g, r = linear_bgr(out[300, 320])
    # ``strength`` of the 0.8 stops, up to the limit.
    assert math.log2(r / b) == pytest.approx(min(strength * 0.8, P.max_warm), abs=0.05)
    lum = 0.0722 * b + 0.7152 * g + 0.2126 * r
    assert lum == pytest.approx(grey, rel=0.03)  # the same brightness, only warmer


def test_matching_moves_the_brightness_by_strength() -> None:
    frame, alpha = scene_frame((128, 128, 128))
    grey = decode(128 / 255)
    # A background one stop darker (linear light), neutral.
    dim = grey / 2
    key = 0.0  # encoded value whose linear light is ``dim``
    lo, hi = 0.0, 1.0
    for _ in range(50):
        key = (lo + hi) / 2
        lo, hi = (key, hi) if decode(key) < dim else (lo, key)
    scene = SceneStats(key=key, colour=(dim, dim, dim))
    out = run(Relighter(replace(P, strength=0.5)), frame, alpha, 4.0, scene=scene)
    b, g, r = linear_bgr(out[300, 320])
    assert g == pytest.approx(grey * 2 ** -0.5, rel=0.03)
    assert b == pytest.approx(g, rel=0.02) and r == pytest.approx(g, rel=0.02)


def test_matching_never_brightens_highlights_past_white() -> None:
    frame, alpha = scene_frame((128, 128, 128))
    frame[250:] = np.where(alpha[250:, :, None] > 0, 235, frame[250:])  # a white shirt
    bright = SceneStats(key=0.9, colour=(0.79, 0.79, 0.79))
    light = Relighter(replace(P, strength=1.0))
    out = run(light, frame, alpha, 4.0, scene=bright)
    # Brighter, but the shirt (the 99th percentile) no higher than white = 0.96 · 255.
    assert out[200, 320, 1] > 128
    assert out[300, 320, 1] <= round(P.white * 255) + 1


def test_no_matching_without_a_picture_or_strength() -> None:
    frame, alpha = scene_frame((128, 128, 128))
    warm = SceneStats(key=0.5, colour=(0.1, 0.2, 0.4))
    assert np.array_equal(run(Relighter(), frame, alpha, 1.0, scene=warm), frame)
    assert np.array_equal(run(Relighter(replace(P, strength=1.0)), frame, alpha, 1.0), frame)
