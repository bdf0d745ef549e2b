"""Where file dialogs start: the user's Pictures folder, not the working directory.

The app is started from a desktop launcher or the tray, whose working directory is ``/`` or the
home folder; photos and backgrounds live in Pictures (``QStandardPaths.PicturesLocation``:
``~/Pictures`` or its localised name on Linux, ``%USERPROFILE%\\Pictures`` on Windows). When it
does not exist, the home folder.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QStandardPaths


def pictures_dir() -> Path:
    """The user's Pictures folder if it exists, else the home folder."""
    found = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.PicturesLocation)
    if found and Path(found).is_dir():
        return Path(found)
    return Path.home()
