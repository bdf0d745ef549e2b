"""Backdrop (vbg.compositor.backdrop): the background alone draws exactly what the
compositor puts behind the person, and can be shared with a compositor so a video background
is decoded once."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from vbg.compositor import Backdrop, Compositor
from vbg.config import BackgroundConfig
from vbg.errors import BackgroundError

H, W = 240, 320
SIZE = (W, H)
LEVELS = [0, 50, 100, 150, 200]  # the grey levels of the test video's frames


def _frame(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    frame = rng.integers(60, 141, (H, W, 3)).astype(np.uint8)
    frame[60:, 110:210] = rng.integers(180, 256, (180, 100, 3)).astype(np.uint8)  # a person
    return frame


@pytest.fixture()
def image_path(tmp_path: Path) -> str:
    path = tmp_path / "bg.png"
    assert cv2.imwrite(str(path), np.random.default_rng(5).integers(0, 256, (90, 200, 3),
                                                                       np.uint8))
    return str(path)


@pytest.fixture()
def video_path(tmp_path: Path) -> str:
    path = tmp_path / "bg.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (64, 48))
    assert writer.isOpened()
    for level in LEVELS:
        frame = np.full((48, 64, 3), level, np.uint8)
        frame[:, :16] = 255 - level  # not flat: a mirror or a wrong fit would show
        writer.write(frame)
    writer.release()
    return str(path)


def _cfg(kind: str, image_path: str, video_path: str) -> BackgroundConfig:
    path = {"image": image_path, "video": video_path}.get(kind)
    return BackgroundConfig(kind=kind, path=path, color=(250, 40, 10), blur_level=4)


@pytest.mark.parametrize("kind", ["color", "image", "video"])
def test_backdrop_draws_what_the_compositor_puts_behind_the_person(
        kind: str, image_path: str, video_path: str) -> None:
    # (Blur and none are drawn from the camera frame: see the tests below.)
    cfg = _cfg(kind, image_path, video_path)
    comp, backdrop = Compositor(cfg), Backdrop(cfg)
    nobody = np.zeros((H, W), np.uint8)
    try:
        for i in range(7):  # past the end of the 5-frame video: the loop as well
            expected = comp.compose(_frame(i), nobody).copy()
            got = backdrop.draw(SIZE, _frame(i))
            np.testing.assert_array_equal(got, expected, err_msg=f"{kind}, draw {i}")
    finally:
        comp.close()
        backdrop.close()


@pytest.mark.parametrize("kind", ["color", "image", "video", "blur"])
def test_draw_into_a_given_buffer_and_into_its_own(kind: str, image_path: str,
                                                   video_path: str) -> None:
    cfg = _cfg(kind, image_path, video_path)
    own, given = Backdrop(cfg), Backdrop(cfg)
    frame = _frame()
    first = own.draw(SIZE, frame)
    first_copy = first.copy()
    buf = np.full((H, W, 3), 7, np.uint8)
    assert given.draw(SIZE, frame, out=buf) is buf
    np.testing.assert_array_equal(buf, first_copy)  # every pixel written
    first[:] = 0  # the caller may draw on the result: the cached background stays clean
    second = own.draw(SIZE, frame)
    assert second is first  # the same buffer each call: nothing allocated per frame
    assert second.any()
    own.close()
    given.close()


def test_a_video_advances_one_frame_per_draw_and_loops(video_path: str) -> None:
    backdrop = Backdrop(BackgroundConfig(kind="video", path=video_path))
    means = [float(backdrop.draw(SIZE)[:, W // 2:].mean()) for _ in range(7)]
    backdrop.close()
    for i, mean in enumerate(means):
        assert abs(mean - LEVELS[i % len(LEVELS)]) < 4, means


def test_blur_and_none_need_the_camera_frame() -> None:
    for kind in ("blur", "none"):
        backdrop = Backdrop(BackgroundConfig(kind=kind))
        with pytest.raises(ValueError, match="camera frame"):
            backdrop.draw(SIZE)
        with pytest.raises(ValueError, match="camera frame"):
            backdrop.draw(SIZE, np.zeros((H // 2, W, 3), np.uint8))
    with pytest.raises(ValueError, match="out must be"):
        Backdrop(BackgroundConfig(kind="color")).draw(SIZE, out=np.empty((H, W), np.uint8))


def test_none_is_the_frame_itself_and_blur_never_the_person() -> None:
    frame = _frame()
    assert Backdrop(BackgroundConfig(kind="none")).draw(SIZE, frame) is frame
    blurred = Backdrop(BackgroundConfig(kind="blur")).draw(SIZE, frame)
    person = (slice(60, H), slice(110, 210))
    assert np.abs(blurred[person].astype(int) - frame[person]).mean() > 20


def test_a_bad_file_keeps_the_previous_background(tmp_path: Path, image_path: str) -> None:
    backdrop = Backdrop(BackgroundConfig(kind="image", path=image_path))
    before = backdrop.draw(SIZE).copy()
    with pytest.raises(BackgroundError, match="nope.mp4"):
        backdrop.configure(BackgroundConfig(kind="video", path=str(tmp_path / "nope.mp4")))
    assert backdrop.config.kind == "image"
    np.testing.assert_array_equal(backdrop.draw(SIZE), before)
    backdrop.configure(BackgroundConfig(kind="color", color=(1, 2, 3)))
    assert (backdrop.draw(SIZE) == (1, 2, 3)).all()


def test_after_close_an_image_or_video_draws_the_colour(video_path: str) -> None:
    backdrop = Backdrop(BackgroundConfig(kind="video", path=video_path, color=(9, 8, 7)))
    backdrop.close()
    backdrop.close()  # idempotent
    assert (backdrop.draw(SIZE) == (9, 8, 7)).all()


def test_a_compositor_shares_its_backdrop_so_the_video_is_decoded_once(video_path: str) -> None:
    comp = Compositor(BackgroundConfig(kind="video", path=video_path))
    no_person = np.zeros((H, W), np.uint8)
    half = slice(W // 2, None)
    first = float(comp.compose(_frame(), no_person)[:, half].mean())
    # Another thread's background-only picture from the same backdrop is the next frame of
    # the same open video, and the compositor goes on from there.
    shared = float(comp.backdrop.draw(SIZE)[:, half].mean())
    third = float(comp.compose(_frame(), no_person)[:, half].mean())
    assert [round(m / 50) for m in (first, shared, third)] == [0, 1, 2]
    # It follows the compositor's configure() and close().
    comp.configure(BackgroundConfig(kind="color", color=(4, 5, 6)))
    assert comp.backdrop.config.kind == "color"
    assert (comp.backdrop.draw(SIZE) == (4, 5, 6)).all()
    comp.close()
