"""Training on a pack (``vbg.training.pack``) with the whole data set and its augmentation on
the GPU (CPU works too, slowly: it is how the tests run it).

Why a second loop beside ``loop.py``: small real-time networks are starved by a CPU data
loader; here a batch is a gather from uint8 tensors already on the device, then one
``grid_sample`` does the engine's crop/stretch, shift, scale, rotation and flip, and a few
tensor ops do the rest. Per sample, in the spirit of what the engine meets:

- geometry: the full frame stretched to the input (the engine's full pass) or the box around
  the person with the engine's margins (its focused pass), jittered in scale, shift and
  rotation, mirrored half the time;
- synthetic composites: the labelled person over a person-free background (shipped
  backgrounds, person-free strips of the clips' rooms, generated gradients and noise);
- light: brightness, contrast, gamma, saturation, white balance; camera noise; motion blur;
  a lost-resolution pass (shrink and enlarge). JPEG/MJPG artefacts come with the pack (JPEG).

Every step pairs frame t with frame t+1 of the same clip (a photo with itself: a still scene)
under the same augmentation, and adds a temporal-consistency loss: the change of the
prediction between the two must match the change of the label (as RobustVideoMatting's
temporal coherence loss). The temporal model (4 inputs) sees on frame t a previous alpha
simulated from the label (empty / moved / eroded / dilated / blurred / another picture's:
learn to follow and to reject) and on frame t+1 its own prediction for t.

Output (``out``): ``best.pt`` (the state_dict with the best validation IoU), ``history.json``,
``curves.png``, ``strips/`` and ``timelapse.gif``/``timelapse.mp4``; validation is on every
10th photo of the pack, which is never trained on.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from vbg.imaging import read_image
from vbg.training.errors import ConfigError
from vbg.training.losses import LOSSES, METRICS
from vbg.training.nets import build_net, count_params

MEAN = 0.5
STD = 0.5


@dataclass(frozen=True)
class FitConfig:
    """One run on a pack. ``minutes`` bounds the wall time (0 = only ``steps``)."""

    pack: str = ""
    out: str = "runs/gpu"
    arch: str = "tiny_fast"
    width: int = 16
    temporal: bool = False
    size: int = 256
    batch: int = 64
    steps: int = 20000
    minutes: float = 0.0
    lr: float = 4e-3
    weight_decay: float = 1e-4
    composite: float = 0.45
    focus: float = 0.55
    consistency: float = 1.0
    eval_every: int = 500
    seed: int = 0
    device: str = "auto"
    loss: str = "bce_iou_l1"
    init: str = ""  # a state_dict (best.pt) to start from instead of random weights
    photo_share: float = 0.0  # fraction of each batch drawn from photos (0 = uniform draw)
    # A picture with no label (e.g. the bundled demo) whose [input | prediction] strip at each
    # evaluation makes ``showcase.gif``/``.mp4``: a timelapse that may be published, unlike
    # the validation strips, which show the pack's photos.
    showcase: str = ""
    # Extra BCE on the label's edge band (pixels within ``edge_px`` of the 0.5 outline),
    # weighted by ``edge_weight`` (0 = off): the boundary is where the model is weakest.
    edge_weight: float = 0.0
    edge_px: int = 5


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


def edge_band(y: torch.Tensor, px: int) -> torch.Tensor:
    """1 within ``px`` pixels of the label's 0.5 outline (dilated minus eroded), else 0."""
    k = 2 * px + 1
    hard = (y > 0.5).float()
    return F.max_pool2d(hard, k, 1, px) + F.max_pool2d(-hard, k, 1, px)


def edge_loss(logits: torch.Tensor, y: torch.Tensor, px: int) -> torch.Tensor:
    """Mean BCE over the edge band of each batch (0 where no label has an edge)."""
    band = edge_band(y, px)
    bce = F.binary_cross_entropy_with_logits(logits, y, reduction="none")
    return (bce * band).sum() / band.sum().clamp(min=1.0)


def _norm(x: torch.Tensor) -> torch.Tensor:
    return (x - MEAN) / STD


# --- the run --------------------------------------------------------------------------------


class GpuRun:
    def __init__(self, cfg: FitConfig) -> None:
        self.cfg = cfg
        if cfg.device == "auto":
            self.dev = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        else:
            self.dev = torch.device(cfg.device)
        torch.manual_seed(cfg.seed)
        self._show = self._showcase_picture()  # first: a bad path writes no run folder
        self.data = PackData(Path(cfg.pack), self.dev)
        self.aug = Augment(self.data, cfg, cfg.seed)
        in_ch = 4 if cfg.temporal else 3
        self.net = build_net(cfg.arch, in_ch, cfg.width)
        if cfg.init:
            self.net.load_state_dict(torch.load(cfg.init, map_location="cpu", weights_only=True))
        self.net = self.net.to(self.dev)
        if self.dev.type == "cuda":
            self.net = self.net.to(memory_format=torch.channels_last)
            torch.backends.cudnn.benchmark = True
        self.opt = torch.optim.AdamW(self.net.parameters(), cfg.lr,
                                     weight_decay=cfg.weight_decay)
        self.loss_fn = LOSSES[cfg.loss]
        self.out = Path(cfg.out)
        self.out.mkdir(parents=True, exist_ok=True)
        (self.out / "config.json").write_text(json.dumps(asdict(self.cfg), indent=2))
        self.history: list[dict[str, float]] = []
        self.best = -1.0
        self._val = self._validation_batch()

    def _showcase_picture(self) -> torch.Tensor | None:
        if not self.cfg.showcase:
            return None
        img = read_image(self.cfg.showcase, what="The showcase picture", error=ConfigError)
        rgb = cv2.cvtColor(cv2.resize(img, (self.cfg.size, self.cfg.size),
                                      interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2RGB)
        return torch.from_numpy(rgb).permute(2, 0, 1)[None].float().div(255).to(self.dev)

    def _validation_batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        d, size = self.data, self.cfg.size
        x = d.images[d.val].float() / 255
        y = d.masks[d.val].float() / 255
        return (F.interpolate(x, size=(size, size), mode="area"),
                F.interpolate(y, size=(size, size), mode="area"))

    def forward(self, x: torch.Tensor, prev: torch.Tensor | None) -> torch.Tensor:
        inp = _norm(x)
        if self.cfg.temporal:
            inp = torch.cat([inp, prev], 1)
        if self.dev.type == "cuda":
            inp = inp.contiguous(memory_format=torch.channels_last)
        with torch.autocast(self.dev.type, dtype=torch.bfloat16, enabled=self.dev.type == "cuda"):
            return self.net(inp).float()

    def step(self) -> float:
        cfg = self.cfg
        x0, y0, x1, y1, _ = self.aug.batch(cfg.batch)
        prev0 = simulated_previous(y0, self.aug.g) if cfg.temporal else None
        l0 = self.forward(x0, prev0)
        p0 = torch.sigmoid(l0)
        l1 = self.forward(x1, p0 if cfg.temporal else None)
        p1 = torch.sigmoid(l1)
        loss = self.loss_fn(l0, y0) + self.loss_fn(l1, y1)
        if cfg.edge_weight:
            loss = loss + cfg.edge_weight * (edge_loss(l0, y0, cfg.edge_px)
                                             + edge_loss(l1, y1, cfg.edge_px))
        if cfg.consistency:
            loss = loss + cfg.consistency * ((p1 - p0) - (y1 - y0)).abs().mean() * 4
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        return float(loss.detach())

    def _still_logits(self, x: torch.Tensor) -> torch.Tensor:
        """Logits for still pictures ``x``: a temporal net starts from an empty previous
        alpha and is then fed its own output once (a still scene)."""
        prev = torch.zeros_like(x[:, :1]) if self.cfg.temporal else None
        logits = self.forward(x, prev)
        if self.cfg.temporal:
            logits = self.forward(x, torch.sigmoid(logits))
        return logits

    @torch.no_grad()
    def validate(self) -> dict[str, float]:
        self.net.eval()
        x, y = self._val
        out: dict[str, float] = {}
        sums = {k: 0.0 for k in ("loss", *METRICS)}
        for i in range(0, len(x), 32):
            xb, yb = x[i:i + 32], y[i:i + 32]
            logits = self._still_logits(xb)
            p = torch.sigmoid(logits)
            sums["loss"] += float(self.loss_fn(logits, yb)) * len(xb)
            for k, fn in METRICS.items():
                sums[k] += float(fn(p, yb).sum())
        out = {f"val_{k}": v / len(x) for k, v in sums.items()}
        self.net.train()
        return out

    @torch.no_grad()
    def strip(self, n: int = 4) -> np.ndarray:
        self.net.eval()
        x, y = self._val[0][:n], self._val[1][:n]
        prev = torch.zeros_like(y) if self.cfg.temporal else None
        p = torch.sigmoid(self.forward(x, prev))
        self.net.train()
        rows = []
        for i in range(len(x)):
            rgb = (x[i].permute(1, 2, 0).cpu().numpy() * 255).astype(np.uint8)
            bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
            t = cv2.cvtColor((y[i, 0].cpu().numpy() * 255).astype(np.uint8), cv2.COLOR_GRAY2BGR)
            q = cv2.cvtColor((p[i, 0].cpu().numpy() * 255).astype(np.uint8), cv2.COLOR_GRAY2BGR)
            rows.append(np.hstack([bgr, t, q]))
        return np.vstack(rows)

    @torch.no_grad()
    def showcase_strip(self) -> np.ndarray:
        """[input | prediction as a cut-out over grey] of the showcase picture."""
        assert self._show is not None
        self.net.eval()
        x = self._show
        p = torch.sigmoid(self._still_logits(x))
        self.net.train()
        cut = x * p + 0.5 * (1 - p)
        rgb = (torch.cat([x, cut], 3)[0].permute(1, 2, 0).cpu().numpy() * 255).astype(np.uint8)
        return cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)

    def fit(self) -> dict[str, float]:
        from vbg.training.loop import save_curves, save_timelapse, save_timelapse_video

        cfg = self.cfg
        start, total, n, epoch = time.time(), 0.0, 0, 0
        sdir = self.out / "strips"
        sdir.mkdir(exist_ok=True)
        record: dict[str, float] = {}
        self.net.train()
        for step in range(1, cfg.steps + 1):
            # Progress is the larger of steps and wall time spent, so a time-bounded run
            # still warms up and anneals completely (5% linear warm-up, then a cosine to 0).
            done = step / cfg.steps
            if cfg.minutes:
                done = max(done, (time.time() - start) / (60 * cfg.minutes))
            lr = cfg.lr * (done / 0.05 if done < 0.05 else
                           0.5 * (1 + math.cos(math.pi * min(1.0, (done - 0.05) / 0.95))))
            for group in self.opt.param_groups:
                group["lr"] = lr
            total += self.step()
            n += 1
            over = done >= 1.0
            if step % cfg.eval_every == 0 or step == cfg.steps or over:
                epoch += 1
                val = self.validate()
                record = {"epoch": epoch, "step": step, "train_loss": total / n, **val, "lr": lr,
                          "seconds": time.time() - start}
                total, n = 0.0, 0
                self.history.append(record)
                if val["val_iou"] > self.best:
                    self.best = val["val_iou"]
                    torch.save({k: v.float() for k, v in self.net.state_dict().items()},
                               self.out / "best.pt")
                torch.save({k: v.float() for k, v in self.net.state_dict().items()},
                           self.out / "last.pt")
                cv2.imwrite(str(sdir / f"epoch_{epoch:03d}.png"), self.strip())
                if self._show is not None:
                    cv2.imwrite(str(sdir / f"show_{epoch:03d}.png"), self.showcase_strip())
                print(json.dumps({k: round(v, 4) if isinstance(v, float) else v
                                  for k, v in record.items()}), flush=True)
            if over:
                break
        strips = sorted(sdir.glob("epoch_*.png"))
        save_timelapse(strips, self.out / "timelapse.gif", ms_per_frame=250)
        save_timelapse_video(strips, self.out / "timelapse.mp4", fps=4)
        shows = sorted(sdir.glob("show_*.png"))
        if shows:
            save_timelapse(shows, self.out / "showcase.gif", ms_per_frame=250)
            save_timelapse_video(shows, self.out / "showcase.mp4", fps=4)
        save_curves(self.history, self.out / "curves.png")
        (self.out / "history.json").write_text(json.dumps(self.history, indent=1))
        return {"best_val_iou": self.best, "params": count_params(self.net), **record}


def fit(cfg: FitConfig) -> dict[str, float]:
    return GpuRun(cfg).fit()
