"""Data discovery, the one-sentence data/config errors, splits, in-sync augmentation."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

pytest.importorskip("torch")

from vbg.training import data as D  # noqa: E402
from vbg.training.cli import main  # noqa: E402
from vbg.training.config import build_config  # noqa: E402
from vbg.training.errors import ConfigError, DataError  # noqa: E402


def test_paired_folder_is_discovered(tiny_data: Path) -> None:
    pairs = D.discover(tiny_data)
    assert len(pairs) == 10
    assert all(p.image.stem == p.mask.stem for p in pairs)


def test_image_without_mask_names_the_file(tiny_data: Path) -> None:
    (tiny_data / "masks" / "img03.png").unlink()
    with pytest.raises(DataError, match=r"img03\.png has no mask"):
        D.discover(tiny_data)


def test_mask_with_mismatched_stem_names_the_file(tiny_data: Path) -> None:
    (tiny_data / "masks" / "img04.png").rename(tiny_data / "masks" / "img04_mask.png")
    with pytest.raises(DataError, match="img04"):
        D.discover(tiny_data)


def test_folder_without_masks_folder(tmp_path: Path) -> None:
    (tmp_path / "images").mkdir()
    with pytest.raises(DataError, match="no masks/ folder"):
        D.discover(tmp_path)


def test_unreadable_image_names_the_file(tiny_data: Path) -> None:
    (tiny_data / "images" / "img05.png").write_bytes(b"not a picture")
    with pytest.raises(DataError, match=r"img05\.png is not a readable image"):
        D.load_samples(D.discover(tiny_data))


def test_unreadable_mask_names_the_file(tiny_data: Path) -> None:
    (tiny_data / "masks" / "img06.png").write_bytes(b"")
    with pytest.raises(DataError, match=r"img06\.png is not a readable mask"):
        D.load_samples(D.discover(tiny_data))


def test_empty_split_is_an_error(tiny_data: Path) -> None:
    pairs = D.discover(tiny_data)[:3]
    with pytest.raises(DataError, match="validation split is empty"):
        D.split(pairs, 0.1)


def test_split_is_deterministic_90_10(tiny_data: Path) -> None:
    pairs = D.discover(tiny_data)
    a, b = D.split(pairs), D.split(list(reversed(pairs)))
    assert a == b
    assert (len(a[0]), len(a[1])) == (9, 1)
    assert D.split(pairs, seed=7) != a or len(pairs) < 3


def test_small_mask_is_resized_and_stays_soft(tmp_path: Path) -> None:
    (tmp_path / "images").mkdir()
    (tmp_path / "masks").mkdir()
    cv2.imwrite(str(tmp_path / "images" / "a.jpg"), np.zeros((80, 120, 3), np.uint8))
    mask = np.tile(np.linspace(0, 255, 60).astype(np.uint8), (40, 1))  # soft ramp, half size
    cv2.imwrite(str(tmp_path / "masks" / "a.png"), mask)
    s = D.load_pair(D.discover(tmp_path)[0])
    assert s.alpha.shape == (80, 120)
    assert len(np.unique(s.alpha)) > 50  # not thresholded


def test_aisegment_layout_reads_alpha_channel(tmp_path: Path) -> None:
    img_dir = tmp_path / "clip_img" / "1803151818" / "clip_00000000"
    mat_dir = tmp_path / "matting" / "1803151818" / "matting_00000000"
    img_dir.mkdir(parents=True)
    mat_dir.mkdir(parents=True)
    cv2.imwrite(str(img_dir / "1803151818-00000003.jpg"), np.full((32, 24, 3), 90, np.uint8))
    bgra = np.zeros((32, 24, 4), np.uint8)
    bgra[..., :3] = 200  # the RGB of a matte is the picture, not the alpha
    bgra[8:24, 6:18, 3] = 255
    cv2.imwrite(str(mat_dir / "1803151818-00000003.png"), bgra)
    pairs = D.discover(tmp_path)
    assert len(pairs) == 1
    s = D.load_pair(pairs[0])
    assert s.alpha[0, 0] == 0 and s.alpha[16, 12] == 255
    (mat_dir / "1803151818-00000003.png").unlink()
    with pytest.raises(DataError, match="has no matte"):
        D.discover(tmp_path)


def test_augmentation_keeps_image_and_mask_in_sync(tiny_data: Path) -> None:
    samples = D.load_samples(D.discover(tiny_data))
    ds = D.SegDataset(samples, 64, True, (0.5,) * 3, (0.5,) * 3)
    for epoch in range(3):
        ds.set_epoch(epoch)
        for i in range(len(ds)):
            x, y = ds[i]
            lum = x[:3].mean(0)
            person = y[0] > 0.5
            if person.sum() < 20 or (~person).sum() < 20:
                continue
            # Colour jitter moves both levels; the bright ellipse must stay under the mask.
            mid = (lum[person].mean() + lum[~person].mean()) / 2
            bright = lum > mid
            agree = (bright == person).float().mean().item()
            assert agree > 0.9, (epoch, i, agree)
    a, b = ds[0], ds[0]  # same epoch and index: the same draw
    assert np.array_equal(a[0].numpy(), b[0].numpy())


def test_composite_keeps_the_cutout_alpha(tiny_data: Path) -> None:
    s = D.load_samples(D.discover(tiny_data))
    c = D.composite(s[0], s[1], np.random.default_rng(0))
    assert np.array_equal(c.alpha, s[0].alpha)
    inside = s[0].alpha == 255
    assert np.array_equal(c.image[inside], s[0].image[inside])


def test_previous_mask_kinds() -> None:
    alpha = np.zeros((64, 64), np.uint8)
    alpha[16:60, 20:44] = 255
    other = np.zeros((64, 64), np.uint8)
    kinds = {"empty": 0, "near": 0, "wrong": 0}
    for seed in range(200):
        prev = D.previous_mask(alpha, other, np.random.default_rng(seed))
        assert prev.dtype == np.float32 and 0 <= prev.min() and prev.max() <= 1
        if prev.max() == 0:
            kinds["empty"] += 1
            continue
        iou = ((prev > 0.5) & (alpha > 127)).sum() / max(1, ((prev > 0.5) | (alpha > 127)).sum())
        kinds["near" if iou > 0.6 else "wrong"] += 1
    assert all(v > 15 for v in kinds.values()), kinds


def test_unknown_config_key_names_it() -> None:
    with pytest.raises(ConfigError, match="'learning_rate' does not exist"):
        build_config(overrides=["learning_rate=0.1"])
    with pytest.raises(ConfigError, match="'epochs'"):
        build_config(overrides=["epochs=many"])
    with pytest.raises(ConfigError, match="'arch'"):
        build_config(overrides=["arch=resnet"])


def test_config_file_with_unknown_key(tmp_path: Path) -> None:
    cfg = tmp_path / "c.json"
    cfg.write_text('{"epochs": 2, "bacth_size": 4}')
    with pytest.raises(ConfigError, match="'bacth_size'"):
        build_config(cfg)


@pytest.mark.parametrize("case", ["unknown_key", "missing_masks", "empty_split"])
def test_cli_bad_input_exit_2_one_sentence(case: str, tiny_data: Path, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    args = ["train", "--set", f"data={tiny_data}", "--set", f"out={tmp_path / 'run'}"]
    if case == "unknown_key":
        args += ["--set", "colour=red"]
        expect = "'colour'"
    elif case == "missing_masks":
        (tiny_data / "masks" / "img01.png").unlink()
        expect = "img01.png"
    else:
        args += ["--set", "val_fraction=0.01"]
        expect = "split is empty"
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert expect in err
    assert err.count("\n") == 0 and err.endswith(".")
    assert not (tmp_path / "run" / "last.pt").exists()  # nothing was trained
