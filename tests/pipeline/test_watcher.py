"""ReaderWatcher on a real file with real inotify: other opens counted, probes seen, a missing
or vanishing node reported."""

from __future__ import annotations

import os
import sys

import pytest

from tests.pipeline.readers import holder, release
from tests.waiting import until
from vbg.pipeline.watcher import DeviceGone, ReaderWatcher, holders, watchable

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="inotify: Linux")


def test_only_paths_give_a_reader_signal():
    assert watchable("/dev/video7")
    assert not watchable("OBS Virtual Camera") and not watchable(None)


def test_opens_and_closes_of_others_are_counted(tmp_path):
    dev = tmp_path / "video9"
    dev.write_bytes(b"")
    w = ReaderWatcher(str(dev))
    assert w.arm() == 0
    p = holder(dev)
    until(lambda: w.readers() == 1)
    fd = os.open(dev, os.O_RDONLY)  # a second reader (a thread of this process counts too)
    until(lambda: w.readers() == 2)
    os.close(fd)
    until(lambda: w.readers() == 1)
    release(p)
    until(lambda: w.readers() == 0)
    w.close()
    w.close()
    assert w.readers() == 0


def test_readers_already_there_are_found_in_proc(tmp_path):
    dev = tmp_path / "video9"
    dev.write_bytes(b"")
    p = holder(dev)
    try:
        assert holders(str(dev), os.getpid()) == 1
        w = ReaderWatcher(str(dev))
        assert w.arm() == 1
        w.close()
    finally:
        release(p)


def test_a_missing_node_cant_be_armed(tmp_path):
    with pytest.raises(FileNotFoundError):
        ReaderWatcher(str(tmp_path / "video404")).arm()


def test_a_node_that_vanishes_is_reported_once(tmp_path):
    dev = tmp_path / "video9"
    dev.write_bytes(b"")
    w = ReaderWatcher(str(dev))
    w.arm()
    dev.unlink()
    with pytest.raises(DeviceGone):
        until(lambda: w.readers() is None)  # raises once the event is read
    assert w.gone and not w.armed and w.readers() == 0
