"""Issue 22, what was left: commands that met a missing extra or a bad file with a traceback,
and outputs that were replaced or left behind silently. Each case: one sentence, the exit
status a user expects, no traceback, no half-written file."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from tests.conftest import REPO

# `import torch` fails in the child as if PyTorch were not installed (it is, in the venv).
_WITHOUT_TORCH = textwrap.dedent("""
    import sys

    class _NoTorch:
        def find_spec(self, name, path=None, target=None):
            if name.partition(".")[0] in ("torch", "torchvision"):
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None

    sys.meta_path.insert(0, _NoTorch())
    from vbg.training.cli import main
    sys.exit(main(sys.argv[1:]))
""")


@pytest.mark.parametrize("command", ["train", "fit", "export"])
def test_vbg_train_without_torch_says_how_to_install_it(tmp_path, command):
    args = {"train": ["train"],
            "fit": ["fit", "--pack", str(tmp_path / "pack.npz")],
            "export": ["export", "--run", str(tmp_path / "run"), "--out",
                       str(tmp_path / "m.onnx")]}[command]
    (tmp_path / "pack.npz").write_bytes(b"")
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "config.json").write_text("{}")
    (tmp_path / "run" / "best.pt").write_bytes(b"")
    proc = subprocess.run([sys.executable, "-c", _WITHOUT_TORCH, *args], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0] == (f"vbg-train: vbg-train {command} needs PyTorch, which is not "
                        "installed; install the training extra with `pip install 'vbg[train]'`.")
    assert not (tmp_path / "m.onnx").exists()
