"""Outputs: the virtual camera through the real pyvirtualcam.Camera (only the device at the end
is replaced by the recording backend), the preview callback, file recording, the pacer."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
import pyvirtualcam

from vbg.errors import OutputError
from vbg.sinks.base import Sink
from vbg.sinks.file import VideoFileSink
from vbg.sinks.recording_backend import (
    BACKEND_NAME,
    RecordingBackend,
    register_recording_backend,
)
from vbg.sinks.virtualcam import MODPROBE_COMMAND, VirtualCameraSink, virtual_camera_help
from vbg.timing import Pacer

W, H = 64, 48


def _frames(n: int, shape: tuple[int, ...] = (H, W, 3), seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 256, shape, dtype=np.uint8) for _ in range(n)]


@pytest.fixture
def recording() -> Iterator[type[RecordingBackend]]:
    assert register_recording_backend() == BACKEND_NAME
    assert register_recording_backend() == BACKEND_NAME  # idempotent
    RecordingBackend.reset()
    yield RecordingBackend
    RecordingBackend.reset()


# --- VirtualCameraSink ---------------------------------------------------------------------


def test_frames_reach_the_virtual_camera_unchanged(recording: type[RecordingBackend]) -> None:
    sink = VirtualCameraSink(W, H, 30.0, backend=BACKEND_NAME)
    assert isinstance(sink, Sink)
    assert (sink.device, sink.backend) == (BACKEND_NAME, BACKEND_NAME)
    backend = recording.last()
    assert backend.fmt is pyvirtualcam.PixelFormat.BGR
    assert (backend.width, backend.height) == (W, H)
    sent = _frames(5)
    for f in sent:
        sink.send(f)
    frames, times = backend.recorded()
    assert len(frames) == 5 and sink.frames_sent == 5
    assert all(np.array_equal(a, b) for a, b in zip(sent, frames, strict=True))
    assert times == sorted(times)
    sent[0][:] = 0  # the backend kept copies, not views of our buffers
    assert frames[0].any()
    sink.close()
    sink.close()
    assert backend.close_calls == 1


def test_device_name_is_passed_through(recording: type[RecordingBackend]) -> None:
    sink = VirtualCameraSink(W, H, 30.0, device="Studio Cam", backend=BACKEND_NAME)
    assert sink.device == "Studio Cam"
    sink.close()


def test_wrong_frame_shape_is_rejected(recording: type[RecordingBackend]) -> None:
    sink = VirtualCameraSink(W, H, 30.0, backend=BACKEND_NAME)
    with pytest.raises(ValueError):
        sink.send(np.zeros((H, W), np.uint8))
    sink.close()
    assert recording.last().frames_sent == 0


def test_no_virtual_camera_gives_the_fix_for_this_os(recording: type[RecordingBackend]) -> None:
    recording.fail_with = "pretend: no device"
    with pytest.raises(OutputError) as info:
        VirtualCameraSink(W, H, 30.0, backend=BACKEND_NAME)
    msg = str(info.value)
    assert msg.endswith(f"['{BACKEND_NAME}' backend: pretend: no device]")
    if sys.platform.startswith("linux") and not os.path.isdir("/sys/module/v4l2loopback"):
        assert MODPROBE_COMMAND in msg
    elif sys.platform in ("win32", "darwin"):
        assert "OBS Studio 30" in msg
    assert "Traceback" not in msg and "\n" not in msg


@pytest.mark.skipif(
    not sys.platform.startswith("linux") or any(Path("/dev").glob("video*")),
    reason="needs a Linux machine without video devices, where v4l2loopback must fail",
)
def test_every_backend_failing_is_reported_once(recording: type[RecordingBackend]) -> None:
    recording.fail_with = "pretend: no device"
    with pytest.raises(OutputError) as info:
        VirtualCameraSink(W, H, 30.0)  # all backends: the real v4l2loopback, then ours
    msg = str(info.value)
    assert MODPROBE_COMMAND in msg
    # pyvirtualcam's reasons from both backends survive, on one line.
    assert "'v4l2loopback' backend: No v4l2 loopback device found" in msg
    assert "pretend: no device" in msg


def test_unknown_backend(recording: type[RecordingBackend]) -> None:
    with pytest.raises(OutputError, match="backend 'nope' is unknown"):
        VirtualCameraSink(W, H, 30.0, backend="nope")


def test_help_linux_missing_module() -> None:
    msg = virtual_camera_help("linux", "'v4l2loopback' backend: No v4l2 loopback device found")
    modprobe = "sudo modprobe v4l2loopback devices=1 exclusive_caps=1 card_label=vbg max_buffers=2"
    assert modprobe in msg
    assert "v4l2loopback-dkms" in msg and "Chrome" in msg
    assert "/etc/modules-load.d/vbg.conf" in msg and "`v4l2loopback`" in msg
    assert (
        "`options v4l2loopback devices=1 exclusive_caps=1 card_label=vbg max_buffers=2` to "
        "/etc/modprobe.d/vbg.conf" in msg
    )
    assert msg.endswith("['v4l2loopback' backend: No v4l2 loopback device found]")


@pytest.mark.parametrize(
    ("reason", "loaded"),
    [
        ("'v4l2loopback' backend: Device /dev/video4 is already in use.", False),
        (
            "Virtual camera device /dev/video4 could not be configured: Device or resource busy",
            False,
        ),
        ("'v4l2loopback' backend: No v4l2 loopback device found at /dev/video[0-99].", True),
    ],
)
def test_help_linux_busy(reason: str, loaded: bool) -> None:
    msg = virtual_camera_help("linux", reason, module_loaded=loaded)
    assert "in use by another program" in msg
    assert "devices=2" in msg
    assert ("/dev/video4" in msg.split("[")[0]) == ("/dev/video4" in reason)
    assert "sudo modprobe v4l2loopback devices=1" not in msg  # not the "install it" advice


def test_help_linux_permission_and_wrong_device() -> None:
    msg = virtual_camera_help(
        "linux", "Could not access /dev/video2 due to missing permissions. Did you add ..."
    )
    assert "usermod -a -G video" in msg and "/dev/video2" in msg
    msg = virtual_camera_help(
        "linux", "Device /dev/video0 is not a video output device.", module_loaded=True
    )
    assert "/dev/video0 is not a free v4l2loopback virtual camera" in msg


@pytest.mark.parametrize("os_name", ["win32", "darwin"])
def test_help_windows_and_macos(os_name: str) -> None:
    msg = virtual_camera_help(os_name, "'obs' backend: OBS Virtual Camera device not found!")
    assert "OBS Studio 30 or newer" in msg and "Start Virtual Camera once" in msg
    assert "then retry" in msg and "modprobe" not in msg
    assert msg.endswith("['obs' backend: OBS Virtual Camera device not found!]")
    assert ("System Settings" in msg) == (os_name == "darwin")
    busy = virtual_camera_help(os_name, "'obs' backend: virtual camera output could not be started")
    assert "Stop Virtual Camera" in busy and "in use" in busy


def test_help_joins_multiline_reasons() -> None:
    msg = virtual_camera_help("win32", "'obs' backend: a\n'unitycapture' backend: b\n")
    assert msg.endswith("['obs' backend: a; 'unitycapture' backend: b]")
    assert virtual_camera_help("linux").endswith("then retry.")  # no reason, no brackets


# --- VideoFileSink -------------------------------------------------------------------------


def _read_video(path: Path) -> list[np.ndarray]:
    cap = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(frame)
    cap.release()
    return frames


@pytest.mark.parametrize("name", ["out.mp4", "out.avi", "out.mkv"])
def test_colour_recording_appears_only_at_close(tmp_path: Path, name: str) -> None:
    final = tmp_path / name
    sink = VideoFileSink(final, W, H, 25.0)
    assert isinstance(sink, Sink)
    for f in _frames(10):
        sink.send(f)
    assert not final.exists()  # never a half-written file at the final path
    assert sink.temp_path.exists() and sink.temp_path.parent == tmp_path
    sink.close()
    sink.close()
    assert final.exists() and not sink.temp_path.exists()
    assert list(tmp_path.iterdir()) == [final]
    frames = _read_video(final)
    assert len(frames) == 10 and frames[0].shape == (H, W, 3)


def test_mkv_colour_is_lossless(tmp_path: Path) -> None:
    sent = _frames(4)
    sink = VideoFileSink(tmp_path / "out.mkv", W, H, 25.0)
    for f in sent:
        sink.send(f)
    sink.close()
    got = _read_video(tmp_path / "out.mkv")
    assert all(np.array_equal(a, b) for a, b in zip(sent, got, strict=True))


@pytest.mark.parametrize("name", ["mask.mkv", "mask.avi"])
def test_mask_round_trips_exactly(tmp_path: Path, name: str) -> None:
    # Soft masks: every value 0..255 occurs, plus noise that a lossy codec would smear.
    ramp = np.tile(np.arange(256, dtype=np.uint8), (H, 1))[:, :W]
    sent = [ramp] + _frames(5, shape=(H, W), seed=1)
    sink = VideoFileSink(tmp_path / name, W, H, 30.0, grayscale=True)
    for m in sent:
        sink.send(m)
    sink.close()
    got = _read_video(tmp_path / name)
    assert len(got) == len(sent)
    for m, g in zip(sent, got, strict=True):
        assert np.array_equal(g[..., 0], m)
        assert np.array_equal(g[..., 0], g[..., 1]) and np.array_equal(g[..., 0], g[..., 2])


def test_mask_refuses_lossy_containers(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match=r"only \.mkv or \.avi keep it lossless"):
        VideoFileSink(tmp_path / "mask.mp4", W, H, 30.0, grayscale=True)
    assert list(tmp_path.iterdir()) == []


def test_unknown_extension(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match=r"out\.mov.*\.mp4, \.avi or \.mkv"):
        VideoFileSink(tmp_path / "out.mov", W, H, 30.0)


def test_missing_folder_is_reported_at_construction(tmp_path: Path) -> None:
    target = tmp_path / "no" / "such" / "out.mp4"
    with pytest.raises(OutputError, match=r"out\.mp4.*does not exist"):
        VideoFileSink(target, W, H, 30.0)


def test_unwritable_folder_is_reported_at_construction(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        try:
            (locked / "probe").touch()
        except OSError:
            folder = locked
        else:  # root ignores permissions; /sys refuses file creation even to root
            (locked / "probe").unlink()
            if not os.path.isdir("/sys"):
                pytest.skip("no folder this user can't write to")
            folder = Path("/sys")
        with pytest.raises(OutputError) as info:
            VideoFileSink(folder / "out.mkv", W, H, 30.0)
        assert str(folder / "out.mkv") in str(info.value)
        assert "can't be written to" in str(info.value)
    finally:
        locked.chmod(0o700)


def test_nothing_recorded_leaves_no_file(tmp_path: Path) -> None:
    sink = VideoFileSink(tmp_path / "out.mp4", W, H, 30.0)
    sink.close()
    assert list(tmp_path.iterdir()) == []


def test_existing_file_is_refused_unless_overwrite(tmp_path: Path) -> None:
    final = tmp_path / "out.mp4"
    final.write_bytes(b"previous recording")
    with pytest.raises(OutputError, match="already exists; add --force"):
        VideoFileSink(final, W, H, 30.0)
    link = tmp_path / "link.mkv"
    link.symlink_to(final)
    with pytest.raises(OutputError, match="symbolic link"):
        VideoFileSink(link, W, H, 30.0, grayscale=True, overwrite=True)
    assert final.read_bytes() == b"previous recording" and link.is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.mkv", "out.mp4"]


def test_existing_file_is_replaced_only_at_close(tmp_path: Path) -> None:
    final = tmp_path / "out.avi"
    final.write_bytes(b"previous recording")
    sink = VideoFileSink(final, W, H, 30.0, overwrite=True)
    for f in _frames(3):
        sink.send(f)
    assert final.read_bytes() == b"previous recording"
    sink.close()
    assert len(_read_video(final)) == 3


def test_wrong_frame_is_rejected_not_silently_dropped(tmp_path: Path) -> None:
    sink = VideoFileSink(tmp_path / "out.avi", W, H, 30.0)
    with pytest.raises(ValueError):
        sink.send(np.zeros((H, W + 2, 3), np.uint8))
    with pytest.raises(ValueError):
        sink.send(np.zeros((H, W), np.uint8))
    sink.close()
    mask = VideoFileSink(tmp_path / "m.mkv", W, H, 30.0, grayscale=True)
    with pytest.raises(ValueError):
        mask.send(np.zeros((H, W, 3), np.uint8))
    mask.close()


# --- Pacer ---------------------------------------------------------------------------------


class FakeClock:
    """A clock that advances only when slept on or told to (work taking time)."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, dt: float) -> None:
        self.sleeps.append(dt)
        self.now += dt


def test_pacer_keeps_a_fixed_grid() -> None:
    clock = FakeClock()
    pacer = Pacer(25.0, clock=clock, sleep=clock.sleep)
    times = []
    for i in range(50):
        clock.now += 0.013 if i % 2 else 0.002  # uneven work per frame
        times.append(clock.now)
        pacer.sleep_until_next_frame()
    # The grid is anchored at the first call; 50 calls end exactly 50 periods later: no
    # drift from uneven work.
    assert clock.now == pytest.approx(times[0] + 50 * 0.04)
    assert pacer.resyncs == 0


def test_pacer_resyncs_instead_of_bursting() -> None:
    clock = FakeClock()
    pacer = Pacer(10.0, clock=clock, sleep=clock.sleep)
    for _ in range(3):
        pacer.sleep_until_next_frame()
    clock.now += 0.55  # a hiccup of five and a half frames
    pacer.sleep_until_next_frame()
    assert pacer.resyncs == 1
    clock.sleeps.clear()
    starts = []
    for _ in range(4):
        starts.append(clock.now)
        pacer.sleep_until_next_frame()
    # After the hiccup frames come a full period apart again, not back to back.
    gaps = np.diff(starts + [clock.now])
    assert np.allclose(gaps, 0.1)


def test_pacer_slightly_late_catches_up_without_resync() -> None:
    clock = FakeClock()
    pacer = Pacer(10.0, clock=clock, sleep=clock.sleep)
    pacer.sleep_until_next_frame()
    # Due at 100.1 (slept there); work until 100.25 misses 100.2 by half a frame.
    clock.now += 0.15
    pacer.sleep_until_next_frame()  # already late: returns at once
    assert clock.now == pytest.approx(100.25)
    pacer.sleep_until_next_frame()  # back on the grid at 100.3, not 100.35
    assert pacer.resyncs == 0
    assert clock.now == pytest.approx(100.3)


def test_pacer_real_time_rate() -> None:
    pacer = Pacer(100.0)
    t0 = time.monotonic()
    n = 0
    while time.monotonic() - t0 < 0.5:
        pacer.sleep_until_next_frame()
        n += 1
    # 50 expected. Never more than the rate (no bursts); fewer only if the machine stalls.
    assert 25 <= n <= 52


def test_pacer_rejects_a_bad_rate() -> None:
    with pytest.raises(ValueError):
        Pacer(0)
