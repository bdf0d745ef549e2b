"""Compositor: every background kind, mask-aware blur, cover-fit, video looping, errors,
privacy fallback (its backdrop), no mirroring of its own, and light wrap."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

import vbg.compositor.compositor as compositor
from vbg.compositor import Backdrop, Compositor
from vbg.config import BackgroundConfig
from vbg.errors import BackgroundError
from vbg.imaging import cover_fit

H, W = 240, 320
PERSON = (slice(60, 240), slice(110, 210))  # rows, cols: a "person" touching the bottom edge


def _mask() -> np.ndarray:
    alpha = np.zeros((H, W), np.uint8)
    alpha[PERSON] = 255
    return alpha


def _frame(rng: np.random.Generator | None = None) -> np.ndarray:
    """A textured room (noise around grey 100) with a distinct, textured person in it."""
    rng = rng or np.random.default_rng(0)
    frame = rng.integers(60, 141, (H, W, 3)).astype(np.uint8)
    frame[PERSON] = rng.integers(180, 256, (180, 100, 3)).astype(np.uint8)
    return frame


def _far_from_person(margin: int) -> np.ndarray:
    """Boolean H×W: background at least ``margin`` px from the person."""
    near = cv2.dilate(_mask(), np.ones((2 * margin + 1, 2 * margin + 1), np.uint8))
    return near == 0


def _write_image(path: Path, image: np.ndarray) -> str:
    assert cv2.imwrite(str(path), image)
    return str(path)


def _write_video(path: Path, levels: list[int], size: tuple[int, int] = (64, 48)) -> str:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, size)
    assert writer.isOpened()
    for level in levels:
        writer.write(np.full((size[1], size[0], 3), level, np.uint8))
    writer.release()
    return str(path)


@pytest.fixture()
def image_path(tmp_path: Path) -> str:
    rng = np.random.default_rng(5)
    return _write_image(tmp_path / "bg.png", rng.integers(0, 256, (90, 200, 3), np.uint8))


# -- each kind: the person's pixels are untouched, the background is replaced ---------------


def test_color_kind() -> None:
    frame, alpha = _frame(), _mask()
    out = Compositor(BackgroundConfig(kind="color", color=(10, 20, 30))).compose(frame, alpha)
    np.testing.assert_array_equal(out[PERSON], frame[PERSON])
    assert (out[alpha == 0] == (10, 20, 30)).all()


def test_image_kind(image_path: str) -> None:
    frame, alpha = _frame(), _mask()
    out = Compositor(BackgroundConfig(kind="image", path=image_path)).compose(frame, alpha)
    expected_bg = cover_fit(cv2.imread(image_path), (W, H))
    np.testing.assert_array_equal(out[PERSON], frame[PERSON])
    np.testing.assert_array_equal(out[alpha == 0], expected_bg[alpha == 0])


def test_blur_kind_keeps_person_and_blurs_background() -> None:
    frame, alpha = _frame(), _mask()
    out = Compositor(BackgroundConfig(kind="blur", blur_level=5)).compose(frame, alpha)
    np.testing.assert_array_equal(out[PERSON], frame[PERSON])
    far = _far_from_person(30)
    bg_in, bg_out = frame[far].astype(float), out[far].astype(float)
    assert bg_out.std() < 0.25 * bg_in.std()  # the room's texture is blurred away
    assert abs(bg_out.mean() - bg_in.mean()) < 3  # ...but it is still the room


def test_none_kind_is_passthrough() -> None:
    frame, alpha = _frame(), _mask()
    comp = Compositor(BackgroundConfig(kind="none"))
    np.testing.assert_array_equal(comp.compose(frame, alpha), frame)


def test_soft_alpha_blends_proportionally() -> None:
    frame = np.full((H, W, 3), 200, np.uint8)
    alpha = np.full((H, W), 64, np.uint8)  # a quarter person
    out = Compositor(BackgroundConfig(kind="color", color=(0, 0, 0))).compose(frame, alpha)
    assert np.abs(out.astype(int) - round(200 * 64 / 255)).max() <= 1


# -- mask-aware blur: no halo ----------------------------------------------------------------


def test_blur_has_no_halo_next_to_a_bright_person() -> None:
    frame = np.full((H, W, 3), 20, np.uint8)
    frame[PERSON] = 250
    alpha = _mask()
    out = Compositor(BackgroundConfig(kind="blur", blur_level=5)).compose(frame, alpha)

    # The background strip right beside the person's left and right edges (2..5 px out).
    strip = np.zeros((H, W), bool)
    strip[100:230, 105:109] = True
    strip[100:230, 211:215] = True
    assert out[strip].max() <= 30, out[strip].max()

    # A naive blur of the same strength (sigma ≈ 4.7 px here) is bright there: the halo.
    naive = cv2.GaussianBlur(frame, (0, 0), 0.0195 * H)
    assert naive[strip].mean() > 60


def test_blur_level_changes_strength() -> None:
    frame, alpha = _frame(), _mask()
    far = _far_from_person(40)
    comp = Compositor(BackgroundConfig(kind="blur", blur_level=1))
    light = comp.compose(frame, alpha)[far].astype(float).std()
    comp.configure(BackgroundConfig(kind="blur", blur_level=10))
    strong = comp.compose(frame, alpha)[far].astype(float).std()
    assert strong < light < frame[far].astype(float).std()


# -- image background --------------------------------------------------------------------------


def test_image_background_keeps_aspect_in_the_compositor(tmp_path: Path) -> None:
    src = np.zeros((100, 400, 3), np.uint8)
    cv2.circle(src, (200, 50), 30, (255, 255, 255), -1)
    path = _write_image(tmp_path / "wide.png", src)
    comp = Compositor(BackgroundConfig(kind="image", path=path))
    bg = comp.compose(_frame(), np.zeros((H, W), np.uint8))
    ys, xs = np.nonzero(bg[..., 0] > 127)
    assert abs((xs.max() - xs.min() + 1) / (ys.max() - ys.min() + 1) - 1.0) < 0.05


# -- video ----------------------------------------------------------------------------------


def test_video_background_advances_and_loops(tmp_path: Path) -> None:
    levels = [0, 50, 100, 150, 200]
    path = _write_video(tmp_path / "bg.avi", levels)
    comp = Compositor(BackgroundConfig(kind="video", path=path))
    frame, no_person = _frame(), np.zeros((H, W), np.uint8)
    means = [float(comp.compose(frame, no_person).mean()) for _ in range(12)]
    comp.close()
    for i, level in enumerate(levels):
        assert abs(means[i] - level) < 4, means
    for i in range(7):
        assert abs(means[i + 5] - means[i]) < 1, means  # looped back to the start


def test_video_person_pixels_are_unchanged(tmp_path: Path) -> None:
    path = _write_video(tmp_path / "bg.avi", [80, 90])
    comp = Compositor(BackgroundConfig(kind="video", path=path))
    frame, alpha = _frame(), _mask()
    out = comp.compose(frame, alpha)
    np.testing.assert_array_equal(out[PERSON], frame[PERSON])
    assert np.abs(out[alpha == 0].astype(int) - 80).max() < 4
    comp.close()
    comp.close()  # idempotent


# -- errors keep the previous background -----------------------------------------------------


@pytest.mark.parametrize("kind", ["image", "video"])
def test_missing_file_raises_and_previous_background_stays(tmp_path: Path, kind: str) -> None:
    comp = Compositor(BackgroundConfig(kind="color", color=(1, 2, 3)))
    missing = str(tmp_path / f"nope.{'png' if kind == 'image' else 'mp4'}")
    with pytest.raises(BackgroundError, match="nope"):
        comp.configure(BackgroundConfig(kind=kind, path=missing))
    assert comp.config.kind == "color"
    out = comp.compose(_frame(), np.zeros((H, W), np.uint8))
    assert (out == (1, 2, 3)).all()


def test_corrupt_image_raises_and_previous_image_stays(tmp_path: Path, image_path: str) -> None:
    corrupt = tmp_path / "corrupt.jpg"
    corrupt.write_bytes(b"\xff\xd8 this is not really a JPEG")
    comp = Compositor(BackgroundConfig(kind="image", path=image_path))
    before = comp.compose(_frame(), np.zeros((H, W), np.uint8)).copy()
    with pytest.raises(BackgroundError, match="corrupt.jpg"):
        comp.configure(BackgroundConfig(kind="image", path=str(corrupt)))
    np.testing.assert_array_equal(comp.compose(_frame(), np.zeros((H, W), np.uint8)), before)


def test_wrong_alpha_shape_is_rejected() -> None:
    comp = Compositor(BackgroundConfig(kind="color"))
    with pytest.raises(ValueError):
        comp.compose(_frame(), np.zeros((H, W + 2), np.uint8))


# -- privacy fallback -------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["blur", "color", "image"])
def test_background_only_never_shows_the_raw_frame(kind: str, image_path: str) -> None:
    frame = _frame()
    cfg = BackgroundConfig(kind=kind, path=image_path if kind == "image" else None)
    out = Backdrop(cfg).draw((W, H), frame)
    assert out.shape == frame.shape
    assert not np.array_equal(out, frame)
    # Nothing of the person's texture survives: mean per-pixel difference stays large.
    assert np.abs(out[PERSON].astype(int) - frame[PERSON]).mean() > 20


def test_background_only_blur_is_darker_than_the_frame() -> None:
    frame = _frame()
    out = Backdrop(BackgroundConfig(kind="blur")).draw((W, H), frame)
    assert out.mean() < 0.8 * frame.mean()
    assert out.astype(float).std() < frame.astype(float).std()


def test_background_only_with_none_is_the_frame() -> None:
    frame = _frame()
    np.testing.assert_array_equal(Backdrop(BackgroundConfig(kind="none")).draw((W, H), frame),
                                  frame)


# -- no mirroring here -------------------------------------------------------------------------


def test_the_compositor_takes_no_mirror() -> None:
    # Mirroring is the caller's (the pipeline flips the camera frame once, in its capture
    # stage): a leftover positional mirror argument is refused, not taken as the foreground.
    with pytest.raises(TypeError):
        Compositor(BackgroundConfig(kind="color"), True)


# -- light wrap -------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["color", "blur", "image"])
def test_light_wrap_changes_only_the_edge_band(kind: str, image_path: str) -> None:
    frame, alpha = _frame(), _mask()
    path = image_path if kind == "image" else None
    base = Compositor(BackgroundConfig(kind=kind, path=path, color=(250, 40, 40)))
    wrap = Compositor(BackgroundConfig(kind=kind, path=path, color=(250, 40, 40), light_wrap=1))
    diff = np.abs(
        wrap.compose(frame, alpha).astype(int) - base.compose(frame, alpha).astype(int)
    ).max(axis=2)

    kernel = np.ones((41, 41), np.uint8)
    band = (cv2.dilate(alpha, kernel) > 0) & (cv2.erode(alpha, kernel, borderValue=255) == 0)
    assert diff[~band].max() == 0  # interior and far background untouched
    inner_edge = np.zeros((H, W), bool)
    inner_edge[100:230, 111:114] = True  # just inside the person's left edge
    assert diff[inner_edge].mean() > 10  # the background does wrap onto the edge


# -- switching while running ------------------------------------------------------------------


def test_configure_switches_kind_and_same_video_is_not_restarted(tmp_path: Path) -> None:
    path = _write_video(tmp_path / "bg.avi", [0, 50, 100, 150, 200])
    comp = Compositor(BackgroundConfig(kind="blur"))
    frame, no_person = _frame(), np.zeros((H, W), np.uint8)
    comp.configure(BackgroundConfig(kind="video", path=path))
    first = float(comp.compose(frame, no_person).mean())
    # Changing only the light wrap keeps the open video where it is.
    comp.configure(BackgroundConfig(kind="video", path=path, light_wrap=0.2))
    second = float(comp.compose(frame, no_person).mean())
    assert abs(first - 0) < 4 and abs(second - 50) < 4
    comp.configure(BackgroundConfig(kind="color", color=(7, 7, 7)))
    assert (comp.compose(frame, no_person) == 7).all()
    comp.close()


def test_frame_size_change_is_handled(image_path: str) -> None:
    comp = Compositor(BackgroundConfig(kind="blur"))
    comp.compose(_frame(), _mask())
    small = np.full((120, 160, 3), 100, np.uint8)
    out = comp.compose(small, np.zeros((120, 160), np.uint8))
    assert out.shape == (120, 160, 3)
    comp.configure(BackgroundConfig(kind="image", path=image_path))
    assert comp.compose(small, np.zeros((120, 160), np.uint8)).shape == (120, 160, 3)


# -- work shared with the mask engine, and blending only where the person is ----------------


def _soft_mask() -> np.ndarray:
    return cv2.GaussianBlur(_mask(), (9, 9), 3)


def _halves(frame: np.ndarray, alpha: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    size = (frame.shape[1] // 2, frame.shape[0] // 2)
    return (cv2.resize(frame, size, interpolation=cv2.INTER_AREA),
            cv2.resize(alpha, size, interpolation=cv2.INTER_AREA))


@pytest.mark.parametrize("spec", ["blur", "color:#00FF00", "image"])
def test_half_size_hints_give_the_same_picture(spec: str, image_path: str) -> None:
    cfg = (BackgroundConfig(kind="image", path=image_path, light_wrap=0.5) if spec == "image"
           else BackgroundConfig.parse(spec))
    frame, alpha = _frame(), _soft_mask()
    frame_half, alpha_half = _halves(frame, alpha)
    plain = Compositor(cfg).compose(frame, alpha).copy()
    hinted = Compositor(cfg).compose(frame, alpha, frame_half=frame_half, alpha_half=alpha_half)
    assert int(cv2.absdiff(plain, hinted).max()) <= 1


def test_half_size_hint_of_the_wrong_size_is_rejected() -> None:
    frame, alpha = _frame(), _mask()
    with pytest.raises(ValueError, match="frame_half"):
        Compositor(BackgroundConfig()).compose(frame, alpha, frame_half=frame[:10, :10])


def test_outside_the_person_the_output_is_exactly_the_background(image_path: str) -> None:
    # The blend runs only in the person's box; everything else must still be the background.
    cfg = BackgroundConfig(kind="image", path=image_path)
    frame, alpha = _frame(), _soft_mask()
    comp = Compositor(cfg)
    out = comp.compose(frame, alpha).copy()
    background = comp.backdrop.draw((W, H), frame)
    outside = alpha == 0
    assert np.array_equal(out[outside], background[outside])
    inside = alpha == 255
    assert np.array_equal(out[inside], frame[inside])


def test_no_person_at_all_gives_the_background_everywhere() -> None:
    frame = _frame()
    out = Compositor(BackgroundConfig.parse("color:#0000FF")).compose(
        frame, np.zeros((H, W), np.uint8))
    assert np.all(out == (255, 0, 0))


# -- writing into the caller's buffer ---------------------------------------------------------


@pytest.mark.parametrize(("kind", "light_wrap"), [("blur", 0.0), ("color", 0.0), ("image", 0.0),
                                                  ("blur", 1.0), ("image", 1.0)])
def test_compose_into_a_given_buffer_gives_the_same_picture(kind: str, light_wrap: float,
                                                            image_path: str) -> None:
    frame, alpha = _frame(), cv2.GaussianBlur(_mask(), (9, 9), 3)  # a soft edge as well
    cfg = BackgroundConfig(kind=kind, path=image_path if kind == "image" else None,
                           color=(250, 40, 40), light_wrap=light_wrap)
    expected = Compositor(cfg).compose(frame, alpha).copy()
    comp = Compositor(cfg)
    bufs = [np.full((H, W, 3), 7, np.uint8) for _ in range(2)]
    results = [comp.compose(frame, alpha, out=buf) for buf in bufs]
    for buf, result in zip(bufs, results, strict=True):
        assert result is buf
        np.testing.assert_array_equal(buf, expected)  # every pixel written, the same picture


def test_compose_rejects_an_out_buffer_of_another_size() -> None:
    comp = Compositor(BackgroundConfig(kind="blur"))
    with pytest.raises(ValueError, match="out must be"):
        comp.compose(_frame(), _mask(), out=np.empty((H, W // 2, 3), np.uint8))


# -- the banded blend (a large person: copy the opaque interior, blend only its edges) -------


def _large_person(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A 1280×720 frame, a soft half-size alpha of a big head-and-shoulders with an arm apart
    from the body (bands whose interior is not one run) and a faint speck, and the full-size
    alpha as the mask engine makes it: the bilinear upscale of the half-size one."""
    frame = rng.integers(0, 256, (720, 1280, 3), dtype=np.uint8)
    half = np.zeros((360, 640), np.uint8)
    cv2.ellipse(half, (320, 110), (70, 90), 0, 0, 360, 255, -1)  # head
    cv2.rectangle(half, (160, 190), (480, 360), 255, -1)  # shoulders and body
    cv2.rectangle(half, (60, 150), (110, 360), 255, -1)  # an arm, apart from the body
    half = cv2.GaussianBlur(half, (9, 9), 3)  # soft edges
    half[20, 600] = 3  # a faint speck far from the person
    alpha = cv2.resize(half, (1280, 720), interpolation=cv2.INTER_LINEAR)
    return frame, half, alpha


@pytest.mark.parametrize("spec", ["blur", "color:#00FF00"])
def test_banded_blend_gives_exactly_the_plain_blend(spec: str, monkeypatch) -> None:  # noqa: ANN001
    frame, half, alpha = _large_person(np.random.default_rng(3))
    frame_half = cv2.resize(frame, (640, 360), interpolation=cv2.INTER_AREA)
    with monkeypatch.context() as m:
        m.setattr(compositor, "_BANDED_MIN_PIXELS", 10**9)  # the plain blend, same hints
        plain = Compositor(BackgroundConfig.parse(spec)).compose(
            frame, alpha, frame_half=frame_half, alpha_half=half).copy()
    hinted = Compositor(BackgroundConfig.parse(spec))
    calls = []
    banded = hinted._banded
    monkeypatch.setattr(hinted, "_banded", lambda *a: calls.append(1) or banded(*a))
    out = hinted.compose(frame, alpha, frame_half=frame_half, alpha_half=half)
    assert calls, "a person this large takes the banded blend"
    assert int(cv2.absdiff(plain, out).max()) == 0
    inside = alpha == 255
    assert np.array_equal(out[inside], frame[inside])  # the person, untouched


def test_banded_blend_with_an_area_halved_hint_is_within_two_levels() -> None:
    frame, _, alpha = _large_person(np.random.default_rng(4))
    alpha = cv2.GaussianBlur(alpha, (5, 5), 0)  # no longer an upscale of any half-size alpha
    frame_half, alpha_half = _halves(frame, alpha)
    cfg = BackgroundConfig.parse("color:#203040")
    plain = Compositor(cfg).compose(frame, alpha).copy()
    hinted = Compositor(cfg).compose(frame, alpha, frame_half=frame_half, alpha_half=alpha_half)
    assert int(cv2.absdiff(plain, hinted).max()) <= 2
    outside = cv2.dilate(alpha, np.ones((5, 5), np.uint8)) == 0
    assert (hinted[outside] == (0x40, 0x30, 0x20)).all()  # the background, exactly


def test_an_odd_frame_size_keeps_its_last_row_and_column() -> None:
    # 1281×721: the half-size alpha has no pixel for the last row and column; the person there
    # must still be blended in (the banded blend is for even sizes only).
    frame, half, alpha = _large_person(np.random.default_rng(5))
    half[200:, 560:] = 255  # someone reaching the bottom-right corner
    alpha = cv2.resize(half, (1280, 720), interpolation=cv2.INTER_LINEAR)
    frame = cv2.copyMakeBorder(frame, 0, 1, 0, 1, cv2.BORDER_REPLICATE)
    alpha = cv2.copyMakeBorder(alpha, 0, 1, 0, 1, cv2.BORDER_REPLICATE)
    frame_half = cv2.resize(frame, (640, 360), interpolation=cv2.INTER_AREA)
    cfg = BackgroundConfig.parse("color:#203040")
    out = Compositor(cfg).compose(frame, alpha, frame_half=frame_half, alpha_half=half)
    opaque = alpha == 255
    assert opaque[-1, -1] and opaque[-1].any() and opaque[:, -1].any()
    assert np.array_equal(out[opaque], frame[opaque])


# -- the light's curve applied as the person is blended (vbg.light, person_lut) ---------------

_GAMMA = np.clip(np.round(255 * (np.arange(256) / 255) ** 0.6), 0, 255).astype(np.uint8)


@pytest.mark.parametrize("lut", [_GAMMA.reshape(256, 1),
                                 np.stack([_GAMMA, _GAMMA // 2, 255 - _GAMMA], 1)
                                 .reshape(1, 256, 3)], ids=["one table", "three tables"])
@pytest.mark.parametrize("spec", ["color:#00FF00", "blur", "color:#00FF00 wrap",
                                  "color:#00FF00 small"])
def test_the_person_lut_is_the_blend_of_the_frame_looked_up(spec: str, lut: np.ndarray) -> None:
    # What the compositor shows with the curve must be what it shows of a frame put through
    # the curve beforehand, whichever blend it takes (banded, plain, wrapped, blur), while
    # the frame it was given is never written and the room keeps the background.
    frame, half, alpha = _large_person(np.random.default_rng(6))
    frame_half = cv2.resize(frame, (640, 360), interpolation=cv2.INTER_AREA)
    if "small" in spec:  # a person far away: under the banded blend's size
        alpha = np.zeros_like(alpha)
        alpha[600:700, 600:680] = cv2.GaussianBlur(np.full((100, 80), 255, np.uint8), (9, 9), 3)
        half = cv2.resize(alpha, (640, 360), interpolation=cv2.INTER_AREA)
    cfg = BackgroundConfig.parse(spec.split()[0])
    if "wrap" in spec:
        cfg = BackgroundConfig(kind="color", color=cfg.color, light_wrap=0.5)
    looked_up = cv2.LUT(frame, lut)
    # The room for blur stays the frame as it came: the hint halves are the unlit frame's.
    expected = Compositor(cfg).compose(looked_up, alpha, frame_half=frame_half,
                                       alpha_half=half).copy()
    given = frame.copy()
    got = Compositor(cfg).compose(given, alpha, frame_half=frame_half, alpha_half=half,
                                  person_lut=lut)
    assert np.array_equal(given, frame)
    person = alpha > 0
    assert np.array_equal(got[person], expected[person])
    room = alpha == 0
    assert np.array_equal(got[room], expected[room])
    assert not np.array_equal(got[alpha == 255], frame[alpha == 255])  # it did light them


class _CountingForeground:
    """A foreground estimator that brightens the soft band by 40 and counts its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, frame: np.ndarray, alpha: np.ndarray, out: np.ndarray,
                 box: tuple[slice, slice]) -> np.ndarray:
        self.calls += 1
        np.copyto(out[box], frame[box])
        soft = (alpha > 0) & (alpha < 255)
        out[soft] = cv2.add(frame[soft], 40).reshape(-1, 3)
        return out


@pytest.mark.parametrize("spec", ["color:#00FF00", "image"])
def test_a_frame_that_holds_the_estimate_is_not_estimated_again(spec: str,
                                                                image_path: str) -> None:
    cfg = (BackgroundConfig(kind="image", path=image_path) if spec == "image"
           else BackgroundConfig.parse(spec))
    frame, alpha = _frame(), _soft_mask()
    estimator = _CountingForeground()
    comp = Compositor(cfg, foreground=estimator)
    want = comp.compose(frame, alpha).copy()
    assert estimator.calls == 1
    estimate = estimator(frame, alpha, np.empty_like(frame), (slice(0, H), slice(0, W)))
    got = comp.compose(estimate, alpha, foreground_estimated=True)
    assert estimator.calls == 2  # only the call above: compose made none
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("spec", ["color:#00FF00", "image"])
def test_the_frame_is_not_read_outside_the_person_box(spec: str, image_path: str) -> None:
    # The framer scales up only this box of the camera picture: what lies outside it must not
    # reach the composite.
    cfg = (BackgroundConfig(kind="image", path=image_path) if spec == "image"
           else BackgroundConfig.parse(spec))
    frame, alpha = _frame(), _soft_mask()
    comp = Compositor(cfg)
    rows, cols = comp.person_box(alpha)
    assert 0 < rows.stop - rows.start < H or 0 < cols.stop - cols.start < W
    want = comp.compose(frame, alpha).copy()
    garbage = np.full_like(frame, 255)
    garbage[rows, cols] = frame[rows, cols]
    np.testing.assert_array_equal(comp.compose(garbage, alpha), want)
