"""Issue 22, what was left: commands that met a missing extra or a bad file with a traceback,
and outputs that were replaced or left behind silently. Each case: one sentence, the exit
status a user expects, no traceback, no half-written file."""

from __future__ import annotations

import errno
import subprocess
import sys
import textwrap
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from tests.cli.console import one_sentence, run
from tests.conftest import REPO
from tests.media import decode_video, make_clip
from vbg.errors import OutputError
from vbg.sinks import file as file_sink
from vbg.sinks import media

# `import torch` fails in the child as if PyTorch were not installed (it is, in the venv).
_WITHOUT_TORCH = textwrap.dedent("""
    import sys

    class _NoTorch:
        def find_spec(self, name, path=None, target=None):
            if name.partition(".")[0] in ("torch", "torchvision"):
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None

    sys.meta_path.insert(0, _NoTorch())
    from vbg.training.cli import main
    sys.exit(main(sys.argv[1:]))
""")


@pytest.mark.parametrize("command", ["train", "fit", "export"])
def test_vbg_train_without_torch_says_how_to_install_it(tmp_path, command):
    args = {"train": ["train"],
            "fit": ["fit", "--pack", str(tmp_path / "pack.npz")],
            "export": ["export", "--run", str(tmp_path / "run"), "--out",
                       str(tmp_path / "m.onnx")]}[command]
    (tmp_path / "pack.npz").write_bytes(b"")
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "config.json").write_text("{}")
    (tmp_path / "run" / "best.pt").write_bytes(b"")
    proc = subprocess.run([sys.executable, "-c", _WITHOUT_TORCH, *args], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0] == (f"vbg-train: vbg-train {command} needs PyTorch, which is not "
                        "installed; install the training extra with `pip install 'vbg[train]'`.")
    assert not (tmp_path / "m.onnx").exists()


def _eval_data(root, image_case: str = "ok", mask_case: str = "ok"):
    """A data set folder with one photo and its mask; ``*_case`` spoils one of them: "garbage"
    bytes, a "folder" of that name, an "empty" file."""
    data = root / "data"
    (data / "images").mkdir(parents=True)
    (data / "masks").mkdir()
    photo, mask = data / "images" / "p.png", data / "masks" / "p.png"
    image = np.full((64, 64, 3), 120, np.uint8)
    alpha = np.zeros((64, 64), np.uint8)
    alpha[16:48, 16:48] = 255
    cv2.imwrite(str(photo), image)
    cv2.imwrite(str(mask), alpha)
    for path, case in ((photo, image_case), (mask, mask_case)):
        if case == "garbage":
            path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 3)
        elif case == "folder":
            path.unlink()
            path.mkdir()
        elif case == "empty":
            path.write_bytes(b"")
    return data, photo, mask


_SAID = {"garbage": "is not an image vbg can read", "folder": "is a folder, not an image",
         "empty": "is empty (0 bytes)"}


@pytest.mark.parametrize("mode", [[], ["--skip-variants"], ["--calibrate"]])
@pytest.mark.parametrize("case", ["garbage", "folder", "empty"])
def test_eval_with_an_unreadable_photo_is_one_sentence(capsys, tmp_path, case, mode):
    data, photo, _ = _eval_data(tmp_path, image_case=case)
    code, out, err = run(capsys, "eval", "--data", str(data), "--live-only", *mode)
    assert code == 2
    said = one_sentence(err)
    assert said.startswith(f"vbg: Photo {photo} ") and _SAID[case] in said, said
    assert "IoU" not in out and "matte" not in out  # no table


@pytest.mark.parametrize("case", ["garbage", "folder", "empty"])
def test_eval_with_an_unreadable_mask_is_one_sentence(capsys, tmp_path, case):
    data, _, mask = _eval_data(tmp_path, mask_case=case)
    code, out, err = run(capsys, "eval", "--data", str(data), "--live-only")
    assert code == 2
    said = one_sentence(err)
    assert said.startswith(f"vbg: Mask {mask} ") and _SAID[case] in said, said
    assert "IoU" not in out


# ------------------------------------------------------------------ outputs: all or nothing
class _FailsAtClose:
    """Stands in for the mask's PyAV container: muxes normally, then fails like a full disk
    when the file is closed (its index and trailer are written then)."""

    def __init__(self, real) -> None:
        self.real = real

    def mux(self, packet) -> None:
        self.real.mux(packet)

    def close(self) -> None:
        self.real.close()
        raise OSError(errno.ENOSPC, "No space left on device")


def test_a_mask_that_fails_at_the_end_takes_the_video_with_it(capsys, clip, tmp_path,
                                                              monkeypatch):
    original = media.MediaWriter._open

    def open_mask_that_fails(self, audio):
        original(self, audio)
        if self.kind == "mask":
            self._container = _FailsAtClose(self._container)

    monkeypatch.setattr(media.MediaWriter, "_open", open_mask_that_fails)
    out, mask = tmp_path / "out.mp4", tmp_path / "m.mkv"
    code, _, err = run(capsys, "video", str(clip), "--out", str(out), "--mask", str(mask), "-q")
    assert code == 2
    assert one_sentence(err) == (f"vbg: The disk is full, so {mask} could not be written; free "
                                 "some space or choose another folder.")
    assert list(tmp_path.iterdir()) == []  # no video without its mask, no temporary file
    monkeypatch.setattr(media.MediaWriter, "_open", original)  # space was freed: a rerun works
    code, _, err = run(capsys, "video", str(clip), "--out", str(out), "--mask", str(mask), "-q")
    assert code == 0, err
    assert len(decode_video(out)) == 12 == len(decode_video(mask, "gray"))


# ----------------------------------------------- outputs: a name taken while vbg was writing
def _another_run_finishes_first(monkeypatch, *paths: Path) -> None:
    """While vbg writes its first frame, files appear at ``paths`` (another run, finished
    first, after both had checked that the names were free)."""
    original = media.MediaWriter.write

    def write(self, image, pts=None):
        for p in paths:
            if not p.exists():
                p.write_bytes(b"the other run's result")
        original(self, image, pts)

    monkeypatch.setattr(media.MediaWriter, "write", write)


def test_a_video_never_replaces_a_file_that_appeared_meanwhile(capsys, clip, tmp_path,
                                                               monkeypatch):
    out, mask = tmp_path / "out.mp4", tmp_path / "m.mkv"
    _another_run_finishes_first(monkeypatch, out, mask)
    code, _, err = run(capsys, "video", str(clip), "--out", str(out), "--mask", str(mask), "-q")
    assert code == 2
    moved_out, moved_mask = tmp_path / "out.new.mp4", tmp_path / "m.new.mkv"
    assert one_sentence(err) == (
        f"vbg: {out} and {mask} appeared while vbg was writing them, so they were not "
        f"replaced; the new results are {moved_out} and {moved_mask}.")
    assert out.read_bytes() == mask.read_bytes() == b"the other run's result"
    assert len(decode_video(moved_out)) == 12 == len(decode_video(moved_mask, "gray"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.mkv", "m.new.mkv", "out.mp4",
                                                          "out.new.mp4"]


def test_with_force_a_file_that_appeared_meanwhile_is_replaced(capsys, clip, tmp_path,
                                                               monkeypatch):
    out = tmp_path / "out.mp4"
    _another_run_finishes_first(monkeypatch, out)
    code, _, err = run(capsys, "video", str(clip), "--out", str(out), "--force", "-q")
    assert code == 0, err
    assert len(decode_video(out)) == 12
    assert [p.name for p in tmp_path.iterdir()] == ["out.mp4"]


@pytest.mark.parametrize("pyav", [True, False])
def test_a_recording_never_replaces_a_file_that_appeared_meanwhile(capsys, tmp_path,
                                                                   monkeypatch, pyav):
    if not pyav:  # the desktop bundle: OpenCV's writer
        monkeypatch.setattr(file_sink, "av_available", lambda: False)
    out = tmp_path / "rec.mkv"
    sink = file_sink.VideoFileSink(out, 64, 64, 24.0)
    for i in range(3):
        sink.send(np.full((64, 64, 3), 60 + i, np.uint8))
    out.write_bytes(b"the other run's result")
    with pytest.raises(OutputError) as raised:
        sink.close()
    moved = tmp_path / "rec.new.mkv"
    assert str(raised.value) == (f"{out} appeared while vbg was writing it, so it was not "
                                 f"replaced; the new result is {moved}.")
    assert out.read_bytes() == b"the other run's result"
    assert len(decode_video(moved)) == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rec.mkv", "rec.new.mkv"]


def test_vbg_run_says_where_its_recording_went(capsys, tmp_path, monkeypatch):
    out = tmp_path / "rec.mp4"
    original = file_sink.VideoFileSink.send

    def send(self, frame):
        if not out.exists():
            out.write_bytes(b"the other run's result")
        original(self, frame)

    monkeypatch.setattr(file_sink.VideoFileSink, "send", send)
    code, _, err = run(capsys, "run", "--source", "demo", "--no-vcam", "--size", "320x180",
                       "--frames", "5", "--record", str(out))
    assert code == 2
    assert f"appeared while vbg was writing it, so it was not replaced; the new result is " \
           f"{tmp_path / 'rec.new.mp4'}." in one_sentence(err)
    assert out.read_bytes() == b"the other run's result"
    assert len(decode_video(tmp_path / "rec.new.mp4")) >= 1


# ------------------------------------------------------------ a truncated input says so
def _faststart(src: Path, dst: Path) -> None:
    """``src`` remuxed with its index (moov) first, as web downloads are: cut short, such a
    file still opens and declares all its frames."""
    i = av.open(str(src))
    o = av.open(str(dst), "w", options={"movflags": "faststart"})
    streams = {s.index: o.add_stream_from_template(s) for s in i.streams}
    for packet in i.demux():
        if packet.dts is not None:
            packet.stream = streams[packet.stream.index]
            o.mux(packet)
    o.close()
    i.close()


@pytest.fixture(scope="module")
def long_clip(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("long")
    make_clip(folder / "encoded.mp4", 92, 24, size=(320, 180))
    _faststart(folder / "encoded.mp4", folder / "talk.mp4")
    return folder / "talk.mp4"


def test_a_truncated_input_says_it_ended_early(capsys, long_clip, tmp_path):
    code, _, err = run(capsys, "video", str(long_clip), "--out", str(tmp_path / "full.mp4"))
    assert code == 0 and "Wrote 92 frames" in err  # the whole file: no false alarm
    cut = tmp_path / "cut.mp4"
    data = long_clip.read_bytes()
    cut.write_bytes(data[:len(data) * 55 // 100])  # a download cut short
    out, mask = tmp_path / "out.mp4", tmp_path / "m.mkv"
    code, _, err = run(capsys, "video", str(cut), "--out", str(out), "--mask", str(mask), "-q")
    assert code == 3
    frames = len(decode_video(out))
    assert 30 < frames < 70 and len(decode_video(mask, "gray")) == frames
    assert one_sentence(err) == (f"vbg: {cut} ended after {frames} of 92 frames (the file "
                                 f"looks truncated); wrote those {frames} to {out} and the "
                                 f"mask to {mask}.")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cut.mp4", "full.mp4", "m.mkv",
                                                          "out.mp4"]
