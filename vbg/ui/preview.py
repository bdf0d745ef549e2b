"""The live preview: draws the newest frame the virtual camera got, from a QTimer.

Pull, never push: the pipeline doesn't know the preview exists (no extra sink, no callback on
its threads). A timer on the Qt thread asks the feed for ``(sequence, frame)`` and redraws only
when the sequence moved, so a slow or hidden window costs the pipeline nothing. The frame is
scaled down with OpenCV (which releases the GIL) to the widget's pixel size before it becomes a
QImage, so painting is a 1:1 blit; the timer stops while the widget is hidden.

On top of the picture: the FPS / per-stage timing overlay (f key), a state badge ("Paused",
"Off", "Waiting for camera 0…") and, while a file is dragged over the window, a drop hint.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import cv2
import numpy as np
from PySide6.QtCore import QRect, QRectF, Qt, QTimer
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QFontMetrics,
    QHideEvent,
    QImage,
    QPainter,
    QPaintEvent,
    QPen,
    QResizeEvent,
    QShowEvent,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from vbg.stats import Rate
from vbg.ui.icons import app_icon

log = logging.getLogger(__name__)

Feed = Callable[[], tuple[int, np.ndarray | None]]

FRAME_BG = QColor("#0f1114")
TIMER_MS = 15  # twice the output rate: a new frame is drawn at most ~15 ms after it went out


class PreviewView(QWidget):
    """Shows what a feed returns. ``feed()`` → ``(key, BGR or grey uint8 array | None)``,
    the key changing whenever the picture does; the array is copied or resized at once (the
    pipeline reuses its buffers)."""

    def __init__(self, feed: Feed, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._feed = feed
        self._seq: int | None = None  # key of the frame shown; None: redraw at next tick
        self._image: QImage | None = None
        self._buffer: np.ndarray | None = None  # keeps the QImage's memory alive
        self.frames_drawn = 0
        self.draw_rate = Rate(30)
        self.overlay_lines: list[str] = []
        self.show_overlay = True
        self.badge: str | None = None
        self.placeholder = "Starting…"
        self.drop_hint = False
        self.setMinimumSize(480, 270)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self._mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self._mono.setPointSizeF(max(8.5, self.font().pointSizeF() - 0.5))
        self._overlay_key: tuple | None = None
        self._overlay = QImage()
        self._timer = QTimer(self)
        self._timer.setInterval(TIMER_MS)
        self._timer.timeout.connect(self.tick)

    # ----------------------------------------------------------------- feed
    def set_feed(self, feed: Feed) -> None:
        """Draw from another feed (output or mask view) from the next tick on."""
        self._feed = feed
        self._seq = None
        self.tick()

    def tick(self) -> None:
        """Fetch and convert the newest frame if there is one (the timer calls this)."""
        seq, frame = self._feed()
        if frame is None:
            if self._image is not None:
                self._image = self._buffer = None
                self.update()
            self._seq = None
            return
        if seq == self._seq and self._image is not None:
            return
        self._seq = seq
        self._image = self._to_image(frame)
        self.frames_drawn += 1
        if self.frames_drawn == 1:
            log.info("preview: first frame drawn (%dx%d)", frame.shape[1], frame.shape[0])
        self.draw_rate.tick()
        self.update()

    def _target_size(self, w: int, h: int) -> tuple[int, int]:
        """The frame's size fitted into the widget, in device pixels (never upscaled)."""
        dpr = self.devicePixelRatioF()
        bw, bh = max(1, int(self.width() * dpr)), max(1, int(self.height() * dpr))
        scale = min(bw / w, bh / h, 1.0)
        return max(1, int(w * scale)), max(1, int(h * scale))

    def _to_image(self, frame: np.ndarray) -> QImage:
        h, w = frame.shape[:2]
        tw, th = self._target_size(w, h)
        if (tw, th) != (w, h):
            # Linear is ~7x cheaper than INTER_AREA and looks the same down to half size;
            # below that INTER_AREA avoids aliasing.
            interp = cv2.INTER_LINEAR if tw * 2 >= w else cv2.INTER_AREA
            frame = cv2.resize(frame, (tw, th), interpolation=interp)
        # 32-bit pixels (B, G, R, 255 in memory = Format_RGB32) are what the backing store
        # holds, so drawImage is a plain copy; a BGR888 image would be converted per paint.
        code = cv2.COLOR_GRAY2BGRA if frame.ndim == 2 else cv2.COLOR_BGR2BGRA
        if self._buffer is None or self._buffer.shape[:2] != (th, tw):
            self._buffer = np.empty((th, tw, 4), np.uint8)
        elif self._image is not None:
            # The old QImage still points into the buffer: give the new one its own memory.
            self._buffer = np.empty_like(self._buffer)
        cv2.cvtColor(frame, code, dst=self._buffer)
        image = QImage(self._buffer.data, tw, th, self._buffer.strides[0],
                       QImage.Format.Format_RGB32)
        image.setDevicePixelRatio(self.devicePixelRatioF())
        return image

    # ----------------------------------------------------------------- visibility
    def showEvent(self, event: QShowEvent) -> None:  # Qt override
        self._timer.start()
        super().showEvent(event)

    def hideEvent(self, event: QHideEvent) -> None:  # Qt override
        self._timer.stop()
        super().hideEvent(event)

    def resizeEvent(self, event: QResizeEvent) -> None:  # Qt override
        self._seq = None  # re-scale the current frame for the new size on the next tick
        super().resizeEvent(event)

    @property
    def drawing(self) -> bool:
        return self._timer.isActive()

    def current_image(self) -> QImage | None:
        """The picture drawn now (for tests)."""
        return self._image

    # ----------------------------------------------------------------- painting
    def paintEvent(self, event: QPaintEvent) -> None:  # Qt override
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        if self._image is not None:
            size = self._image.deviceIndependentSize()
            target = QRectF((self.width() - size.width()) / 2,
                            (self.height() - size.height()) / 2, size.width(), size.height())
            # Only the bars around the picture need the background colour (the widget is
            # opaque): filling the whole widget first doubled the pixels written per frame.
            full = QRectF(self.rect())
            for bar in (QRectF(0, 0, full.width(), target.top()),
                        QRectF(0, target.bottom(), full.width(), full.height() - target.bottom()),
                        QRectF(0, target.top(), target.left(), target.height()),
                        QRectF(target.right(), target.top(), full.width() - target.right(),
                               target.height())):
                if bar.width() > 0 and bar.height() > 0:
                    p.fillRect(bar, FRAME_BG)
            p.drawImage(target, self._image)
        else:
            p.fillRect(self.rect(), FRAME_BG)
            self._paint_placeholder(p)
        if self.show_overlay and self.overlay_lines and self._image is not None:
            self._paint_overlay(p)
        if self.badge:
            self._paint_badge(p, self.badge)
        if self.drop_hint:
            self._paint_drop_hint(p)
        p.end()

    def _paint_placeholder(self, p: QPainter) -> None:
        side = 72
        rect = QRect((self.width() - side) // 2, self.height() // 2 - side, side, side)
        app_icon("off").paint(p, rect)
        p.setPen(QColor("#9aa3b2"))
        f = QFont(self.font())
        f.setPointSizeF(f.pointSizeF() + 2)
        p.setFont(f)
        p.drawText(QRect(0, rect.bottom() + 12, self.width(), 40),
                   Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, self.placeholder)

    def _paint_overlay(self, p: QPainter) -> None:
        # Rendered once per text change (2 Hz), then blitted: a translucent anti-aliased
        # rounded rectangle costs milliseconds per frame in the raster engine, a blit doesn't.
        key = (tuple(self.overlay_lines), self.devicePixelRatioF())
        if self._overlay_key != key:
            self._overlay_key, self._overlay = key, self._render_overlay()
        p.drawImage(12, 12, self._overlay)

    def _render_overlay(self) -> QImage:
        fm = QFontMetrics(self._mono)
        pad, line_h = 8, fm.height()
        width = max(fm.horizontalAdvance(t) for t in self.overlay_lines) + 2 * pad
        height = line_h * len(self.overlay_lines) + 2 * pad
        dpr = self.devicePixelRatioF()
        image = QImage(int(width * dpr), int(height * dpr),
                       QImage.Format.Format_ARGB32_Premultiplied)
        image.setDevicePixelRatio(dpr)
        image.fill(Qt.GlobalColor.transparent)
        p = QPainter(image)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(10, 12, 16, 170))
        p.drawRoundedRect(QRectF(0, 0, width, height), 8, 8)
        p.setFont(self._mono)
        for i, text in enumerate(self.overlay_lines):
            p.setPen(QColor("#e5e9f0") if i == 0 else QColor("#b8c0cc"))
            p.drawText(pad, pad + fm.ascent() + i * line_h, text)
        p.end()
        return image

    def _paint_badge(self, p: QPainter, text: str) -> None:
        f = QFont(self.font())
        f.setPointSizeF(f.pointSizeF() + 1.5)
        f.setBold(True)
        p.setFont(f)
        fm = p.fontMetrics()
        w, h = fm.horizontalAdvance(text) + 28, fm.height() + 14
        box = QRectF((self.width() - w) / 2, self.height() - h - 18, w, h)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(245, 165, 36, 230))
        p.drawRoundedRect(box, h / 2, h / 2)
        p.setPen(QColor("#1b1e23"))
        p.drawText(box, Qt.AlignmentFlag.AlignCenter, text)

    def _paint_drop_hint(self, p: QPainter) -> None:
        p.setBrush(QColor(58, 123, 253, 60))
        p.setPen(QPen(QColor("#3a7bfd"), 3, Qt.PenStyle.DashLine))
        p.drawRoundedRect(QRectF(self.rect()).adjusted(8, 8, -8, -8), 14, 14)
        f = QFont(self.font())
        f.setPointSizeF(f.pointSizeF() + 4)
        f.setBold(True)
        p.setFont(f)
        p.setPen(QColor("white"))
        p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "Drop to use as background")
