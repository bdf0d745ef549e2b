"""Ctrl+C during ``vbg image`` on a large photo: the photo in hand is finished and written
whole, the next is not started, exit 130 — and never the segmentation fault that a
KeyboardInterrupt unwinding through pymatting's compiled threads caused (3 of 6 tries)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import cv2
import pytest

from tests.e2e.pwsession import proc_cpu_ticks
from tests.waiting import WAIT_S, until

pytestmark = pytest.mark.slow  # a 27-megapixel cut-out takes seconds
CPU_TICKS_IN_HAND = 30  # 0.3 s of CPU (1/100 s ticks) past the small photo's last line


@pytest.fixture(scope="module")
def photos(tmp_path_factory, portraits) -> list[Path]:
    """A small photo, then two large ones (a real portrait scaled to 6000×4500)."""
    folder = tmp_path_factory.mktemp("photos")
    image = cv2.imread(str(portraits[0][0]))
    small, big, later = folder / "small.jpg", folder / "big.jpg", folder / "later.jpg"
    cv2.imwrite(str(small), image)
    large = cv2.resize(image, (6000, 4500), interpolation=cv2.INTER_CUBIC)
    cv2.imwrite(str(big), large)
    cv2.imwrite(str(later), large)
    return [small, big, later]


def start(photos: list[Path], out: Path) -> subprocess.Popen:
    # Unbuffered: the test reads each printed file name as soon as it is written.
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", "vbg", "image", *map(str, photos),
                             "--out", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)


def wait_for_first_photo(proc: subprocess.Popen) -> None:
    """Block until the small photo's three files were printed, then until the big one is in
    hand: 0.3 s more of CPU, which only the big photo can account for (vbg reaches it in
    microseconds and cuts it for seconds). Without that second wait a Ctrl+C sent on the
    printed line could land between the photos on a loaded machine (as in one CI run): vbg
    then rightly stops before the big one, and there is no photo in hand to test."""
    for _ in range(3):
        line = proc.stdout.readline()
        assert "small_" in line, line
    t0 = proc_cpu_ticks(proc.pid)
    until(lambda: proc_cpu_ticks(proc.pid) >= t0 + CPU_TICKS_IN_HAND,
          "the big photo to be in hand", WAIT_S)


def written_whole(folder: Path) -> list[str]:
    """The names in ``folder``; every PNG among them must decode."""
    names = sorted(p.name for p in folder.iterdir())
    for name in names:
        if name.endswith(".png") and not name.startswith("."):
            assert cv2.imread(str(folder / name), cv2.IMREAD_UNCHANGED) is not None, name
    return names


def test_ctrl_c_finishes_the_photo_in_hand_and_stops(photos, tmp_path):
    out = tmp_path / "out"
    proc = start(photos, out)
    wait_for_first_photo(proc)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, (proc.returncode, err)  # not -11 (SIGSEGV), no traceback
    assert "Traceback" not in err and "stopping after this photo" in err
    names = written_whole(out)
    assert [n for n in names if n.startswith("big_")] == [
        "big_foreground.png", "big_mask_binary.png", "big_mask_soft.png"]
    assert not [n for n in names if n.startswith("later_")]  # never started


def test_a_second_ctrl_c_stops_at_once_without_a_half_written_file(photos, tmp_path):
    out = tmp_path / "out"
    proc = start(photos, out)
    wait_for_first_photo(proc)
    proc.send_signal(signal.SIGINT)
    assert "stopping after this photo" in proc.stderr.readline() + proc.stderr.readline()
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, (proc.returncode, err)
    assert "Traceback" not in err
    names = written_whole(out)  # whatever has its final name is a whole picture
    assert not [n for n in names if n.startswith("later_")]
    assert os.path.isdir(out)
