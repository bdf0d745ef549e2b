"""Helpers for the tests that watch a stand-in v4l2loopback node with real inotify: another
process that holds the node open (an app reading the virtual camera). Waits: tests.waiting."""

from __future__ import annotations

import subprocess
import sys


def holder(path) -> subprocess.Popen:
    """Another process (an app) that opens ``path`` for reading until its stdin closes."""
    p = subprocess.Popen(
        [sys.executable, "-c", "import os,sys; fd=os.open(sys.argv[1], os.O_RDONLY); "
         "print('open', flush=True); sys.stdin.read(); os.close(fd)", str(path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "open"
    return p


def release(p: subprocess.Popen) -> None:
    """Let the holder close the node and exit."""
    p.stdin.close()
    p.wait(10)
