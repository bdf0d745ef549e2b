"""What goes into the bundle (packaging/bundle_rules.py) and the ELF fix-ups
(packaging/elf_fixups.py), checked without building anything."""

from __future__ import annotations

import struct
from pathlib import Path

import bundle_rules
import elf_fixups
import pytest

from tests.packaging.conftest import REPO

pytestmark = pytest.mark.packaging


@pytest.mark.parametrize("dest", [
    "PySide6/Qt/lib/libQt6Core.so.6",
    "PySide6/Qt/lib/libQt6Gui.so.6",
    "PySide6/Qt/lib/libQt6Widgets.so.6",
    "PySide6/Qt/lib/libQt6Svg.so.6",
    "PySide6/Qt/lib/libQt6DBus.so.6",
    "PySide6/Qt/lib/libQt6XcbQpa.so.6",
    "PySide6/Qt/lib/libQt6WaylandClient.so.6",
    "PySide6/Qt/plugins/platforms/libqxcb.so",
    "PySide6/Qt/plugins/platforms/libqwayland.so",
    "PySide6/Qt/plugins/platforms/libqoffscreen.so",
    "PySide6/Qt/plugins/imageformats/libqsvg.so",
    "PySide6/Qt/plugins/iconengines/libqsvgicon.so",
    "PySide6/Qt/plugins/platformthemes/libqxdgdesktopportal.so",
    "PySide6/Qt/plugins/wayland-shell-integration/libxdg-shell.so",
    "PySide6/plugins/platforms/qwindows.dll",          # Windows layout
    "PySide6\\Qt6Widgets.dll",
    "PySide6/Qt/plugins/platforms/libqcocoa.dylib",    # macOS
    "cv2/cv2.abi3.so",
    "onnxruntime/capi/onnxruntime_pybind11_state.cpython-311-x86_64-linux-gnu.so",
])
def test_keeps_what_the_app_uses(dest: str) -> None:
    assert bundle_rules.keep_binary(dest)


@pytest.mark.parametrize("dest", [
    "PySide6/Qt/lib/libQt6Quick.so.6",
    "PySide6/Qt/lib/libQt6Qml.so.6",
    "PySide6/Qt/lib/libQt6QmlModels.so.6",
    "PySide6/Qt/lib/libQt6NetworkAuth.so.6",
    "PySide6/Qt/lib/libQt6OpenGL.so.6",
    "PySide6/Qt/lib/libQt6Pdf.so.6",
    "PySide6/Qt/lib/libQt6WebEngineCore.so.6",
    "PySide6/Qt/lib/libQt6EglFSDeviceIntegration.so.6",
    "libQt6Quick.so.6",                                # the top-level symlink PyInstaller adds
    "PySide6\\Qt6Quick.dll",
    "PySide6/Qt/plugins/platformthemes/libqgtk3.so",   # drags in a private GTK stack
    "PySide6/Qt/plugins/platforms/libqeglfs.so",
    "PySide6/Qt/plugins/platforms/libqvnc.so",
    "PySide6/Qt/plugins/egldeviceintegrations/libqeglfs-kms-integration.so",
    "PySide6/Qt/plugins/wayland-graphics-integration-client/libqt-plugin-wayland-egl.so",
    "PySide6/Qt/plugins/sqldrivers/libqsqlite.so",
    "PySide6/Qt/plugins/imageformats/libqpdf.so",
    "PySide6/Qt/plugins/tls/libqopensslbackend.so",
])
def test_drops_qt_pieces_the_app_does_not_use(dest: str) -> None:
    assert not bundle_rules.keep_binary(dest)


def test_drops_qml_and_translations_keeps_other_data() -> None:
    assert not bundle_rules.keep_data("PySide6/Qt/qml/QtQuick/qmldir")
    assert not bundle_rules.keep_data("PySide6/Qt/translations/qtbase_de.qm")
    assert not bundle_rules.keep_data("PySide6\\translations\\qtbase_fr.qm")
    assert bundle_rules.keep_data("vbg/_data/models/selfie_general.onnx")
    assert bundle_rules.keep_data("vbg/_data/assets/icons/vbg.svg")
    assert bundle_rules.keep_data("cv2/config.py")


def test_excludes_training_and_unused_toolkits() -> None:
    excluded = set(bundle_rules.EXCLUDED_MODULES)
    for name in ("vbg.training", "torch", "tkinter", "matplotlib", "skimage", "scipy",
                 "PySide6.QtQuick", "PySide6.QtQml", "PySide6.QtWebEngineCore",
                 "PySide6.Qt3DCore", "PySide6.QtNetworkAuth"):
        assert name in excluded
    # What the app does import must never be excluded.
    for name in ("PySide6.QtCore", "PySide6.QtGui", "PySide6.QtWidgets", "PySide6.QtSvg",
                 "PySide6.QtNetwork",  # the single-instance socket
                 "cv2", "numpy", "onnxruntime", "pyvirtualcam", "platformdirs", "simplejpeg",
                 "hashlib"):
        assert name not in excluded


def test_models_and_assets_ship_at_their_package_paths() -> None:
    pairs = bundle_rules.model_and_asset_datas(REPO)
    shipped = {(Path(src).relative_to(REPO).as_posix(), dest) for src, dest in pairs}
    names = {src for src, _ in shipped}
    models = REPO / "models"
    onnx_files = sorted(models.glob("*.onnx"))
    assert len(onnx_files) >= 2, f"fewer than 2 models in {models}"
    for onnx in onnx_files:
        assert (f"models/{onnx.name}", "vbg/_data/models") in shipped
        sidecar = onnx.with_suffix(".json")
        if sidecar.exists():
            assert f"models/{sidecar.name}" in names
    for must in ("LICENSE-mediapipe", "NOTICE", "MODEL_CARD.md"):
        assert (f"models/{must}", "vbg/_data/models") in shipped
    assert ("assets/demo/astronaut.png", "vbg/_data/assets/demo") in shipped
    assert ("assets/icons/vbg.svg", "vbg/_data/assets/icons") in shipped
    assert ("assets/backgrounds/aurora.jpg", "vbg/_data/assets/backgrounds") in shipped
    assert not any(n.startswith("models/source/") or n.endswith(".tflite") for n in names), \
        "conversion inputs ship"
    assert not any(n.endswith(".py") for n in names), "scripts ship"
    for dest in (d for _, d in shipped):
        assert not Path(dest).is_absolute()


def _tiny_elf(runpath: bytes) -> bytes:
    """A minimal little-endian ELF64 file with a dynamic section holding DT_STRTAB and
    DT_RUNPATH, laid out as the loader sees it (one PT_LOAD covering the file)."""
    ehdr, phdr = 64, 56
    strtab = b"\0" + runpath + b"\0"
    dyn_off = ehdr + 2 * phdr
    dynamic = struct.pack("<qQqQqQ", elf_fixups.DT_STRTAB, 0, elf_fixups.DT_RUNPATH, 1, 0, 0)
    str_off = dyn_off + len(dynamic)
    dynamic = struct.pack("<qQqQqQ", elf_fixups.DT_STRTAB, 0x400000 + str_off,
                          elf_fixups.DT_RUNPATH, 1, 0, 0)
    size = str_off + len(strtab)
    header = (b"\x7fELF" + bytes([2, 1, 1]) + b"\0" * 9
              + struct.pack("<HHIQQQIHHHHHH", 3, 62, 1, 0, ehdr, 0, 0, ehdr, phdr, 2, 64, 0, 0))
    load = struct.pack("<IIQQQQQQ", elf_fixups.PT_LOAD, 5, 0, 0x400000, 0x400000, size, size,
                       0x1000)
    dyn = struct.pack("<IIQQQQQQ", elf_fixups.PT_DYNAMIC, 6, dyn_off, 0x400000 + dyn_off,
                      0x400000 + dyn_off, len(dynamic), len(dynamic), 8)
    return header + load + dyn + dynamic + strtab


def test_absolute_runpath_becomes_origin(tmp_path: Path) -> None:
    f = tmp_path / "libpython3.11.so.1.0"
    f.write_bytes(_tiny_elf(b"/root/.pyenv/versions/3.11.7/lib"))
    assert elf_fixups.runpaths(f) == ["/root/.pyenv/versions/3.11.7/lib"]
    size = f.stat().st_size
    assert elf_fixups.neutralise_absolute_runpath(f)
    assert elf_fixups.runpaths(f) == ["$ORIGIN"]
    assert f.stat().st_size == size  # rewritten in place: no offset moved


def test_relative_runpath_and_other_files_are_left_alone(tmp_path: Path) -> None:
    f = tmp_path / "lib.so"
    f.write_bytes(_tiny_elf(b"$ORIGIN/../numpy.libs"))
    assert not elf_fixups.neutralise_absolute_runpath(f)
    assert elf_fixups.runpaths(f) == ["$ORIGIN/../numpy.libs"]
    text = tmp_path / "notes.txt"
    text.write_text("not an ELF file")
    assert not elf_fixups.neutralise_absolute_runpath(text)
    assert elf_fixups.runpaths(text) == []


def test_system_libraries_are_left_to_the_system_only_at_the_top_level() -> None:
    for dest in ("libstdc++.so.6", "libglib-2.0.so.0", "libxcb-icccm.so.4", "libX11.so.6"):
        assert bundle_rules.leave_to_system(dest), dest
    # A wheel's own copy in its .libs folder, and libraries the system may not have, stay.
    for dest in ("numpy.libs/libgfortran-040039e1-0352e75f.so.5.0.0",
                 "opencv_python_headless.libs/libpng16-529cb57a.so.16.58.0",
                 "libpython3.11.so.1.0", "PySide6/Qt/lib/libicudata.so.73", "libQt6Core.so.6"):
        assert not bundle_rules.leave_to_system(dest), dest
    # Every library left out names a Debian package the .deb can depend on.
    for soname, package in bundle_rules.SYSTEM_LIBRARIES.items():
        assert ".so" in soname and package and " " not in package, (soname, package)
    assert bundle_rules.SYSTEM_LIBRARIES["libxcb-dri3.so.0"] == "libxcb-dri3-0"


def test_keeps_qtnetwork_for_the_single_instance_socket() -> None:
    assert bundle_rules.keep_binary("PySide6/Qt/lib/libQt6Network.so.6")
    assert bundle_rules.keep_binary("libQt6Network.so.6")
