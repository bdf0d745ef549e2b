"""Build ``vbg_<version>_<arch>.deb`` from the PyInstaller one-folder bundle with dpkg-deb.

    python packaging/linux/build_deb.py --bundle dist/vbg --out dist

Layout of the package:

    /opt/vbg/                              the bundle (vbg + _internal/)
    /usr/bin/vbg                           launcher: exec /opt/vbg/vbg "$@"
    /usr/lib/vbg/setup-virtual-camera      loads v4l2loopback now or explains what stops it
    /usr/share/polkit-1/actions/io.github.vbg.setup-virtual-camera.policy
                                           lets the app run that helper through pkexec
    /usr/share/vbg/{modprobe,modules-load}.conf
                                           templates that postinst installs as
                                           /etc/modprobe.d/vbg.conf, /etc/modules-load.d/vbg.conf
    /usr/share/applications/vbg.desktop, /usr/share/icons/hicolor/*/apps/vbg.png
    /usr/share/man/man1/vbg.1.gz
    /usr/share/doc/vbg/{copyright,changelog.gz}, /usr/share/lintian/overrides/vbg

``Depends`` is derived from the bundle itself: the shared libraries its ELF files need that the
bundle does not carry (libc, libGL, libxcb, ...) mapped to Debian packages, and libc6's version
from the newest GLIBC symbol version used. Needs ``objdump`` (binutils, which PyInstaller
needs anyway), ``dpkg-deb`` and OpenCV (to scale the icon).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from email.utils import formatdate
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]

PACKAGE = "vbg"
DEFAULT_MAINTAINER = "vbg maintainers <vbg@example.org>"
ICON_SIZES = (48, 64, 128, 256)
# The polkit action naming the setup helper (vbg.app.vcam.setup.POLKIT_ACTION; the file is
# packaging/linux/<action>.policy).
POLKIT_ACTION = "io.github.vbg.setup-virtual-camera"

# Shared libraries the bundle leaves to the system, and the Debian/Ubuntu package of each.
# A library missing here stops the build, so Depends can't silently go stale.
SONAME_PACKAGES: dict[str, str] = {
    **dict.fromkeys(("libc.so.6", "libm.so.6", "libpthread.so.0", "libdl.so.2", "librt.so.1",
                     "libutil.so.1", "libresolv.so.2", "ld-linux-x86-64.so.2",
                     "ld-linux-aarch64.so.1"), "libc6"),
    "libxcb.so.1": "libxcb1",
    "libGL.so.1": "libgl1",
    "libGLX.so.0": "libglx0",
    "libGLdispatch.so.0": "libglvnd0",
    "libEGL.so.1": "libegl1",
    "libOpenGL.so.0": "libopengl0",
    "libwayland-client.so.0": "libwayland-client0",
    "libwayland-cursor.so.0": "libwayland-cursor0",
    "libwayland-egl.so.1": "libwayland-egl1",
}
# The system libraries the bundle leaves out on purpose (packaging/bundle_rules.py).
sys.path.insert(0, str(HERE.parent))
from bundle_rules import SYSTEM_LIBRARIES  # noqa: E402

SONAME_PACKAGES.update(SYSTEM_LIBRARIES)

DESCRIPTION = """\
real-time virtual background for webcams
 vbg blurs or replaces the background behind you in your webcam picture and
 offers the result as a virtual camera that video-call apps (Meet, Zoom,
 Teams, Jitsi, ...) can pick. It runs on the CPU in real time and sits in
 the system tray.
 .
 The virtual camera is a v4l2loopback device (recommended package
 v4l2loopback-dkms); the package configures it to load at every boot with
 the options Chrome needs (exclusive_caps=1) and the label "vbg"."""

COPYRIGHT = """\
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: vbg
Comment: /opt/vbg is a PyInstaller bundle: the Python interpreter and the
 libraries below are shipped inside it as separate, replaceable shared
 libraries. Their full licence texts are in their upstream distributions.

Files: *
Copyright: 2026 vbg contributors
License: MIT

Files: opt/vbg/_internal/vbg/_data/models/selfie_*
Copyright: Google LLC (MediaPipe Selfie Segmentation models, converted to ONNX)
License: Apache-2.0

Files: opt/vbg/_internal/libpython* opt/vbg/_internal/python3*
 opt/vbg/_internal/base_library.zip
Copyright: Python Software Foundation
License: PSF-2.0

Files: opt/vbg/_internal/PySide6/* opt/vbg/_internal/shiboken6/*
Copyright: The Qt Company Ltd. and other contributors
License: LGPL-3.0

Files: opt/vbg/_internal/cv2/* opt/vbg/_internal/opencv_python_headless.libs/*
Copyright: OpenCV contributors; FFmpeg developers (libav*, libsw*, LGPL-2.1+);
 OpenBLAS contributors (BSD-3-Clause); and others
License: Apache-2.0 and LGPL-2.1+ and BSD-3-Clause

Files: opt/vbg/_internal/onnxruntime/*
Copyright: Microsoft Corporation
License: MIT

Files: opt/vbg/_internal/numpy/* opt/vbg/_internal/numpy.libs/*
Copyright: NumPy developers; OpenBLAS contributors
License: BSD-3-Clause

License: MIT
 Permission is hereby granted, free of charge, to any person obtaining a copy
 of this software and associated documentation files (the "Software"), to deal
 in the Software without restriction, including without limitation the rights
 to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
 copies of the Software, and to permit persons to whom the Software is
 furnished to do so, subject to the following conditions:
 .
 The above copyright notice and this permission notice shall be included in
 all copies or substantial portions of the Software.
 .
 THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
 IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
 FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
 AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
 LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
 OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
 SOFTWARE.

License: Apache-2.0
 On Debian systems the full text is in /usr/share/common-licenses/Apache-2.0.

License: LGPL-3.0
 On Debian systems the full text is in /usr/share/common-licenses/LGPL-3.

License: LGPL-2.1+
 On Debian systems the full text is in /usr/share/common-licenses/LGPL-2.1.

License: BSD-3-Clause
 Redistribution and use in source and binary forms, with or without
 modification, are permitted provided that the following conditions are met:
 1. Redistributions of source code must retain the above copyright notice,
    this list of conditions and the following disclaimer.
 2. Redistributions in binary form must reproduce the above copyright notice,
    this list of conditions and the following disclaimer in the documentation
    and/or other materials provided with the distribution.
 3. Neither the name of the copyright holder nor the names of its contributors
    may be used to endorse or promote products derived from this software
    without specific prior written permission.
 .
 THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS"
 AND ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE
 IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE
 ARE DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT HOLDER OR CONTRIBUTORS BE
 LIABLE FOR ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR
 CONSEQUENTIAL DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF
 SUBSTITUTE GOODS OR SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS
 INTERRUPTION) HOWEVER CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN
 CONTRACT, STRICT LIABILITY, OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE)
 ARISING IN ANY WAY OUT OF THE USE OF THIS SOFTWARE, EVEN IF ADVISED OF THE
 POSSIBILITY OF SUCH DAMAGE.

License: PSF-2.0
 See https://docs.python.org/3/license.html.
"""

# What lintian says about any PyInstaller bundle in /opt that is not a fault of this package
# (bundled libraries are the point of a self-contained installer).
LINTIAN_OVERRIDES = """\
# /opt/vbg is a self-contained PyInstaller bundle, a third-party add-on package (hence /opt): it
# carries its own Python, Qt, OpenCV, onnxruntime and numpy as separate shared libraries. The
# wheel libraries can't be stripped (binutils' strip corrupts the patchelf-ed files), Python's
# extension modules resolve their symbols from the bundled interpreter, and PyInstaller's
# bootloader is not PIE.
vbg: dir-or-file-in-opt [opt/vbg/]
vbg: dir-or-file-in-opt [opt/vbg/*]
vbg: embedded-library * [opt/vbg/_internal/*]
vbg: unstripped-binary-or-object [opt/vbg/_internal/*]
vbg: shared-library-lacks-prerequisites [opt/vbg/_internal/*]
vbg: library-not-linked-against-libc [opt/vbg/_internal/*]
vbg: hardening-no-pie [opt/vbg/vbg]
"""


def read_version() -> str:
    text = (ROOT / "vbg" / "__init__.py").read_text(encoding="utf-8")
    m = re.search(r'__version__\s*=\s*"([^"]+)"', text)
    if not m:
        raise SystemExit("build_deb: can't find __version__ in vbg/__init__.py")
    return m.group(1)


def deb_architecture() -> str:
    return subprocess.run(["dpkg", "--print-architecture"], check=True, capture_output=True,
                          text=True).stdout.strip()


def is_elf(path: Path) -> bool:
    try:
        with path.open("rb") as f:
            return f.read(4) == b"\x7fELF"
    except OSError:
        return False


def elf_files(tree: Path) -> list[Path]:
    return [p for p in sorted(tree.rglob("*")) if p.is_file() and not p.is_symlink()
            and is_elf(p)]


def system_dependencies(bundle: Path) -> tuple[list[str], str | None]:
    """(Debian packages for the libraries the bundle needs but lacks, newest GLIBC version)."""
    carried = {p.name for p in bundle.rglob("*")}
    needed: set[str] = set()
    glibc: tuple[int, ...] = ()
    files = elf_files(bundle)
    # objdump -p: the dynamic section (NEEDED); -T: the dynamic symbols with their versions.
    for chunk in (files[i:i + 64] for i in range(0, len(files), 64)):
        out = subprocess.run(["objdump", "-p", "-T", *map(str, chunk)], capture_output=True,
                             text=True, errors="replace").stdout
        needed |= set(re.findall(r"^\s+NEEDED\s+(\S+)", out, re.MULTILINE))
        for v in re.findall(r"\(?GLIBC_(\d+(?:\.\d+)+)\)?", out):
            glibc = max(glibc, tuple(int(x) for x in v.split(".")))
    external = sorted(needed - carried)
    unknown = [s for s in external if s not in SONAME_PACKAGES]
    if unknown:
        raise SystemExit(
            "build_deb: the bundle needs system libraries with no known package: "
            f"{', '.join(unknown)}; add them to SONAME_PACKAGES in {Path(__file__).name}.")
    packages = sorted({SONAME_PACKAGES[s] for s in external})
    return packages, ".".join(map(str, glibc)) if glibc else None


def depends_field(packages: list[str], glibc: str | None) -> str:
    parts = []
    for p in sorted(set(packages) | ({"libc6"} if glibc else set())):
        parts.append(f"{p} (>= {glibc})" if p == "libc6" and glibc else p)
    return ", ".join(parts)


def write_icons(stage: Path) -> None:
    """The app icon (assets/icons/vbg.png, and vbg.svg when there is one) in the hicolor theme at
    the sizes menus ask for."""
    import cv2  # build-time only

    src = ROOT / "assets" / "icons" / "vbg.png"
    image = cv2.imread(str(src), cv2.IMREAD_UNCHANGED)
    if image is None:
        raise SystemExit(f"build_deb: the app icon {src} is missing or unreadable")
    for size in ICON_SIZES:
        if size > max(image.shape[:2]):
            continue
        out = stage / f"usr/share/icons/hicolor/{size}x{size}/apps/{PACKAGE}.png"
        out.parent.mkdir(parents=True, exist_ok=True)
        if image.shape[:2] == (size, size):
            shutil.copyfile(src, out)
        elif not cv2.imwrite(str(out), cv2.resize(image, (size, size),
                                                  interpolation=cv2.INTER_AREA)):
            raise SystemExit(f"build_deb: can't write {out}")
    svg = src.with_suffix(".svg")
    if svg.is_file():
        out = stage / f"usr/share/icons/hicolor/scalable/apps/{PACKAGE}.svg"
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(svg, out)


def install(src: Path, dest: Path, mode: int) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dest)
    dest.chmod(mode)


def write(dest: Path, text: str | bytes, mode: int = 0o644) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, str):
        text = text.encode("utf-8")
    dest.write_bytes(text)
    dest.chmod(mode)


def normalise_modes(stage: Path) -> None:
    """Directories 0755; the programs 0755; every other file 0644 (shared libraries included:
    they are mapped, not executed)."""
    programs = {stage / "opt/vbg/vbg", stage / "usr/bin/vbg",
                stage / "usr/lib/vbg/setup-virtual-camera"}
    for p in [stage, *stage.rglob("*")]:
        if p.is_symlink():
            continue
        p.chmod(0o755 if p.is_dir() or p in programs else 0o644)


def md5sums(stage: Path) -> str:
    lines = []
    for p in sorted(stage.rglob("*")):
        rel = p.relative_to(stage)
        if rel.parts[0] == "DEBIAN" or p.is_symlink() or not p.is_file():
            continue
        h = hashlib.md5()  # noqa: S324 - the format dpkg defines, not a security check
        with p.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        lines.append(f"{h.hexdigest()}  {rel.as_posix()}\n")
    return "".join(lines)


def installed_size_kib(stage: Path) -> int:
    total = 0
    for p in stage.rglob("*"):
        if p.relative_to(stage).parts[0] == "DEBIAN":
            continue
        total += 1 if p.is_symlink() or p.is_dir() else (p.stat().st_size + 1023) // 1024
    return total


def build(bundle: Path, out_dir: Path, version: str, arch: str, maintainer: str,
          compression: str = "xz", level: int | None = None) -> Path:
    exe = bundle / "vbg"
    if not (exe.is_file() and os.access(exe, os.X_OK)):
        raise SystemExit(f"build_deb: {exe} is missing; build the bundle first "
                         "(pyinstaller packaging/vbg.spec)")
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="vbg-deb-", dir=out_dir) as tmp:
        stage = Path(tmp) / f"{PACKAGE}_{version}_{arch}"
        shutil.copytree(bundle, stage / "opt" / "vbg", symlinks=True)
        install(HERE / "launcher.sh", stage / "usr/bin/vbg", 0o755)
        install(HERE / "setup-virtual-camera.sh", stage / "usr/lib/vbg/setup-virtual-camera",
                0o755)
        install(HERE / f"{POLKIT_ACTION}.policy",
                stage / f"usr/share/polkit-1/actions/{POLKIT_ACTION}.policy", 0o644)
        install(HERE / "modprobe.conf", stage / "usr/share/vbg/modprobe.conf", 0o644)
        install(HERE / "modules-load.conf", stage / "usr/share/vbg/modules-load.conf", 0o644)
        install(HERE / "vbg.desktop", stage / "usr/share/applications/vbg.desktop", 0o644)
        write(stage / "usr/share/man/man1/vbg.1.gz",
              gzip.compress((HERE / "vbg.1").read_bytes(), 9, mtime=0))
        write_icons(stage)
        doc = stage / "usr/share/doc" / PACKAGE
        write(doc / "copyright", COPYRIGHT)
        when = formatdate(float(os.environ.get("SOURCE_DATE_EPOCH", time.time())))
        changelog = (f"{PACKAGE} ({version}) unstable; urgency=medium\n\n"
                     "  * Packaged from the vbg source tree by packaging/build.sh.\n\n"
                     f" -- {maintainer}  {when}\n")
        write(doc / "changelog.gz", gzip.compress(changelog.encode(), 9, mtime=0))
        write(stage / "usr/share/lintian/overrides" / PACKAGE, LINTIAN_OVERRIDES)
        normalise_modes(stage)

        packages, glibc = system_dependencies(stage / "opt" / "vbg")
        control = "\n".join([
            f"Package: {PACKAGE}",
            f"Version: {version}",
            f"Architecture: {arch}",
            f"Maintainer: {maintainer}",
            f"Installed-Size: {installed_size_kib(stage)}",
            f"Depends: {depends_field(packages, glibc)}",
            # PipeWire's library for the PipeWire camera (loaded at run time, never bundled:
            # it must match the user's daemon); pipewire-v4l2 brings pw-v4l2 for V4L2-only apps.
            "Recommends: v4l2loopback-dkms, libpipewire-0.3-0, pipewire-v4l2",
            "Suggests: v4l2loopback-utils",
            "Section: video",
            "Priority: optional",
            f"Description: {DESCRIPTION}",
        ]) + "\n"
        debian = stage / "DEBIAN"
        write(debian / "control", control)
        write(debian / "md5sums", md5sums(stage))
        for script in ("postinst", "prerm", "postrm"):
            install(HERE / "debian" / script, debian / script, 0o755)
        debian.chmod(0o755)

        deb = out_dir / f"{PACKAGE}_{version}_{arch}.deb"
        level_opt = [f"-z{level}"] if level is not None and compression != "none" else []
        subprocess.run(["dpkg-deb", "--root-owner-group", f"-Z{compression}", *level_opt,
                        "--build", str(stage), str(deb)], check=True, stdout=subprocess.DEVNULL)
    return deb


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--bundle", type=Path, default=ROOT / "dist" / "vbg",
                   help="the PyInstaller one-folder bundle [dist/vbg]")
    p.add_argument("--out", type=Path, default=ROOT / "dist", help="output folder [dist]")
    p.add_argument("--version", default=None, help="package version [vbg.__version__]")
    p.add_argument("--arch", default=None, help="Debian architecture [dpkg's]")
    p.add_argument("--maintainer", default=os.environ.get("VBG_MAINTAINER", DEFAULT_MAINTAINER))
    p.add_argument("--compression", default="xz", choices=("xz", "gzip", "zstd", "none"),
                   help="dpkg-deb -Z [xz: what every dpkg reads]")
    p.add_argument("--level", type=int, default=None,
                   help="dpkg-deb -z compression level [dpkg-deb's default]")
    a = p.parse_args(argv)
    deb = build(a.bundle.resolve(), a.out.resolve(), a.version or read_version(),
                a.arch or deb_architecture(), a.maintainer, a.compression, a.level)
    print(deb)
    return 0


if __name__ == "__main__":
    sys.exit(main())
