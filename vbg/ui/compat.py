"""A guard against a reference-counting bug of PySide6 6.12 on Python 3.11.

PySide6 6.12.0 returns ``None`` from every void method (``QWidget.update()``,
``QPainter.drawImage()``, ...) and ``True``/``False`` from ``Signal.emit()`` without taking a
reference. From Python 3.12 on these objects are immortal (PEP 683) and that is harmless; on
3.11 each call takes one reference away, and after a few thousand calls (seconds of painting
a 30 fps preview) the interpreter aborts with "Fatal Python error: none_dealloc". PySide6 6.11
does not have the bug.

The fix belongs in the dependency pin (see docs/desktop-app.md); until then the UI makes
these three singletons effectively immortal, as 3.12 does, by giving them 2**40 extra
references. They are never freed anyway, so this changes nothing but the crash.
"""

from __future__ import annotations

import ctypes
import re
import sys

import PySide6

_BOOST = 1 << 40


def _affected(version: str = PySide6.__version__) -> bool:
    m = re.match(r"(\d+)\.(\d+)", version)
    if m is None:
        return False
    return (int(m.group(1)), int(m.group(2))) >= (6, 12)


def immortalize_singletons() -> bool:
    """Apply the guard when this interpreter and PySide6 need it; True when applied."""
    if sys.version_info >= (3, 12) or sys.implementation.name != "cpython" or not _affected():
        return False
    for obj in (None, True, False):
        # ob_refcnt is the first field of every CPython object (Include/object.h).
        ctypes.c_ssize_t.from_address(id(obj)).value += _BOOST
    return True
