"""The Qt side of the app: timers, signals and threads around :class:`vbg.app.session.Session`.

The policy (start with fallbacks, change and roll back, error routing) lives in the Qt-free
:class:`~vbg.app.session.Session`; see its module docstring. :class:`AppController` wires it to
Qt: the session's events become signals (``changed``, ``message``, ``vcam_problem``,
``vcam_ok``) that the windows and the tray listen to; it owns the timers (stats once a second,
looking for a missing camera every ``START_RETRY_MS``) and the backgrounds folder watcher.
Everything else (settings, changes, the state the windows show) is the session's own: callers
use ``controller.session`` directly; the controller adds only what needs Qt.

Threads: the pipeline reports errors on its worker threads; they reach the session through a
:class:`~vbg.ui.bridge.MainThreadBridge`, i.e. always on the Qt thread. Cameras are listed on a
worker thread (opening each camera is slow, and while a camera is missing the list is made every
``START_RETRY_MS``); the result is handed to the session on the Qt thread, then a waiting start
is retried. The Qt thread never lists cameras.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QFileSystemWatcher, QObject, QTimer, Signal

from vbg.app import session as sessions
from vbg.app.menu import CameraList, ModelChoice
from vbg.app.session import PipelineFactory, Session, SessionEvents
from vbg.app.session_cameras import LISTING_CAMERAS
from vbg.app.settings import SettingsStore
from vbg.config import AppConfig
from vbg.pipeline import Pipeline
from vbg.ui.bridge import MainThreadBridge

log = logging.getLogger(__name__)

START_RETRY_MS = 2000     # how often a missing camera is looked for before the pipeline runs
STATS_MS = 1000           # tooltip / status refresh
CAMERA_LIST_MIN_S = 10.0  # menus don't re-probe cameras more often than this (opening is slow)

CameraLister = Callable[[], CameraList]


class AppController(QObject):
    """See the module docstring. ``base``, ``store``, ``backgrounds_dir``, ``pipeline_factory``,
    ``model_lister`` and ``clock`` are the :class:`~vbg.app.session.Session`'s;
    ``camera_lister`` runs on a worker thread."""

    changed = Signal()             # anything a menu, tooltip or the window shows changed
    message = Signal(str, str)     # (sentence, level: "info" | "warning" | "error")
    vcam_problem = Signal(str)     # per-OS help: no virtual camera; preview keeps working
    vcam_ok = Signal(str)          # the virtual camera opened (device name)
    cameras_listed = Signal()      # a fresh camera list arrived (on the Qt thread)

    def __init__(
        self,
        base: AppConfig,
        store: SettingsStore,
        backgrounds_dir: Path,
        *,
        pipeline_factory: PipelineFactory = Pipeline,
        camera_lister: CameraLister = sessions.list_cameras,
        model_lister: Callable[[], list[ModelChoice]] = sessions.list_models,
        clock: Callable[[], float] = time.monotonic,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._camera_lister = camera_lister
        self._clock = clock
        self.bridge = MainThreadBridge(self)
        self.bridge.error.connect(self._on_worker_error)
        self.last_error_thread: int | None = None  # which thread handled the last worker error
        self._listing = False
        self._cameras_listed_at: float | None = None
        self._after_listing: list[Callable[[], None]] = []

        self._retry = QTimer(self)
        self._retry.setInterval(START_RETRY_MS)
        self._retry.timeout.connect(lambda: self._list_cameras(then=self._retry_start))
        self._poll = QTimer(self)
        self._poll.setInterval(STATS_MS)

        events = SessionEvents(
            changed=self.changed.emit,
            message=lambda text, level: self.message.emit(text, level),
            vcam_problem=self.vcam_problem.emit,
            vcam_ok=self.vcam_ok.emit,
            waiting=self._set_waiting,
        )
        self.session = Session(base, store, backgrounds_dir, deliver_error=self.bridge.post_error,
                               events=events, pipeline_factory=pipeline_factory,
                               model_lister=model_lister, clock=clock)
        self._poll.timeout.connect(self.session.poll_stats)

        # Pictures copied into the backgrounds folder by hand show up without a restart.
        self._watcher = QFileSystemWatcher(self)
        try:
            backgrounds_dir.mkdir(parents=True, exist_ok=True)
            self._watcher.addPath(str(backgrounds_dir))
        except OSError as exc:
            log.warning("can't watch %s: %s", backgrounds_dir, exc)
        self._watcher.directoryChanged.connect(self._backgrounds_changed)

        self._list_cameras()

    # ----------------------------------------------------------------- lifecycle
    def start(self) -> bool:
        """Turn on: open camera, model and outputs. False when it could not (the reason was
        reported; a missing camera, or the first camera list, is awaited in the background)."""
        self._poll.start()
        return self.session.start()

    def _retry_start(self) -> None:
        if self.session.running and self.session.pipeline is None and self.session.waiting_for:
            self.session.retry_start()

    def _set_waiting(self, on: bool) -> None:
        if on:
            self._retry.start()
        else:
            self._retry.stop()

    def stop(self) -> None:
        """Turn off: release camera and virtual camera (the pipeline stops in < 1 s)."""
        self._poll.stop()
        self.session.stop()

    def shutdown(self) -> None:
        """Stop everything before quitting (idempotent)."""
        self.stop()

    def set_running(self, on: bool) -> None:
        if on and not self.session.running:
            self.start()
        elif not on and self.session.running:
            self.stop()

    def retry_vcam(self) -> bool:
        """Try the virtual camera again (the help dialog's Retry). True when it opened; else
        ``vcam_problem`` is emitted again with the current reason."""
        if self.session.pipeline is None:
            self.session.vcam_wanted = True
            return self.start() and self.session.vcam_device is not None
        return self.session.retry_vcam()

    # ----------------------------------------------------------------- threads
    def _on_worker_error(self, exc: BaseException) -> None:
        """Errors from the pipeline's threads, delivered on the Qt thread by the bridge."""
        self.last_error_thread = threading.get_ident()
        self.session.on_worker_error(exc)

    def _list_cameras(self, then: Callable[[], None] | None = None) -> None:
        """List the cameras on a worker thread; hand the list to the session on the Qt thread,
        then run ``then`` there. One listing at a time: a request while one runs waits for it."""
        if then is not None:
            self._after_listing.append(then)
        if self._listing:
            return
        self._listing = True

        def work() -> None:
            try:
                cams = self._camera_lister()
            except Exception as exc:  # probing must never take the app down
                log.warning("listing cameras failed: %s", exc)
                cams = []
            try:
                self.bridge.call(lambda: self._cameras_arrived(cams))
            except RuntimeError:  # the app quit while the cameras were probed
                log.debug("camera list dropped: the controller is gone")

        threading.Thread(target=work, name="vbg-list-cameras", daemon=True).start()

    def _cameras_arrived(self, cams: CameraList) -> None:
        self._listing = False
        self._cameras_listed_at = self._clock()
        self.session.set_cameras(cams)
        waiting, self._after_listing = self._after_listing, []
        if self.session.waiting_for == LISTING_CAMERAS:
            self._retry_start()  # the app was started before the first list was ready
        for fn in waiting:
            fn()
        self.cameras_listed.emit()
        self.changed.emit()

    def refresh_cameras(self) -> None:
        """Re-probe cameras on a worker thread (at most every CAMERA_LIST_MIN_S); the result
        arrives on the Qt thread and shows the next time a menu opens."""
        last = self._cameras_listed_at
        if last is not None and self._clock() - last < CAMERA_LIST_MIN_S:
            return
        self._list_cameras()

    # ----------------------------------------------------------------- backgrounds
    def _backgrounds_changed(self, _path: str) -> None:
        self.session.refresh_backgrounds()
        self.changed.emit()
