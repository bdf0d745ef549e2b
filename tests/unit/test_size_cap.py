"""Issue 22, 3: a small file whose header declares a huge picture or video is refused from
the header, in one sentence, before anything is decoded (a 3.5 MB 30000x30000 PNG once cost
7 GB, a 56 KB 16000x16000 FFV1 11 GB). The decoders are replaced by ones that fail the test,
so a refusal that came after decoding would show."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest

from vbg import imaging
from vbg.errors import BackgroundError, SourceError
from vbg.imaging import MAX_PIXELS, VideoFrames, decode_image, image_header_size, read_image


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def huge_png(path: Path, width: int = 30000, height: int = 30000) -> Path:
    """A few-KB PNG whose IHDR says ``width``x``height`` (its pixel data is cut short)."""
    rows = zlib.compress(b"\0" * (1 + 3 * width) * 4, 9)
    path.write_bytes(b"\x89PNG\r\n\x1a\n"
                     + _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
                     + _chunk(b"IDAT", rows) + _chunk(b"IEND", b""))
    return path


def huge_jpeg(path: Path, width: int = 30000, height: int = 30000) -> Path:
    """A real 64x48 JPEG whose frame header is rewritten to say ``width``x``height``."""
    ok, buf = cv2.imencode(".jpg", np.full((48, 64, 3), 90, np.uint8))
    data = bytearray(buf.tobytes())
    at = data.index(b"\xff\xc0")
    data[at + 5:at + 9] = struct.pack(">HH", height, width)
    path.write_bytes(bytes(data))
    return path


def huge_video(path: Path) -> Path:
    """A 2-frame 1000x1000 FFV1 Matroska file whose track header says 16000x16000."""
    av = pytest.importorskip("av")
    with av.open(str(path.with_suffix(".tmp.mkv")), "w") as c:
        s = c.add_stream("ffv1", rate=10)
        s.width = s.height = 1000
        s.pix_fmt = "yuv420p"
        frame = av.VideoFrame(1000, 1000, "yuv420p")
        for _ in range(2):
            for p in s.encode(frame):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    data = path.with_suffix(".tmp.mkv").read_bytes()
    for tag in (b"\xb0", b"\xba"):  # Matroska PixelWidth, PixelHeight: 2-byte 1000 -> 16000
        assert data.count(tag + b"\x82\x03\xe8") == 1
        data = data.replace(tag + b"\x82\x03\xe8", tag + b"\x82\x3e\x80")
    path.write_bytes(data)
    return path


@pytest.fixture
def no_decoding(monkeypatch):
    """Fail the test if a picture is decoded."""
    def refuse(*_a, **_k):
        raise AssertionError("the picture was decoded before its size was checked")
    monkeypatch.setattr(imaging.cv2, "imdecode", refuse)


@pytest.mark.parametrize("ext", [".png", ".jpg", ".bmp", ".webp", ".tif", ".ppm", ".pgm",
                                 ".pam", ".pfm", ".gif"])
def test_header_sizes_match_what_opencv_writes(ext) -> None:
    if not cv2.haveImageWriter("x" + ext):
        pytest.skip(f"this OpenCV writes no {ext}")
    image = np.random.default_rng(0).integers(0, 255, (23, 37, 3), np.uint8)
    if ext == ".pgm":
        image = image[..., 0]
    if ext == ".pfm":
        image = image.astype(np.float32) / 255
    ok, buf = cv2.imencode(ext, image)
    assert ok
    assert image_header_size(buf) == (37, 23)


def test_lossless_webp_and_alpha_headers() -> None:
    bgra = np.zeros((23, 37, 4), np.uint8)
    for params in ([cv2.IMWRITE_WEBP_QUALITY, 101], [cv2.IMWRITE_WEBP_QUALITY, 80]):
        ok, buf = cv2.imencode(".webp", bgra, params)
        assert ok and image_header_size(buf) == (37, 23)


def test_crafted_headers() -> None:
    bmp = b"BM" + b"\0" * 12 + struct.pack("<Iii", 40, 30000, -30000)
    assert image_header_size(bmp) == (30000, 30000)
    tiff = b"II*\0" + struct.pack("<I", 8) + struct.pack("<H", 2) \
        + struct.pack("<HHII", 256, 4, 1, 30000) + struct.pack("<HHII", 257, 3, 1, 20000)
    assert image_header_size(tiff) == (30000, 20000)
    big_tiff = b"MM\0+" + struct.pack(">HHQ", 8, 0, 16) + struct.pack(">Q", 1) \
        + struct.pack(">HHQQ", 256, 16, 1, 1 << 20)
    assert image_header_size(big_tiff) is None  # no height: the decoder decides
    assert image_header_size(b"GIF89a" + struct.pack("<HH", 65535, 65535)) == (65535, 65535)
    assert image_header_size(b"P6\n# a comment\n30000 30000\n255\n") == (30000, 30000)
    assert image_header_size(b"P7\nWIDTH 9\nHEIGHT 7\nDEPTH 3\nENDHDR\n") == (9, 7)
    assert image_header_size(b"not a picture") is None
    assert image_header_size(b"\x89PNG\r\n\x1a\n") is None  # cut short: no error


@pytest.mark.parametrize("make", [huge_png, huge_jpeg])
def test_a_huge_picture_is_refused_from_its_header(tmp_path, no_decoding, make) -> None:
    path = make(tmp_path / "huge.img")
    assert path.stat().st_size < 100_000
    with pytest.raises(SourceError) as err:
        read_image(path)
    text = str(err.value)
    assert "30000x30000 pixels" in text and f"{MAX_PIXELS // 1_000_000} megapixels" in text
    assert text.endswith("so scale it down first.") and "\n" not in text
    with pytest.raises(BackgroundError):
        read_image(path, what="The background image", error=BackgroundError)
    assert decode_image(path) is None  # the quiet reader (thumbnails): no picture, no error
    with pytest.raises(SourceError, match="30000x30000"):
        decode_image(path, too_large_error=SourceError)


def test_the_cap_is_inclusive_and_a_picture_under_it_decodes(tmp_path) -> None:
    assert imaging.too_large("p", 10000, 10000) is None
    assert imaging.too_large("p", 12000, 8000) is None
    assert imaging.too_large("p", 10001, 10000) is not None
    assert imaging.too_large("v", 7680, 4320, video=True) is None
    assert imaging.too_large("v", 7681, 4320, video=True) is not None
    ok = tmp_path / "ok.png"
    cv2.imwrite(str(ok), np.full((20, 30, 3), 7, np.uint8))
    assert read_image(ok).shape == (20, 30, 3)


def test_every_picture_reader_refuses_before_decoding(tmp_path, no_decoding) -> None:
    from vbg.capture import files
    from vbg.compositor.backdrop import _load_image
    from vbg.stills import read_image_alpha

    path = huge_png(tmp_path / "huge.png")
    with pytest.raises(SourceError, match="30000x30000 pixels"):
        read_image_alpha(path)
    with pytest.raises(SourceError, match="30000x30000 pixels"):
        files.ImageSource([path])
    with pytest.raises(BackgroundError, match="30000x30000 pixels"):
        _load_image(str(path))


def test_a_picture_opencv_refuses_by_itself_is_not_a_traceback(tmp_path) -> None:
    """Past OpenCV's own limit (2^30 pixels) imdecode raises cv2.error instead of None; with
    the header check off, that still ends in the caller's sentence."""
    path = huge_png(tmp_path / "huge.png", 40000, 40000)
    data = np.fromfile(str(path), np.uint8)
    assert imaging._decode(path, data[:0], cv2.IMREAD_COLOR, None) is None
    try:
        imaging.image_header_size, saved = (lambda _d: None), imaging.image_header_size
        assert decode_image(path) is None
    finally:
        imaging.image_header_size = saved


def test_a_huge_video_is_refused_from_its_header(tmp_path) -> None:
    from vbg.capture.files import VideoSource
    from vbg.compositor.backdrop import _VideoBackground

    path = huge_video(tmp_path / "huge.mkv")
    video = VideoFrames(path, loop=False)
    assert not video.first_ok and video.read() is None
    assert video.refusal is not None and "16000x16000 video" in video.refusal
    assert "7680x4320" in video.refusal
    with pytest.raises(SourceError, match="16000x16000 video"):
        VideoSource(path, 640, 360)
    with pytest.raises(BackgroundError, match="16000x16000 video"):
        _VideoBackground(str(path))


def test_media_reader_refuses_a_huge_video_before_decoding(tmp_path, monkeypatch) -> None:
    pytest.importorskip("av")
    from vbg.capture import media

    path = huge_video(tmp_path / "huge.mkv")
    monkeypatch.setattr(media.MediaReader, "_peek_rotation",
                        lambda _self: pytest.fail("decoded before the size check"))
    with pytest.raises(SourceError, match="16000x16000 video"):
        media.MediaReader(path)
