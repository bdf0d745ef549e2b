"""Issue 22, what was left: commands that met a missing extra or a bad file with a traceback,
and outputs that were replaced or left behind silently. Each case: one sentence, the exit
status a user expects, no traceback, no half-written file."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import cv2
import numpy as np
import pytest

from tests.cli.console import one_sentence, run
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


def _eval_data(root, image_case: str = "ok", mask_case: str = "ok"):
    """A data set folder with one photo and its mask; ``*_case`` spoils one of them: "garbage"
    bytes, a "folder" of that name, an "empty" file."""
    data = root / "data"
    (data / "images").mkdir(parents=True)
    (data / "masks").mkdir()
    photo, mask = data / "images" / "p.png", data / "masks" / "p.png"
    image = np.full((64, 64, 3), 120, np.uint8)
    alpha = np.zeros((64, 64), np.uint8)
    alpha[16:48, 16:48] = 255
    cv2.imwrite(str(photo), image)
    cv2.imwrite(str(mask), alpha)
    for path, case in ((photo, image_case), (mask, mask_case)):
        if case == "garbage":
            path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 3)
        elif case == "folder":
            path.unlink()
            path.mkdir()
        elif case == "empty":
            path.write_bytes(b"")
    return data, photo, mask


_SAID = {"garbage": "is not an image vbg can read", "folder": "is a folder, not an image",
         "empty": "is empty (0 bytes)"}


@pytest.mark.parametrize("mode", [[], ["--skip-variants"], ["--calibrate"]])
@pytest.mark.parametrize("case", ["garbage", "folder", "empty"])
def test_eval_with_an_unreadable_photo_is_one_sentence(capsys, tmp_path, case, mode):
    data, photo, _ = _eval_data(tmp_path, image_case=case)
    code, out, err = run(capsys, "eval", "--data", str(data), "--live-only", *mode)
    assert code == 2
    said = one_sentence(err)
    assert said.startswith(f"vbg: Photo {photo} ") and _SAID[case] in said, said
    assert "IoU" not in out and "matte" not in out  # no table


@pytest.mark.parametrize("case", ["garbage", "folder", "empty"])
def test_eval_with_an_unreadable_mask_is_one_sentence(capsys, tmp_path, case):
    data, _, mask = _eval_data(tmp_path, mask_case=case)
    code, out, err = run(capsys, "eval", "--data", str(data), "--live-only")
    assert code == 2
    said = one_sentence(err)
    assert said.startswith(f"vbg: Mask {mask} ") and _SAID[case] in said, said
    assert "IoU" not in out
