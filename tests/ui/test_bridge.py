"""Worker-thread callbacks arrive on the Qt thread (and never re-entrantly)."""

from __future__ import annotations

import threading

from tests.ui.conftest import WAIT_MS
from vbg.errors import CameraError
from vbg.ui.bridge import MainThreadBridge


def test_error_posted_from_a_worker_thread_is_handled_on_the_qt_thread(qtbot) -> None:
    bridge = MainThreadBridge()
    seen: list[tuple[Exception, int]] = []
    bridge.error.connect(lambda exc: seen.append((exc, threading.get_ident())))
    err = CameraError("gone")
    worker = threading.Thread(target=bridge.post_error, args=(err,))
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: bool(seen), timeout=WAIT_MS)
    assert seen == [(err, threading.main_thread().ident)]
    assert worker.ident != threading.main_thread().ident


def test_call_runs_on_the_qt_thread(qtbot) -> None:
    bridge = MainThreadBridge()
    ran: list[int] = []
    t = threading.Thread(target=bridge.call, args=(lambda: ran.append(threading.get_ident()),))
    t.start()
    t.join()
    qtbot.waitUntil(lambda: bool(ran), timeout=WAIT_MS)
    assert ran == [threading.main_thread().ident]


def test_posting_on_the_qt_thread_is_still_queued(qtbot) -> None:
    bridge = MainThreadBridge()
    seen: list[str] = []
    bridge.error.connect(lambda exc: seen.append(str(exc)))
    bridge.post_error(CameraError("later"))
    assert seen == []  # not run inside the caller (e.g. inside Pipeline.apply)
    qtbot.waitUntil(lambda: seen == ["later"], timeout=WAIT_MS)
