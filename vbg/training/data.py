"""Training data: discovery and checks, deterministic splits, in-sync augmentation, synthetic
composites and the previous-mask inputs of the temporal variant.

Layouts read:

- paired folders ``images/`` + ``masks/`` matched by file stem (a mask may be smaller than its
  image with the same aspect: it is resized; soft alpha stays soft);
- the AISegment matting layout ``clip_img/<a>/clip_<b>/<n>.jpg`` with
  ``matting/<a>/matting_<b>/<n>.png`` (alpha in the PNG's 4th channel).

Every problem (images without masks, unreadable files, an empty split) is a DataError with one
sentence naming the file, raised by ``load_samples`` before any training starts: all pictures
are read (and scaled down) into memory up front, which also keeps the epoch loop fast.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from vbg.evaluation import IMAGE_EXTS, read_mask
from vbg.training.errors import DataError


@dataclass(frozen=True)
class Pair:
    image: Path
    mask: Path


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_EXTS)


def _paired(folder: Path) -> list[Pair]:
    images, masks = _files(folder / "images"), _files(folder / "masks")
    by_stem = {p.stem: p for p in masks}
    missing = [p for p in images if p.stem not in by_stem]
    if not images:
        raise DataError(f"{folder / 'images'} holds no images (.jpg, .png, .bmp, .webp).")
    if missing:
        raise DataError(
            f"{missing[0]} has no mask of the same name in {folder / 'masks'}"
            + (f" (nor do {len(missing) - 1} other images)" if len(missing) > 1 else "")
            + "; add the masks or remove those images."
        )
    stems = {p.stem for p in images}
    orphans = [p for p in masks if p.stem not in stems]
    if orphans:
        raise DataError(f"{orphans[0]} has no image of the same name in {folder / 'images'}; "
                        "the stems of images and masks must match.")
    return [Pair(p, by_stem[p.stem]) for p in images]


def _aisegment(folder: Path) -> list[Pair]:
    clip_root, matte_root = folder / "clip_img", folder / "matting"
    pairs = []
    for img in _files(clip_root):
        rel = img.relative_to(clip_root)
        parts = [p.replace("clip_", "matting_", 1) if p.startswith("clip_") else p
                 for p in rel.parent.parts]
        mask = matte_root.joinpath(*parts, img.stem + ".png")
        if not mask.is_file():
            raise DataError(f"{img} has no matte at {mask}; the AISegment layout pairs "
                            "clip_img/.../clip_X/N.jpg with matting/.../matting_X/N.png.")
        pairs.append(Pair(img, mask))
    if not pairs:
        raise DataError(f"{clip_root} holds no images.")
    return pairs


def discover(folder: str | Path, prefixes: list[str] | None = None) -> list[Pair]:
    """The (image, mask) pairs of a labelled folder, optionally only names with ``prefixes``."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"Data folder {folder} does not exist.")
    if (folder / "images").is_dir() and (folder / "masks").is_dir():
        pairs = _paired(folder)
    elif (folder / "clip_img").is_dir() and (folder / "matting").is_dir():
        pairs = _aisegment(folder)
    elif (folder / "images").is_dir():
        raise DataError(f"{folder} has images/ but no masks/ folder; add the masks (same file "
                        "names) or label the images with `vbg-train distill`.")
    else:
        raise DataError(f"{folder} is not a labelled data folder: it needs images/ + masks/, or "
                        "the AISegment clip_img/ + matting/ layout.")
    if prefixes:
        pairs = [p for p in pairs if p.image.name.startswith(tuple(prefixes))]
        if not pairs:
            raise DataError(f"{folder} has no image whose name starts with "
                            f"{' or '.join(prefixes)}.")
    return pairs


def split(pairs: list[Pair], val_fraction: float = 0.1, seed: int = 42
          ) -> tuple[list[Pair], list[Pair]]:
    """Deterministic (train, val) split: sorted by path, shuffled with ``seed``."""
    items = sorted(pairs, key=lambda p: str(p.image))
    random.Random(seed).shuffle(items)
    n_val = round(len(items) * val_fraction)
    val, train = items[:n_val], items[n_val:]
    if not train or not val:
        which = "training" if not train else "validation"
        raise DataError(f"The {which} split is empty ({len(items)} labelled images with "
                        f"val_fraction {val_fraction}); add data or change val_fraction.")
    return train, val


# Photos we evaluate on and never train on: AISegment's upstream test split (d2_/d3_) and a
# fixed fifth of vikram190 (the validation part of ``split`` with seed 42 and fraction 0.2).
HELDOUT_PREFIXES: dict[str, tuple[str, ...]] = {"aiseg60": ("d2_", "d3_")}
HELDOUT_FRACTION: dict[str, float] = {"vikram190": 0.2}


def heldout(folder_name: str, pairs: list[Pair]) -> tuple[list[Pair], list[Pair]]:
    """(trainable, held out) pairs of the folder called ``folder_name``; folders without a
    held-out rule are all trainable. ``vbg-train eval --heldout`` scores the second list."""
    if folder_name in HELDOUT_PREFIXES:
        pre = HELDOUT_PREFIXES[folder_name]
        return ([p for p in pairs if not p.image.name.startswith(pre)],
                [p for p in pairs if p.image.name.startswith(pre)])
    if folder_name in HELDOUT_FRACTION:
        train, held = split(pairs, HELDOUT_FRACTION[folder_name], seed=42)
        return sorted(train, key=lambda p: str(p.image)), sorted(held, key=lambda p: str(p.image))
    return list(pairs), []


@dataclass
class Sample:
    image: np.ndarray  # BGR uint8
    alpha: np.ndarray  # uint8, same size, 255 = person
    name: str


def load_pair(pair: Pair, long_side: int | None = None) -> Sample:
    """Read one pair (mask resized to the image, soft alpha kept); scale to ``long_side``."""
    img = cv2.imread(str(pair.image), cv2.IMREAD_COLOR)
    if img is None:
        raise DataError(f"{pair.image} is not a readable image; replace or remove it.")
    try:
        alpha = read_mask(pair.mask, img.shape[1::-1])
    except ValueError as exc:
        raise DataError(f"{pair.mask} is not a readable mask image; replace or remove it.") \
            from exc
    if alpha.dtype != np.uint8:  # 16-bit PNGs
        alpha = (alpha.astype(np.float32) * (255.0 / np.iinfo(alpha.dtype).max)).astype(np.uint8)
    h, w = img.shape[:2]
    if long_side and max(h, w) > long_side:
        s = long_side / max(h, w)
        size = (max(1, round(w * s)), max(1, round(h * s)))
        img = cv2.resize(img, size, interpolation=cv2.INTER_AREA)
        alpha = cv2.resize(alpha, size, interpolation=cv2.INTER_AREA)
    return Sample(img, alpha, pair.image.stem)


def load_samples(pairs: list[Pair], long_side: int | None = None) -> list[Sample]:
    return [load_pair(p, long_side) for p in pairs]


# --- augmentation -------------------------------------------------------------------------


def build_augment(size: int, train: bool):  # type: ignore[no-untyped-def]
    """Albumentations pipeline keeping image and mask in sync. Training: aspect-preserving
    resize + random crop, or a stretch (the engine's default fit), then shift/scale/rotate,
    flip, brightness/contrast. Validation: plain stretch to ``size``."""
    import albumentations as A

    lin = cv2.INTER_LINEAR
    if not train:
        return A.Compose([A.Resize(size, size, interpolation=cv2.INTER_AREA,
                                   mask_interpolation=lin)])
    return A.Compose([
        A.OneOf([
            A.Resize(size, size, interpolation=lin, mask_interpolation=lin),
            A.Compose([
                A.SmallestMaxSize(max_size=size, interpolation=lin, mask_interpolation=lin),
                A.RandomCrop(size, size, pad_if_needed=True, fill=0, fill_mask=0),
            ]),
            A.Compose([
                A.LongestMaxSize(max_size=size, interpolation=lin, mask_interpolation=lin),
                A.PadIfNeeded(size, size, border_mode=cv2.BORDER_CONSTANT, fill=114,
                              fill_mask=0),
            ]),
        ], p=1.0),
        A.Affine(scale=(0.75, 1.25), translate_percent=(-0.12, 0.12), rotate=(-15, 15),
                 interpolation=lin, mask_interpolation=lin, border_mode=cv2.BORDER_REFLECT_101,
                 p=0.8),
        A.HorizontalFlip(p=0.5),
        A.RandomBrightnessContrast(brightness_limit=0.25, contrast_limit=0.25, p=0.7),
        A.HueSaturationValue(hue_shift_limit=8, sat_shift_limit=20, val_shift_limit=0, p=0.3),
    ])


# --- composites and temporal previous masks -----------------------------------------------


def background_patch(sample: Sample, rng: np.random.Generator) -> np.ndarray:
    """A person-free picture from ``sample``: its widest strip beside the person's box (or a
    smooth random gradient when there is none)."""
    ys, xs = np.nonzero(sample.alpha > 8)
    h, w = sample.alpha.shape
    if len(xs):
        x0, x1, y0 = xs.min(), xs.max() + 1, ys.min()
        strips = [sample.image[:, :x0], sample.image[:, x1:], sample.image[:y0, :]]
        best = max(strips, key=lambda s: s.shape[0] * s.shape[1])
        if best.shape[0] >= 16 and best.shape[1] >= 16:
            return best
    else:
        return sample.image
    c = rng.integers(0, 256, (2, 2, 3)).astype(np.uint8)
    return cv2.resize(c, (w, h), interpolation=cv2.INTER_CUBIC)


def composite(fg: Sample, bg_source: Sample, rng: np.random.Generator) -> Sample:
    """Paste ``fg``'s person (its soft alpha) onto a background taken from ``bg_source``."""
    h, w = fg.alpha.shape
    bg = cv2.resize(background_patch(bg_source, rng), (w, h), interpolation=cv2.INTER_LINEAR)
    a = fg.alpha[..., None].astype(np.float32) / 255.0
    img = (fg.image * a + bg * (1.0 - a) + 0.5).astype(np.uint8)
    return Sample(img, fg.alpha, f"{fg.name}+{bg_source.name}")


def previous_mask(alpha: np.ndarray, other: np.ndarray, rng: np.random.Generator,
                  p_empty: float = 0.25, p_wrong: float = 0.2) -> np.ndarray:
    """The previous-alpha input of the temporal model for a training sample (float32 0..1).

    Empty (cold start, someone entering the frame) with ``p_empty``; a badly wrong mask (another
    sample's, or this one flipped and moved far) with ``p_wrong``, so the model learns to
    reject it; otherwise this one's alpha affine-jittered, softened or eroded/dilated a little,
    so it learns to propagate."""
    h, w = alpha.shape
    r = rng.random()
    if r < p_empty:
        return np.zeros((h, w), np.float32)
    if r < p_empty + p_wrong:
        if rng.random() < 0.5:
            wrong = cv2.resize(other, (w, h), interpolation=cv2.INTER_LINEAR)
        else:
            m = np.float32([[1, 0, rng.uniform(0.25, 0.5) * w * rng.choice([-1, 1])],
                            [0, 1, rng.uniform(-0.2, 0.2) * h]])
            wrong = cv2.warpAffine(cv2.flip(alpha, 1), m, (w, h))
        return wrong.astype(np.float32) / 255.0
    angle, scale = rng.uniform(-6, 6), rng.uniform(0.94, 1.06)
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, scale)
    m[:, 2] += rng.uniform(-0.05, 0.05, 2) * (w, h)
    prev = cv2.warpAffine(alpha, m, (w, h), flags=cv2.INTER_LINEAR)
    k = int(rng.integers(0, 3)) * 2 + 1
    if k > 1:
        op = cv2.erode if rng.random() < 0.5 else cv2.dilate
        prev = op(prev, np.ones((k, k), np.uint8))
    if rng.random() < 0.5:
        prev = cv2.GaussianBlur(prev, (5, 5), 0)
    return prev.astype(np.float32) / 255.0


# --- torch dataset -----------------------------------------------------------------------


class SegDataset:
    """Map-style dataset of normalised CHW tensors (RGB [+ previous alpha]) and alpha targets."""

    def __init__(self, samples: list[Sample], size: int, train: bool, mean: tuple, std: tuple,
                 temporal: bool = False, composites: float = 0.0, seed: int = 42) -> None:
        if not samples:
            raise DataError("The dataset is empty; give at least one labelled image.")
        self.samples, self.size, self.train = samples, size, train
        self.temporal, self.composites, self.seed = temporal, composites, seed
        self.mean = np.asarray(mean, np.float32)
        self.std = np.asarray(std, np.float32)
        self.augment = build_augment(size, train)
        self._epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self._epoch = epoch

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, i: int):  # type: ignore[no-untyped-def]
        import torch

        # Validation is deterministic; training draws depend on (seed, epoch, index).
        rng = np.random.default_rng((self.seed, self._epoch if self.train else 0, i))
        s = self.samples[i]
        if self.train and self.composites and rng.random() < self.composites:
            s = composite(s, self.samples[int(rng.integers(len(self.samples)))], rng)
        if self.train:
            self.augment.set_random_seed(int(rng.integers(1 << 31)))
        out = self.augment(image=s.image, mask=s.alpha)
        img, alpha = out["image"], out["mask"]
        rgb = cv2.cvtColor(img, cv2.COLOR_BGR2RGB).astype(np.float32) / 255.0
        x = ((rgb - self.mean) / self.std).transpose(2, 0, 1)
        if self.temporal:
            other = self.samples[int(rng.integers(len(self.samples)))].alpha
            prev = previous_mask(alpha, other, rng) if self.train else np.zeros(
                alpha.shape, np.float32)
            x = np.concatenate([x, prev[None]], 0)
        y = (alpha.astype(np.float32) / 255.0)[None]
        return torch.from_numpy(np.ascontiguousarray(x)), torch.from_numpy(y)
