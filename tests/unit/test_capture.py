"""Frame sources: real files, real (absent) cameras, and a fake VideoCapture only where a webcam
would be needed (size negotiation, a busy or unplugged camera)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from vbg.capture import (
    CameraInfo,
    CameraSource,
    DemoSource,
    ImageSource,
    Source,
    SourceInfo,
    SyntheticSource,
    VideoSource,
    list_cameras,
    open_source,
)
from vbg.capture import base as capture_base
from vbg.capture import camera as capture_camera
from vbg.capture import files as capture_files
from vbg.config import CaptureConfig
from vbg.errors import CameraError, SourceEnded, SourceError
from vbg.timing import Pacer

N_FRAMES = 20
FILE_FPS = 50.0


def _levels(n: int = N_FRAMES) -> list[int]:
    """Grey level of frame i: far enough apart to recognise each frame after JPEG coding."""
    return [10 + 12 * i for i in range(n)]


@pytest.fixture
def small_avi(tmp_path: Path) -> Path:
    """A 64x48, 50 fps MJPG .avi whose frame i is flat grey at _levels()[i]."""
    path = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), FILE_FPS, (64, 48))
    assert writer.isOpened()
    for level in _levels():
        writer.write(np.full((48, 64, 3), level, np.uint8))
    writer.release()
    return path


def _level(frame: np.ndarray) -> int:
    """Which frame of small_avi this is (index of the closest level)."""
    return int(np.argmin([abs(float(frame.mean()) - lv) for lv in _levels()]))


def _read_all(source: Source, limit: int = 1000) -> list[np.ndarray]:
    frames = []
    with pytest.raises(SourceEnded):
        for _ in range(limit):
            frames.append(source.read())
    return frames


# --- VideoSource ---------------------------------------------------------------------------


def test_video_plays_once_then_ends_when_not_looping(small_avi: Path) -> None:
    src = VideoSource(small_avi, 64, 48, loop=False, realtime=False)
    assert src.info == SourceInfo(width=64, height=48, fps=FILE_FPS, label="clip.avi")
    frames = _read_all(src)
    assert [_level(f) for f in frames] == list(range(N_FRAMES))
    assert all(f.shape == (48, 64, 3) and f.dtype == np.uint8 for f in frames)
    src.close()
    src.close()  # idempotent


def test_video_loops_back_to_the_first_frame(small_avi: Path) -> None:
    src = VideoSource(small_avi, 64, 48, loop=True, realtime=False)
    order = [_level(src.read()) for _ in range(2 * N_FRAMES + 3)]
    src.close()
    assert order == list(range(N_FRAMES)) * 2 + [0, 1, 2]


def test_video_returns_a_fresh_array_each_read(small_avi: Path) -> None:
    src = VideoSource(small_avi, 64, 48, loop=False, realtime=False)
    a, b = src.read(), src.read()
    src.close()
    assert not np.shares_memory(a, b)
    assert _level(a) == 0  # b's decode did not overwrite a


@pytest.mark.parametrize("size", [(32, 24), (128, 96), (64, 64)])
def test_video_is_scaled_to_the_requested_size(small_avi: Path, size: tuple[int, int]) -> None:
    w, h = size
    src = VideoSource(small_avi, w, h, loop=False, realtime=False)
    frame = src.read()
    src.close()
    assert (src.info.width, src.info.height) == (w, h)
    assert frame.shape == (h, w, 3)
    assert _level(frame) == 0


class _StillClock:
    """A monotonic clock that moves only when the pacer sleeps, by what it asked for."""

    def __init__(self) -> None:
        self.now, self.sleeps = 100.0, []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_realtime_video_is_paced_at_the_file_rate(small_avi: Path, monkeypatch) -> None:
    clock = _StillClock()
    monkeypatch.setattr(capture_files, "Pacer",
                        lambda fps: Pacer(fps, clock=clock, sleep=clock.sleep))
    src = VideoSource(small_avi, 64, 48, loop=False, realtime=True)
    t0 = clock()
    for _ in range(10):
        src.read()
    src.close()
    # 10 frames at the file's 50 fps (the pacer's clock, not the machine's): each read waits
    # for its 20 ms slot, the first included, so 10 frames take 0.2 s of the file's time.
    assert clock.sleeps == pytest.approx([1 / FILE_FPS] * 10)
    assert clock() - t0 == pytest.approx(10 / FILE_FPS)


def test_missing_video_file(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"Video file .*nope\.mp4 does not exist\."):
        VideoSource(tmp_path / "nope.mp4", 64, 48)


@pytest.mark.parametrize("content", [b"", b"this is not a video " * 200])
def test_corrupt_video_file(tmp_path: Path, content: bytes) -> None:
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(content)
    with pytest.raises(SourceError, match=r"bad\.mp4 is not a video vbg can read"):
        VideoSource(bad, 64, 48)


# --- ImageSource ---------------------------------------------------------------------------


@pytest.fixture
def two_pngs(tmp_path: Path) -> list[Path]:
    rng = np.random.default_rng(3)
    paths = []
    for i, (w, h) in enumerate([(40, 30), (50, 20)]):
        p = tmp_path / f"still{i}.png"
        assert cv2.imwrite(str(p), rng.integers(0, 256, (h, w, 3), dtype=np.uint8))
        paths.append(p)
    return paths


def test_images_are_yielded_once_each_at_native_size(two_pngs: list[Path]) -> None:
    src = ImageSource([str(p) for p in two_pngs])
    frames = _read_all(src)
    assert len(frames) == 2
    for p, f in zip(two_pngs, frames, strict=True):
        assert np.array_equal(f, cv2.imread(str(p)))  # PNG is lossless
    assert (src.info.width, src.info.height, src.info.fps) == (40, 30, 0.0)


def test_images_scaled_and_looping(two_pngs: list[Path]) -> None:
    src = ImageSource(two_pngs, 64, 48, loop=True)
    frames = [src.read() for _ in range(5)]
    assert all(f.shape == (48, 64, 3) for f in frames)
    assert np.array_equal(frames[0], frames[2]) and np.array_equal(frames[1], frames[3])
    frames[0][:] = 0  # the caller owns its copy: the next loop is unaffected
    assert np.array_equal(frames[4], frames[2])
    src.close()
    with pytest.raises(SourceEnded):
        src.read()


def test_missing_image_is_named(tmp_path: Path, two_pngs: list[Path]) -> None:
    with pytest.raises(SourceError, match=r"Image file .*gone\.png does not exist\."):
        ImageSource([two_pngs[0], tmp_path / "gone.png"])


def test_corrupt_image_is_named(tmp_path: Path, two_pngs: list[Path]) -> None:
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"\xff\xd8 definitely not a jpeg")
    with pytest.raises(SourceError, match=r"broken\.jpg is not an image vbg can read"):
        ImageSource([bad])
    # Later images are decoded when reached, and the error still names the file.
    src = ImageSource([two_pngs[0], bad])
    src.read()
    with pytest.raises(SourceError, match=r"broken\.jpg"):
        src.read()


# --- SyntheticSource -----------------------------------------------------------------------


def test_synthetic_is_deterministic_and_moves() -> None:
    a, b = SyntheticSource(160, 120), SyntheticSource(160, 120)
    fa = [a.read() for _ in range(40)]
    fb = [b.read() for _ in range(40)]
    assert all(np.array_equal(x, y) for x, y in zip(fa, fb, strict=True))
    assert not np.array_equal(fa[0], fa[1])  # the counter changes
    # The person moves: its mask differs noticeably between frames 0 and 30.
    moved = np.count_nonzero(a.person_mask(0) != a.person_mask(30))
    assert moved > 0.02 * 160 * 120


def test_synthetic_person_mask_matches_the_picture() -> None:
    src = SyntheticSource(160, 120)
    frame = src.read()
    mask = src.person_mask(0)
    assert 0.05 < np.count_nonzero(mask) / mask.size < 0.6
    person = frame[mask > 0]
    # Nearly every masked pixel has the person's colour (the counter may overlap a few).
    share = np.mean(np.all(person == SyntheticSource.PERSON_BGR, axis=1))
    assert share > 0.95


def test_synthetic_ends_after_n_frames() -> None:
    src = SyntheticSource(64, 48, n_frames=3)
    assert len(_read_all(src)) == 3


# --- DemoSource ----------------------------------------------------------------------------


def test_demo_has_the_requested_size_and_moves() -> None:
    src = DemoSource(320, 180, fps=30.0, realtime=False)
    frames = [src.read() for _ in range(61)]
    src.close()
    assert all(f.shape == (180, 320, 3) and f.dtype == np.uint8 for f in frames)
    assert not np.shares_memory(frames[0], frames[1])
    # Smooth: consecutive frames are close; over two seconds the view has clearly changed.
    step = np.abs(frames[1].astype(int) - frames[0].astype(int)).mean()
    drift = np.abs(frames[60].astype(int) - frames[0].astype(int)).mean()
    assert drift > 5 and drift > 3 * step


def test_demo_is_periodic_and_deterministic() -> None:
    a = DemoSource(160, 90, fps=10.0, realtime=False)
    b = DemoSource(160, 90, fps=10.0, realtime=False)
    fa = [a.read() for _ in range(101)]  # 10 s at 10 fps, plus one
    assert np.array_equal(fa[3], [b.read() for _ in range(4)][-1])
    assert np.abs(fa[100].astype(int) - fa[0].astype(int)).max() <= 1


def test_demo_fills_portrait_frames_without_borders() -> None:
    src = DemoSource(90, 160, fps=10.0, realtime=False)
    for _ in range(50):
        frame = src.read()
        # No black letterbox bars: the edge rows and columns carry picture.
        assert frame[0].mean() > 20 and frame[-1].mean() > 5 and frame[:, 0].mean() > 5


def test_demo_does_not_import_scikit_image() -> None:
    code = (
        "import sys; from vbg.capture import DemoSource; "
        "f = DemoSource(64, 36, realtime=False).read(); "
        "assert f.shape == (36, 64, 3); assert 'skimage' not in sys.modules; print('ok')"
    )
    root = Path(capture_base.__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


# --- open_source ---------------------------------------------------------------------------


def test_open_source_dispatch(tmp_path: Path, small_avi: Path, two_pngs: list[Path]) -> None:
    def cfg(source: str) -> CaptureConfig:
        return CaptureConfig(source=source, width=64, height=48, realtime=False)

    cases = {
        "demo": DemoSource,
        " Demo ": DemoSource,
        "synthetic": SyntheticSource,
        str(small_avi): VideoSource,
        str(two_pngs[0]): ImageSource,
    }
    for name, kind in cases.items():
        src = open_source(cfg(name))
        try:
            assert isinstance(src, kind) and isinstance(src, Source)
            assert src.read().shape == (48, 64, 3)
        finally:
            src.close()
    upper = tmp_path / "STILL.PNG"
    upper.write_bytes(two_pngs[0].read_bytes())
    src = open_source(cfg(str(upper)))
    assert isinstance(src, ImageSource) and src.loop
    with pytest.raises(SourceError, match="does not exist"):
        open_source(cfg(str(tmp_path / "missing.mkv")))


# --- CameraSource: the real "no camera" path -----------------------------------------------


def test_absent_camera_fails_fast_with_a_hint(monkeypatch) -> None:
    index = 97  # no machine running these tests has 98 cameras
    opened: list[int] = []
    real_open = capture_camera._open_camera
    monkeypatch.setattr(capture_camera, "_open_camera",
                        lambda i: opened.append(i) or real_open(i))
    with pytest.raises(CameraError) as info:
        open_source(CaptureConfig(source=str(index)))
    # Fast: on Linux the missing /dev/video97 answers, with no (slow) failed open tried.
    assert opened == ([] if sys.platform.startswith("linux") else [index])
    assert str(info.value) == f"No camera at index {index}. Run `vbg cameras` to list them."


@pytest.mark.skipif(
    not sys.platform.startswith("linux") or any(Path("/dev").glob("video*")),
    reason="needs a Linux machine without /dev/video* (like CI)",
)
def test_list_cameras_opens_nothing_without_device_nodes(monkeypatch: pytest.MonkeyPatch) -> None:
    real = cv2.VideoCapture
    opened: list[tuple[object, ...]] = []

    def spy(*args: object) -> object:
        opened.append(args)
        return real(*args)

    monkeypatch.setattr(cv2, "VideoCapture", spy)
    assert list_cameras() == []
    assert opened == []


# --- CameraSource with a fake VideoCapture (no webcam can exist here) ----------------------


class FakeCapture:
    """Stands in for cv2.VideoCapture on a webcam: a camera that supports ``modes`` and falls
    back to the first one otherwise; ``frames_ok`` reads succeed, later ones fail."""

    instances: list[FakeCapture] = []

    def __init__(
        self,
        *args: object,
        modes: tuple[tuple[int, int], ...] = ((1280, 720),),
        frames_ok: int = 10**9,
        opened: bool = True,
        raw_jpeg: np.ndarray | None = None,
        broken_reads: tuple[int, ...] = (),
        raw_layout: str = "jpeg",
        resized_reads: tuple[int, ...] = (),
    ) -> None:
        self.args = args
        self.modes = modes
        self.size = modes[0]
        self.frames_ok = frames_ok
        self.opened = opened
        # Like OpenCV's V4L2 backend: with CONVERT_RGB off and MJPG negotiated, each frame is
        # one row of JPEG bytes (of ``raw_jpeg``'s picture; reads in ``broken_reads`` are cut
        # off after 40 bytes); ``raw_layout="i420"`` hands over undecoded planar pixels instead.
        self.raw_jpeg = raw_jpeg
        self.broken_reads = broken_reads
        self.raw_layout = raw_layout
        self.resized_reads = resized_reads  # reads whose JPEG is 640x360 whatever was asked
        self.calls: list[tuple[str, int, float]] = []
        self.released = 0
        self.reads = 0
        self.props: dict[int, float] = {
            cv2.CAP_PROP_FPS: 30.0,
            cv2.CAP_PROP_FOURCC: float(cv2.VideoWriter_fourcc(*"YUYV")),
        }
        FakeCapture.instances.append(self)

    def isOpened(self) -> bool:  # noqa: N802 - OpenCV's name
        return self.opened

    def set(self, prop: int, value: float) -> bool:
        self.calls.append(("set", prop, value))
        self.props[prop] = value
        if prop in (cv2.CAP_PROP_FRAME_WIDTH, cv2.CAP_PROP_FRAME_HEIGHT):
            want = (
                int(self.props.get(cv2.CAP_PROP_FRAME_WIDTH, self.size[0])),
                int(self.props.get(cv2.CAP_PROP_FRAME_HEIGHT, self.size[1])),
            )
            self.size = want if want in self.modes else self.modes[0]
        return True

    def get(self, prop: int) -> float:
        if prop == cv2.CAP_PROP_FRAME_WIDTH:
            return float(self.size[0])
        if prop == cv2.CAP_PROP_FRAME_HEIGHT:
            return float(self.size[1])
        return self.props.get(prop, 0.0)

    def read(self) -> tuple[bool, np.ndarray | None]:
        self.reads += 1
        if self.reads > self.frames_ok:
            return False, None
        w, h = self.size
        raw = (self.raw_jpeg is not None and self.props.get(cv2.CAP_PROP_CONVERT_RGB, 1) == 0
               and self.props[cv2.CAP_PROP_FOURCC] == cv2.VideoWriter_fourcc(*"MJPG"))
        if raw and self.raw_layout == "i420":
            return True, np.zeros((h * 3 // 2, w), np.uint8)
        if raw:
            if self.reads in self.resized_reads:
                w, h = 640, 360
            data = cv2.imencode(".jpg", cv2.resize(self.raw_jpeg, (w, h)))[1].reshape(1, -1)
            return True, data[:, :40] if self.reads in self.broken_reads else data
        return True, np.full((h, w, 3), self.reads % 256, np.uint8)

    def release(self) -> None:
        self.released += 1

    def getBackendName(self) -> str:  # noqa: N802 - OpenCV's name
        return "FAKE"


@pytest.fixture
def fake_camera(monkeypatch: pytest.MonkeyPatch):
    """Install FakeCapture (configured by the returned setter) and pretend /dev/videoN exists."""
    FakeCapture.instances = []
    options: dict[str, object] = {}
    monkeypatch.setattr(cv2, "VideoCapture", lambda *a: FakeCapture(*a, **options))
    monkeypatch.setattr(capture_camera, "_linux_device_missing", lambda index: False)
    return options


def test_camera_reports_what_it_delivers(fake_camera: dict) -> None:
    fake_camera["modes"] = ((640, 480), (1280, 720))
    cam = CameraSource(0, 1280, 720, 30.0, mjpg=True)
    fake = FakeCapture.instances[-1]
    assert cam.info == SourceInfo(
        width=1280, height=720, fps=30.0, label=cam.info.label, fourcc="MJPG"
    )
    # MJPG is requested before the size (cameras only offer 720p30/1080p30 compressed).
    props = [c[1] for c in fake.calls]
    assert props.index(cv2.CAP_PROP_FOURCC) < props.index(cv2.CAP_PROP_FRAME_WIDTH)
    first, second = cam.read(), cam.read()
    assert first.shape == (720, 1280, 3) and first[0, 0, 0] == 1  # the negotiation frame
    assert second[0, 0, 0] == 2
    cam.close()
    cam.close()
    assert fake.released == 1
    with pytest.raises(SourceEnded):
        cam.read()


def test_camera_size_mismatch_names_the_size_to_ask_for(fake_camera: dict) -> None:
    fake_camera["modes"] = ((640, 480),)
    with pytest.raises(CameraError) as info:
        CameraSource(1, 1920, 1080, 30.0)
    msg = str(info.value)
    assert "1920x1080" in msg and "640x480" in msg and "--size 640x480" in msg
    assert FakeCapture.instances[-1].released == 1


def test_camera_that_opens_but_gives_no_frames_is_busy(fake_camera: dict) -> None:
    fake_camera["frames_ok"] = 0
    with pytest.raises(CameraError, match="another app"):
        CameraSource(0, 1280, 720, 30.0)
    assert FakeCapture.instances[-1].released == 1


def test_camera_unplugged_mid_stream(fake_camera: dict) -> None:
    fake_camera["frames_ok"] = 3
    cam = CameraSource(0, 1280, 720, 30.0)
    for _ in range(3):
        cam.read()
    with pytest.raises(CameraError, match="unplugged"):
        cam.read()
    cam.close()


def test_camera_that_does_not_open(fake_camera: dict) -> None:
    fake_camera["opened"] = False
    with pytest.raises(CameraError) as info:
        CameraSource(3, 1280, 720, 30.0)
    if sys.platform.startswith("linux") and not os.path.exists("/dev/video3"):
        # The node does not exist: the error is "absent", not "no permission".
        assert "No camera at index 3" in str(info.value)


def test_list_cameras_reports_accepted_sizes(
    fake_camera: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_camera["modes"] = ((640, 480), (1280, 720))
    monkeypatch.setattr(capture_camera, "_candidate_indices", lambda max_index: [0, 2])
    monkeypatch.setattr(capture_camera, "_linux_device_name", lambda index: None)
    cams = list_cameras()
    assert [c.index for c in cams] == [0, 2]
    assert all(isinstance(c, CameraInfo) for c in cams)
    assert cams[0].sizes == ((640, 480), (1280, 720))
    assert str(cams[0]) == "0: Camera 0 via FAKE (640x480, 1280x720)"
    assert all(f.released == 1 for f in FakeCapture.instances)


def test_opencv_log_level_is_restored_after_probing() -> None:
    before = cv2.utils.logging.getLogLevel()
    with capture_base.quiet_opencv():
        with capture_base.quiet_opencv():  # overlapping uses (two threads) restore only at the end
            assert cv2.utils.logging.getLogLevel() == cv2.utils.logging.LOG_LEVEL_ERROR
        assert cv2.utils.logging.getLogLevel() == cv2.utils.logging.LOG_LEVEL_ERROR
    assert cv2.utils.logging.getLogLevel() == before
    with pytest.raises(CameraError):
        CameraSource(97)
    assert cv2.utils.logging.getLogLevel() == before


def test_files_are_cover_fitted_not_squashed(tmp_path):
    """A square picture shown at 16:9 keeps its proportions (the middle is cropped)."""
    img = np.zeros((400, 400, 3), np.uint8)
    img[100:300, 100:300] = 255  # a white square
    path = tmp_path / "square.png"
    cv2.imwrite(str(path), img)
    src = ImageSource([str(path)], 320, 180)
    frame = src.read()
    assert frame.shape == (180, 320, 3)
    ys, xs = np.nonzero(frame[..., 0] > 127)
    width, height = xs.max() - xs.min() + 1, ys.max() - ys.min() + 1
    assert abs(width - height) <= 2  # still a square (stretching would give 160 x 90)


# --- MJPG decoded by vbg (vbg.capture.jpeg) instead of inside OpenCV ------------------------


def _photo(size: tuple[int, int] = (1280, 720)) -> np.ndarray:
    """A real picture (the bundled demo photo) at ``size``."""
    from vbg.resources import asset

    image = cv2.imread(str(asset("demo", "astronaut.png")))
    assert image is not None
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


def test_decode_jpeg_gives_opencvs_picture_and_none_for_garbage(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from vbg.capture import jpeg

    data = cv2.imencode(".jpg", _photo(), [cv2.IMWRITE_JPEG_QUALITY, 85])[1]
    reference = cv2.imdecode(data, cv2.IMREAD_COLOR)
    for given in (data, data.reshape(1, -1), data.tobytes()):  # as OpenCV / a file hands it
        frame = jpeg.decode_jpeg(given)
        assert frame is not None and frame.shape == (720, 1280, 3) and frame.dtype == np.uint8
        assert int(np.abs(frame.astype(np.int16) - reference).max()) <= 1
    # A frame cut short is None, as OpenCV's decoder has it (libjpeg-turbo unchecked would
    # give its top half over grey), so are not-a-JPEG and a header alone: never an exception.
    # Stray bytes before the end marker and padding after it (many UVC cameras send them)
    # still give the picture.
    assert cv2.imdecode(data[: data.size // 2], cv2.IMREAD_COLOR) is None
    assert jpeg.decode_jpeg(data[: data.size // 2]) is None
    raw = data.tobytes()
    for sloppy in (raw[:-2] + b"\x00\x00" + raw[-2:], raw + b"\x00" * 64):
        frame = jpeg.decode_jpeg(sloppy)
        assert frame is not None and np.array_equal(frame, jpeg.decode_jpeg(data))
    assert jpeg.decode_jpeg(b"not a jpeg at all") is None
    assert jpeg.decode_jpeg(data[:40]) is None
    assert jpeg.decode_jpeg(b"") is None
    # Without simplejpeg, OpenCV decodes.
    monkeypatch.setattr(jpeg, "simplejpeg", None)
    frame = jpeg.decode_jpeg(data)
    assert frame is not None and np.array_equal(frame, reference)
    assert jpeg.decode_jpeg(data[:40]) is None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="raw MJPG is read on Linux only")
def test_mjpg_camera_frames_are_decoded_by_vbg(fake_camera: dict) -> None:
    photo = _photo()
    fake_camera.update(raw_jpeg=photo, broken_reads=(3,), resized_reads=(5,))
    cam = CameraSource(0, 1280, 720, 30.0, mjpg=True)
    fake = FakeCapture.instances[-1]
    assert ("set", cv2.CAP_PROP_CONVERT_RGB, 0) in fake.calls
    assert cam.info.width == 1280 and cam.info.height == 720 and cam.info.fourcc == "MJPG"
    # Read 3 is cut off and read 5 has another size: both skipped, the next read comes instead.
    frames = [cam.read() for _ in range(4)]
    assert fake.reads == 6
    for frame in frames:
        assert frame.shape == (720, 1280, 3)
        assert float(np.abs(frame.astype(np.int16) - photo).mean()) < 3.0  # JPEG's own loss
    cam.close()


def test_camera_without_mjpg_keeps_opencvs_conversion(fake_camera: dict) -> None:
    fake_camera["raw_jpeg"] = _photo()
    cam = CameraSource(0, 1280, 720, 30.0, mjpg=False)  # stays YUYV: OpenCV converts
    fake = FakeCapture.instances[-1]
    assert all(c[1] != cv2.CAP_PROP_CONVERT_RGB for c in fake.calls)
    assert cam.read().shape == (720, 1280, 3)
    cam.close()


@pytest.mark.parametrize("platform", ["win32", "darwin"])
def test_windows_and_macos_keep_the_os_decoder(fake_camera: dict, platform: str,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    # DirectShow and AVFoundation decode MJPG in the OS: vbg leaves the conversion on there.
    monkeypatch.setattr(sys, "platform", platform)
    fake_camera["raw_jpeg"] = _photo()
    cam = CameraSource(0, 1280, 720, 30.0, mjpg=True)
    fake = FakeCapture.instances[-1]
    assert cam.info.fourcc == "MJPG"
    assert all(c[1] != cv2.CAP_PROP_CONVERT_RGB for c in fake.calls)
    assert cam.read().shape == (720, 1280, 3)
    cam.close()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="raw MJPG is read on Linux only")
def test_undecodable_raw_layout_gives_the_conversion_back_to_opencv(fake_camera: dict) -> None:
    fake_camera.update(raw_jpeg=_photo(), raw_layout="i420")
    cam = CameraSource(0, 1280, 720, 30.0, mjpg=True)
    fake = FakeCapture.instances[-1]
    assert fake.calls[-1] == ("set", cv2.CAP_PROP_CONVERT_RGB, 1)
    assert cam.read().shape == (720, 1280, 3)
    cam.close()
