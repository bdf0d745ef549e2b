"""Fixtures for the training tests: tiny synthetic data sets made in tmp_path (64×64)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

pytest.importorskip("torch")


def make_pair(rng: np.random.Generator, size: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """A noisy dark background with a bright 'person' ellipse; the soft mask of the ellipse."""
    img = rng.integers(0, 90, (size, size, 3)).astype(np.uint8)
    mask = np.zeros((size, size), np.uint8)
    cx, cy = int(rng.integers(size // 3, 2 * size // 3)), int(rng.integers(size // 3, size))
    axes = (int(rng.integers(size // 8, size // 4)), int(rng.integers(size // 4, size // 2)))
    cv2.ellipse(mask, (cx, cy), axes, 0, 0, 360, 255, -1)
    mask = cv2.GaussianBlur(mask, (3, 3), 0)  # soft edge
    colour = rng.integers(150, 256, 3).astype(np.float32)
    a = mask[..., None].astype(np.float32) / 255
    img = (img * (1 - a) + colour * a).astype(np.uint8)
    return img, mask


@pytest.fixture
def tiny_data(tmp_path: Path) -> Path:
    """tmp/data/images/*.jpg + tmp/data/masks/*.png, 10 pairs at 64×64."""
    root = tmp_path / "data"
    (root / "images").mkdir(parents=True)
    (root / "masks").mkdir()
    rng = np.random.default_rng(0)
    for i in range(10):
        img, mask = make_pair(rng)
        cv2.imwrite(str(root / "images" / f"img{i:02d}.png"), img)
        cv2.imwrite(str(root / "masks" / f"img{i:02d}.png"), mask)
    return root
