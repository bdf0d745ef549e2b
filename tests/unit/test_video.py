"""`vbg.video` on real files: a clip made from ../shared/video with its frame index in the pixels
and a sine tone as sound, processed by the real engine and written by PyAV/FFmpeg, then read
back and checked frame by frame."""

from __future__ import annotations

import errno
import threading
from pathlib import Path

import av
import numpy as np
import pytest

from tests.media import decode_video, make_clip, probe, read_stamp, tiny_disk
from vbg.config import BackgroundConfig, MattingConfig
from vbg.errors import OutputError
from vbg.matting.engine import MaskEngine
from vbg.matting.registry import load_model
from vbg.sinks import media
from vbg.video import VideoJob, partial_name, prepare, run_video

FRAMES, FPS = 24, 24


CLIP = {"frames": FRAMES, "fps": FPS}  # the conftest's clip fixture


def reference_masks(path: Path) -> list[np.ndarray]:
    """The engine's video-path masks for every frame of ``path`` in order, computed here."""
    engine = MaskEngine(load_model("selfie_general"), MattingConfig())
    return [engine.process(f).copy() for f in decode_video(path)]


def test_every_frame_once_in_order_with_its_sound(clip, tmp_path):
    out, mask = tmp_path / "out.mp4", tmp_path / "mask.mkv"
    job = VideoJob(clip, out, mask, background=BackgroundConfig(kind="none"))
    seen: list[tuple[int, int]] = []
    result = run_video(prepare(job), progress=lambda d, t: seen.append((d, t)))
    assert result.frames == FRAMES and not result.cancelled and result.audio == "copied"
    assert seen == [(i, FRAMES) for i in range(1, FRAMES + 1)]
    # Order and count: background "none" passes the picture through, index blocks included.
    frames = decode_video(out)
    assert [read_stamp(f) for f in frames] == list(range(FRAMES))
    info, src = probe(out), probe(clip)
    assert info["video"]["codec"] == "h264" and info["video"]["pix_fmt"] == "yuv420p"
    assert info["audio"]["codec"] == "aac"
    assert info["audio"]["end"] == pytest.approx(src["audio"]["end"], abs=0.03)
    assert info["video"]["end"] == pytest.approx(FRAMES / FPS, abs=0.01)
    # The mask: one frame per input frame, each exactly the engine's mask (FFV1 is lossless).
    got = decode_video(mask, fmt="gray")
    want = reference_masks(clip)
    assert probe(mask)["video"]["codec"] == "ffv1" and len(got) == FRAMES
    for g, w in zip(got, want, strict=True):
        np.testing.assert_array_equal(g, w)
    assert len(np.unique(got[0])) > 2  # soft edges stay soft
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mask.mkv", "out.mp4"]


def test_a_phone_clip_stored_sideways_comes_out_upright(tmp_path):
    src = tmp_path / "portrait.mp4"
    make_clip(src, 8, 8, audio=None, rotation=-90)  # stored 640x360, shown as 360x640
    out = tmp_path / "upright.mp4"
    result = run_video(prepare(VideoJob(src, out, background=BackgroundConfig(kind="none"))))
    frames = decode_video(out)
    assert result.frames == 8 and frames[0].shape == (640, 360, 3)
    # Shown upright = the stored picture turned 90° clockwise: turning it back finds the
    # index blocks where they were written.
    assert [read_stamp(np.rot90(f, 1)) for f in frames] == list(range(8))


def test_colour_tags_of_the_input_are_kept(tmp_path):
    # Decoding to BGR and encoding back use the same matrix, so only the input's own tags
    # make players show the colours as they showed the input's.
    src = tmp_path / "hd.mp4"
    make_clip(src, 4, 4, audio=None, bt709=True)
    out = tmp_path / "out.mp4"
    run_video(prepare(VideoJob(src, out)))
    with av.open(str(out)) as c:
        cc = c.streams.video[0].codec_context
        assert (cc.colorspace, cc.color_primaries, cc.color_trc, cc.color_range) == (1, 1, 1, 1)


def test_blur_composite_reencodes_sound_the_container_cannot_take(tmp_path):
    src = tmp_path / "pcm.mkv"
    make_clip(src, 12, 12, audio="pcm_s16le")
    out = tmp_path / "blurred.mp4"
    result = run_video(prepare(VideoJob(src, out)))
    assert result.frames == 12 and result.audio == "re-encoded"
    info = probe(out)
    assert info["audio"]["codec"] == "aac"
    assert info["audio"]["end"] == pytest.approx(1.0, abs=0.05)
    got, original = decode_video(out), decode_video(src)
    assert len(got) == 12
    # Blur replaced the room: the top-left index blocks (background) are smeared, not kept.
    assert np.abs(got[5][:24, :192].astype(int) - original[5][:24, :192]).mean() > 20


@pytest.mark.parametrize("name", ["alpha.webm", "alpha.mov", "frames"])
def test_transparent_outputs_carry_the_mask_as_alpha(clip, tmp_path, name):
    out = tmp_path / name
    result = run_video(prepare(VideoJob(clip, out, tmp_path / "m.mkv")))
    assert result.frames == FRAMES
    masks = decode_video(tmp_path / "m.mkv", fmt="gray")
    if name == "frames":
        import cv2

        files = sorted(out.iterdir())
        assert [p.name for p in files][:2] == ["frame_000001.png", "frame_000002.png"]
        assert len(files) == FRAMES and result.audio == "dropped"
        for p, m in zip(files, masks, strict=True):
            img = cv2.imread(str(p), cv2.IMREAD_UNCHANGED)
            assert img.shape == (360, 640, 4)
            np.testing.assert_array_equal(img[..., 3], m)  # PNG: exact
        return
    codec = "libvpx-vp9" if name.endswith(".webm") else None  # VP9 alpha needs libvpx
    frames = decode_video(out, fmt="bgra", codec=codec)
    assert len(frames) == FRAMES
    assert probe(out)["audio"]["codec"] == ("opus" if name.endswith(".webm") else "aac")
    for f, m in zip(frames, masks, strict=True):
        assert np.abs(f[..., 3].astype(int) - m).mean() < 4  # lossy, but the same matte
    assert frames[0][..., 3].min() < 10 and frames[0][..., 3].max() > 245


def test_cancel_discards_or_keeps_a_playable_partial_file(clip, tmp_path):
    def cancelling_after(n: int, event: threading.Event):
        return lambda done, total: event.set() if done >= n else None

    stop = threading.Event()
    out = tmp_path / "a.mp4"
    r = run_video(prepare(VideoJob(clip, out)), cancelling_after(5, stop), stop,
                  keep_partial=False)
    assert r.cancelled and r.out is None and list(tmp_path.iterdir()) == []

    stop = threading.Event()
    r = run_video(prepare(VideoJob(clip, out, tmp_path / "m.mkv")), cancelling_after(5, stop),
                  stop, keep_partial=True)
    assert r.cancelled and r.frames == 5
    assert r.out == tmp_path / "a.partial.mp4" and r.mask == tmp_path / "m.partial.mkv"
    assert not out.exists()  # never under the final name
    assert len(decode_video(r.out)) == 5 and len(decode_video(r.mask)) == 5
    assert partial_name(out) == tmp_path / "a.partial-2.mp4"


class _FullDisk:
    """Stands in for the PyAV output container and fails like a full disk after a few packets
    (the real container is closed); simulates ENOSPC at the writer boundary."""

    def __init__(self, real, after: int) -> None:
        self.real, self.left = real, after

    def mux(self, packet) -> None:
        if self.left <= 0:
            raise OSError(errno.ENOSPC, "No space left on device")
        self.left -= 1
        self.real.mux(packet)

    def close(self) -> None:
        self.real.close()


def test_simulated_full_disk_removes_everything(clip, tmp_path, monkeypatch):
    original = media.MediaWriter._open

    def open_then_fill(self, audio):
        original(self, audio)
        self._container = _FullDisk(self._container, after=3)

    monkeypatch.setattr(media.MediaWriter, "_open", open_then_fill)
    with pytest.raises(OutputError, match="disk is full"):
        run_video(prepare(VideoJob(clip, tmp_path / "out.mp4", tmp_path / "m.mkv")))
    assert list(tmp_path.iterdir()) == []


def test_really_full_disk_removes_everything(clip, tmp_path):
    with tiny_disk(tmp_path / "tiny", "128k") as disk:
        (disk / "filler").write_bytes(b"x" * 112 * 1024)  # 16 KiB left: less than a frame
        with pytest.raises(OutputError, match="disk is full"):
            run_video(prepare(VideoJob(clip, disk / "out.mp4")))
        assert [p.name for p in disk.iterdir()] == ["filler"]


@pytest.mark.parametrize(("spec", "estimated"), [("color:#00FF00", True), ("blur:5", False)])
def test_the_soft_edge_gets_the_persons_own_colour_as_live(clip, tmp_path, monkeypatch, spec,
                                                           estimated):
    # As the live camera blends it: the room's colour is taken out of the person's soft edge
    # over a colour, image or video background (not over blur, where the room is the room).
    from vbg.matting import foreground

    calls: list[tuple[int, int]] = []
    estimate = foreground.FastForeground.__call__

    def noting(self, frame, alpha, out, box=None):  # noqa: ANN001, ANN202
        calls.append(frame.shape[:2])
        return estimate(self, frame, alpha, out, box)

    monkeypatch.setattr(foreground.FastForeground, "__call__", noting)
    job = VideoJob(clip, tmp_path / "out.mp4", None, background=BackgroundConfig.parse(spec))
    assert run_video(prepare(job)).frames == FRAMES
    assert len(calls) == (FRAMES if estimated else 0)
