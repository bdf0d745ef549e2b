"""Where vbg's own data lives: the shipped models and the assets (icons, backgrounds, demo photo).

They are package data of ``vbg``, in ``vbg/_data/``::

    vbg/_data/models/   *.onnx with their sidecar *.json, LICENSE*, NOTICE, MODEL_CARD*.md
    vbg/_data/assets/   icons/, backgrounds/, demo/

and are found through :mod:`importlib.resources`, the same way from a source checkout, an
installed wheel (``pip install vbg``, pipx) and a PyInstaller bundle (whose importer places
package data at ``<bundle>/_internal/vbg/_data``). This module is the only place that knows the
layout: everything else asks :func:`models_dir`, :func:`assets_dir` or :func:`asset`.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

DATA_PACKAGE = "vbg"
DATA_FOLDER = "_data"


def root() -> Path:
    """The folder that holds ``models/`` and ``assets/`` (``.../vbg/_data``).

    It is a real folder on disk in every supported install (source, wheel, PyInstaller);
    ``RuntimeError`` if vbg was imported from somewhere that has no files on disk (a zip),
    where onnxruntime and Qt could not open the files anyway.
    """
    data = files(DATA_PACKAGE) / DATA_FOLDER
    if not isinstance(data, Path):
        raise RuntimeError(
            f"vbg's data ({data}) is not a folder on disk; install vbg unpacked (pip install)")
    return data


def models_dir() -> Path:
    """Folder of the shipped ONNX models (with their sidecar JSON, licences and model cards)."""
    return root() / "models"


def assets_dir() -> Path:
    """Folder of icons, default backgrounds and the demo picture."""
    return root() / "assets"


def asset(*parts: str) -> Path:
    """Path of one asset, e.g. ``asset("demo", "astronaut.png")`` (it may not exist)."""
    return assets_dir().joinpath(*parts)
