"""Fixtures for the desktop app's tests (pytest-qt, offscreen platform; see tests/conftest.py).

The app runs for real: the real Pipeline on the "synthetic" source at a small size, the real
pyvirtualcam.Camera with the in-process recording backend behind it. What would touch the
user's machine is pointed at tmp_path: settings, the backgrounds folder, the autostart folder,
the file manager (recorded instead of opened) and the model folder (XDG_DATA_HOME).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QUrl
from PySide6.QtWidgets import QFileDialog

from tests.waiting import WAIT_S
from vbg.app import autostart
from vbg.app.settings import SettingsStore
from vbg.config import AppConfig, BackgroundConfig, CaptureConfig, OutputConfig
from vbg.stills import Cutout
from vbg.ui.app import make_application
from vbg.ui.controller import AppController
from vbg.ui.shell import AppShell
from vbg.ui.stills_window import StillsWindow

W, H = 320, 240
WAIT_MS = int(WAIT_S * 1000)  # qtbot.waitUntil's timeout: tests.waiting's, in ms


def small_config(vcam: bool = True) -> AppConfig:
    """Synthetic source, small frames, the recording virtual camera (``vcam``: use one)."""
    return AppConfig(
        capture=CaptureConfig(source="synthetic", width=W, height=H, fps=30.0),
        background=BackgroundConfig.parse("blur"),
        output=OutputConfig(vcam=vcam, vcam_backend="vbg-recording", fps=30.0),
    )


def fake_cut(image: np.ndarray) -> Cutout:
    """Left half person (soft edge), right half background."""
    alpha = np.zeros(image.shape[:2], np.uint8)
    w = image.shape[1]
    alpha[:, : w // 2] = 255
    alpha[:, w // 2 - 2: w // 2 + 2] = 128
    return Cutout(image, alpha)


@pytest.fixture
def win(qtbot) -> StillsWindow:
    """The cut-out window, shown, cutting photos with ``fake_cut`` (videos use the real model)."""
    w = StillsWindow(cutter_factory=lambda: fake_cut)
    qtbot.addWidget(w)
    w.show()
    return w


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every platformdirs path (settings, user models, backgrounds) under tmp_path."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    return tmp_path


@pytest.fixture(autouse=True)
def no_blocking_file_dialogs(monkeypatch: pytest.MonkeyPatch) -> None:
    """A real modal file dialog would wait forever for a click offscreen: fail instead (tests
    answer the seams, ``ask_open``, ``ask_open_background``..., or patch these themselves)."""
    def refuse(*args, **kwargs):
        raise AssertionError(f"a test opened a real file dialog: {args[1:2]}")

    for name in ("getOpenFileName", "getSaveFileName", "getExistingDirectory"):
        monkeypatch.setattr(QFileDialog, name, refuse)


@pytest.fixture
def qapp_themed(qapp):  # pytest-qt's QApplication
    make_application()
    return qapp


@dataclass
class Harness:
    """A running app: controller + shell, and what it tried to do outside."""

    controller: AppController
    shell: AppShell
    opened_urls: list[QUrl] = field(default_factory=list)
    quit_calls: list[int] = field(default_factory=list)

    @property
    def window(self):
        return self.shell.window

    @property
    def tray(self):
        return self.shell.tray


@pytest.fixture
def make_app(qapp_themed, qtbot, tmp_path: Path, recording_backend
             ) -> Iterator[Callable[..., Harness]]:
    """``make_app(config=None, settings_text=None, start=True, cameras=None, **shell_kw)`` →
    Harness (``shell_kw``: more AppShell seams, e.g. ``diagnose_vcam``).

    ``settings_text`` is written to the settings file first (e.g. a corrupt one).
    """
    made: list[Harness] = []

    def make(config: AppConfig | None = None, settings_text: str | None = None,
             start: bool = True, cameras: list | None = None,
             show_window: bool = True, clock: Callable[[], float] | None = None,
             camera_lister: Callable[[], list] | None = None, **shell_kw) -> Harness:
        settings_file = tmp_path / "config" / "vbg" / "settings.json"
        if settings_text is not None:
            settings_file.parent.mkdir(parents=True, exist_ok=True)
            settings_file.write_text(settings_text)
        kw = {"clock": clock} if clock is not None else {}
        controller = AppController(config or small_config(), SettingsStore(settings_file),
                                   tmp_path / "backgrounds",
                                   camera_lister=camera_lister or (lambda: list(cameras or [])),
                                   **kw)
        h = Harness(controller, None)  # type: ignore[arg-type]
        shell = AppShell(
            controller, tray_available=False,
            open_url=lambda url: h.opened_urls.append(url) or True,
            autostart_entry=lambda: autostart.entry_for(
                "linux", ["vbg"], tmp_path / "home", tmp_path / "xdg"),
            on_quit=lambda: h.quit_calls.append(1), **shell_kw,
        )
        h.shell = shell
        qtbot.addWidget(shell.window)
        made.append(h)
        if start:
            shell.start(show_window=show_window)
            if controller.session.pipeline is not None:
                qtbot.waitUntil(lambda: controller.session.pipeline is None
                                or controller.session.pipeline.output_count > 3, timeout=WAIT_MS)
        return h

    yield make
    for h in made:
        h.shell.quit()
        assert h.controller.session.pipeline is None

