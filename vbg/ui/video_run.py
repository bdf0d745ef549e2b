"""A whole video processed on a worker thread for the stills window: its progress bar and
Cancel button, a preview of the latest frame now and then, and the end handed back on the Qt
thread (saved, cancelled or the error). What the window says about it is
:mod:`vbg.app.cutout`'s."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import numpy as np
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QProgressBar, QWidget

from vbg.app import cutout as cut
from vbg.ui.bridge import MainThreadBridge
from vbg.ui.icons import bgr_to_qimage
from vbg.ui.image_pane import to_qimage
from vbg.ui.widgets import tool_button
from vbg.video import PreparedJob, VideoResult, run_video

PREVIEW_EVERY_S = 0.25  # how often a running video job shows its latest frame


class VideoRun:
    """One video job at a time. ``show(before, after)``: a preview pair (on the Qt thread);
    ``done(result or exception)``: the end (on the Qt thread, after the bar and button are
    hidden); ``cancel_clicked``: what the Cancel button does (default :meth:`cancel`).
    ``progress`` and ``cancel_button`` go into the window's layout."""

    def __init__(self, parent: QWidget, bridge: MainThreadBridge,
                 show: Callable[[QImage, QImage], None],
                 done: Callable[[VideoResult | BaseException], None],
                 cancel_clicked: Callable[[], object] | None = None) -> None:
        self._bridge, self._show, self._done = bridge, show, done
        self._cancel: threading.Event | None = None
        self.progress = QProgressBar(parent)
        self.progress.setFormat("%v / %m frames")
        self.progress.setMinimumWidth(240)
        self.progress.setVisible(False)
        self.cancel_button = tool_button("quit", "Cancel", cancel_clicked or self.cancel)
        self.cancel_button.setVisible(False)

    @property
    def running(self) -> bool:
        return self._cancel is not None

    def start(self, prepared: PreparedJob) -> None:
        """Show the bar (a busy indicator when the frame count is unknown) and run the job."""
        self._cancel = threading.Event()
        total = prepared.info.frames
        self.progress.setRange(0, max(total, 1) if total else 0)  # 0..0: busy indicator
        self.progress.setValue(0)
        self.progress.setVisible(True)
        self.cancel_button.setVisible(True)
        threading.Thread(target=self._work, args=(prepared, self._cancel),
                         name="vbg-video", daemon=True).start()

    def cancel(self) -> bool:
        """Stop the running job (its partial output is removed); False when none runs."""
        if self._cancel is None:
            return False
        self._cancel.set()
        return True

    def _work(self, prepared: PreparedJob, cancel: threading.Event) -> None:
        shown = [-1]
        next_preview = [0.0]

        def progress(done: int, total: int) -> None:
            if done - shown[0] >= cut.progress_step(total) or done == total:
                shown[0] = done
                self._bridge.call(lambda: self.progress.setValue(done))

        def preview(image: np.ndarray, out: np.ndarray) -> None:
            now = time.monotonic()
            if now < next_preview[0]:
                return
            next_preview[0] = now + PREVIEW_EVERY_S
            before, after = bgr_to_qimage(image), to_qimage(out)  # copies, made here
            self._bridge.call(lambda: self._show(before, after))

        try:
            result: VideoResult | BaseException = run_video(
                prepared, progress, cancel=cancel, keep_partial=False, preview=preview)
        except Exception as exc:  # delivered to the Qt thread and shown there
            result = exc
        self._bridge.call(lambda: self._finished(result))

    def _finished(self, result: VideoResult | BaseException) -> None:
        self._cancel = None
        self.progress.setVisible(False)
        self.cancel_button.setVisible(False)
        self._done(result)
