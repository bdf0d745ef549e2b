"""What the cut-out window shows: two rows of controls, the before/after panes, and the status
line with a video's progress bar and Cancel button. Widgets only: what they do is
:class:`~vbg.ui.stills_window.StillsWindow`'s, handed in as callbacks."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSlider, QVBoxLayout, QWidget

from vbg.ui.image_pane import ImagePane
from vbg.ui.theme import MUTED, WARN
from vbg.ui.widgets import tool_button

Slot = Callable[[], object]


class StillsView:
    """Lays the widgets out in ``window``. The buttons call ``open_file``, ``save_cutout``,
    ``save_mask`` and ``choose_background``; a change of what is shown (cut-out or mask, the
    kind of mask, its threshold, the blend) calls ``changed``. ``progress`` and
    ``cancel_button`` (the video job's) go at the end of the status line."""

    def __init__(self, window: QWidget, progress: QWidget, cancel_button: QWidget, *,
                 open_file: Slot, save_cutout: Slot, save_mask: Slot, choose_background: Slot,
                 changed: Slot) -> None:
        self.open_button = tool_button("open", "Open photo or video…", open_file)
        self.save_button = tool_button("save", "Save cut-out (PNG)…", save_cutout)
        self.save_mask_button = tool_button("mask", "Save mask…", save_mask)
        self.mask_kind = QComboBox()
        self.mask_kind.addItem("Soft mask", "soft")
        self.mask_kind.addItem("Binary mask", "binary")
        self.mask_kind.currentIndexChanged.connect(changed)
        self.threshold = QSlider(Qt.Orientation.Horizontal)
        self.threshold.setRange(5, 95)
        self.threshold.setValue(50)
        self.threshold.setFixedWidth(120)
        self.threshold.setToolTip("Threshold of the binary mask: how sure the model must be "
                                  "that a pixel is the person")
        self.threshold.setAccessibleName("Threshold")
        self.threshold.valueChanged.connect(changed)
        self.threshold_label = QLabel()
        self.threshold_label.setBuddy(self.threshold)
        self.threshold.valueChanged.connect(self._show_threshold)
        self._show_threshold(self.threshold.value())
        self.view = QComboBox()
        self.view.addItem("Show cut-out", "cutout")
        self.view.addItem("Show mask", "mask")
        self.view.currentIndexChanged.connect(changed)
        self.background_button = tool_button("image", "Over a picture…", choose_background)
        self.blend = QComboBox()
        self.blend.addItem("Transparent", "none")
        self.blend.addItem("Alpha blend", "alpha")
        self.blend.addItem("Poisson blend", "poisson")
        self.blend.setToolTip("Poisson: the person takes on the picture's light (it can shift "
                              "skin colour on strong backgrounds)")
        self.blend.currentIndexChanged.connect(changed)

        # Two rows, so the window fits a small screen (in one row the controls alone were
        # wider than a 1280-px screen): the files and what is shown; the picture behind the
        # person and the kind of mask.
        row = QHBoxLayout()
        for w in (self.open_button, self.save_button, self.save_mask_button):
            row.addWidget(w)
        row.addStretch(1)
        row.addWidget(self.view)
        row2 = QHBoxLayout()
        row2.addWidget(self.background_button)
        row2.addWidget(self.blend)
        row2.addStretch(1)
        row2.addWidget(self.mask_kind)
        row2.addWidget(self.threshold_label)
        row2.addWidget(self.threshold)

        self.original = ImagePane("Open a photo or a video, or drop one here")
        self.result = ImagePane("The cut-out appears here", checker=True)
        panes = QHBoxLayout()
        panes.setSpacing(12)
        panes.addWidget(self.original)
        panes.addWidget(self.result)
        self.status = QLabel("")
        self.status.setStyleSheet("color: #9aa3b2;")
        # Wrapped: a long sentence (two paths) must not widen the window past the screen.
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        status_row = QHBoxLayout()
        status_row.addWidget(self.status, 1)
        status_row.addWidget(progress)
        status_row.addWidget(cancel_button)

        layout = QVBoxLayout(window)
        layout.setContentsMargins(14, 12, 14, 12)
        layout.setSpacing(10)
        layout.addLayout(row)
        layout.addLayout(row2)
        layout.addLayout(panes, 1)
        layout.addLayout(status_row)

    def _show_threshold(self, value: int) -> None:
        self.threshold_label.setText(f"Threshold {value} %")

    def show_mask_kind(self) -> None:
        """The threshold is there only for the binary mask."""
        binary = self.mask_kind.currentData() == "binary"
        self.threshold.setEnabled(binary)
        self.threshold_label.setEnabled(binary)

    def say(self, text: str, error: bool = False, warning: bool = False) -> None:
        """The status line: ``text`` in the colour of an error, a warning or a note."""
        self.status.setText(text)
        color = "#ff6b6b" if error else WARN if warning else MUTED
        self.status.setStyleSheet(f"color: {color};")
