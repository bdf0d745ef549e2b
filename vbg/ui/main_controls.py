"""The main window's controls: the row of switches under the preview (on, pause, mirror,
framing, mask, FPS) with the cut-out and settings buttons, and the blur-strength slider beside
the background title. Each acts through ``perform``; ``show_state`` makes them match the
session."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QToolButton

from vbg.app.menu import (
    BACKGROUND,
    FPS_OVERLAY,
    FRAMING,
    MASK_VIEW,
    MIRROR,
    PAUSE,
    RUNNING,
    SETTINGS,
    STILLS,
    Action,
)
from vbg.app.session import Session
from vbg.config import BackgroundConfig
from vbg.ui.widgets import tool_button

Perform = Callable[[Action], None]


def _button(icon: str, text: str, tip: str, slot: Callable[[], object]) -> QToolButton:
    b = tool_button(icon, text, slot, tip)
    b.setIconSize(QSize(18, 18))
    b.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # space must reach the pause shortcut
    return b


def _switch(icon: str, text: str, tip: str, on_toggle: Callable[[bool], object]) -> QToolButton:
    b = _button(icon, text, tip, lambda: on_toggle(b.isChecked()))
    b.setCheckable(True)
    return b


class ControlRow(QHBoxLayout):
    """The switches, a gap, then "Cut out a photo or video…" and "Settings…"."""

    def __init__(self, perform: Perform) -> None:
        super().__init__()
        self.setSpacing(8)

        def switch(icon: str, text: str, tip: str, name: str) -> QToolButton:
            return _switch(icon, text, tip, lambda on: perform(Action(name, on)))

        self.on_button = switch("power", "On", "Turn the virtual background on or off", RUNNING)
        self.pause_button = switch("pause", "Pause", "Show the background only (space)", PAUSE)
        self.mirror_button = switch("mirror", "Mirror", "Flip left-right (m)", MIRROR)
        self.framing_button = switch("framing", "Framing",
                                     "Keep you framed: follow and zoom calmly (a)", FRAMING)
        self.mask_button = switch("mask", "Mask", "Show the mask the model sees", MASK_VIEW)
        self.fps_button = switch("gauge", "FPS", "FPS and timing overlay (f)", FPS_OVERLAY)
        for b in (self.on_button, self.pause_button, self.mirror_button, self.framing_button,
                  self.mask_button, self.fps_button):
            self.addWidget(b)
        self.addStretch(1)
        self.stills_button = _button("photo", "Cut out a photo or video…",
                                     "Cut the person out of a photo, or change the background "
                                     "of a video", lambda: perform(Action(STILLS)))
        self.settings_button = _button("settings", "Settings…", "Camera, model, start-up",
                                       lambda: perform(Action(SETTINGS)))
        self.addWidget(self.stills_button)
        self.addWidget(self.settings_button)

    def show_state(self, s: Session, mask_view: bool) -> None:
        cfg = s.config()
        for button, value in ((self.on_button, s.running), (self.pause_button, s.paused),
                              (self.mirror_button, cfg.output.mirror),
                              (self.framing_button, cfg.output.framing == "auto"),
                              (self.mask_button, mask_view),
                              (self.fps_button, s.settings.fps_overlay)):
            button.setChecked(value)
        self.on_button.setText("On" if s.running else "Off")
        self.pause_button.setEnabled(s.running)


class BlurSlider:
    """The blur strength, 1-10 (the engine's levels; the tiles are two of them), with its label,
    added to ``row`` and shown while a blur is the background. Applied when let go (or per key
    step), not on every pixel of a drag."""

    def __init__(self, row: QHBoxLayout, perform: Perform) -> None:
        self.label = QLabel()
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(1, 10)
        self.slider.setPageStep(1)
        self.slider.setTickPosition(QSlider.TickPosition.TicksBelow)
        self.slider.setTickInterval(1)
        self.slider.setTracking(False)
        self.slider.setFixedWidth(180)
        self.slider.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keys belong to the shortcuts
        self.slider.setAccessibleName("Blur strength")
        self.slider.setToolTip("How strongly the room behind you is blurred (1-10)")
        self.label.setBuddy(self.slider)
        self.slider.sliderMoved.connect(self._show_level)
        self.slider.valueChanged.connect(self._show_level)
        self.slider.valueChanged.connect(
            lambda level: perform(Action(BACKGROUND, f"blur:{level}")))
        for w in (self.label, self.slider):
            policy = w.sizePolicy()
            policy.setRetainSizeWhenHidden(True)  # the picker doesn't jump when it hides
            w.setSizePolicy(policy)
            row.addWidget(w)

    def _show_level(self, level: int) -> None:
        self.label.setText(f"Blur strength {level}")

    def show_state(self, background: str) -> None:
        """Shown with ``background``'s level when it is a blur (unless being dragged)."""
        blur = BackgroundConfig.parse(background) if background.startswith("blur") else None
        for w in (self.label, self.slider):
            w.setVisible(blur is not None)
        if blur is not None and not self.slider.isSliderDown():
            self.slider.blockSignals(True)
            self.slider.setValue(blur.blur_level)
            self.slider.blockSignals(False)
            self._show_level(blur.blur_level)
