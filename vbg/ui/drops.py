"""What a drop onto a window brings, from its URLs: background files for the main window, a
photo or video for the cut-out window. Anything else is refused (the window ignores the drag)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData, QUrl

from vbg.app import backgrounds as bgs
from vbg.imaging import IMAGE_EXTENSIONS, VIDEO_EXTENSIONS


def dropped_files(urls: list[QUrl]) -> list[Path]:
    """The local files among dropped URLs that vbg can use as a background."""
    files = [Path(u.toLocalFile()) for u in urls if u.isLocalFile()]
    return [f for f in files if bgs.kind_of(f) is not None]


def dropped_photo_or_video(mime: QMimeData) -> Path | None:
    """The first local photo or video among the dropped URLs, or None."""
    if not mime.hasUrls():
        return None
    for url in mime.urls():
        suffix = Path(url.toLocalFile()).suffix.lower()
        if url.isLocalFile() and suffix in IMAGE_EXTENSIONS | VIDEO_EXTENSIONS:
            return Path(url.toLocalFile())
    return None
