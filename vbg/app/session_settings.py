"""The session's settings in force: the saved ones, the command line's overrides for this run,
and the config they make with the camera list (Qt-free, no pipeline).

:class:`SettingsInForce` is owned by :class:`vbg.app.session.Session`. It holds what the user
chose and what the command line says (see :mod:`vbg.app.settings` for the file and for how an
option given there overrides a saved setting); the session decides when a change reaches the
pipeline, and undoes it here when the pipeline refuses it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from vbg.app.menu import CameraList
from vbg.app.settings import (
    LoadResult,
    Settings,
    SettingsStore,
    cli_overrides,
    effective_config,
    resolve_source,
    settings_from_config,
)
from vbg.config import AppConfig
from vbg.errors import BackgroundError, ModelError, OutputError, VbgError


class SettingsInForce:
    """``base``: the command line's config (options given there override the saved settings
    for this run: ``overrides``); ``store``: where settings live (path None: memory only, and
    the command line's config is the settings). ``load_warning``: what was wrong with the saved
    file, or None. ``cameras``: the last camera list, (index, label, sizes) each; None until the
    first arrives."""

    def __init__(self, base: AppConfig, store: SettingsStore) -> None:
        self.base = base
        self.store = store
        if store.path is None:
            loaded = LoadResult(settings_from_config(base))
            self.overrides: dict[str, Any] = {}
        else:
            loaded = store.load()
            self.overrides = cli_overrides(base)
        self.load_warning = loaded.warning
        self.settings: Settings = loaded.settings
        self.cameras: CameraList | None = None

    def config(self, vcam: bool) -> AppConfig:
        """The config to run now: settings + command-line overrides, the source "auto"
        resolved with the camera list, the virtual camera on only when ``vcam``."""
        cfg = effective_config(self.settings, self.overrides, self.base)
        source = resolve_source(cfg.capture.source, [i for i, _, _ in self.cameras or []])
        return replace(cfg, capture=replace(cfg.capture, source=source),
                       output=replace(cfg.output, vcam=vcam))

    def needs_camera_list(self) -> bool:
        """True while the source is "auto" and no camera list has arrived yet: starting now
        would pick the demo although a camera may be there."""
        cfg = effective_config(self.settings, self.overrides, self.base)
        return self.cameras is None and cfg.capture.source.strip().lower() == "auto"

    def change(self, fields: dict[str, Any]) -> Callable[[], None]:
        """Take ``fields`` (a field set here no longer follows the command line) and return
        what undoes it. ValueError or TypeError for a bad value, and nothing changes."""
        new = replace(self.settings, **fields).validate()
        old = self.settings, dict(self.overrides)
        self.settings = new
        self.overrides = {k: v for k, v in self.overrides.items() if k not in fields}

        def undo() -> None:
            self.settings, self.overrides = old
        return undo

    def differences(self, new: Settings) -> dict[str, Any]:
        """The fields of ``new`` that differ from the settings in force."""
        return {f: getattr(new, f) for f in new.__dataclass_fields__
                if getattr(new, f) != getattr(self.settings, f)}

    def fall_back(self, exc: VbgError, cfg: AppConfig) -> str | None:
        """What a start with ``cfg`` that failed with ``exc`` goes on without: "vcam" (the
        virtual camera: the preview works without it), "background" or "model" (a saved one
        that no longer loads: the default instead, see :meth:`reset`); None when there is
        nothing to fall back to (the default or the command line's choice failed)."""
        if isinstance(exc, OutputError):
            return "vcam" if cfg.output.vcam else None
        what = "background" if isinstance(exc, BackgroundError) else \
            "model" if isinstance(exc, ModelError) else None
        if what is None or (getattr(self.settings, what) == getattr(Settings(), what)
                            and what not in self.overrides):
            return None
        return what

    def reset(self, field: str) -> None:
        """Set ``field`` back to its default, also over the command line's choice."""
        self.settings = replace(self.settings, **{field: getattr(Settings(), field)})
        self.overrides.pop(field, None)

    def save(self) -> None:
        """Write the settings (raises VbgError with a sentence when it could not)."""
        self.store.save(self.settings)
