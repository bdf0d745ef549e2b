"""Where vbg's own data lives: the shipped models and the assets (icons, backgrounds, demo photo).

In the repository they sit at the top, next to the package::

    models/   *.onnx with their sidecar *.json, LICENSE*, NOTICE, MODEL_CARD*.md
              (and convert_mediapipe.py with its source/ inputs, which don't ship)
    assets/   icons/, backgrounds/, demo/

The build copies them into the package as ``vbg/_data/models`` and ``vbg/_data/assets``: the
wheel through setup.py and ``[tool.setuptools.package-data]``, the PyInstaller bundle through
packaging/bundle_rules.py (``<bundle>/_internal/vbg/_data``). :func:`root` answers the
checkout's top when vbg runs from a checkout (a source tree, ``pip install -e .``), else the
installed copy, found with :mod:`importlib.resources` (a wheel, pipx, the bundle). This module
is the only place that knows the layout: everything else asks :func:`models_dir`,
:func:`assets_dir` or :func:`asset`.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

DATA_PACKAGE = "vbg"
DATA_FOLDER = "_data"  # inside the installed package


def root() -> Path:
    """The folder that holds ``models/`` and ``assets/``: the repository's top in a checkout,
    ``.../vbg/_data`` in a wheel or a bundle.

    A checkout is recognised by ``pyproject.toml``, ``models/`` and ``assets/`` next to the
    package (never the case in site-packages or a bundle). ``RuntimeError`` if vbg was imported
    from somewhere that has no files on disk (a zip), where onnxruntime and Qt could not open
    the files anyway.
    """
    package = files(DATA_PACKAGE)
    if not isinstance(package, Path):
        raise RuntimeError(
            f"vbg's data ({package}) is not a folder on disk; install vbg unpacked (pip install)")
    checkout = package.parent
    if ((checkout / "pyproject.toml").is_file() and (checkout / "models").is_dir()
            and (checkout / "assets").is_dir()):
        return checkout
    return package / DATA_FOLDER


def models_dir() -> Path:
    """Folder of the shipped ONNX models (with their sidecar JSON, licences and model cards)."""
    return root() / "models"


def assets_dir() -> Path:
    """Folder of icons, default backgrounds and the demo picture."""
    return root() / "assets"


def asset(*parts: str) -> Path:
    """Path of one asset, e.g. ``asset("demo", "astronaut.png")`` (it may not exist)."""
    return assets_dir().joinpath(*parts)
