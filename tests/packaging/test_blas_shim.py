"""The OpenBLAS shim of the Linux bundle (packaging/blas_shim.py, linux/openblas_shim.c):
cv2's linear algebra gives the same answers when its private OpenBLAS is replaced by the shim
that forwards to numpy's, and that private copy is then not loaded at all."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import blas_shim
import pytest

pytestmark = [
    pytest.mark.packaging,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux bundles only"),
]

# Residuals of cv2's solvers and products (|A x - b|, |A B - numpy's A B|), SVD against
# numpy's, and which BLAS libraries the process mapped.
PROBE = textwrap.dedent("""
    import json
    import cv2, numpy as np
    rng = np.random.default_rng(7)
    out = {}
    for dt in (np.float32, np.float64):
        n, k = 40, dt.__name__
        a = rng.standard_normal((n, n)).astype(dt) + n * np.eye(n, dtype=dt)
        b = rng.standard_normal((n, 3)).astype(dt)
        spd = (a @ a.T).astype(dt)
        for name, flag, m in (("lu", cv2.DECOMP_LU, a), ("qr", cv2.DECOMP_QR, a),
                              ("cholesky", cv2.DECOMP_CHOLESKY, spd), ("svd", cv2.DECOMP_SVD, a)):
            ok, x = cv2.solve(m, b, flags=flag)
            err = np.abs(m.astype(np.float64) @ x - b).max() if ok else 1e9
            out[f"{k} solve {name}"] = float(err)
        w = cv2.SVDecomp(a)[0].ravel()
        ref = np.linalg.svd(a.astype(np.float64), compute_uv=False)
        out[f"{k} SVDecomp"] = float(np.abs(np.sort(w)[::-1] - ref).max() / ref.max())
        big = rng.standard_normal((300, 300)).astype(dt)
        out[f"{k} gemm"] = float(np.abs(cv2.gemm(big, big, 1.0, None, 0.0)
                                        - big.astype(np.float64) @ big).max() / 300)
    m = rng.standard_normal((30, 30))
    m = m + m.T  # real eigenvalues, so both sides are comparable
    vals = np.sort(cv2.eigenNonSymmetric(m)[0].ravel())
    out["eigenNonSymmetric"] = float(np.abs(vals - np.sort(np.linalg.eigvalsh(m))).max())
    maps = open("/proc/self/maps").read().splitlines()
    print(json.dumps({"residuals": out,
                      "libs": sorted({l.split()[-1] for l in maps if "blas" in l})}))
""")
TOLERANCE = {"float32": 1e-4, "float64": 1e-10}


@pytest.fixture(scope="module")
def shim(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(the shim built for this environment's cv2, cv2's own OpenBLAS)."""
    for tool in ("readelf", "nm"):
        if not shutil.which(tool):
            pytest.fail(f"{tool} is missing: apt-get install binutils")
    try:
        import cv2
        import numpy
    except ImportError as exc:
        pytest.skip(f"{exc}")
    cv2_ext = next(Path(cv2.__file__).parent.glob("cv2*.so"))
    blas_name = next((n for n in blas_shim.needed(cv2_ext) if n.startswith("libopenblas")), None)
    if blas_name is None:
        pytest.skip("this OpenCV wheel brings no OpenBLAS of its own")
    own = next(Path(cv2.__file__).parent.parent.glob(f"opencv_python*.libs/{blas_name}"))
    numpy_blas = next(Path(numpy.__file__).parent.parent.glob("numpy.libs/libscipy_openblas*"))
    if not (shutil.which("cc") or shutil.which("gcc")):
        pytest.skip("no C compiler: build.sh keeps cv2's OpenBLAS and misses the size goal")
    out = tmp_path_factory.mktemp("shim") / blas_name
    blas_shim.compile_shim(out, blas_name, numpy_blas, str(numpy_blas.parent))
    missing = (blas_shim.symbols(cv2_ext, defined=False) & blas_shim.symbols(own, defined=True)
               ) - blas_shim.symbols(out, defined=True)
    assert not missing, f"cv2 needs {sorted(missing)}, which the shim does not forward"
    return out, own


def _probe(preload: Path | None) -> dict:
    env = {**os.environ}
    if preload:
        env["LD_PRELOAD"] = str(preload)
    r = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                       env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout.strip().splitlines()[-1])


def test_cv2_linear_algebra_is_right_through_the_shim(shim: tuple[Path, Path]) -> None:
    path, own = shim
    through_shim = _probe(path)
    assert str(path) in through_shim["libs"]
    assert str(own) not in through_shim["libs"], "cv2's own OpenBLAS was still loaded"
    for name, residual in through_shim["residuals"].items():
        tol = TOLERANCE.get(name.split()[0], 1e-8)
        assert residual < tol, f"{name}: {residual:g} through the shim (tolerance {tol:g})"


def test_prune_keeps_what_is_needed_and_drops_orphans(tmp_path: Path) -> None:
    """On real wheel files: with cv2's OpenBLAS gone, its libgfortran/libquadmath are
    orphans; the codecs cv2 links stay."""
    import cv2

    cv2_ext = next(Path(cv2.__file__).parent.glob("cv2*.so"))
    libs = next(Path(cv2.__file__).parent.parent.glob("opencv_python*.libs"))
    folder = libs.name
    entries = [(f"cv2/{cv2_ext.name}", str(cv2_ext), "EXTENSION")]
    entries += [(f"{folder}/{p.name}", str(p), "BINARY") for p in sorted(libs.glob("*.so*"))
                if not p.name.startswith("libopenblas")]
    kept = {e[0].split("/")[-1] for e in blas_shim.prune_vendored(entries, folder)}
    for name in blas_shim.needed(cv2_ext):
        if (libs / name).exists() and not name.startswith("libopenblas"):
            assert name in kept
    assert not [n for n in kept if n.startswith(("libgfortran", "libquadmath"))]
