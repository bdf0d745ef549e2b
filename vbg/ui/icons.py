"""Icons and thumbnails: line icons from assets/icons, app icons per state, colour swatches,
and cached thumbnails of background pictures and videos.

Line icons are SVGs drawn in one colour (``#d8dee9``); :func:`line_icon` recolours them, so
one file serves the dark theme, disabled states and accents. Thumbnails are decoded with
OpenCV (the same decoder the engine uses, so what shows here is what the engine can read) and
cached by path, modification time and size.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
from PySide6.QtCore import QByteArray, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QImage, QPainter, QPainterPath, QPixmap
from PySide6.QtSvg import QSvgRenderer

from vbg import resources
from vbg.imaging import VideoFrames, cover_fit, decode_image

LINE_COLOR = "#d8dee9"
ICON_SIZES = (16, 20, 24, 32, 48)
THUMB_SIZE = (160, 90)


def _svg_pixmap(svg: bytes, size: int) -> QPixmap:
    renderer = QSvgRenderer(QByteArray(svg))
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    return QPixmap.fromImage(image)


@lru_cache(maxsize=256)
def line_icon(name: str, color: str = LINE_COLOR) -> QIcon:
    """``assets/icons/NAME.svg`` in ``color``; a disabled (dimmed) mode is included."""
    path = resources.asset("icons", f"{name}.svg")
    try:
        svg = path.read_bytes()
    except OSError:
        return QIcon()
    icon = QIcon()
    dim = svg.replace(LINE_COLOR.encode(), b"#6b7280")
    for size in ICON_SIZES:
        icon.addPixmap(_svg_pixmap(svg.replace(LINE_COLOR.encode(), color.encode()), size))
        icon.addPixmap(_svg_pixmap(dim, size), QIcon.Mode.Disabled)
    return icon


APP_ICON_FILES = {"on": "vbg.svg", "off": "vbg-off.svg", "paused": "vbg-paused.svg",
                  "idle": "vbg-idle.svg"}


@lru_cache(maxsize=8)
def app_icon(state: str = "on") -> QIcon:
    """The vbg icon for a state: "on", "idle", "off" or "paused" (tray and window)."""
    path = resources.asset("icons", APP_ICON_FILES.get(state, "vbg.svg"))
    icon = QIcon()
    try:
        svg = path.read_bytes()
    except OSError:
        return icon
    for size in (16, 22, 24, 32, 48, 64, 128, 256):
        icon.addPixmap(_svg_pixmap(svg, size))
    return icon


def swatch(hex_color: str, size: tuple[int, int] = (32, 32), radius: float = 6) -> QPixmap:
    """A rounded square of one colour (``#RRGGBB``)."""
    w, h = size
    pix = QPixmap(w, h)
    pix.fill(Qt.GlobalColor.transparent)
    p = QPainter(pix)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    path = QPainterPath()
    path.addRoundedRect(QRectF(0.5, 0.5, w - 1, h - 1), radius, radius)
    p.fillPath(path, QColor(hex_color))
    p.setPen(QColor(255, 255, 255, 60))
    p.drawPath(path)
    p.end()
    return pix


def bgr_to_qimage(bgr: np.ndarray) -> QImage:
    """A QImage that owns a copy of a BGR uint8 array (safe to keep)."""
    bgr = np.ascontiguousarray(bgr)
    h, w = bgr.shape[:2]
    return QImage(bgr.data, w, h, bgr.strides[0], QImage.Format.Format_BGR888).copy()


def _read_first_frame(path: Path) -> np.ndarray | None:
    if path.suffix.lower() in {".mp4", ".mov", ".m4v", ".avi", ".mkv", ".webm"}:
        video = VideoFrames(path, loop=False)
        try:
            return video.read()
        finally:
            video.close()
    return decode_image(path)


def cover(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Scale and centre-crop ``image`` to exactly ``size`` (w, h), as a background is fitted."""
    return cover_fit(image, size)


@lru_cache(maxsize=128)
def _thumb_cached(path: str, mtime: float, size: tuple[int, int], blur: int) -> QPixmap | None:
    frame = _read_first_frame(Path(path))
    if frame is None:
        return None
    small = cover(frame, size)
    if blur:
        k = 2 * blur + 1
        small = cv2.GaussianBlur(small, (k, k), 0)
    pix = QPixmap.fromImage(bgr_to_qimage(small))
    if Path(path).suffix.lower() in {".mp4", ".mov", ".m4v", ".avi", ".mkv", ".webm"}:
        _draw_play_badge(pix)
    return pix


def _draw_play_badge(pix: QPixmap) -> None:
    p = QPainter(pix)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    r = min(pix.width(), pix.height()) * 0.18
    cx, cy = pix.width() - r - 6, pix.height() - r - 6
    p.setBrush(QColor(0, 0, 0, 150))
    p.setPen(Qt.PenStyle.NoPen)
    p.drawEllipse(QRectF(cx - r, cy - r, 2 * r, 2 * r))
    tri = QPainterPath()
    tri.moveTo(cx - r * 0.35, cy - r * 0.5)
    tri.lineTo(cx + r * 0.55, cy)
    tri.lineTo(cx - r * 0.35, cy + r * 0.5)
    tri.closeSubpath()
    p.fillPath(tri, QColor("white"))
    p.end()


def thumbnail(path: str | Path, size: tuple[int, int] = THUMB_SIZE,
              blur: int = 0) -> QPixmap | None:
    """A cover-fitted thumbnail of an image or video's first frame (None when unreadable);
    ``blur`` > 0 blurs it (the blur presets' tiles)."""
    p = Path(path)
    try:
        mtime = p.stat().st_mtime
    except OSError:
        return None
    return _thumb_cached(str(p), mtime, size, blur)


def icon_for(spec: str | None) -> QIcon:
    """A menu item's icon string (see ``vbg.app.menu.MenuItem.icon``) as a QIcon."""
    if not spec:
        return QIcon()
    kind, _, arg = spec.partition(":")
    if kind == "icon":
        return line_icon(arg)
    if kind == "swatch":
        return QIcon(swatch(arg))
    if kind == "thumb":
        pix = thumbnail(arg, (32, 32))
        return QIcon(pix) if pix is not None else line_icon("image")
    return QIcon()
