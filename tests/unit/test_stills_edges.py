"""Stills: kept transparency, foreground colour in the cut-out, alpha and Poisson blending."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from vbg.config import BackgroundConfig
from vbg.errors import BackgroundError
from vbg.stills import Cutout, StillCutter, load_background, poisson_person, read_image_alpha


def _person(h: int = 240, w: int = 320) -> tuple[np.ndarray, np.ndarray]:
    """A textured ellipse 'person' (with a soft edge) on a grey room."""
    rng = np.random.default_rng(3)
    alpha = np.zeros((h, w), np.uint8)
    cv2.ellipse(alpha, (w // 2, h // 2), (w // 5, h // 3), 0, 0, 360, 255, -1)
    alpha = cv2.GaussianBlur(alpha, (0, 0), 2)
    noise = rng.normal(0, 3, (h, w, 3))
    stripes = 40 * np.sin(np.arange(w) / 3.0)[None, :, None]  # texture with real gradients
    person = np.clip(np.array([60, 100, 170]) + stripes + noise, 0, 255).astype(np.uint8)
    return person, alpha


def test_read_image_alpha_keeps_png_transparency(tmp_path):
    bgra = np.zeros((20, 30, 4), np.uint8)
    bgra[..., :3] = (10, 20, 30)
    bgra[:, :15, 3] = 255
    cv2.imwrite(str(tmp_path / "t.png"), bgra)
    image, alpha = read_image_alpha(tmp_path / "t.png")
    assert image.shape == (20, 30, 3) and np.all(image == (10, 20, 30))
    np.testing.assert_array_equal(alpha, bgra[..., 3])
    bgra[..., 3] = 255
    cv2.imwrite(str(tmp_path / "opaque.png"), bgra)
    assert read_image_alpha(tmp_path / "opaque.png")[1] is None


def test_cut_keeps_the_inputs_own_transparency(portraits):
    image = cv2.imread(str(portraits[0][0]))
    own = np.full(image.shape[:2], 255, np.uint8)
    own[:, : image.shape[1] // 2] = 0  # left half cut away in the input already
    own[:40] = 100
    cut = StillCutter().cut(image, own)
    assert np.all(cut.alpha <= own)
    assert cut.alpha[:, : image.shape[1] // 2].max() == 0
    full = StillCutter().cut(image)
    assert full.alpha[:, : image.shape[1] // 2].max() == 255  # the person is there


def test_cutout_colour_is_the_estimated_foreground():
    person, alpha = _person()
    fg = person.copy()
    fg[alpha < 255] = (1, 2, 3)
    cut = Cutout(person, alpha, fg)
    bgra = cut.foreground()
    np.testing.assert_array_equal(bgra[..., :3], fg)
    np.testing.assert_array_equal(bgra[..., 3], alpha)


def test_alpha_over_a_background_is_exact_at_solid_pixels():
    person, alpha = _person()
    bg = np.full_like(person, (0, 200, 0))
    out = Cutout(person, alpha).over(bg)
    np.testing.assert_array_equal(out[alpha == 255], person[alpha == 255])
    np.testing.assert_array_equal(out[alpha == 0], bg[alpha == 0])


def test_poisson_over_its_own_room_changes_almost_nothing():
    person, alpha = _person()
    out = poisson_person(person, alpha, person)
    inside = alpha == 255
    assert np.abs(out[inside].astype(int) - person[inside]).mean() < 2.0


def test_poisson_takes_on_the_new_scenes_light():
    person, alpha = _person()
    warm = np.full_like(person, (40, 120, 250))  # orange scene
    cut = Cutout(person, alpha)
    plain = cut.over(warm, "alpha")
    relit = cut.over(warm, "poisson")
    inside = alpha == 255
    # Gradients (the texture) are kept...
    gx = lambda im: cv2.Sobel(cv2.cvtColor(im, cv2.COLOR_BGR2GRAY), cv2.CV_32F, 1, 0)  # noqa: E731
    assert np.abs(gx(relit) - gx(plain))[inside].mean() < 0.25 * np.abs(gx(plain))[inside].mean()
    # ...while the colour moves towards the scene's (red up, blue down).
    assert relit[inside][:, 2].mean() > plain[inside][:, 2].mean() + 20
    assert relit[inside][:, 0].mean() < plain[inside][:, 0].mean() - 5
    with pytest.raises(ValueError):
        cut.over(warm, "screen")


def test_poisson_touching_the_border_and_empty_matte():
    person, alpha = _person()
    alpha[:, :10] = 255  # touches the left border
    out = poisson_person(person, alpha, np.zeros_like(person))
    assert out.shape == person.shape
    empty = np.zeros_like(alpha)
    np.testing.assert_array_equal(poisson_person(person, empty, person * 0), person * 0)


def test_load_background(tmp_path):
    green = load_background(BackgroundConfig(kind="color", color=(0, 255, 0)), (8, 6))
    assert green.shape == (6, 8, 3) and np.all(green == (0, 255, 0))
    pic = np.zeros((100, 300, 3), np.uint8)
    pic[:, 100:200] = 255
    cv2.imwrite(str(tmp_path / "bg.png"), pic)
    fitted = load_background(BackgroundConfig(kind="image", path=str(tmp_path / "bg.png")),
                             (50, 50))
    assert fitted.shape == (50, 50, 3) and fitted.mean() > 200  # cover-fit: the centre
    with pytest.raises(BackgroundError, match="does not exist"):
        load_background(BackgroundConfig(kind="image", path=str(tmp_path / "no.png")), (5, 5))
    with pytest.raises(BackgroundError, match="color"):
        load_background(BackgroundConfig(kind="blur"), (5, 5))
