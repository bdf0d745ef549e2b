"""What goes into the PyInstaller bundle and what stays out; used by ``vbg.spec``.

Plain functions on the paths PyInstaller reports (``dest`` names inside the bundle, '/' or
'\\' separated), so the rules can be unit-tested without running a build
(``tests/packaging/test_bundle_rules.py``).
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

# Python packages the runtime never imports but that the analysis can reach through optional
# imports of our dependencies (or that sit in a developer's environment).
EXCLUDED_MODULES: list[str] = [
    # Training stack and heavy science packages (vbg.training is the only torch user).
    "vbg.training", "torch", "torchvision", "torchaudio", "tensorflow", "tf2onnx", "onnx",
    "ai_edge_litert", "jax", "matplotlib", "skimage", "scipy", "pandas", "sympy", "sklearn",
    "PIL", "imageio", "tifffile", "networkx", "IPython", "notebook", "jupyter",
    # PyAV (the `video` extra): ~104 MB with an FFmpeg built with x264 (GPL); the MIT bundle
    # records with OpenCV's writer instead (vbg.sinks.file falls back when `av` is missing).
    "av",
    # pymatting (the `matting` extra): numba + llvmlite (~210 MB, and TBB); stills fall back to
    # vbg's own foreground estimate when it is missing (vbg.matting.foreground).
    "pymatting", "numba", "llvmlite",
    # GUI toolkits other than PySide6, and the Tk that Python ships.
    "tkinter", "_tkinter", "PyQt5", "PyQt6", "PySide2", "wx", "gi",
    # onnxruntime's offline tools (quantisation, transformer optimisers) pull onnx/sympy.
    "onnxruntime.quantization", "onnxruntime.transformers", "onnxruntime.tools",
    "onnxruntime.training", "coloredlogs", "humanfriendly",
    # Test and dev tools.
    "pytest", "pytestqt", "_pytest", "importlinter", "grimp", "ruff", "psutil", "setuptools",
    "pkg_resources", "distutils", "lib2to3", "pydoc_data",
    # Never used at run time; readline would also bundle the system's GPL libreadline.
    "yaml", "readline", "curses", "ssl", "_ssl", "xmlrpc", "http.server", "pdb", "doctest",
    # hashlib falls back to Python's own sha256/md5/... without OpenSSL's _hashlib, which would
    # bundle the build machine's libcrypto (4.5 MB).
    "_hashlib",
    # Qt modules the app does not use (PySide6's hooks collect a module only when imported,
    # but listing them keeps an accidental import from dragging in QML/Quick or WebEngine).
    *[f"PySide6.{m}" for m in (
        "Qt3DAnimation", "Qt3DCore", "Qt3DExtras", "Qt3DInput", "Qt3DLogic", "Qt3DRender",
        "QtBluetooth", "QtCharts", "QtConcurrent", "QtDataVisualization", "QtDesigner",
        "QtGraphs", "QtHelp", "QtHttpServer", "QtLabsStyleKit", "QtLocation", "QtMultimedia",
        "QtMultimediaWidgets", "QtNetworkAuth", "QtNfc", "QtOpenGL",
        "QtOpenGLWidgets", "QtPdf", "QtPdfWidgets", "QtPositioning", "QtPrintSupport", "QtQml",
        "QtQmlFeatures", "QtQuick", "QtQuick3D", "QtQuickControls2", "QtQuickTest",
        "QtQuickWidgets", "QtRemoteObjects", "QtScxml", "QtSensors", "QtSerialBus",
        "QtSerialPort", "QtSpatialAudio", "QtSql", "QtStateMachine", "QtTest",
        "QtTextToSpeech", "QtUiTools", "QtWebChannel", "QtWebEngineCore", "QtWebEngineQuick",
        "QtWebEngineWidgets", "QtWebSockets", "QtWebView", "QtXml", "QtDBus",
    )],
    # East Asian legacy codecs (0.9 MB): vbg reads and writes UTF-8 only; asking for such a
    # codec gives Python's ordinary "unknown encoding" LookupError.
    "_codecs_jp", "_codecs_kr", "_codecs_cn", "_codecs_tw", "_codecs_hk", "_codecs_iso2022",
]

# Qt shared libraries that may be dragged in by plugins even though no module imports them.
# (QtNetwork stays: the single-instance check talks over a QLocalSocket.)
_QT_LIB_DROP = re.compile(
    r"(?:lib)?Qt6(?:Quick\w*|Qml\w*|Designer\w*|Help|Labs\w*|Lottie\w*|NetworkAuth|OpenGL\w*|Pdf\w*|"
    r"PrintSupport|Sql|Test|UiTools|VirtualKeyboard\w*|WaylandCompositor\w*|WebEngine\w*|"
    r"3D\w*|Multimedia\w*|Xml|ShaderTools|Concurrent|EglFS\w*|EglFsKms\w*)\b",
    re.IGNORECASE,
)
# Qt plugin folders the app does not need (everything under plugins/<folder>/): embedded
# (eglfs, evdev input), OpenGL-on-Wayland integrations (QtWidgets draws through shared
# memory), printing, SQL, networking, QML tooling.
_QT_PLUGIN_DIR_DROP = {
    "designer", "qmltooling", "sqldrivers", "printsupport", "networkinformation", "tls",
    "egldeviceintegrations", "generic", "wayland-graphics-integration-client",
    "wayland-graphics-integration-server", "vectorimageformats", "multimedia", "position",
    "sensors", "canbus", "texttospeech", "webview", "geoservices", "renderers",
    "sceneparsers", "assetimporters",
}
# Single plugins dropped from folders that are otherwise kept (name without lib prefix and
# extension). platforms: keep xcb, wayland, offscreen, minimal (Linux), windows, cocoa.
# platformthemes: the GTK3 theme drags in a private copy of GTK's stack (cairo, pango, ...)
# that can clash with the system's GTK; the XDG portal theme covers file dialogs.
_QT_PLUGIN_DROP = {
    "platforms": {"qeglfs", "qlinuxfb", "qminimalegl", "qvnc", "qvkkhrdisplay", "qdirect2d"},
    "platformthemes": {"qgtk3"},
    "imageformats": {"qtiff", "qwebp", "qtga", "qwbmp", "qpdf", "qmacheif", "qmacjp2"},
    "wayland-shell-integration": {"fullscreen-shell-v1", "ivi-shell", "qt-shell",
                                  "wl-shell-plugin"},
    "platforminputcontexts": {"qtvirtualkeyboardplugin"},
}


# Linux: libraries every desktop Debian/Ubuntu has, left to the system instead of copying the
# build machine's (12 MB). The .deb depends on these packages (build_deb.py reads this map),
# so apt installs whichever are missing. soname -> Debian package.
SYSTEM_LIBRARIES: dict[str, str] = {
    "libstdc++.so.6": "libstdc++6", "libgcc_s.so.1": "libgcc-s1",
    "libz.so.1": "zlib1g", "libzstd.so.1": "libzstd1", "liblzma.so.5": "liblzma5",
    "liblz4.so.1": "liblz4-1", "libbz2.so.1.0": "libbz2-1.0",
    "libbrotlicommon.so.1": "libbrotli1", "libbrotlidec.so.1": "libbrotli1",
    "libexpat.so.1": "libexpat1", "libffi.so.8": "libffi8", "libpcre2-8.so.0": "libpcre2-8-0",
    "libbsd.so.0": "libbsd0", "libmd.so.0": "libmd0", "libcap.so.2": "libcap2",
    "libgcrypt.so.20": "libgcrypt20", "libgpg-error.so.0": "libgpg-error0",
    "libsystemd.so.0": "libsystemd0", "libdbus-1.so.3": "libdbus-1-3",
    "libglib-2.0.so.0": "libglib2.0-0", "libgthread-2.0.so.0": "libglib2.0-0",
    "libpng16.so.16": "libpng16-16", "libfreetype.so.6": "libfreetype6",
    "libfontconfig.so.1": "libfontconfig1",
    # What libQt6Network links (Kerberos for HTTP auth, OpenSSL): on every desktop already.
    "libgssapi_krb5.so.2": "libgssapi-krb5-2", "libkrb5.so.3": "libkrb5-3",
    "libk5crypto.so.3": "libk5crypto3", "libkrb5support.so.0": "libkrb5support0",
    "libcom_err.so.2": "libcom-err2", "libkeyutils.so.1": "libkeyutils1",
    "libssl.so.3": "libssl3", "libcrypto.so.3": "libssl3",
    "libX11.so.6": "libx11-6", "libX11-xcb.so.1": "libx11-xcb1", "libXau.so.6": "libxau6",
    "libXdmcp.so.6": "libxdmcp6",
    "libxkbcommon.so.0": "libxkbcommon0", "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    **{f"libxcb-{name.rstrip('-')}.so.{ver}": f"libxcb-{name}{ver}" for name, ver in (
        ("cursor", 0), ("glx", 0), ("icccm", 4), ("image", 0), ("keysyms", 1), ("randr", 0),
        ("render-util", 0), ("render", 0), ("shape", 0), ("shm", 0), ("sync", 1), ("util", 1),
        ("xfixes", 0), ("xinerama", 0), ("xinput", 0), ("xkb", 1), ("present", 0),
        ("dri3-", 0), ("dri2-", 0))},
}


def leave_to_system(dest: str) -> bool:
    """True for a system library that the bundle should not carry (top level of the bundle,
    name in ``SYSTEM_LIBRARIES``); a wheel's own copy in its ``X.libs`` folder stays."""
    parts = _parts(dest)
    return len(parts) == 1 and parts[0] in SYSTEM_LIBRARIES


# Binaries built with debug information (the interpreter from pyenv/python.org builds);
# stripping them saves ~25 MB. Wheel libraries are NOT stripped: auditwheel/delocate patched
# them with patchelf, and binutils' strip corrupts such files ("ELF load command
# address/offset not page-aligned").
STRIP_GLOBS: tuple[str, ...] = ("libpython3*.so*", "python3*/lib-dynload/*.so")


def _parts(dest: str) -> list[str]:
    return [p for p in re.split(r"[\\/]", dest) if p]


def _qt_part(dest: str) -> list[str] | None:
    """The path below ``PySide6/Qt`` (Linux/macOS) or ``PySide6`` (Windows), else None."""
    parts = _parts(dest)
    if not parts or parts[0] != "PySide6":
        return None
    return parts[2:] if len(parts) > 1 and parts[1] == "Qt" else parts[1:]


def _plugin_stem(filename: str) -> str:
    stem = filename.split(".", 1)[0]
    return stem[3:] if stem.startswith("lib") else stem


def keep_binary(dest: str) -> bool:
    """False for Qt libraries and plugins the app does not use."""
    parts = _parts(dest)
    if not parts:
        return True
    if _QT_LIB_DROP.search(parts[-1]):
        return False
    qt = _qt_part(dest)
    if qt and len(qt) >= 3 and qt[0] == "plugins":
        folder, stem = qt[1], _plugin_stem(qt[-1])
        if folder in _QT_PLUGIN_DIR_DROP or stem in _QT_PLUGIN_DROP.get(folder, ()):
            return False
    return True


def keep_data(dest: str) -> bool:
    """False for Qt data the app does not use: QML files, and the translations (the app's
    texts are English only; translated Qt buttons among them would read worse than none)."""
    qt = _qt_part(dest)
    if not qt:
        return True
    if qt[0] in ("qml", "translations", "metatypes", "typesystems", "include", "glue"):
        return False
    if qt[0] == "plugins" and len(qt) >= 2 and qt[1] in _QT_PLUGIN_DIR_DROP:
        return False
    return True


# vbg's data: models/ and assets/ at the top of the repository, placed inside the package as
# vbg/_data/{models,assets} (as in the wheel), where vbg.resources finds them.
DATA_DIR = ("vbg", "_data")
# Files of models/ that ship: the networks, their sidecars, licences and model cards (not the
# conversion script convert_mediapipe.py, not its inputs in source/).
_MODEL_FILES = re.compile(
    r".+\.(?:onnx|json)$|(?:LICENSE|LICENCE|NOTICE|MODEL_CARD|README)[\w.-]*$", re.IGNORECASE
)
# Files of assets/ that don't ship (sources of pictures, scripts, editor droppings).
_ASSET_SKIP = re.compile(r"\.(?:xcf|kra|psd|blend|py|pyc)$|^\.|~$", re.IGNORECASE)


def model_and_asset_datas(root: Path) -> list[tuple[str, str]]:
    """``(source file, bundle folder)`` pairs for ``models/`` and ``assets/`` under ``root``.

    They go where the wheel puts them, inside the package (``models/x.onnx`` ->
    ``vbg/_data/models``, ``assets/demo/astronaut.png`` -> ``vbg/_data/assets/demo``), which is
    where PyInstaller's importer lets ``importlib.resources.files("vbg")`` look, so
    ``vbg.resources`` finds them in the bundle as in an installed wheel. Only the top level of
    ``models/`` ships.
    """
    data = PurePosixPath(*DATA_DIR)
    pairs: list[tuple[str, str]] = []
    models = root / "models"
    if models.is_dir():
        for f in sorted(models.iterdir()):
            if f.is_file() and _MODEL_FILES.fullmatch(f.name):
                pairs.append((str(f), (data / "models").as_posix()))
    assets = root / "assets"
    if assets.is_dir():
        for f in sorted(assets.rglob("*")):
            rel = f.relative_to(assets)
            if f.is_file() and not any(_ASSET_SKIP.search(p) for p in rel.parts):
                pairs.append((str(f), (data / "assets" / rel.parent.as_posix()).as_posix()))
    return pairs
