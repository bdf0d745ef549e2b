"""`vbg video` and `vbg run --record` from the command line: bad inputs and outputs give one
sentence and exit 2 with no file left behind; Ctrl+C keeps a playable partial file (exit 130);
a full disk during a recording exits 2 and removes the broken file."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import av
import numpy as np
import pytest

from tests.cli.console import one_sentence, run
from tests.conftest import REPO
from tests.media import decode_video, make_clip, probe, tiny_disk
from vbg.sinks import file as file_sink


def _sound_only(path: Path) -> None:
    out = av.open(str(path), "w")
    a = out.add_stream("aac", rate=48000)
    a.layout = "mono"
    for i in range(10):
        f = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp",
                                       layout="mono")
        f.sample_rate, f.pts = 48000, i * 1024
        for p in a.encode(f):
            out.mux(p)
    for p in a.encode(None):
        out.mux(p)
    out.close()


def test_video_writes_h264_with_sound(capsys, clip, tmp_path):
    out = tmp_path / "out.mp4"
    code, _, err = run(capsys, "video", str(clip), "--out", str(out), "--mask",
                       str(tmp_path / "m.mkv"), "--quiet")
    assert code == 0, err
    assert err == ""  # --quiet: no bar, no summary
    info = probe(out)
    assert info["video"]["codec"] == "h264" and info["audio"]["codec"] == "aac"
    assert len(decode_video(out)) == 12 == len(decode_video(tmp_path / "m.mkv", "gray"))


@pytest.mark.parametrize("case", ["missing", "empty", "corrupt", "truncated", "sound-only"])
def test_bad_input_is_one_sentence(capsys, clip, tmp_path, case):
    src = tmp_path / f"{case}.mp4"
    if case == "empty":
        src.touch()
    elif case == "corrupt":
        src.write_bytes(np.random.default_rng(0).integers(0, 256, 50_000, np.uint8).tobytes())
    elif case == "truncated":  # the index (moov) is at the end of the clip: cut it off
        src.write_bytes(clip.read_bytes()[: clip.stat().st_size // 2])
    elif case == "sound-only":
        _sound_only(src)
    out = tmp_path / "out" / "result.mp4"
    out.parent.mkdir()
    code, _, err = run(capsys, "video", str(src), "--out", str(out))
    assert code == 2
    sentence = one_sentence(err)
    assert str(src) in sentence
    want = {"missing": "does not exist", "empty": "empty", "corrupt": "not a video",
            "truncated": "not a video", "sound-only": "no video stream"}[case]
    assert want in sentence
    assert list(out.parent.iterdir()) == []


def test_outputs_that_must_not_be_written(capsys, clip, tmp_path):
    existing = tmp_path / "existing.mp4"
    existing.write_bytes(b"keep me")
    code, _, err = run(capsys, "video", str(clip), "--out", str(existing))
    assert code == 2 and "--force" in one_sentence(err)
    assert existing.read_bytes() == b"keep me"

    target = tmp_path / "target.mp4"
    target.write_bytes(b"link target")
    link = tmp_path / "link.mp4"
    link.symlink_to(target)
    code, _, err = run(capsys, "video", str(clip), "--out", str(link), "--force")
    assert code == 2 and "symbolic link" in one_sentence(err)
    assert link.is_symlink() and target.read_bytes() == b"link target"

    for argv, words in [
        (["--out", str(tmp_path / "nope" / "o.mp4")], "does not exist"),
        (["--out", str(tmp_path / "o.gif")], ".mp4"),
        (["--out", str(tmp_path / "o.mp4"), "--mask", str(tmp_path / "m.mp4")], ".mkv"),
        (["--out", str(clip)], "already exists"),
        (["--out", str(clip), "--force"], "is the input"),
        (["--out", str(tmp_path / "o.mp4"), "--background", "sparkles"], "unknown"),
        (["--out", "/proc/o.mp4"], "/proc/o.mp4"),
    ]:
        code, _, err = run(capsys, "video", str(clip), *argv)
        assert code == 2 and words in one_sentence(err), (argv, err)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["existing.mp4", "link.mp4",
                                                          "target.mp4"]


def test_force_replaces_an_existing_file(capsys, clip, tmp_path):
    out = tmp_path / "out.mp4"
    out.write_bytes(b"old")
    code, _, _ = run(capsys, "video", str(clip), "--out", str(out), "--force", "-q")
    assert code == 0 and len(decode_video(out)) == 12


def test_missing_pyav_says_how_to_install(capsys, clip, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "av", None)  # `import av` now raises ImportError
    code, _, err = run(capsys, "video", str(clip), "--out", str(tmp_path / "o.mp4"))
    assert code == 2 and "pip install 'vbg[video]'" in one_sentence(err)


def test_full_disk_during_vbg_video(capsys, clip, tmp_path):
    with tiny_disk(tmp_path / "tiny", "128k") as disk:
        (disk / "filler").write_bytes(b"x" * 112 * 1024)
        code, _, err = run(capsys, "video", str(clip), "--out", str(disk / "o.mp4"), "-q")
        assert code == 2 and "disk is full" in one_sentence(err)
        assert [p.name for p in disk.iterdir()] == ["filler"]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_ctrl_c_keeps_a_playable_partial_file(tmp_path, sig):
    src = tmp_path / "long.mp4"
    make_clip(src, 150, 30, size=(640, 360))
    out = tmp_path / "out.mp4"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-m", "vbg.cli.main", "video", str(src), "--out",
                             str(out)], stderr=subprocess.PIPE, env=env, cwd=REPO)
    err = b""
    progressed = threading.Event()

    def read() -> None:
        nonlocal err
        while chunk := proc.stderr.read1(4096):  # type: ignore[union-attr]
            err += chunk
            # tqdm draws "  7/150 [" once frames are done
            if any(int(n) >= 5 for n in _done_counts(err)):
                progressed.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    assert progressed.wait(60), err.decode(errors="replace")
    proc.send_signal(sig)
    assert proc.wait(30) == 130
    reader.join(5)
    text = err.decode(errors="replace")
    assert "Traceback" not in text and "interrupted after" in text
    partial = tmp_path / "out.partial.mp4"
    assert not out.exists() and str(partial) in text
    frames = decode_video(partial)
    assert 5 <= len(frames) < 150
    assert probe(partial)["video"]["codec"] == "h264"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporaries


def _done_counts(err: bytes) -> list[str]:
    import re

    return re.findall(rb"(\d+)/150 \[", err)


# --- vbg run --record -------------------------------------------------------------------------


def _record(capsys, *extra: str) -> tuple[int, str]:
    code, _, err = run(capsys, "run", "--source", "demo", "--no-vcam", "--size", "320x240",
                       "--frames", "10", *extra)
    return code, err


def test_record_writes_h264(capsys, tmp_path):
    out = tmp_path / "rec.mp4"
    code, err = _record(capsys, "--record", str(out), "--record-mask", str(tmp_path / "m.mkv"))
    assert code == 0, err
    assert probe(out)["video"]["codec"] == "h264"
    assert len(decode_video(out)) == 10 == len(decode_video(tmp_path / "m.mkv", "gray"))


def test_record_never_overwrites_unasked_nor_replaces_links(capsys, tmp_path):
    out = tmp_path / "rec.mp4"
    out.write_bytes(b"yesterday's call")
    code, err = _record(capsys, "--record", str(out))
    assert code == 2 and "--force" in one_sentence(err)
    assert out.read_bytes() == b"yesterday's call"
    code, err = _record(capsys, "--record", str(out), "--force")
    assert code == 0 and len(decode_video(out)) == 10

    link = tmp_path / "link.mkv"
    link.symlink_to(out)
    code, err = _record(capsys, "--record-mask", str(link), "--force")
    assert code == 2 and "symbolic link" in one_sentence(err)
    assert link.is_symlink() and len(decode_video(out)) == 10


@pytest.mark.parametrize("seconds", ["0", "-3"])
def test_record_refuses_senseless_durations(capsys, tmp_path, seconds):
    code, err = _record(capsys, "--seconds", seconds, "--record", str(tmp_path / "r.mp4"))
    assert code == 2 and "--seconds" in one_sentence(err)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("writer", ["pyav", "opencv"])
def test_record_on_a_full_disk_exits_2_and_removes_the_file(capsys, tmp_path, monkeypatch,
                                                            writer):
    if writer == "opencv":  # the desktop bundle has no PyAV
        monkeypatch.setattr(file_sink, "av_available", lambda: False)
    with tiny_disk(tmp_path / "tiny", "256k") as disk:
        (disk / "filler").write_bytes(b"x" * 224 * 1024)
        code, _, err = run(capsys, "run", "--source", "demo", "--no-vcam", "--size", "640x480",
                           "--frames", "300", "--record", str(disk / "rec.mp4"))
        assert code == 2 and "disk is full" in one_sentence(err), err
        assert "Sent" not in err
        assert [p.name for p in disk.iterdir()] == ["filler"]
