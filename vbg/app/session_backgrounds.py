"""The session's background files: the user's folder, what it and the bundled folder hold, and
adding and removing pictures there (Qt-free).

:class:`BackgroundLibrary` is owned by :class:`vbg.app.session.Session`; the file work itself
(copying, what may be removed, the order of the picker) is :mod:`vbg.app.backgrounds`'. Which
background is in use is a setting, so the library switches it through the session (``switch``)
and reads it back (``current``); it tells the user what it did with ``report``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from vbg.app import backgrounds as bgs
from vbg.app.messages import Level
from vbg.app.settings import Settings
from vbg.errors import VbgError


class BackgroundLibrary:
    """``folder``: the user's backgrounds folder; ``files``: the bundled pictures and the
    user's, as :func:`vbg.app.backgrounds.list_backgrounds` found them at the last
    :meth:`refresh`. ``current()``: the background spec in use; ``switch(spec)``: use another
    one (True when the pipeline took it); ``changed()``: the lists a menu shows changed."""

    def __init__(self, folder: Path, *, current: Callable[[], str],
                 switch: Callable[[str], bool], report: Callable[[str, Level], None],
                 changed: Callable[[], None]) -> None:
        self.folder = folder
        self.files: list[bgs.BackgroundFile] = []
        self._current = current
        self._switch = switch
        self._report = report
        self._changed = changed
        self.refresh()

    def refresh(self) -> None:
        """Look at the folders again (a file was added or removed outside vbg)."""
        self.files = bgs.list_backgrounds(bgs.default_folders(self.folder))

    def import_file(self, path: str | Path) -> bool:
        """Copy a dropped/chosen file into the backgrounds folder and use it."""
        try:
            copied = bgs.import_background(path, self.folder)
        except VbgError as exc:
            self._report(str(exc), "error")
            return False
        self.refresh()
        if self._switch(f"{bgs.kind_of(copied)}:{copied}"):
            self._report(f"Background set to {copied.name} (copied to {copied.parent}).",
                         "info")
            return True
        return False

    def remove(self, spec: str) -> bool:
        """Delete an added background's file (the picker's "Remove"; the policy is
        :func:`vbg.app.backgrounds.remove_background`). The one in use gives way to the default
        background first, so neither the picture nor the saved settings point at a file that
        is gone."""
        try:
            removed = bgs.remove_background(spec, self.folder)
        except VbgError as exc:
            self._report(str(exc), "error")
            return False
        if bgs.normalise(self._current()) == bgs.normalise(spec):
            self._switch(Settings().background)
        self.refresh()
        self._changed()
        self._report(f"Removed {removed.name} from your backgrounds.", "info")
        return True
