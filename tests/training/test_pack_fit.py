"""The pack (teacher-labelled clip frames + photos that are not held out) and the GPU-style
trainer on it, run here on CPU at 64×64: held-out photos never enter a pack, consecutive
frames are paired, a temporal run writes its artefacts and its export runs in the engine."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from vbg.config import MattingConfig  # noqa: E402
from vbg.matting.engine import MaskEngine  # noqa: E402
from vbg.matting.registry import load_model  # noqa: E402
from vbg.resources import asset  # noqa: E402
from vbg.training import data as D  # noqa: E402
from vbg.training.augment import PackData, simulated_previous  # noqa: E402
from vbg.training.cli import main  # noqa: E402
from vbg.training.config import FitConfig  # noqa: E402
from vbg.training.gpu import GpuRun  # noqa: E402
from vbg.training.losses import edge_band, edge_loss  # noqa: E402
from vbg.training.pack import build_pack, read_pack  # noqa: E402

from .conftest import make_pair  # noqa: E402


def _bright(img: np.ndarray) -> np.ndarray:
    """A stand-in teacher: bright pixels are the person."""
    return np.where(cv2.cvtColor(img, cv2.COLOR_BGR2GRAY) > 120, 255, 0).astype(np.uint8)


@pytest.fixture
def sources(tmp_path: Path) -> tuple[Path, Path]:
    clip = tmp_path / "clip.mp4"
    writer = cv2.VideoWriter(str(clip), cv2.VideoWriter_fourcc(*"mp4v"), 10, (96, 64))
    for i in range(6):
        frame = np.full((64, 96, 3), 30, np.uint8)
        cv2.ellipse(frame, (30 + 5 * i, 40), (12, 20), 0, 0, 360, (220, 220, 220), -1)
        writer.write(frame)
    writer.release()
    photos = tmp_path / "aiseg60"  # the held-out rule of this name applies: d2_/d3_ stay out
    (photos / "images").mkdir(parents=True)
    (photos / "masks").mkdir()
    rng = np.random.default_rng(0)
    for name in ("d1_a", "d1_b", "d1_c", "d2_x", "d3_y"):
        img, mask = make_pair(rng)
        cv2.imwrite(str(photos / "images" / f"{name}.jpg"), img)
        cv2.imwrite(str(photos / "masks" / f"{name}.png"), mask)
    return clip, photos


def test_heldout_rules() -> None:
    pairs = [D.Pair(Path(f"images/{n}.jpg"), Path(f"masks/{n}.png"))
             for n in ("d1_a", "d2_b", "d3_c")]
    train, held = D.heldout("aiseg60", pairs)
    assert [p.image.stem for p in train] == ["d1_a"]
    assert [p.image.stem for p in held] == ["d2_b", "d3_c"]
    many = [D.Pair(Path(f"images/{i}.jpg"), Path(f"masks/{i}.png")) for i in range(50)]
    t1, h1 = D.heldout("vikram190", many)
    t2, h2 = D.heldout("vikram190", list(reversed(many)))
    assert len(h1) == 10 and h1 == h2 and not set(h1) & set(t1)  # fixed, disjoint
    assert D.heldout("elsewhere", many) == (many, [])


def test_pack_keeps_held_out_photos_out_and_pairs_frames(sources, tmp_path: Path) -> None:  # noqa: ANN001
    clip, photos = sources
    out = tmp_path / "pack.npz"
    counts = build_pack([clip], [photos], [], out, side=64, label=_bright, strips_every=3,
                        progress=False, photo_strips=False)
    assert counts["frames"] == 6 and counts["photos"] == 3 and counts["held_out"] == 2
    p = read_pack(out)
    names = list(p["names"])
    assert not any("d2_" in n or "d3_" in n for n in names)
    assert p["images"].shape == (9, 64, 64, 3) and p["masks"].shape == (9, 64, 64)
    assert list(p["clip"]) == [0] * 6 + [-1] * 3
    assert list(p["frame"][:6]) == list(range(6))
    assert list(p["teacher"]) == [1] * 6 + [0] * 3
    assert np.allclose(p["aspect"][:6], 96 / 64)
    # The stand-in teacher's label survives the trip (the ellipse is bright, the room is not).
    assert p["masks"][0][40, 10] < 50 and p["masks"][0][40, 20] > 200
    assert len(p["backgrounds"]) == 2  # a person-free strip of frames 0 and 3
    data = PackData(out, torch.device("cpu"))
    assert data.next[:6].tolist() == [1, 2, 3, 4, 5, 5]  # the last frame pairs with itself
    assert data.next[6:].tolist() == [6, 7, 8]  # a photo pairs with itself (a still scene)


def test_pack_takes_person_free_strips_of_photos(tmp_path: Path) -> None:
    photos = tmp_path / "people"
    (photos / "images").mkdir(parents=True)
    (photos / "masks").mkdir()
    room = np.zeros((60, 100, 3), np.uint8)
    room[:, :, 1] = np.arange(100, dtype=np.uint8)[None, :] * 2  # green ramp: columns known
    narrow = np.zeros((60, 100), np.uint8)
    narrow[10:, 10:30] = 255  # someone near the left edge: 70 free columns on the right
    wide = np.zeros((60, 100), np.uint8)
    wide[10:, 5:95] = 255  # someone filling the width: no strip
    passer_by = room.copy()
    cv2.circle(passer_by, (80, 30), 8, (255, 255, 255), -1)  # unlabelled, the teacher sees it
    for name, img, mask in (("narrow", room, narrow), ("wide", room, wide),
                            ("passer_by", passer_by, narrow)):
        cv2.imwrite(str(photos / "images" / f"{name}.png"), img)
        cv2.imwrite(str(photos / "masks" / f"{name}.png"), mask)
    out = tmp_path / "pack.npz"
    counts = build_pack([], [photos], [], out, side=64, label=_bright, progress=False)
    assert counts["photos"] == 3 and counts["backgrounds"] == 1
    bg = read_pack(out)["backgrounds"][0]
    # Only the right-hand columns (green >= 60) are in it: none of the person's side.
    assert bg[..., 1].min() >= 55


def test_edge_band_and_loss() -> None:
    y = torch.zeros(1, 1, 40, 40)
    y[:, :, 10:30, 10:30] = 1.0
    band = edge_band(y, 2)
    assert band[0, 0, 20, 20] == 0 and band[0, 0, 2, 2] == 0  # deep inside, far outside
    assert band[0, 0, 20, 9] == 1 and band[0, 0, 20, 11] == 1  # either side of the outline
    assert band[0, 0, 20, 7] == 0 and band[0, 0, 20, 13] == 0  # beyond 2 px
    good = (y * 2 - 1) * 8  # confident and right everywhere
    bad_edge = good.clone()
    bad_edge[:, :, 10:30, 10] = -8  # wrong on the outline only
    assert edge_loss(bad_edge, y, 2) > 10 * edge_loss(good, y, 2)
    assert edge_loss(good, torch.zeros_like(y), 2) == 0  # no outline, no edge loss


def test_simulated_previous_masks() -> None:
    y = torch.zeros(400, 1, 32, 32)
    y[:, :, 8:28, 10:22] = 1.0
    prev = simulated_previous(y, torch.Generator().manual_seed(0))
    assert prev.shape == y.shape and prev.min() >= 0 and prev.max() <= 1
    empty = (prev.flatten(1).amax(1) == 0).float().mean()
    assert 0.12 < empty < 0.3  # cold starts
    iou = ((prev > 0.5) & (y > 0.5)).flatten(1).sum(1) / ((prev > 0.5) | (y > 0.5)).flatten(
        1).sum(1).clamp(min=1)
    assert (iou > 0.5).float().mean() > 0.5  # mostly a moved/eroded/dilated copy to follow
    assert ((iou < 0.3) & (prev.flatten(1).amax(1) > 0)).any()  # and some badly wrong


def test_temporal_fit_exports_and_runs_in_the_engine(sources, tmp_path: Path) -> None:  # noqa: ANN001
    clip, photos = sources
    pack = tmp_path / "pack.npz"
    build_pack([clip], [photos], [], pack, side=64, label=_bright, progress=False)
    out = tmp_path / "run"
    run = GpuRun(FitConfig(pack=str(pack), out=str(out), temporal=True, size=64, batch=4,
                           steps=4, eval_every=2, device="cpu", photo_share=0.5, edge_weight=1.0,
                           showcase=str(asset("demo", "astronaut.png"))))
    result = run.fit()
    assert result["step"] == 4 and len(run.history) == 2
    for name in ("best.pt", "last.pt", "curves.png", "timelapse.gif", "timelapse.mp4",
                 "showcase.gif", "showcase.mp4", "history.json", "config.json"):
        assert (out / name).is_file(), name
    from PIL import Image

    with Image.open(out / "showcase.gif") as gif:  # [input | cut-out] per evaluation
        assert gif.n_frames == 2 and gif.size == (128, 64)
    onnx_path = tmp_path / "t.onnx"
    assert main(["export", "--run", str(out), "--out", str(onnx_path)]) == 0
    side = json.loads(onnx_path.with_suffix(".json").read_text())
    assert side["family"] == "temporal_nchw" and side["input_size"] == [64, 64]
    loaded = load_model(str(onnx_path))
    assert loaded.adapter.stateful
    engine = MaskEngine(loaded, MattingConfig(model=str(onnx_path)))
    alpha = engine.process(np.zeros((120, 160, 3), np.uint8))
    assert alpha.shape == (120, 160) and alpha.dtype == np.uint8


def test_fit_cli_rejects_bad_input(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    assert main(["fit", "--pack", str(tmp_path / "none.npz")]) == 2
    assert "does not exist" in capsys.readouterr().err
    (tmp_path / "p.npz").write_bytes(b"")
    assert main(["fit", "--pack", str(tmp_path / "p.npz"), "--set", "nope=1"]) == 2
    assert "nope=1" in capsys.readouterr().err
    assert main(["fit", "--pack", str(tmp_path / "p.npz"), "--set", "steps=many"]) == 2
    assert "steps=many" in capsys.readouterr().err


def test_pack_cli_labels_with_the_real_teacher(sources, tmp_path: Path, capsys) -> None:  # noqa: ANN001
    clip, photos = sources
    out = tmp_path / "p.npz"
    assert main(["pack", "--clips", str(clip), "--photos", str(photos), "--out", str(out),
                 "--side", "64", "--every", "2"]) == 0
    assert "3 frames, 3 photos, 2 held out" in capsys.readouterr().out
    p = read_pack(out)
    assert list(p["teacher"]) == [1, 1, 1, 0, 0, 0]
    assert len(p["backgrounds"]) >= 4  # the shipped backgrounds by default
    assert main(["pack", "--clips", str(tmp_path / "none.mp4"), "--out", str(out)]) == 2


def test_fit_with_an_unreadable_showcase_says_so(sources, tmp_path: Path, capsys) -> None:  # noqa: ANN001
    clip, photos = sources
    pack = tmp_path / "pack.npz"
    build_pack([clip], [photos], [], pack, side=64, label=_bright, progress=False)
    bad = tmp_path / "notes.txt"
    bad.write_text("not a picture")
    code = main(["fit", "--pack", str(pack), "--set", f"out={tmp_path / 'run'}", "--set",
                 "size=64", "--set", "steps=1", "--set", "device=cpu", "--set",
                 f"showcase={bad}"])
    err = capsys.readouterr().err
    assert code == 2 and "showcase picture" in err and "notes.txt is not an image" in err
    assert "Traceback" not in err and not (tmp_path / "run").exists()
