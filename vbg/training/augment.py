"""The augmentation of the GPU loop (``vbg.training.gpu``): the pack as device tensors
(:class:`PackData`), the engine-like geometry and the light/noise/composite steps
(:class:`Augment`), and the simulated previous alpha of the temporal model
(:func:`simulated_previous`). All on the device, one batch at a time."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from vbg.training.config import FitConfig


class PackData:
    """The pack as device tensors, and the person box of every sample."""

    def __init__(self, path: Path, device: torch.device) -> None:
        from vbg.training.pack import read_pack

        p = read_pack(Path(path))
        rgb = p["images"][..., ::-1]  # BGR -> RGB
        self.images = torch.from_numpy(np.ascontiguousarray(rgb)).permute(0, 3, 1, 2).to(device)
        self.masks = torch.from_numpy(p["masks"])[:, None].to(device)
        bg = p["backgrounds"][..., ::-1]
        self.backgrounds = torch.from_numpy(np.ascontiguousarray(bg)).permute(0, 3, 1, 2).to(
            device)
        n = len(p["clip"])
        clip, frame = p["clip"], p["frame"]
        nxt = np.arange(n)
        for i in range(n - 1):
            if clip[i] >= 0 and clip[i + 1] == clip[i] and frame[i + 1] > frame[i]:
                nxt[i] = i + 1
        self.next = torch.from_numpy(nxt).to(device)
        photos = np.nonzero(clip < 0)[0]
        self.val = torch.from_numpy(photos[::10].copy()).to(device)
        train = np.setdiff1d(np.arange(n), photos[::10])
        self.train = torch.from_numpy(train).to(device)
        self.train_photos = torch.from_numpy(np.setdiff1d(photos, photos[::10])).to(device)
        self.boxes = torch.from_numpy(_boxes(p["masks"])).to(device)
        self.n = n


def _boxes(masks: np.ndarray) -> np.ndarray:
    """(x0, y0, x1, y1) in [0,1] of the engine's focused region (person box + margins, more
    above for hair, at least 0.3 of the frame); the full frame where nobody is there."""
    from vbg.matting.focus import person_region

    out = np.zeros((len(masks), 4), np.float32)
    for i, m in enumerate(masks):
        r = person_region(m.astype(np.float32) / 255.0)
        out[i] = (0, 0, 1, 1) if r is None else (r.x0, r.y0, r.x1, r.y1)
    return out


# --- augmentation ---------------------------------------------------------------------------


def _u(n: int, lo: float, hi: float, g: torch.Generator, dev: torch.device) -> torch.Tensor:
    return lo + (hi - lo) * torch.rand(n, generator=g, device=dev)


def geometry(boxes: torch.Tensor, focus: float, g: torch.Generator) -> torch.Tensor:
    """Affine ``theta`` (B,2,3) for ``affine_grid``: output [-1,1]² → input coordinates."""
    b, dev = len(boxes), boxes.device
    use_box = torch.rand(b, generator=g, device=dev) < focus
    full = torch.tensor([0.0, 0.0, 1.0, 1.0], device=dev).expand(b, 4)
    r = torch.where(use_box[:, None], boxes, full)
    cx, cy = r[:, 0] + r[:, 2] - 1, r[:, 1] + r[:, 3] - 1  # centre in [-1,1]
    sx, sy = (r[:, 2] - r[:, 0]), (r[:, 3] - r[:, 1])     # half-size in [-1,1] units = size
    s = _u(b, 0.85, 1.15, g, dev)
    sx, sy = sx * s * _u(b, 0.93, 1.07, g, dev), sy * s
    cx = cx + sx * _u(b, -0.1, 0.1, g, dev)
    cy = cy + sy * _u(b, -0.1, 0.1, g, dev)
    a = _u(b, -10, 10, g, dev) * (math.pi / 180)
    flip = torch.where(torch.rand(b, generator=g, device=dev) < 0.5, -1.0, 1.0)
    cos, sin = torch.cos(a), torch.sin(a)
    theta = torch.stack([torch.stack([sx * cos * flip, -sx * sin, cx], 1),
                         torch.stack([sy * sin * flip, sy * cos, cy], 1)], 1)
    return theta


def _gradients(n: int, size: int, g: torch.Generator, dev: torch.device) -> torch.Tensor:
    """Smooth random colour fields (2×2 or 4×4 colours, bicubic) plus a little noise."""
    k = 2 if torch.rand(1, generator=g, device=dev).item() < 0.5 else 4
    c = torch.rand(n, 3, k, k, generator=g, device=dev)
    field = F.interpolate(c, size=(size, size), mode="bicubic", align_corners=False)
    return (field + 0.05 * torch.randn(field.shape, generator=g, device=dev)).clamp(0, 1)


class Augment:
    """Batches of (x, y) pairs for frames t and t+1 under one shared augmentation."""

    def __init__(self, data: PackData, cfg: FitConfig, seed: int) -> None:
        self.d, self.cfg = data, cfg
        dev = data.images.device
        self.g = torch.Generator(device=dev).manual_seed(seed)
        self.dev = dev
        blur = []
        for k in (5, 7, 9):
            kh = torch.zeros(1, 1, k, k, device=dev)
            kh[0, 0, k // 2, :] = 1.0 / k
            blur += [kh, kh.transpose(2, 3)]
        self.blur = blur

    def batch(self, n: int) -> tuple[torch.Tensor, ...]:
        """(img_t, y_t, img_t1, y_t1, idx) float in [0,1], at the training size."""
        d, g, dev, size = self.d, self.g, self.dev, self.cfg.size
        idx = d.train[torch.randint(len(d.train), (n,), generator=g, device=dev)]
        if self.cfg.photo_share and len(d.train_photos):
            # The clips' frames are many but alike; the photos are few but varied.
            photo = torch.rand(n, generator=g, device=dev) < self.cfg.photo_share
            alt = d.train_photos[torch.randint(len(d.train_photos), (n,), generator=g,
                                               device=dev)]
            idx = torch.where(photo, alt, idx)
        nxt = d.next[idx]
        imgs = torch.cat([d.images[idx], d.images[nxt]]).float() / 255
        alph = torch.cat([d.masks[idx], d.masks[nxt]]).float() / 255
        # Composite over a background (the same for t and t+1).
        comp = torch.rand(n, generator=g, device=dev) < self.cfg.composite
        if comp.any():
            m = int(comp.sum())
            nb = len(d.backgrounds)
            if nb and torch.rand(1, generator=g, device=dev).item() < 0.7:
                bi = torch.randint(nb, (m,), generator=g, device=dev)
                bg = d.backgrounds[bi].float() / 255
                if bg.shape[-1] != imgs.shape[-1]:
                    bg = F.interpolate(bg, size=imgs.shape[-2:], mode="bilinear")
                bg = bg.flip(3) if torch.rand(1, generator=g, device=dev).item() < 0.5 else bg
            else:
                bg = _gradients(m, imgs.shape[-1], g, dev)
            ci = torch.nonzero(comp)[:, 0]
            ci2 = torch.cat([ci, ci + n])
            bg2 = torch.cat([bg, bg])
            a = alph[ci2]
            imgs[ci2] = imgs[ci2] * a + bg2 * (1 - a)
        theta = geometry(d.boxes[idx], self.cfg.focus, g)
        theta2 = torch.cat([theta, theta])
        grid = F.affine_grid(theta2, [2 * n, 3, size, size], align_corners=False)
        imgs = F.grid_sample(imgs, grid, mode="bilinear", padding_mode="border",
                             align_corners=False)
        alph = F.grid_sample(alph, grid, mode="bilinear", padding_mode="border",
                             align_corners=False)
        imgs = self._light(imgs, n)
        return imgs[:n], alph[:n], imgs[n:], alph[n:], idx

    def _light(self, x: torch.Tensor, n: int) -> torch.Tensor:
        g, dev = self.g, self.dev

        def per(lo: float, hi: float) -> torch.Tensor:
            v = _u(n, lo, hi, g, dev)
            return torch.cat([v, v])[:, None, None, None]

        gain = torch.cat([_u(n, 0.9, 1.1, g, dev) for _ in range(3)]).view(3, n).T
        gain = torch.cat([gain, gain])[:, :, None, None]
        x = x.clamp(1e-4, 1) ** per(0.7, 1.4)
        grey = x.mean(1, keepdim=True)
        x = grey + (x - grey) * per(0.6, 1.4)
        mean = x.mean((1, 2, 3), keepdim=True)
        x = mean + (x - mean) * per(0.7, 1.3) + per(-0.15, 0.15)
        x = x * gain
        # Motion blur on a quarter of the batch (one kernel per step).
        sel = torch.rand(n, generator=g, device=dev) < 0.25
        if sel.any():
            k = self.blur[int(torch.randint(len(self.blur), (1,), generator=g, device=dev))]
            sel2 = torch.cat([sel, sel])
            blurred = F.conv2d(x[sel2].reshape(-1, 1, *x.shape[2:]), k, padding=k.shape[-1] // 2)
            x[sel2] = blurred.reshape(-1, 3, *x.shape[2:])
        # Lost resolution (a cheap webcam, a digital zoom) on a fifth.
        sel = torch.rand(n, generator=g, device=dev) < 0.2
        if sel.any():
            sel2 = torch.cat([sel, sel])
            small = F.interpolate(x[sel2], scale_factor=0.5, mode="area")
            x[sel2] = F.interpolate(small, size=x.shape[2:], mode="bilinear",
                                    align_corners=False)
        noise = per(0.0, 0.04) * torch.randn(x.shape, generator=g, device=dev)
        return (x + noise).clamp(0, 1)


def simulated_previous(y: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """The previous-alpha input for frame t, from its label ``y`` (B,1,H,W): empty (20%),
    badly wrong (15%: another sample's label, or this one mirrored and moved far), else moved
    a little (shift, scale, rotation) and then eroded / dilated / blurred at random."""
    b, dev = len(y), y.device
    r = torch.rand(b, generator=g, device=dev)
    shift = torch.zeros(b, 2, 3, device=dev)
    ang = _u(b, -5, 5, g, dev) * (math.pi / 180)
    sc = _u(b, 0.94, 1.06, g, dev)
    shift[:, 0, 0] = sc * torch.cos(ang)
    shift[:, 0, 1] = -sc * torch.sin(ang)
    shift[:, 1, 0] = sc * torch.sin(ang)
    shift[:, 1, 1] = sc * torch.cos(ang)
    shift[:, :, 2] = _u(2 * b, -0.1, 0.1, g, dev).view(b, 2)
    wrong = r < 0.35
    far = torch.where(torch.rand(b, generator=g, device=dev) < 0.5, -1.0, 1.0) * _u(
        b, 0.5, 1.0, g, dev)
    shift[:, 0, 2] = torch.where(wrong, far, shift[:, 0, 2])
    shift[:, 0, 0] = torch.where(wrong, -shift[:, 0, 0], shift[:, 0, 0])  # mirrored
    grid = F.affine_grid(shift, list(y.shape), align_corners=False)
    prev = F.grid_sample(y, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    k = int(torch.randint(1, 4, (1,), generator=g, device=dev)) * 2 + 1
    op = torch.rand(b, generator=g, device=dev)
    dil = F.max_pool2d(prev, k, 1, k // 2)
    ero = -F.max_pool2d(-prev, k, 1, k // 2)
    prev = torch.where((op < 0.3)[:, None, None, None], ero, prev)
    prev = torch.where((op > 0.7)[:, None, None, None], dil, prev)
    blur = torch.rand(b, generator=g, device=dev) < 0.4
    prev = torch.where(blur[:, None, None, None], F.avg_pool2d(prev, 5, 1, 2), prev)
    other = y.roll(1, 0)
    use_other = (r < 0.275) & (r >= 0.2)
    prev = torch.where(use_other[:, None, None, None], other, prev)
    return torch.where((r < 0.2)[:, None, None, None], torch.zeros_like(prev), prev)
