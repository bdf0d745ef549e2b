"""Where bundled models and assets live, from a source checkout and from a PyInstaller bundle."""

from __future__ import annotations

import sys
from pathlib import Path


def root() -> Path:
    """The folder that holds ``models/`` and ``assets/``.

    In a PyInstaller bundle that is ``sys._MEIPASS``; from source it is the repository root (the
    parent of the ``vbg`` package).
    """
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle)
    return Path(__file__).resolve().parent.parent


def models_dir() -> Path:
    """Folder of the shipped ONNX models (with their sidecar JSON and model cards)."""
    return root() / "models"


def assets_dir() -> Path:
    """Folder of icons, default backgrounds and the demo picture."""
    return root() / "assets"


def asset(*parts: str) -> Path:
    """Path of one asset, e.g. ``asset("demo", "astronaut.png")``."""
    return assets_dir().joinpath(*parts)
