"""The app's state and its one door to the engine: settings, the pipeline, errors.

:class:`AppController` owns the :class:`~vbg.pipeline.Pipeline` and the user's
:class:`~vbg.app.settings.Settings`. Every change the UI makes (tray, menu bar, keys, picker,
settings dialog) goes through one of its methods, which switches the running pipeline with
``Pipeline.apply`` and saves the settings. It never touches widgets: it emits signals
(``changed``, ``message``, ``vcam_problem``) that the windows and the tray listen to.

Threads: the pipeline reports errors on its worker threads; they reach :meth:`_on_worker_error`
through a :class:`~vbg.ui.bridge.MainThreadBridge`, i.e. always on the Qt thread.

Failure policy (issue §5, §7):
- No virtual camera at start: the pipeline starts again without one so the preview works, and
  ``vcam_problem`` carries the per-OS help; :meth:`retry_vcam` tries again.
- The camera missing at start: "waiting for camera N", retried every ``START_RETRY_MS``; a
  camera failing while running: the pipeline shows the background only and re-opens it; the
  user hears once that it is gone and once that it is back.
- A saved background file or model that no longer loads: back to the default, with a warning.
- Expected failures are ``VbgError`` sentences shown in the status bar/tray; anything else is
  a bug: logged with its traceback, shown as one line.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PySide6.QtCore import QFileSystemWatcher, QObject, QTimer, Signal

from vbg.app import backgrounds as bgs
from vbg.app.menu import CameraChoice, MenuState, ModelChoice, camera_choices
from vbg.app.settings import (
    LoadResult,
    Settings,
    SettingsStore,
    cli_overrides,
    effective_config,
    resolve_source,
    settings_from_config,
)
from vbg.app.status import AppStatus, CameraWatch, MessageThrottle, status_line
from vbg.config import AppConfig
from vbg.errors import BackgroundError, CameraError, ModelError, OutputError, VbgError
from vbg.pipeline import Pipeline, summarise
from vbg.stats import Stats
from vbg.ui.bridge import MainThreadBridge

log = logging.getLogger(__name__)

START_RETRY_MS = 2000     # how often a missing camera is looked for before the pipeline runs
STATS_MS = 1000           # tooltip / status refresh
CAMERA_LIST_MIN_S = 10.0  # don't re-probe cameras more often than this (opening them is slow)

PipelineFactory = Callable[..., Pipeline]
CameraLister = Callable[[], list[tuple[int, str, tuple[tuple[int, int], ...]]]]


def _list_cameras() -> list[tuple[int, str, tuple[tuple[int, int], ...]]]:
    from vbg.capture import list_cameras

    return [(c.index, c.label, c.sizes) for c in list_cameras()]


def _list_models() -> list[ModelChoice]:
    from vbg.matting.registry import list_models

    try:
        return [ModelChoice(m.key, m.name, m.builtin) for m in list_models()]
    except VbgError as exc:  # a broken sidecar of a user model must not break the menu
        log.warning("%s", exc)
        return []


class AppController(QObject):
    """See the module docstring. ``base``: the command line's config (options given there
    override the saved settings for this run); ``store``: where settings live (path None:
    memory only); ``backgrounds_dir``: the user's backgrounds folder."""

    changed = Signal()             # anything a menu, tooltip or the window shows changed
    message = Signal(str, str)     # (sentence, level: "info" | "warning" | "error")
    vcam_problem = Signal(str)     # per-OS help: no virtual camera; preview keeps working
    vcam_ok = Signal(str)          # the virtual camera opened (device name)

    def __init__(
        self,
        base: AppConfig,
        store: SettingsStore,
        backgrounds_dir: Path,
        *,
        pipeline_factory: PipelineFactory = Pipeline,
        camera_lister: CameraLister = _list_cameras,
        model_lister: Callable[[], list[ModelChoice]] = _list_models,
        clock: Callable[[], float] = time.monotonic,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.base = base
        self.store = store
        self.backgrounds_dir = backgrounds_dir
        self._factory = pipeline_factory
        self._camera_lister = camera_lister
        self._model_lister = model_lister
        self._clock = clock
        self.bridge = MainThreadBridge(self)
        self.bridge.error.connect(self._on_worker_error)

        if store.path is None:
            loaded = LoadResult(settings_from_config(base))
            self.overrides: dict[str, Any] = {}
        else:
            loaded = store.load()
            self.overrides = cli_overrides(base)
        self.load_warning = loaded.warning
        self.settings: Settings = loaded.settings
        self.pipeline: Pipeline | None = None
        self.running = False          # the user wants it on
        self.paused = False
        self.vcam_wanted = base.output.vcam
        self.waiting_for: str | None = None
        self.last_message: tuple[str, str] | None = None
        self.last_error_thread: int | None = None  # which thread handled the last worker error
        self._throttle = MessageThrottle()
        self._camera_watch = CameraWatch()
        self._stats = Stats()
        self._cameras: list[tuple[int, str, tuple[tuple[int, int], ...]]] = []
        self._cameras_listed_at: float | None = None
        self._listing = False
        self.models: list[ModelChoice] = []
        self.backgrounds: list[bgs.BackgroundFile] = []
        self._buffer_seq: dict[int, int] = {}  # id(ring buffer) -> composite it holds

        self._retry = QTimer(self)
        self._retry.setInterval(START_RETRY_MS)
        self._retry.timeout.connect(self._retry_start)
        self._poll = QTimer(self)
        self._poll.setInterval(STATS_MS)
        self._poll.timeout.connect(self.poll_stats)

        # Pictures copied into the backgrounds folder by hand show up without a restart.
        self._watcher = QFileSystemWatcher(self)
        try:
            backgrounds_dir.mkdir(parents=True, exist_ok=True)
            self._watcher.addPath(str(backgrounds_dir))
        except OSError as exc:
            log.warning("can't watch %s: %s", backgrounds_dir, exc)
        self._watcher.directoryChanged.connect(self._backgrounds_changed)

        self.refresh_backgrounds()
        self.refresh_models()
        self._set_cameras(self._safe_list_cameras())

    # ----------------------------------------------------------------- config
    def config(self) -> AppConfig:
        """The config to run now: settings + command-line overrides, "auto" resolved, the
        virtual camera on only while wanted."""
        cfg = effective_config(self.settings, self.overrides, self.base)
        source = resolve_source(cfg.capture.source, [i for i, _, _ in self._cameras])
        return replace(cfg, capture=replace(cfg.capture, source=source),
                       output=replace(cfg.output, vcam=self.vcam_wanted))

    @property
    def background(self) -> str:
        return bgs.spec_of(self.config().background)

    @property
    def vcam_device(self) -> str | None:
        return self._stats.vcam_device if self.pipeline is not None else None

    # ----------------------------------------------------------------- lifecycle
    def start(self) -> bool:
        """Turn on: open camera, model and outputs. False when it could not (the reason was
        reported; a missing camera is retried in the background)."""
        self.running = True
        self._retry.stop()
        ok = self._start_pipeline()
        self._poll.start()
        self.changed.emit()
        return ok

    def _start_pipeline(self) -> bool:
        defaults = Settings()
        for _attempt in range(4):  # each failure below changes the config, so this ends
            cfg = self.config()
            pipe = self._factory(cfg, on_error=self.bridge.post_error)
            try:
                pipe.start()
            except OutputError as exc:
                if not cfg.output.vcam:
                    self._report(str(exc), "error")
                    return self._not_started()
                self.vcam_wanted = False
                self.vcam_problem.emit(str(exc))
                continue
            except BackgroundError as exc:
                if self.settings.background == defaults.background and \
                        "background" not in self.overrides:
                    self._report(str(exc), "error")
                    return self._not_started()
                self._report(f"{exc} Using the default background instead.", "warning")
                self._commit(replace(self.settings, background=defaults.background),
                             drop=("background",))
                continue
            except ModelError as exc:
                if self.settings.model == defaults.model and "model" not in self.overrides:
                    self._report(str(exc), "error")
                    return self._not_started()
                self._report(f"{exc} Using the default model instead.", "warning")
                self._commit(replace(self.settings, model=defaults.model), drop=("model",))
                continue
            except CameraError as exc:
                self._wait_for_camera(cfg.capture.source, exc)
                return False
            except VbgError as exc:
                self._report(str(exc), "error")
                return self._not_started()
            log.info("running: %s", summarise(cfg))
            self._buffer_seq.clear()
            self.pipeline = pipe
            self.waiting_for = None
            self._camera_watch.reset()
            pipe.set_paused(self.paused)
            self._stats = pipe.stats()
            if cfg.output.vcam and self._stats.vcam_device:
                self.vcam_ok.emit(self._stats.vcam_device)
            return True
        return self._not_started()

    def _not_started(self) -> bool:
        self.running = False
        self.changed.emit()
        return False

    def _wait_for_camera(self, source: str, exc: CameraError) -> None:
        self.waiting_for = f"camera {source}" if source.isdigit() else source
        self._report(f"{exc} vbg keeps looking for it; pick the demo picture in the Camera "
                     "menu to go on without one.", "warning")
        self._retry.start()
        self.changed.emit()

    def _retry_start(self) -> None:
        if not self.running or self.pipeline is not None:
            self._retry.stop()
            return
        self._refresh_cameras_sync()
        if self._start_pipeline():
            self._retry.stop()
            self._report("The camera is back.", "info")
            self.changed.emit()

    def stop(self) -> None:
        """Turn off: release camera and virtual camera (the pipeline stops in < 1 s)."""
        self.running = False
        self.waiting_for = None
        self._retry.stop()
        self._poll.stop()
        pipe, self.pipeline = self.pipeline, None
        if pipe is not None:
            pipe.stop()
        self._stats = Stats()
        self.changed.emit()

    def shutdown(self) -> None:
        """Stop everything before quitting (idempotent)."""
        self.stop()

    def set_running(self, on: bool) -> None:
        if on and not self.running:
            self.start()
        elif not on and self.running:
            self.stop()

    def set_paused(self, paused: bool) -> None:
        """Privacy pause: the output (and preview) show the background only."""
        self.paused = paused
        if self.pipeline is not None:
            self.pipeline.set_paused(paused)
        self.changed.emit()

    # ----------------------------------------------------------------- changes
    def change(self, **fields: Any) -> bool:
        """Change settings fields (e.g. ``background="blur:10"``), apply them to the running
        pipeline and save. On a VbgError (a background file or model that won't load) the
        old setting stays, the error is shown, and False is returned."""
        new = replace(self.settings, **fields)
        try:
            new.validate()
        except ValueError as exc:
            self._report(str(exc), "error")
            return False
        old_settings, old_overrides = self.settings, dict(self.overrides)
        self.settings = new
        self.overrides = {k: v for k, v in self.overrides.items() if k not in fields}
        if "camera" in fields:
            self._refresh_cameras_sync()
        if self.pipeline is not None:
            try:
                self.pipeline.apply(self.config())
            except VbgError as exc:
                self.settings, self.overrides = old_settings, old_overrides
                self._report(str(exc), "error")
                self.changed.emit()
                return False
        elif self.running and self.waiting_for and "camera" in fields:
            self._retry.stop()
            self._start_pipeline()
        self._save()
        self.changed.emit()
        return True

    def _commit(self, settings: Settings, drop: tuple[str, ...] = ()) -> None:
        self.settings = settings
        self.overrides = {k: v for k, v in self.overrides.items() if k not in drop}
        self._save()

    def apply_settings(self, new: Settings) -> bool:
        """Take every field of ``new`` that differs (the settings dialog's OK)."""
        fields = {f: getattr(new, f) for f in new.__dataclass_fields__
                  if getattr(new, f) != getattr(self.settings, f)}
        return self.change(**fields) if fields else True

    def _save(self) -> None:
        try:
            self.store.save(self.settings)
        except VbgError as exc:
            self._report(str(exc), "warning")

    def set_background(self, spec: str) -> bool:
        return self.change(background=bgs.normalise(spec))

    def cycle_color(self) -> bool:
        """The b key: the next palette colour."""
        return self.set_background(bgs.next_color(self.background))

    def step_background(self, delta: int) -> bool:
        """The n / p keys: the next / previous background in picker order."""
        options = bgs.choices(self.backgrounds)
        return self.set_background(bgs.step(self.background, options, delta))

    def set_mirror(self, mirror: bool) -> bool:
        return self.change(mirror=mirror)

    def set_camera(self, source: str, width: int, height: int) -> bool:
        return self.change(camera=source, width=width, height=height)

    def set_model(self, model: str) -> bool:
        return self.change(model=model)

    def import_background(self, path: str | Path) -> bool:
        """Copy a dropped/chosen file into the backgrounds folder and use it."""
        try:
            copied = bgs.import_background(path, self.backgrounds_dir)
        except VbgError as exc:
            self._report(str(exc), "error")
            return False
        self.refresh_backgrounds()
        kind = bgs.kind_of(copied)
        if self.set_background(f"{kind}:{copied}"):
            self._report(f"Background set to {copied.name} (copied to {copied.parent}).", "info")
            return True
        return False

    def retry_vcam(self) -> bool:
        """Try the virtual camera again (the help dialog's Retry). True when it opened; else
        ``vcam_problem`` is emitted again with the current reason."""
        self.vcam_wanted = True
        if self.pipeline is None:
            return self.start() and self.vcam_device is not None
        cfg = self.config()
        try:
            self.pipeline.apply(cfg)  # reopens the outputs; a failure comes via on_error
        except VbgError as exc:
            self.vcam_wanted = False
            self.vcam_problem.emit(str(exc))
            return False
        self._stats = self.pipeline.stats()
        if self._stats.vcam_device:
            self.vcam_ok.emit(self._stats.vcam_device)
            self.changed.emit()
            return True
        return False

    # ----------------------------------------------------------------- errors
    def _on_worker_error(self, exc: BaseException) -> None:
        """Errors from the pipeline's threads, delivered on the Qt thread by the bridge."""
        self.last_error_thread = threading.get_ident()
        now = self._clock()
        if isinstance(exc, OutputError):
            if self.vcam_wanted:
                # The virtual camera failed to open (Retry) or stopped mid-stream: carry on
                # with the preview only and say how to fix it.
                self.vcam_wanted = False
                if self.pipeline is not None:
                    try:
                        self.pipeline.apply(self.config())
                    except VbgError as again:
                        log.warning("%s", again)
                self.vcam_problem.emit(str(exc))
                self.changed.emit()
                return
            self._report(str(exc), "error", now)
        elif isinstance(exc, CameraError):
            self._camera_watch.lost(now)
            self._report(f"{exc} Meanwhile the virtual camera shows the background only; vbg "
                         "picks the camera up again when it is back.", "warning", now)
        elif isinstance(exc, VbgError):
            self._report(str(exc), "error", now)
        else:  # a bug: keep the traceback for the log, give the user one line
            log.error("unexpected error in the pipeline", exc_info=exc)
            self._report(f"Unexpected error: {type(exc).__name__}: {exc} (details in the log).",
                         "error", now)
        self.changed.emit()

    def _report(self, text: str, level: str, now: float | None = None) -> None:
        if not self._throttle.allow(text, self._clock() if now is None else now):
            return
        (log.warning if level != "info" else log.info)("%s", text)
        self.last_message = (text, level)
        self.message.emit(text, level)

    # ----------------------------------------------------------------- stats
    def poll_stats(self) -> None:
        """Refresh the stats (1 Hz): tooltip, status, camera-back detection."""
        pipe = self.pipeline
        if pipe is None:
            return
        self._stats = pipe.stats()
        if self._camera_watch.observe(self._stats.capture_fps, self._clock()):
            self._throttle.forget()
            self._report("The camera is back.", "info")
        self.changed.emit()

    @property
    def stats(self) -> Stats:
        return self._stats

    def status(self) -> AppStatus:
        return AppStatus(running=self.running, paused=self.paused, stats=self._stats,
                         vcam_device=self.vcam_device, waiting_for=self.waiting_for)

    def latest_frame(self) -> tuple[int, np.ndarray | None]:
        """(key, the frame the virtual camera got last): the preview's feed. The key changes
        when the picture does (a composite's sequence number, or the output count while the
        paused picture is sent); 0 with no frame."""
        pipe = self.pipeline
        if pipe is None:
            return 0, None
        frame = pipe.latest_output()
        if frame is None:
            return 0, None
        comp = pipe.latest_composite()
        if comp is not None and frame is comp.image:
            # A composite, possibly re-sent to keep the output rate steady: key it by its
            # sequence number so the preview doesn't redraw the same picture. Remember which
            # composite this ring buffer holds for when a newer one is ready but not sent.
            self._buffer_seq[id(frame)] = comp.seq
            return comp.seq, frame
        seq = self._buffer_seq.get(id(frame))
        if seq is not None:
            return seq, frame
        # The paused picture (one buffer, redrawn by the pipeline at every output frame).
        return -1 - pipe.output_count, frame

    def latest_mask(self) -> tuple[int, np.ndarray | None]:
        """(sequence, alpha of the newest composite), mirrored like the output."""
        pipe = self.pipeline
        comp = pipe.latest_composite() if pipe is not None else None
        if comp is None or comp.alpha is None:
            return 0, None
        alpha = comp.alpha
        if self.config().output.mirror:
            alpha = cv2.flip(alpha, 1)
        return comp.seq, alpha

    # ----------------------------------------------------------------- lists
    def refresh_backgrounds(self) -> None:
        self.backgrounds = bgs.list_backgrounds(bgs.default_folders(self.backgrounds_dir))

    def _backgrounds_changed(self, _path: str) -> None:
        self.refresh_backgrounds()
        self.changed.emit()

    def refresh_models(self) -> None:
        self.models = self._model_lister()

    def _safe_list_cameras(self) -> list[tuple[int, str, tuple[tuple[int, int], ...]]]:
        try:
            return self._camera_lister()
        except Exception as exc:  # probing must never take the app down
            log.warning("listing cameras failed: %s", exc)
            return []

    def _set_cameras(self, cams: list[tuple[int, str, tuple[tuple[int, int], ...]]]) -> None:
        self._cameras = cams
        self._cameras_listed_at = self._clock()
        self._listing = False

    def _refresh_cameras_sync(self) -> None:
        self._set_cameras(self._safe_list_cameras())

    def refresh_cameras(self) -> None:
        """Re-probe cameras on a worker thread (at most every CAMERA_LIST_MIN_S); the result
        arrives on the Qt thread through the bridge and shows the next time a menu opens."""
        last = self._cameras_listed_at
        if self._listing or (last is not None and self._clock() - last < CAMERA_LIST_MIN_S):
            return
        self._listing = True

        def work() -> None:
            cams = self._safe_list_cameras()
            self.bridge.call(lambda: self._set_cameras(cams))

        threading.Thread(target=work, name="vbg-list-cameras", daemon=True).start()

    @property
    def cameras(self) -> tuple[CameraChoice, ...]:
        return camera_choices(self._cameras)

    def menu_state(self, **ui: Any) -> MenuState:
        """A snapshot for ``vbg.app.menu.prepare``; ``ui``: preview_visible, mask_view,
        fps_overlay as the windows know them."""
        cfg = self.config()
        return MenuState(
            running=self.running, paused=self.paused, background=bgs.spec_of(cfg.background),
            backgrounds=tuple(self.backgrounds), cameras=self.cameras,
            source=cfg.capture.source, size=(cfg.capture.width, cfg.capture.height),
            models=tuple(self.models), model=cfg.matting.model, mirror=cfg.output.mirror,
            vcam_on=self.vcam_device is not None, status_line=status_line(self.status()),
            fps_overlay=self.settings.fps_overlay, **ui,
        )
