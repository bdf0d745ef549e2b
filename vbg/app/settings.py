"""The user's choices, persisted across restarts in ``settings.json`` (no Qt).

Where: :func:`settings_path`, i.e. ``platformdirs.user_config_dir("vbg")/settings.json``
(``~/.config/vbg`` on Linux, ``%LOCALAPPDATA%\\vbg`` on Windows, ``~/Library/Application
Support/vbg`` on macOS).

Contract of :func:`load_settings`: it never raises and never loses the user's file. A file
that is not JSON, not an object, unreadable, or holds values that don't validate is moved aside
to ``settings.json.bak`` (``.bak2``, ... when that name is taken), the defaults plus whatever
valid values could be read are used (and, when some were valid, written back at once so they
survive the next start; width and height fall back together), and a warning sentence saying
what was reset and what was kept is returned for the UI to show. If
the bad file can't even be moved aside, ``writable`` is False and :func:`save_settings` is not
to be called, so it is never overwritten silently. Saving writes a temporary file in the same
folder and renames it over the old one (``vbg.fileio.atomic_output``), so a crash never leaves
half a file; :class:`SettingsStore` removes the temporaries of a save that was killed.

Command-line options and settings: the app starts from the command line's AppConfig; each
option given there (a value other than the command line's default) overrides the saved setting
for this run without being saved (:func:`cli_overrides`). Changing that setting in the UI drops
the override and saves the new value.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

import platformdirs

from vbg.config import CLI_DEFAULTS, VCAM_BACKENDS, AppConfig, BackgroundConfig
from vbg.errors import VbgError
from vbg.fileio import atomic_output, remove_stale_temporaries

SETTINGS_VERSION = 1
FILE_NAME = "settings.json"

_D = CLI_DEFAULTS  # the command line's defaults (vbg.config): the settings start from them


class SettingsError(VbgError):
    """The settings file can't be written."""


def settings_path() -> Path:
    """Where the settings live (see the module docstring)."""
    return Path(platformdirs.user_config_dir("vbg", appauthor=False)) / FILE_NAME


@dataclass(frozen=True)
class Settings:
    """What the app remembers. ``camera`` is a capture source: "auto" (camera 0 when there
    is one, else the demo), a camera index such as "0", "demo", or a video/image path.
    ``background`` is a spec string (``blur:5``, ``color:#283040``, ``image:PATH``...).
    ``start_hidden``: start in the tray without showing the window (sensible with autostart).
    ``fps_overlay``: show the FPS/timing overlay on the preview. ``keep_camera_on``: run the
    camera and model all the time instead of only while an app or the preview watches.
    ``virtual_camera``: "auto", "pipewire" or "v4l2" (``--vcam-backend``; see
    :func:`vbg.pipeline.sinkset.choose_vcams`). ``framing``: "off" or "auto" (``--framing``;
    auto-framing, :mod:`vbg.framing`). ``light``: "off" or "auto" (``--light``; low-light
    correction, :mod:`vbg.light`), ``light_match``: 0..1 (``--light-match``)."""

    camera: str = _D.capture.source
    width: int = _D.capture.width
    height: int = _D.capture.height
    fps: float = _D.capture.fps
    background: str = _D.background.spec
    model: str = _D.matting.model
    smoothing: bool = _D.matting.smoothing
    refinement: bool = _D.matting.refine
    mirror: bool = _D.output.mirror
    threads: int = _D.matting.threads
    autostart: bool = False
    start_hidden: bool = False
    fps_overlay: bool = False  # off: it covered the picture (a saved choice is kept)
    keep_camera_on: bool = False
    virtual_camera: str = "auto"
    # On in the app (issue 21: on by default once its numbers are met, docs/quality.md);
    # the command line keeps "off", so `vbg run` and `vbg video` give today's output unasked.
    framing: str = "auto"
    light: str = _D.output.light
    light_match: float = _D.output.light_match

    def validate(self) -> Settings:
        """Return self, or raise ``ValueError`` (a user sentence) for a value the engine would
        refuse; checks go through the engine's own config validation."""
        to_config(self, CLI_DEFAULTS)
        return self


def to_config(settings: Settings, base: AppConfig) -> AppConfig:
    """``base`` with the settings' fields put in (everything settings don't cover, such as the
    provider or the virtual camera device, is kept from ``base``). ``ValueError`` for an
    invalid value."""
    if settings.virtual_camera not in VCAM_BACKENDS:
        raise ValueError(f"Virtual camera {settings.virtual_camera!r} is unknown; use one of "
                         f"{', '.join(VCAM_BACKENDS)}.")
    # A pyvirtualcam backend named on the command line (tests' in-process backends, "obs")
    # is not a user choice the settings could replace.
    backend = (settings.virtual_camera if base.output.vcam_backend in (None, *VCAM_BACKENDS)
               else base.output.vcam_backend)
    bg = BackgroundConfig.parse(settings.background)
    bg = replace(bg, light_wrap=base.background.light_wrap)
    return replace(
        base,
        capture=replace(base.capture, source=settings.camera, width=settings.width,
                        height=settings.height, fps=settings.fps),
        matting=replace(base.matting, model=settings.model, smoothing=settings.smoothing,
                        refine=settings.refinement, threads=settings.threads),
        background=bg,
        output=replace(base.output, fps=settings.fps, mirror=settings.mirror,
                       keep_camera_on=settings.keep_camera_on, vcam_backend=backend,
                       framing=settings.framing, light=settings.light,
                       light_match=settings.light_match),
    )


def _settings_view(config: AppConfig) -> dict[str, Any]:
    """The settings fields as they appear in ``config``."""
    return {
        "camera": config.capture.source, "width": config.capture.width,
        "height": config.capture.height, "fps": config.capture.fps,
        "background": config.background.spec, "model": config.matting.model,
        "smoothing": config.matting.smoothing, "refinement": config.matting.refine,
        "mirror": config.output.mirror, "threads": config.matting.threads,
        "keep_camera_on": config.output.keep_camera_on,
        "virtual_camera": (config.output.vcam_backend
                           if config.output.vcam_backend in VCAM_BACKENDS else "auto"),
        "framing": config.output.framing, "light": config.output.light,
        "light_match": config.output.light_match,
    }


def cli_overrides(config: AppConfig) -> dict[str, Any]:
    """Settings fields whose value in ``config`` differs from the command line's defaults:
    those were given as options and win over the saved settings for this run."""
    given, default = _settings_view(config), _settings_view(CLI_DEFAULTS)
    return {k: v for k, v in given.items() if v != default[k]}


def effective_config(settings: Settings, overrides: Mapping[str, Any],
                     base: AppConfig) -> AppConfig:
    """The config to run: ``settings`` with ``overrides`` on top, onto ``base``."""
    return to_config(replace(settings, **dict(overrides)), base)


# ------------------------------------------------------------------------------ file I/O


@dataclass(frozen=True)
class LoadResult:
    """``settings`` to use; ``warning``: a sentence for the user when the file was bad;
    ``backup``: where the bad file was moved; ``writable``: False when saving would overwrite a
    bad file that could not be moved aside."""

    settings: Settings
    warning: str | None = None
    backup: Path | None = None
    writable: bool = True


# Fields that only make sense together: when one of them is bad, all fall back together
# (a saved 1280 with a bad height must not become 1280×540).
TOGETHER = (("width", "height"),)


def _from_dict(data: Mapping[str, Any]) -> tuple[Settings, list[str]]:
    """Settings from a JSON object, keeping each valid field; names of the bad ones."""
    defaults = Settings()
    good: dict[str, Any] = {}
    bad: list[str] = []
    for f in fields(Settings):
        if f.name not in data:
            continue
        value = data[f.name]
        expected = type(getattr(defaults, f.name))
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if type(value) is not expected:
            bad.append(f.name)
            continue
        try:
            replace(defaults, **good, **{f.name: value}).validate()
        except ValueError:
            bad.append(f.name)
            continue
        good[f.name] = value
    for group in TOGETHER:
        if any(name in bad for name in group):
            for name in group:
                good.pop(name, None)
    return replace(defaults, **good), bad


def _reset_words(bad: list[str]) -> str:
    """What the bad fields became, e.g. "the size (1280×720) and fps (30.0)"."""
    d = Settings()
    words: list[str] = []
    for name in bad:
        if name in ("width", "height"):
            size = f"the size ({d.width}×{d.height})"
            if size not in words:
                words.append(size)
        else:
            words.append(f"{name} ({getattr(d, name)!r})")
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _backup_path(path: Path) -> Path:
    candidate = path.with_name(path.name + ".bak")
    n = 2
    while candidate.exists():
        candidate = path.with_name(f"{path.name}.bak{n}")
        n += 1
    return candidate


def load_settings(path: Path | None = None) -> LoadResult:
    """Read the settings; see the module docstring for what happens with a bad file."""
    path = path or settings_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return LoadResult(Settings())
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        return _set_aside(path, Settings(), f"could not be read ({reason})")
    try:
        data = json.loads(text)
    except ValueError as exc:
        return _set_aside(path, Settings(), f"is not valid JSON ({exc})")
    except RecursionError:  # nested deeper than the parser goes: not a settings file
        return _set_aside(path, Settings(), "is nested too deeply to be a settings file")
    if not isinstance(data, dict):
        return _set_aside(path, Settings(), "does not hold a JSON object")
    settings, bad = _from_dict(data)
    if bad:
        return _set_aside(path, settings, f"has invalid values for {', '.join(bad)}", bad)
    return LoadResult(settings)


def _set_aside(path: Path, settings: Settings, problem: str,
               bad: list[str] | None = None) -> LoadResult:
    """Move the bad file to a backup name; with some values still good (``bad`` names the
    others), write those back so they survive the next start."""
    used = (f"vbg uses the defaults for {_reset_words(bad)} and keeps your other settings"
            if bad else "vbg uses default settings")
    backup = _backup_path(path)
    try:
        os.replace(path, backup)
    except OSError as exc:
        return LoadResult(
            settings,
            f"The settings file {path} {problem} and could not be moved aside "
            f"({exc.strerror or exc}); {used} and will not save changes until you fix or "
            "delete that file.",
            None, writable=False,
        )
    kept = ""
    if bad:
        try:
            save_settings(settings, path)
            kept = " (saved again)"
        except SettingsError:
            kept = ""  # the next change tries again; the backup holds the original
    return LoadResult(
        settings,
        f"The settings file {path} {problem}; {used}{kept}. The old file is kept as "
        f"{backup.name}.",
        backup,
    )


def save_settings(settings: Settings, path: Path | None = None) -> None:
    """Write ``settings`` atomically (temporary file + ``os.replace``); ``SettingsError``
    (a user sentence) when the folder can't be written."""
    path = path or settings_path()
    data = {"version": SETTINGS_VERSION, **asdict(settings)}
    text = json.dumps(data, indent=2, sort_keys=False) + "\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_output(path, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as exc:
        raise SettingsError(
            f"Could not save the settings to {path} ({exc.strerror or exc}); your changes "
            "apply until vbg quits."
        ) from exc


def resolve_source(source: str, camera_indices: list[int]) -> str:
    """"auto" becomes the first camera, or "demo" when there is none; anything else stays."""
    if source.strip().lower() != "auto":
        return source
    return str(camera_indices[0]) if camera_indices else "demo"



def settings_from_config(config: AppConfig) -> Settings:
    """The settings a config corresponds to (UI-only fields at their defaults)."""
    return replace(Settings(), **_settings_view(config))


class SettingsStore:
    """Loads and saves the settings at ``path``; ``path=None`` keeps them in memory only
    (benchmarks, tests). After a load that could not move a bad file aside, saving is
    switched off so that file is never overwritten silently."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.writable = path is not None

    def load(self) -> LoadResult:
        """Read the settings (see :func:`load_settings`), after removing the temporary files
        of saves that a killed vbg never finished."""
        if self.path is None:
            return LoadResult(Settings())
        remove_stale_temporaries(self.path)
        result = load_settings(self.path)
        self.writable = result.writable
        return result

    def save(self, settings: Settings) -> None:
        """Write (atomically); a no-op when not writable. ``SettingsError`` on failure."""
        if self.path is not None and self.writable:
            save_settings(settings, self.path)
