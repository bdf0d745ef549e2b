"""The desktop app's policy, without Qt: settings, the running pipeline, and what to do on failure.

:class:`Session` owns the :class:`~vbg.pipeline.Pipeline` and the user's
:class:`~vbg.app.settings.Settings`. Every change the UI makes (tray, menu bar, keys, picker,
settings dialog) goes through one of its methods, which switches the running pipeline with
``Pipeline.apply`` and saves the settings. It never touches widgets or timers: it tells its
owner what happened through :class:`SessionEvents` (plain callables), and the owner
(``vbg.ui.controller.AppController``) turns them into Qt signals and timers.

The session decides; its parts hold the state and do one job each: the settings in force and
the config they make (:mod:`vbg.app.session_settings`), the running pipeline, its stats and the
preview's feed (:mod:`vbg.app.session_pipeline`), waiting for a camera and noticing it back
(:mod:`vbg.app.session_cameras`), the background files (:mod:`vbg.app.session_backgrounds`),
and saying a sentence to the user (:class:`vbg.app.messages.Reporter`).

Threads: every method runs on one thread (the UI thread). The pipeline reports errors on its
worker threads through ``deliver_error``; the owner must hand them back to that one thread and
call :meth:`Session.on_worker_error` there (the Qt controller does it with a queued signal).
Listing cameras is slow (it opens each one), so the session never lists them itself: the owner
lists them off the UI thread and passes the result to :meth:`Session.set_cameras`.

Failure policy:
- No virtual camera at start: the pipeline starts again without one so the preview works, and
  ``vcam_problem`` carries the per-OS help; :meth:`Session.retry_vcam` tries again.
- The camera missing at start: ``waiting_for`` says which; ``events.waiting(True)`` asks the owner
  to list the cameras again now and then and call :meth:`Session.retry_start`. A camera failing
  while running: the pipeline shows the background only and re-opens it; the user hears once
  that it is gone and once that it is back.
- A saved background file or model that no longer loads: back to the default, with a warning.
- A change that the pipeline refuses (``VbgError``): the old settings stay, the error is shown.
- Expected failures are ``VbgError`` sentences (``message`` with level "warning"/"error");
  anything else is a bug: logged with its traceback, shown as one line.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from vbg.app import backgrounds as bgs
from vbg.app.menu import CameraChoice, CameraList, MenuState, ModelChoice, camera_choices
from vbg.app.messages import Level, Reporter
from vbg.app.session_backgrounds import BackgroundLibrary
from vbg.app.session_cameras import CameraWait
from vbg.app.session_pipeline import LivePipeline
from vbg.app.session_settings import SettingsInForce
from vbg.app.settings import Settings, SettingsStore
from vbg.app.status import AppStatus, status_line
from vbg.config import AppConfig
from vbg.errors import CameraError, OutputError, VbgError
from vbg.pipeline import Pipeline, summarise

log = logging.getLogger(__name__)

PipelineFactory = Callable[..., Pipeline]


def _nothing(*_args: object) -> None:
    return None


@dataclass
class SessionEvents:
    """What the session tells its owner; every callable is called on the session's thread.

    ``changed()``: anything a menu, tooltip or window shows changed. ``message(text, level)``:
    a sentence for the user. ``vcam_problem(help)``: no virtual camera, the preview keeps
    working. ``vcam_ok(device)``: the virtual camera opened. ``waiting(on)``: start (True) or
    stop (False) looking for the camera now and then (list cameras, then
    :meth:`Session.retry_start`)."""

    changed: Callable[[], None] = _nothing
    message: Callable[[str, Level], None] = _nothing
    vcam_problem: Callable[[str], None] = _nothing
    vcam_ok: Callable[[str], None] = _nothing
    waiting: Callable[[bool], None] = _nothing


def list_models() -> list[ModelChoice]:
    """The models for the menu; a model whose sidecar is broken is left out and its reason
    logged (the registry refuses it alone: the other models stay)."""
    from vbg.matting.registry import list_models as registry_models

    try:
        found = registry_models()
    except VbgError as exc:
        log.warning("%s", exc)
        return []
    for m in found:
        if m.problem is not None:
            log.warning("%s", m.problem)
    return [ModelChoice(m.key, m.name, m.builtin) for m in found if m.problem is None]


def list_cameras() -> CameraList:
    """The cameras as (index, label, sizes). Slow (it opens each camera): call it off the UI
    thread."""
    from vbg.capture import list_cameras as probe

    return [(c.index, c.label, c.sizes) for c in probe()]


class Session:
    """See the module docstring. ``base``: the command line's config (options given there
    override the saved settings for this run); ``store``: where settings live (path None:
    memory only, and the command line's config is the settings); ``backgrounds_dir``: the
    user's backgrounds folder; ``deliver_error``: given to each pipeline as its ``on_error``
    (called on worker threads, see the module docstring)."""

    def __init__(
        self,
        base: AppConfig,
        store: SettingsStore,
        backgrounds_dir: Path,
        *,
        deliver_error: Callable[[BaseException], None],
        events: SessionEvents | None = None,
        pipeline_factory: PipelineFactory = Pipeline,
        model_lister: Callable[[], list[ModelChoice]] = list_models,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.in_force = SettingsInForce(base, store)  # settings, overrides, the camera list
        self.events = events or SessionEvents()
        self._deliver_error = deliver_error
        self._factory = pipeline_factory
        self._model_lister = model_lister
        self._clock = clock
        self.live = LivePipeline()    # the running pipeline, its stats and the preview's feed
        self.running = False          # the user wants it on
        self.vcam_wanted = base.output.vcam
        self.report = Reporter(self.events.message, clock)  # report(text, level): to the user
        self.camera = CameraWait(self.report, self.events.waiting, clock)
        self.models: list[ModelChoice] = []
        self.library = BackgroundLibrary(backgrounds_dir, current=lambda: self.background,
                                         switch=self.set_background, report=self.report,
                                         changed=self.events.changed)
        self.refresh_models()

    # ----------------------------------------------------------------- config
    def config(self) -> AppConfig:
        """The config to run now (:meth:`SettingsInForce.config`), the virtual camera on only
        while wanted."""
        return self.in_force.config(vcam=self.vcam_wanted)

    @property
    def settings(self) -> Settings:
        return self.in_force.settings

    @property
    def background(self) -> str:
        return self.config().background.spec

    @property
    def pipeline(self) -> Pipeline | None:
        return self.live.pipeline

    @property
    def paused(self) -> bool:
        return self.live.paused

    @property
    def vcam_device(self) -> str | None:
        return self.live.vcam_device

    @property
    def waiting_for(self) -> str | None:
        return self.camera.waiting_for

    # ----------------------------------------------------------------- lifecycle
    def start(self) -> bool:
        """Turn on: open camera, model and outputs. False when it could not: the reason was
        reported, or (``waiting_for`` set) a camera or the camera list is awaited and
        :meth:`retry_start` will be called."""
        self.running = True
        if self.in_force.needs_camera_list():
            self.camera.for_list()
            self.events.changed()
            return False
        ok = self._start_pipeline()
        self.events.changed()
        return ok

    def _start_pipeline(self) -> bool:
        for _attempt in range(4):  # each failure below changes the config, so this ends
            cfg = self.config()
            pipe = self._factory(cfg, on_error=self._deliver_error)
            try:
                pipe.start()
            except CameraError as exc:
                self.camera.missing(cfg.capture.source, exc)
                self.events.changed()
                return False
            except VbgError as exc:
                what = self.in_force.fall_back(exc, cfg)
                if what is None:
                    self.report(str(exc), "error")
                    return self._not_started()
                if what == "vcam":
                    self.vcam_wanted = False
                    self.events.vcam_problem(str(exc))
                else:
                    self.report(f"{exc} Using the default {what} instead.", "warning")
                    self.in_force.reset(what)
                    self._save()
                continue
            log.info("running: %s", summarise(cfg))
            stats = self.live.adopt(pipe)
            self.camera.started()
            if cfg.output.vcam and stats.vcam_device:
                self.events.vcam_ok(stats.vcam_device)
            return True
        return self._not_started()

    def _not_started(self) -> bool:
        self.running = False
        self.camera.done()
        self.events.changed()
        return False

    def retry_start(self) -> bool:
        """Try to start again while waiting for a camera (call it after fresh
        :meth:`set_cameras`). True when the pipeline runs now."""
        if not self.running or self.pipeline is not None:
            return self.pipeline is not None
        announce = self.camera.for_camera
        if not self._start_pipeline():
            return False
        if announce:
            self.report("The camera is back.", "info")
        self.events.changed()
        return True

    def stop(self) -> None:
        """Turn off: release camera and virtual camera (the pipeline stops in < 1 s)."""
        self.running = False
        self.camera.done()
        self.live.release()
        self.events.changed()

    def set_paused(self, paused: bool) -> None:
        """Privacy pause: the output (and preview) show the background only."""
        self.live.set_paused(paused)
        self.events.changed()

    def set_local_viewer(self, visible: bool) -> None:
        """vbg's preview window became visible or hidden: while visible it counts as someone
        watching, so the camera and model run (on-demand processing, Linux)."""
        self.live.set_local_viewer(visible)

    # ----------------------------------------------------------------- changes
    def change(self, **fields: Any) -> bool:
        """Change settings fields (e.g. ``background="blur:10"``), apply them to the running
        pipeline and save. On a bad value or a VbgError (a background file or model that
        won't load) the old settings stay, the error is shown, and False is returned."""
        try:
            undo = self.in_force.change(fields)
        except (ValueError, TypeError) as exc:
            self.report(str(exc), "error")
            return False
        if self.pipeline is not None:
            try:
                self.pipeline.apply(self.config())
            except VbgError as exc:
                undo()
                self.report(str(exc), "error")
                self.events.changed()
                return False
        elif self.running and self.waiting_for and "camera" in fields:
            self._start_pipeline()
        self._save()
        self.events.changed()
        return True

    def apply_settings(self, new: Settings) -> bool:
        """Take every field of ``new`` that differs (the settings dialog's OK)."""
        fields = self.in_force.differences(new)
        return self.change(**fields) if fields else True

    def _save(self) -> None:
        try:
            self.in_force.save()
        except VbgError as exc:
            self.report(str(exc), "warning")

    def set_background(self, spec: str) -> bool:
        return self.change(background=bgs.normalise(spec))

    def set_mirror(self, mirror: bool) -> bool:
        return self.change(mirror=mirror)

    def set_framing(self, on: bool) -> bool:
        """Auto-framing on ("auto") or off; saved, and applied to the running pipeline."""
        return self.change(framing="auto" if on else "off")

    def set_light(self, on: bool) -> bool:
        """Low-light correction on ("auto") or off; saved, and applied to the running
        pipeline."""
        return self.change(light="auto" if on else "off")

    def set_camera(self, source: str, width: int, height: int) -> bool:
        return self.change(camera=source, width=width, height=height)

    def set_model(self, model: str) -> bool:
        return self.change(model=model)

    def retry_vcam(self) -> bool:
        """Try the virtual camera again on the running pipeline (the help dialog's Retry).
        True when it opened; else ``vcam_problem`` is sent again with the current reason.
        With no pipeline running, set ``vcam_wanted`` and :meth:`start` instead."""
        self.vcam_wanted = True
        if self.pipeline is None:
            return False
        try:
            self.pipeline.apply(self.config())  # reopens the outputs; a failure comes via on_error
        except VbgError as exc:
            self.vcam_wanted = False
            self.events.vcam_problem(str(exc))
            return False
        device = self.live.poll().vcam_device
        if device:
            self.events.vcam_ok(device)
            self.events.changed()
            return True
        return False

    # ----------------------------------------------------------------- errors
    def on_worker_error(self, exc: BaseException) -> None:
        """An error from the pipeline's threads, handed over to the session's thread."""
        now = self._clock()
        if isinstance(exc, OutputError) and self.vcam_wanted:
            # The virtual camera failed to open (Retry) or stopped mid-stream: carry on with
            # the preview only and say how to fix it.
            self.vcam_wanted = False
            if self.pipeline is not None:
                try:
                    self.pipeline.apply(self.config())
                except VbgError as again:
                    log.warning("%s", again)
            self.events.vcam_problem(str(exc))
        elif isinstance(exc, CameraError):
            self.camera.lost(exc, now)
        else:  # a sentence, or a bug: its traceback for the log, one line for the user
            self.report.error(exc, now)
        self.events.changed()

    # ----------------------------------------------------------------- stats
    def poll_stats(self) -> None:
        """Refresh the stats (call it about once a second): tooltip, status, camera back."""
        if self.pipeline is None:
            return
        self.camera.observe(self.live.poll().capture_fps)
        self.events.changed()

    def status(self) -> AppStatus:
        return AppStatus(running=self.running, paused=self.paused, stats=self.live.stats,
                         vcam_device=self.vcam_device, waiting_for=self.waiting_for)

    def latest_frame(self) -> tuple[int, np.ndarray | None]:
        return self.live.latest_frame()  # the preview's feed; see LivePipeline

    def latest_mask(self) -> tuple[int, np.ndarray | None]:
        return self.live.latest_mask()

    # ----------------------------------------------------------------- lists
    @property
    def backgrounds_dir(self) -> Path:
        return self.library.folder

    @property
    def backgrounds(self) -> list[bgs.BackgroundFile]:
        return self.library.files

    def refresh_backgrounds(self) -> None:
        self.library.refresh()

    def refresh_models(self) -> None:
        self.models = self._model_lister()

    def set_cameras(self, cameras: Sequence[tuple[int, str, tuple[tuple[int, int], ...]]]) -> None:
        """A fresh camera list (made off the UI thread by the owner)."""
        self.in_force.cameras = list(cameras)

    @property
    def cameras(self) -> tuple[CameraChoice, ...]:
        return camera_choices(self.in_force.cameras or [])

    def menu_state(self, **ui: Any) -> MenuState:
        """A snapshot for ``vbg.app.menu.prepare``; ``ui``: preview_visible, mask_view,
        fps_overlay as the windows know them."""
        cfg = self.config()
        return MenuState(
            running=self.running, paused=self.paused, background=cfg.background.spec,
            backgrounds=tuple(self.backgrounds), cameras=self.cameras,
            source=cfg.capture.source, size=(cfg.capture.width, cfg.capture.height),
            models=tuple(self.models), model=cfg.matting.model, mirror=cfg.output.mirror,
            framing=cfg.output.framing == "auto", light=cfg.output.light == "auto",
            vcam_on=self.vcam_device is not None, status_line=status_line(self.status()),
            fps_overlay=self.settings.fps_overlay, **ui,
        )
