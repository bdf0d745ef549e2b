"""The one image reader, cover-fit and looping video reader (vbg.imaging)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from vbg.errors import BackgroundError, SourceError
from vbg.imaging import VideoFrames, cover_fit, decode_image, read_image

RED, BLUE = (0, 0, 255), (255, 0, 0)


def halves(w: int, h: int) -> np.ndarray:
    """Left half red, right half blue."""
    img = np.zeros((h, w, 3), np.uint8)
    img[:, : w // 2] = RED
    img[:, w // 2 :] = BLUE
    return img


def test_reads_non_ascii_paths_and_grey_files_as_bgr(tmp_path: Path) -> None:
    path = tmp_path / "fotó_été.png"
    ok, png = cv2.imencode(".png", np.full((6, 8), 77, np.uint8))  # greyscale file
    assert ok
    path.write_bytes(png.tobytes())
    image = read_image(path)
    assert image.shape == (6, 8, 3) and image.dtype == np.uint8 and (image == 77).all()
    assert np.array_equal(decode_image(path), image)


def test_unreadable_images_are_one_sentence_of_the_callers_kind(tmp_path: Path) -> None:
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8 not really")
    with pytest.raises(SourceError, match=r"^The file .*gone\.png does not exist; check"):
        read_image(tmp_path / "gone.png", what="The file")
    with pytest.raises(BackgroundError, match=r"broken\.jpg is not an image vbg can read"):
        read_image(broken, what="The background image", error=BackgroundError)
    assert decode_image(broken) is None and decode_image(tmp_path / "gone.png") is None


@pytest.mark.parametrize("src_size, size", [((200, 100), (100, 100)),   # wide into square
                                            ((100, 100), (200, 100)),   # square into wide
                                            ((60, 30), (120, 60))])     # same aspect, larger
def test_cover_fit_keeps_the_aspect_and_the_middle(src_size, size) -> None:
    out = cover_fit(halves(*src_size), size)
    w, h = size
    assert out.shape == (h, w, 3)
    assert tuple(out[h // 2, 2]) == RED and tuple(out[h // 2, w - 3]) == BLUE  # not squashed away
    if src_size[0] * h > w * src_size[1]:  # wider source: both colours still meet in the middle
        assert tuple(out[h // 2, w // 2 - 2]) == RED and tuple(out[h // 2, w // 2 + 2]) == BLUE


def test_cover_fit_crops_a_portrait_top_and_bottom() -> None:
    portrait = np.zeros((300, 100, 3), np.uint8)
    portrait[:100] = RED     # top third: cropped away in a 1:1 fit
    portrait[100:200] = 128
    portrait[200:] = BLUE    # bottom third: cropped away
    out = cover_fit(portrait, (50, 50))
    assert (out == 128).all()


def test_cover_fit_keeps_a_circle_round_and_centred() -> None:
    w, h = 320, 240
    src = np.zeros((100, 400, 3), np.uint8)  # 4:1, the frame is 4:3
    cv2.circle(src, (200, 50), 30, (255, 255, 255), -1)
    fitted = cover_fit(src, (w, h))
    assert fitted.shape == (h, w, 3)
    ys, xs = np.nonzero(fitted[..., 0] > 127)
    width, height = xs.max() - xs.min() + 1, ys.max() - ys.min() + 1
    assert abs(width / height - 1.0) < 0.05  # still a circle, not an ellipse
    assert height > 0.5 * h  # scaled to cover: 100 px tall source → 240 px, circle 60 → 144
    assert abs((xs.min() + xs.max()) / 2 - w / 2) <= 3  # centre-cropped


def test_shrinking_averages_unless_fast_and_writes_into_out() -> None:
    # A one-pixel checkerboard shrunk 3x: area averaging gives greys, sampling gives 0/255.
    board = (np.indices((300, 300)).sum(axis=0) % 2 * 255).astype(np.uint8)
    board = np.dstack([board] * 3)
    smooth = cover_fit(board, (100, 100))
    assert 90 < smooth.mean() < 165 and smooth.min() > 60 and smooth.max() < 195
    out = np.empty((100, 100, 3), np.uint8)
    fast = cover_fit(board, (100, 100), out=out, fast=True)
    assert fast is out
    assert np.isin(fast, (0, 255)).mean() > 0.9


def test_enlarging_interpolates_smoothly() -> None:
    src = np.zeros((2, 2, 3), np.uint8)
    src[:, 1] = 200
    out = cover_fit(src, (8, 8))
    row = out[4, :, 0].astype(int)
    assert row[0] == 0 and row[-1] == 200 and len(set(row.tolist())) > 2  # a ramp, not blocks


def _clip(path: Path, n: int = 5) -> list[int]:
    """An MJPG clip whose frame i is grey level 40*i+20 (returned)."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10.0, (32, 24))
    levels = [40 * i + 20 for i in range(n)]
    for level in levels:
        writer.write(np.full((24, 32, 3), level, np.uint8))
    writer.release()
    return levels


def _level(frame: np.ndarray) -> int:
    return int(round(float(frame.mean())))


def test_video_frames_loop_from_the_first_frame(tmp_path: Path) -> None:
    levels = _clip(tmp_path / "clip.avi")
    video = VideoFrames(tmp_path / "clip.avi", loop=True)
    assert video.first_ok and video.fps == pytest.approx(10.0)
    seen = [_level(video.read()) for _ in range(12)]
    video.close()
    expected = (levels * 3)[:12]
    assert all(abs(a - b) <= 3 for a, b in zip(seen, expected, strict=True)), seen
    assert video.read() is None  # closed


def test_video_frames_end_without_loop_and_reuse_a_buffer(tmp_path: Path) -> None:
    levels = _clip(tmp_path / "clip.avi")
    video = VideoFrames(tmp_path / "clip.avi", loop=False)
    first = video.read()
    buffer = np.empty_like(first)
    rest = [video.read(buffer) for _ in range(len(levels) - 1)]
    assert all(f is buffer for f in rest)  # decoded into the caller's buffer
    assert video.read(buffer) is None
    video.close()


def test_a_file_that_is_not_a_video_is_not_ok(tmp_path: Path) -> None:
    bad = tmp_path / "notes.mp4"
    bad.write_text("hello")
    video = VideoFrames(bad)
    assert not video.first_ok and video.read() is None
    video.close()


def test_as_stored_keeps_the_alpha_channel(tmp_path: Path) -> None:
    bgra = np.zeros((4, 5, 4), np.uint8)
    bgra[..., 3] = 200
    path = tmp_path / "mask.png"
    ok, png = cv2.imencode(".png", bgra)
    assert ok
    path.write_bytes(png.tobytes())
    assert decode_image(path).shape == (4, 5, 3)
    kept = decode_image(path, as_stored=True)
    assert kept.shape == (4, 5, 4) and (kept[..., 3] == 200).all()
