"""The desktop app's policy, without Qt: settings, the running pipeline, and what to do on failure.

:class:`Session` owns the :class:`~vbg.pipeline.Pipeline` and the user's
:class:`~vbg.app.settings.Settings`. Every change the UI makes (tray, menu bar, keys, picker,
settings dialog) goes through one of its methods, which switches the running pipeline with
``Pipeline.apply`` and saves the settings. It never touches widgets or timers: it tells its
owner what happened through :class:`SessionEvents` (plain callables), and the owner
(``vbg.ui.controller.AppController``) turns them into Qt signals and timers.

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
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from vbg.app import backgrounds as bgs
from vbg.app.menu import CameraChoice, MenuState, ModelChoice, camera_choices
from vbg.app.messages import Level
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

log = logging.getLogger(__name__)

CameraList = list[tuple[int, str, tuple[tuple[int, int], ...]]]
PipelineFactory = Callable[..., Pipeline]

# "Waiting for …" while the first camera list is still being made (source "auto").
LISTING_CAMERAS = "the camera list"


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
        self.base = base
        self.store = store
        self.backgrounds_dir = backgrounds_dir
        self.events = events or SessionEvents()
        self._deliver_error = deliver_error
        self._factory = pipeline_factory
        self._model_lister = model_lister
        self._clock = clock

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
        self.local_viewer = False     # vbg's own preview is visible: it counts as watching
        self.vcam_wanted = base.output.vcam
        self.waiting_for: str | None = None
        self.last_message: tuple[str, Level] | None = None
        self.throttle = MessageThrottle()
        self.camera_watch = CameraWatch()
        self._stats = Stats()
        self._cameras: CameraList | None = None   # None: not listed yet
        self.models: list[ModelChoice] = []
        self.backgrounds: list[bgs.BackgroundFile] = []
        self.refresh_backgrounds()
        self.refresh_models()

    # ----------------------------------------------------------------- config
    def config(self) -> AppConfig:
        """The config to run now: settings + command-line overrides, "auto" resolved, the
        virtual camera on only while wanted."""
        cfg = effective_config(self.settings, self.overrides, self.base)
        source = resolve_source(cfg.capture.source, [i for i, _, _ in self._cameras or []])
        return replace(cfg, capture=replace(cfg.capture, source=source),
                       output=replace(cfg.output, vcam=self.vcam_wanted))

    def needs_camera_list(self) -> bool:
        """True while the source is "auto" and no camera list has arrived yet: starting now
        would pick the demo although a camera may be there."""
        cfg = effective_config(self.settings, self.overrides, self.base)
        return self._cameras is None and cfg.capture.source.strip().lower() == "auto"

    @property
    def background(self) -> str:
        return self.config().background.spec

    @property
    def vcam_device(self) -> str | None:
        return self._stats.vcam_device if self.pipeline is not None else None

    # ----------------------------------------------------------------- lifecycle
    def start(self) -> bool:
        """Turn on: open camera, model and outputs. False when it could not: the reason was
        reported, or (``waiting_for`` set) a camera or the camera list is awaited and
        :meth:`retry_start` will be called."""
        self.running = True
        if self.needs_camera_list():
            self.waiting_for = LISTING_CAMERAS
            self.events.changed()
            return False
        ok = self._start_pipeline()
        self.events.changed()
        return ok

    def _start_pipeline(self) -> bool:
        defaults = Settings()
        for _attempt in range(4):  # each failure below changes the config, so this ends
            cfg = self.config()
            pipe = self._factory(cfg, on_error=self._deliver_error)
            try:
                pipe.start()
            except OutputError as exc:
                if not cfg.output.vcam:
                    self.report(str(exc), "error")
                    return self._not_started()
                self.vcam_wanted = False
                self.events.vcam_problem(str(exc))
                continue
            except BackgroundError as exc:
                if self.settings.background == defaults.background and \
                        "background" not in self.overrides:
                    self.report(str(exc), "error")
                    return self._not_started()
                self.report(f"{exc} Using the default background instead.", "warning")
                self._commit(replace(self.settings, background=defaults.background),
                             drop=("background",))
                continue
            except ModelError as exc:
                if self.settings.model == defaults.model and "model" not in self.overrides:
                    self.report(str(exc), "error")
                    return self._not_started()
                self.report(f"{exc} Using the default model instead.", "warning")
                self._commit(replace(self.settings, model=defaults.model), drop=("model",))
                continue
            except CameraError as exc:
                self._wait_for_camera(cfg.capture.source, exc)
                return False
            except VbgError as exc:
                self.report(str(exc), "error")
                return self._not_started()
            log.info("running: %s", summarise(cfg))
            self.pipeline = pipe
            if self.waiting_for is not None:
                self.waiting_for = None
                self.events.waiting(False)
            self.camera_watch.reset()
            pipe.set_paused(self.paused)
            pipe.set_local_viewer(self.local_viewer)
            self._stats = pipe.stats()
            if cfg.output.vcam and self._stats.vcam_device:
                self.events.vcam_ok(self._stats.vcam_device)
            return True
        return self._not_started()

    def _not_started(self) -> bool:
        self.running = False
        if self.waiting_for is not None:
            self.waiting_for = None
            self.events.waiting(False)
        self.events.changed()
        return False

    def _wait_for_camera(self, source: str, exc: CameraError) -> None:
        first = self.waiting_for in (None, LISTING_CAMERAS)
        self.waiting_for = f"camera {source}" if source.isdigit() else source
        self.report(f"{exc} vbg keeps looking for it; pick the demo picture in the Camera "
                    "menu to go on without one.", "warning")
        if first:
            self.events.waiting(True)
        self.events.changed()

    def retry_start(self) -> bool:
        """Try to start again while waiting for a camera (call it after fresh
        :meth:`set_cameras`). True when the pipeline runs now."""
        if not self.running or self.pipeline is not None:
            return self.pipeline is not None
        announce = self.waiting_for not in (None, LISTING_CAMERAS)
        if not self._start_pipeline():
            return False
        if announce:
            self.report("The camera is back.", "info")
        self.events.changed()
        return True

    def stop(self) -> None:
        """Turn off: release camera and virtual camera (the pipeline stops in < 1 s)."""
        self.running = False
        if self.waiting_for is not None:
            self.waiting_for = None
            self.events.waiting(False)
        pipe, self.pipeline = self.pipeline, None
        if pipe is not None:
            pipe.stop()
        self._stats = Stats()
        self.events.changed()

    def set_paused(self, paused: bool) -> None:
        """Privacy pause: the output (and preview) show the background only."""
        self.paused = paused
        if self.pipeline is not None:
            self.pipeline.set_paused(paused)
        self.events.changed()

    def set_local_viewer(self, visible: bool) -> None:
        """vbg's preview window became visible or hidden: while visible it counts as someone
        watching, so the camera and model run (on-demand processing, Linux)."""
        self.local_viewer = visible
        if self.pipeline is not None:
            self.pipeline.set_local_viewer(visible)

    # ----------------------------------------------------------------- changes
    def change(self, **fields: Any) -> bool:
        """Change settings fields (e.g. ``background="blur:10"``), apply them to the running
        pipeline and save. On a bad value or a VbgError (a background file or model that
        won't load) the old settings stay, the error is shown, and False is returned."""
        try:
            new = replace(self.settings, **fields).validate()
        except (ValueError, TypeError) as exc:
            self.report(str(exc), "error")
            return False
        old_settings, old_overrides = self.settings, dict(self.overrides)
        self.settings = new
        self.overrides = {k: v for k, v in self.overrides.items() if k not in fields}
        if self.pipeline is not None:
            try:
                self.pipeline.apply(self.config())
            except VbgError as exc:
                self.settings, self.overrides = old_settings, old_overrides
                self.report(str(exc), "error")
                self.events.changed()
                return False
        elif self.running and self.waiting_for and "camera" in fields:
            self._start_pipeline()
        self._save()
        self.events.changed()
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
            self.report(str(exc), "warning")

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

    def import_background(self, path: str | Path) -> bool:
        """Copy a dropped/chosen file into the backgrounds folder and use it."""
        try:
            copied = bgs.import_background(path, self.backgrounds_dir)
        except VbgError as exc:
            self.report(str(exc), "error")
            return False
        self.refresh_backgrounds()
        kind = bgs.kind_of(copied)
        if self.set_background(f"{kind}:{copied}"):
            self.report(f"Background set to {copied.name} (copied to {copied.parent}).", "info")
            return True
        return False

    def remove_background(self, spec: str) -> bool:
        """Delete an added background's file (the picker's "Remove"; the policy is
        :func:`vbg.app.backgrounds.remove_background`). The one in use gives way to the default
        background first, so neither the picture nor the saved settings point at a file that
        is gone."""
        try:
            removed = bgs.remove_background(spec, self.backgrounds_dir)
        except VbgError as exc:
            self.report(str(exc), "error")
            return False
        if bgs.normalise(self.background) == bgs.normalise(spec):
            self.set_background(Settings().background)
        self.refresh_backgrounds()
        self.events.changed()
        self.report(f"Removed {removed.name} from your backgrounds.", "info")
        return True

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
        self._stats = self.pipeline.stats()
        if self._stats.vcam_device:
            self.events.vcam_ok(self._stats.vcam_device)
            self.events.changed()
            return True
        return False

    # ----------------------------------------------------------------- errors
    def on_worker_error(self, exc: BaseException) -> None:
        """An error from the pipeline's threads, handed over to the session's thread."""
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
                self.events.vcam_problem(str(exc))
                self.events.changed()
                return
            self.report(str(exc), "error", now)
        elif isinstance(exc, CameraError):
            self.camera_watch.lost(now)
            self.report(f"{exc} Meanwhile the virtual camera shows the background only; vbg "
                        "picks the camera up again when it is back.", "warning", now)
        elif isinstance(exc, VbgError):
            self.report(str(exc), "error", now)
        else:  # a bug: keep the traceback for the log, give the user one line
            log.error("unexpected error in the pipeline", exc_info=exc)
            self.report(f"Unexpected error: {type(exc).__name__}: {exc} (details in the log).",
                        "error", now)
        self.events.changed()

    def report(self, text: str, level: Level, now: float | None = None) -> None:
        """Tell the user ``text`` (logged too), unless the same text was said just now."""
        if not self.throttle.allow(text, self._clock() if now is None else now):
            return
        (log.warning if level != "info" else log.info)("%s", text)
        self.last_message = (text, level)
        self.events.message(text, level)

    # ----------------------------------------------------------------- stats
    def poll_stats(self) -> None:
        """Refresh the stats (call it about once a second): tooltip, status, camera back."""
        pipe = self.pipeline
        if pipe is None:
            return
        self._stats = pipe.stats()
        if self.camera_watch.observe(self._stats.capture_fps, self._clock()):
            self.throttle.forget()
            self.report("The camera is back.", "info")
        self.events.changed()

    @property
    def stats(self) -> Stats:
        return self._stats

    def status(self) -> AppStatus:
        return AppStatus(running=self.running, paused=self.paused, stats=self._stats,
                         vcam_device=self.vcam_device, waiting_for=self.waiting_for)

    def latest_frame(self) -> tuple[int, np.ndarray | None]:
        """(key, the frame the virtual camera got last): the preview's feed. The key changes
        when the picture does (a composite's sequence number, kept while it is re-sent to keep
        the output rate steady; minus the send number for a still or paused picture); 0 with
        no frame."""
        sent = self.pipeline.latest_sent() if self.pipeline is not None else None
        if sent is None:
            return 0, None
        if sent.composite is not None:
            return sent.composite, sent.image
        return -sent.seq, sent.image

    def latest_mask(self) -> tuple[int, np.ndarray | None]:
        """(sequence, alpha of the newest composite): the output's own mask (mirrored with the
        output, since the pipeline mirrors the camera frame before the mask)."""
        pipe = self.pipeline
        comp = pipe.latest_composite() if pipe is not None else None
        if comp is None or comp.alpha is None:
            return 0, None
        return comp.seq, comp.alpha

    # ----------------------------------------------------------------- lists
    def refresh_backgrounds(self) -> None:
        self.backgrounds = bgs.list_backgrounds(bgs.default_folders(self.backgrounds_dir))

    def refresh_models(self) -> None:
        self.models = self._model_lister()

    def set_cameras(self, cameras: Sequence[tuple[int, str, tuple[tuple[int, int], ...]]]
                    ) -> None:
        """A fresh camera list (made off the UI thread by the owner)."""
        self._cameras = list(cameras)

    @property
    def cameras_listed(self) -> bool:
        return self._cameras is not None

    @property
    def cameras(self) -> tuple[CameraChoice, ...]:
        return camera_choices(self._cameras or [])

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
