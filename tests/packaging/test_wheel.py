"""The wheel carries vbg's data and works outside this checkout.

Built the ways a user or a distributor builds it: ``pip wheel --no-deps .`` from the tree, and
``python -m build`` (an sdist, then the wheel built from that sdist). Both wheels must hold the
same files with the same bytes, and every model, licence, model card, icon, background and the
demo picture (from models/ and assets/ at the top of the repository, as vbg/_data/...), and
nothing else from those folders (not the conversion script, not its .tflite inputs). Then the
tree's wheel is installed with its ``ui`` extra into a fresh venv (no system site-packages;
dependencies come from the package index pip is configured with) and ``vbg models``,
``vbg --selftest`` and ``vbg image`` run from there, in a folder away from this checkout, so
nothing can be found through the source tree.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import bundle_rules
import cv2
import pytest

from tests.packaging.conftest import REPO, offscreen_env
from vbg import __version__

pytestmark = [pytest.mark.packaging, pytest.mark.slow]

BUILD_TIMEOUT_S = 900   # a loaded 2-core machine; PySide6's wheel alone is ~100 MB to unpack
RUN_TIMEOUT_S = 300
MODELS, ASSETS = REPO / "models", REPO / "assets"
# What must ship, and where in the wheel: what the PyInstaller bundle takes from models/ and
# assets/ (packaging/bundle_rules.py), at the same place (vbg/_data/...).
EXPECTED_DATA = sorted(f"{dest}/{Path(src).name}"
                       for src, dest in bundle_rules.model_and_asset_datas(REPO))


def _run(cmd: list, timeout: float = RUN_TIMEOUT_S, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True,
                          timeout=timeout, **kw)


def _ok(r: subprocess.CompletedProcess, what: str) -> str:
    out = r.stdout + r.stderr
    assert r.returncode == 0, f"{what} failed ({r.returncode}):\n{out[-6000:]}"
    return out


def _contents(wheel: Path) -> dict[str, str]:
    """name -> sha256 of every file in a wheel."""
    with zipfile.ZipFile(wheel) as z:
        return {n: hashlib.sha256(z.read(n)).hexdigest() for n in z.namelist()
                if not n.endswith("/")}


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """``tree``: ``pip wheel --no-deps .``; ``sdist`` and ``from_sdist``: ``python -m build``."""
    out = tmp_path_factory.mktemp("wheels")
    # A clean copy of the tree: setuptools builds in place and never empties build/, so a
    # developer's stale build/lib could otherwise slip deleted files into the wheel.
    tree = out / "src"
    shutil.copytree(REPO, tree, ignore=shutil.ignore_patterns(
        ".git", ".venv", "venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache"))
    _ok(_run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", out / "tree",
              tree], timeout=BUILD_TIMEOUT_S), "pip wheel")
    pytest.importorskip("build", reason="python -m build is in the dev extra")
    _ok(_run([sys.executable, "-m", "build", "--outdir", out / "build", tree],
             timeout=BUILD_TIMEOUT_S), "python -m build")
    found = {"tree": list((out / "tree").glob("vbg-*.whl")),
             "sdist": list((out / "build").glob("vbg-*.tar.gz")),
             "from_sdist": list((out / "build").glob("vbg-*.whl"))}
    assert all(len(v) == 1 for v in found.values()), found
    return {k: v[0] for k, v in found.items()}


def test_wheel_carries_models_assets_and_licences(wheels: dict[str, Path]) -> None:
    names = set(_contents(wheels["tree"]))
    assert wheels["tree"].name == f"vbg-{__version__}-py3-none-any.whl"
    data = sorted(n for n in names if n.startswith("vbg/_data/"))
    missing = [n for n in EXPECTED_DATA if n not in names]
    assert not missing, f"package data missing from the wheel: {missing}"
    extra = [n for n in data if n not in EXPECTED_DATA]
    assert not extra, f"files of models/ or assets/ in the wheel that don't ship: {extra}"
    for must in ("vbg/_data/models/selfie_general.onnx", "vbg/_data/models/selfie_general.json",
                 "vbg/_data/models/LICENSE-mediapipe", "vbg/_data/models/NOTICE",
                 "vbg/_data/models/MODEL_CARD.md", "vbg/_data/models/MODEL_CARD_vbg.md",
                 "vbg/_data/assets/demo/astronaut.png", "vbg/_data/assets/icons/vbg.svg",
                 "vbg-" + __version__ + ".dist-info/licenses/models/LICENSE-mediapipe",
                 "vbg-" + __version__ + ".dist-info/licenses/models/NOTICE"):
        assert must in names
    assert not any(n.endswith((".tflite", "convert_mediapipe.py"))
                   or n.startswith(("models/", "assets/", "tests/", "tools/"))
                   for n in names), "conversion inputs, tests or tools in the wheel"


def test_sdist_builds_the_same_wheel(wheels: dict[str, Path]) -> None:
    tree, from_sdist = _contents(wheels["tree"]), _contents(wheels["from_sdist"])
    differ = sorted(n for n in tree.keys() | from_sdist.keys() if tree.get(n) != from_sdist.get(n))
    assert not differ, f"the sdist's wheel differs from the tree's in: {differ[:20]}"


@pytest.fixture(scope="module")
def installed(wheels: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv (no system site-packages) with ``vbg[ui]`` installed from the wheel;
    returns its ``bin`` folder."""
    venv = tmp_path_factory.mktemp("venv") / "v"
    _ok(_run([sys.executable, "-m", "venv", venv], timeout=BUILD_TIMEOUT_S), "python -m venv")
    bindir = venv / ("Scripts" if sys.platform == "win32" else "bin")
    _ok(_run([bindir / "python", "-m", "pip", "install", "-q", f"{wheels['tree']}[ui]"],
             timeout=BUILD_TIMEOUT_S, env=offscreen_env()), "pip install vbg[ui] from the wheel")
    return bindir


def test_installed_wheel_runs_models_selftest_and_image(installed: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = offscreen_env(HOME=str(home))
    vbg = installed / "vbg"

    where = _ok(_run([installed / "python", "-c", "import vbg, vbg.resources as r; "
                      "print(vbg.__file__); print(r.models_dir())"], env=env, cwd=tmp_path),
                "import vbg")
    assert str(REPO) not in where and str(installed.parent) in where, where

    out = _ok(_run([vbg, "models"], env=env, cwd=tmp_path), "vbg models")
    for onnx in sorted(MODELS.glob("*.onnx")):
        assert onnx.stem in out, out

    out = _ok(_run([vbg, "--selftest"], env=env, cwd=tmp_path), "vbg --selftest")
    for line in ("[ ok ] pipeline:", "[ ok ] desktop app:", "self-test passed"):
        assert line in out, out
    for onnx in sorted(MODELS.glob("*.onnx")):
        assert f"[ ok ] model {onnx.stem}:" in out, out

    photo = tmp_path / "me.png"
    shutil.copy(ASSETS / "demo" / "astronaut.png", photo)
    _ok(_run([vbg, "image", photo, "--out", tmp_path / "out"], env=env, cwd=tmp_path),
        "vbg image")
    cutout = tmp_path / "out" / "me_foreground.png"
    rgba = cv2.imread(str(cutout), cv2.IMREAD_UNCHANGED)
    assert rgba is not None and rgba.shape[2] == 4, "the cut-out is not an RGBA picture"
    person = (rgba[..., 3] > 127).mean()
    assert 0.05 < person < 0.95, f"the cut-out keeps {person:.0%} of the photo"
