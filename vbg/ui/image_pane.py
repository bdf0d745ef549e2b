"""A picture shown scaled to fit (the stills window's two panes), optionally over the grey
checkerboard that shows transparency."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPixmap, QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy

from vbg.ui.icons import bgr_to_qimage


def checkerboard(size: QSize, cell: int = 12) -> QPixmap:
    """The usual grey checkerboard that shows transparency."""
    pix = QPixmap(size)
    pix.fill(QColor("#3a3f48"))
    p = QPainter(pix)
    for y in range(0, size.height(), cell):
        for x in range((y // cell % 2) * cell, size.width(), 2 * cell):
            p.fillRect(x, y, cell, cell, QColor("#2c3038"))
    p.end()
    return pix


class ImagePane(QLabel):
    """Shows a QImage scaled to fit, optionally over a checkerboard."""

    def __init__(self, caption: str, checker: bool = False) -> None:
        super().__init__()
        self._image: QImage | None = None
        self._checker = checker
        self._caption = caption
        self.setMinimumSize(320, 320)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setStyleSheet("background: #15171b; border-radius: 10px; color: #9aa3b2;")
        self.setText(caption)

    def set_image(self, image: QImage | None, caption: str | None = None) -> None:
        self._image = image
        if caption is not None:
            self._caption = caption
        self._render()

    def resizeEvent(self, event: QResizeEvent) -> None:  # Qt override
        super().resizeEvent(event)
        self._render()

    def _render(self) -> None:
        if self._image is None:
            self.setPixmap(QPixmap())
            self.setText(self._caption)
            return
        scaled = self._image.scaled(self.size() - QSize(16, 16),
                                    Qt.AspectRatioMode.KeepAspectRatio,
                                    Qt.TransformationMode.SmoothTransformation)
        pix = checkerboard(scaled.size()) if self._checker else QPixmap(scaled.size())
        if not self._checker:
            pix.fill(Qt.GlobalColor.transparent)
        p = QPainter(pix)
        p.drawImage(0, 0, scaled)
        p.end()
        self.setPixmap(pix)


def to_qimage(image: np.ndarray) -> QImage:
    """A QImage owning a copy of a BGR or BGRA (transparent) uint8 frame."""
    if image.shape[2] == 3:
        return bgr_to_qimage(image)
    bgra = np.ascontiguousarray(image)
    return QImage(bgra.data, bgra.shape[1], bgra.shape[0], bgra.strides[0],
                  QImage.Format.Format_ARGB32).copy()  # BGRA bytes = ARGB32 (little-endian)
