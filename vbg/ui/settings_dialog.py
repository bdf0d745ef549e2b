"""The Settings dialog: camera, size, rate, model, quality switches, threads, start-up.

It edits a copy of :class:`~vbg.app.settings.Settings` and hands back a new one
(:meth:`SettingsDialog.result_settings`); the shell applies it through the controller, which
switches the running pipeline and saves. The background is not here: the picker, the menus and
the keys choose it.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from vbg.app.menu import CameraChoice, ModelChoice
from vbg.app.settings import Settings
from vbg.config import CAMERA_SIZES, parse_size
from vbg.framing.operator import FramingParams


def _select(combo: QComboBox, value: object) -> None:
    i = combo.findData(value)
    if i < 0:
        combo.addItem(str(value), value)
        i = combo.count() - 1
    combo.setCurrentIndex(i)


class SettingsDialog(QDialog):
    """Edits ``settings``; ``cameras``/``models`` are the choices to offer."""

    def __init__(self, settings: Settings, cameras: tuple[CameraChoice, ...],
                 models: list[ModelChoice], settings_file: Path | None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.setMinimumWidth(460)
        self._settings = settings

        self.camera = QComboBox()
        self.camera.addItem("Automatic (first camera, else the demo)", "auto")
        for cam in cameras:
            self.camera.addItem(cam.label, cam.source)
        _select(self.camera, settings.camera)
        sizes = list(CAMERA_SIZES)  # the Camera menu offers the same (vbg.app.menu)
        for cam in cameras:
            sizes += [s for s in cam.sizes if s not in sizes]
        self.frame_size = QComboBox()
        # Item data is "WxH" text: a tuple would come back from Qt as a list.
        for w, h in sorted(set(sizes), key=lambda s: s[0] * s[1]):
            self.frame_size.addItem(f"{w} × {h}", f"{w}x{h}")
        _select(self.frame_size, f"{settings.width}x{settings.height}")
        self.fps = QDoubleSpinBox()
        self.fps.setRange(5, 60)
        self.fps.setDecimals(0)
        self.fps.setSuffix(" fps")
        self.fps.setValue(settings.fps)

        self.model = QComboBox()
        for m in models:
            self.model.addItem(m.name + ("" if m.builtin else " (yours)"), m.key)
        _select(self.model, settings.model)
        self.smoothing = QCheckBox("Smooth the mask over time (less flicker)")
        self.smoothing.setChecked(settings.smoothing)
        self.refinement = QCheckBox("Refine edges with the full-resolution picture")
        self.refinement.setChecked(settings.refinement)
        self.threads = QSpinBox()
        self.threads.setRange(1, max(1, os.cpu_count() or 1))
        self.threads.setValue(min(settings.threads, self.threads.maximum()))
        self.threads.setToolTip("1 keeps CPU free for the video call itself")
        self.keep_camera_on = QCheckBox("Keep the camera on")
        self.keep_camera_on.setChecked(settings.keep_camera_on)
        self.keep_camera_on.setToolTip(
            "Off: the webcam and the model run only while an app uses the virtual camera or "
            "this window is shown (Linux). On: they run all the time.")

        self.virtual_camera = QComboBox()
        for key, text in (("auto", "Automatic (PipeWire and/or v4l2loopback)"),
                          ("pipewire", "PipeWire (browsers, no kernel module)"),
                          ("v4l2", "v4l2loopback (every app, kernel module)")):
            self.virtual_camera.addItem(text, key)
        _select(self.virtual_camera, settings.virtual_camera)
        self.virtual_camera.setToolTip(
            "Automatic offers the camera on PipeWire when it runs and on v4l2loopback when "
            "the module is loaded. Chromium needs chrome://flags/#enable-webrtc-pipewire-camera "
            "for a PipeWire camera.")

        self.mirror = QCheckBox("Mirror the picture")
        self.mirror.setChecked(settings.mirror)
        self.framing = QCheckBox("Auto-framing (follow and zoom to keep you framed)")
        self.framing.setChecked(settings.framing == "auto")
        self.framing.setToolTip("Keep you framed: the picture follows you calmly and zooms in "
                                f"up to {FramingParams().max_zoom:g}×, never cutting your head "
                                "(key a)")
        self.light = QCheckBox("Low-light correction (brighten a dim face)")
        self.light.setChecked(settings.light == "auto")
        self.light.setToolTip("In a dim room, bring you up to a good exposure: slowly, only "
                              "on you, never the room. It reads the top of your outline as your "
                              "face: dark hair, a hat or sunglasses can make a lit face look "
                              "dim to it")
        self.fps_overlay = QCheckBox("Show FPS and timings on the preview")
        self.fps_overlay.setChecked(settings.fps_overlay)
        self.autostart = QCheckBox("Start vbg when I log in")
        self.autostart.setChecked(settings.autostart)
        self.start_hidden = QCheckBox("Start in the tray without opening the window")
        self.start_hidden.setChecked(settings.start_hidden)

        layout = QVBoxLayout(self)
        layout.setSpacing(12)
        self._row_labels: list[QLabel] = []
        # Said in words under the box: "keep the camera on" means nothing until one knows that
        # vbg otherwise turns the webcam off while no app is watching.
        # Two fixed lines rather than word wrap: a wrapping label in a form row gets too little
        # height on a real X server (height-for-width) and was drawn cut off.
        self.keep_camera_hint = QLabel(
            "When off, the webcam (and its light) turns on only while a video app\n"
            "uses the virtual camera or this window is open.")
        self.keep_camera_hint.setStyleSheet("color: #9aa3b2;")
        layout.addWidget(self._group("Camera", [("Camera", self.camera), ("Size", self.frame_size),
                                                ("Frame rate", self.fps),
                                                ("Virtual camera", self.virtual_camera),
                                                ("", self.keep_camera_on),
                                                ("", self.keep_camera_hint)]))
        layout.addWidget(self._group("Person detection", [
            ("Model", self.model), ("", self.smoothing), ("", self.refinement),
            ("Threads", self.threads)]))
        layout.addWidget(self._group("App", [("", self.mirror), ("", self.framing),
                                             ("", self.light),
                                             ("", self.fps_overlay),
                                             ("", self.autostart), ("", self.start_hidden)]))
        self._align_label_columns()
        if settings_file is not None:
            where = QLabel(f"Saved in {settings_file}")
            where.setStyleSheet("color: #9aa3b2;")
            where.setWordWrap(True)
            layout.addWidget(where)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _group(self, title: str, rows: list[tuple[str, QWidget]]) -> QGroupBox:
        box = QGroupBox(title)
        form = QFormLayout(box)
        for label, widget in rows:
            if label:
                text = QLabel(label)
                self._row_labels.append(text)
                form.addRow(text, widget)
            else:
                form.addRow(widget)
        return box

    def _align_label_columns(self) -> None:
        """Give every group's label column the width of the widest label, so the fields of all
        groups start at the same x (each QFormLayout would otherwise size its own column)."""
        width = max(label.sizeHint().width() for label in self._row_labels)
        for label in self._row_labels:
            label.setMinimumWidth(width)

    def result_settings(self) -> Settings:
        """The settings as edited (UI fields the dialog doesn't show are kept)."""
        w, h = parse_size(self.frame_size.currentData())
        return replace(
            self._settings, camera=self.camera.currentData(), width=w, height=h,
            fps=float(self.fps.value()), model=self.model.currentData(),
            smoothing=self.smoothing.isChecked(), refinement=self.refinement.isChecked(),
            threads=self.threads.value(), mirror=self.mirror.isChecked(),
            framing="auto" if self.framing.isChecked() else "off",
            light="auto" if self.light.isChecked() else "off",
            fps_overlay=self.fps_overlay.isChecked(), autostart=self.autostart.isChecked(),
            start_hidden=self.start_hidden.isChecked(),
            keep_camera_on=self.keep_camera_on.isChecked(),
            virtual_camera=self.virtual_camera.currentData(),
        )
