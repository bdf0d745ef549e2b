"""The training loop: CPU, one GPU, or several through torchrun (DistributedDataParallel).

Per epoch: train (AdamW, optional encoder freeze for the first N epochs, mixed precision on
CUDA), validate (IoU, Dice, pixel accuracy, boundary F), step ReduceLROnPlateau on validation
IoU, save ``last.pt`` (model + optimiser + scheduler + history, for ``resume``) and, when the
validation IoU improves, ``best.pt`` (the model's state_dict only). Every checkpoint is loaded
with ``weights_only=True``. Curves (``curves.png``), a strip [input | target | prediction] of
a few fixed validation images (``strips/epoch_NNN.png``) and their timelapse
(``timelapse.gif`` and ``timelapse.mp4``) are written to the run folder.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import cv2
import numpy as np
import torch
import torch.distributed as dist
from torch.utils.data import DataLoader, DistributedSampler

from vbg.training import data as D
from vbg.training.config import TrainConfig, to_json
from vbg.training.errors import DataError
from vbg.training.losses import LOSSES, METRICS
from vbg.training.nets import build_net, count_params

MEAN = (0.5, 0.5, 0.5)
STD = (0.5, 0.5, 0.5)


def _rank() -> int:
    return dist.get_rank() if dist.is_available() and dist.is_initialized() else 0


def _device(cfg: TrainConfig) -> torch.device:
    if cfg.device != "auto":
        return torch.device(cfg.device)
    if torch.cuda.is_available():
        return torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
    return torch.device("cpu")


def prepare_data(cfg: TrainConfig) -> tuple[list[D.Sample], list[D.Sample]]:
    """Discover, check, split and load all pictures (every data error surfaces here)."""
    if not cfg.data:
        raise DataError("No training data given; set data to one or more labelled folders.")
    pairs: list[D.Pair] = []
    for folder in cfg.data:
        pairs += D.discover(folder, cfg.include.get(Path(folder).name))
    if cfg.val_data:
        val_pairs: list[D.Pair] = []
        for folder in cfg.val_data:
            val_pairs += D.discover(folder, cfg.include.get(Path(folder).name))
        train_pairs = pairs
    else:
        train_pairs, val_pairs = D.split(pairs, cfg.val_fraction, cfg.seed)
    long_side = int(cfg.size * 1.6)
    return D.load_samples(train_pairs, long_side), D.load_samples(val_pairs, long_side)


class Run:
    """One training run (built from a TrainConfig; ``fit()`` trains it)."""

    def __init__(self, cfg: TrainConfig) -> None:
        self.cfg = cfg
        torch.set_num_threads(cfg.threads)
        self.distributed = int(os.environ.get("WORLD_SIZE", "1")) > 1
        if self.distributed and not dist.is_initialized():
            dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
        self.device = _device(cfg)
        if self.device.type == "cuda":
            torch.cuda.set_device(self.device)
        self.main = _rank() == 0
        self.out = Path(cfg.out)
        train, val = prepare_data(cfg)  # before anything is trained or written
        torch.manual_seed(cfg.seed)
        in_ch = 4 if cfg.temporal else 3
        self.net = build_net(cfg.arch, in_ch, cfg.width).to(self.device)
        self.model: torch.nn.Module = self.net
        if self.distributed:
            self.model = torch.nn.parallel.DistributedDataParallel(
                self.net, device_ids=[self.device.index] if self.device.type == "cuda" else None,
                find_unused_parameters=cfg.freeze_encoder_epochs > 0)
        self.train_ds = D.SegDataset(train, cfg.size, True, MEAN, STD, cfg.temporal,
                                     cfg.composites, cfg.seed)
        self.val_ds = D.SegDataset(val, cfg.size, False, MEAN, STD, cfg.temporal, 0.0, cfg.seed)
        self.sampler = DistributedSampler(self.train_ds, seed=cfg.seed) if self.distributed \
            else None
        self.train_dl = DataLoader(self.train_ds, cfg.batch_size, shuffle=self.sampler is None,
                                   sampler=self.sampler, num_workers=cfg.workers, drop_last=False,
                                   generator=torch.Generator().manual_seed(cfg.seed),
                                   persistent_workers=cfg.workers > 0)
        self.val_dl = DataLoader(self.val_ds, cfg.batch_size, shuffle=False,
                                 num_workers=cfg.workers)
        self.loss_fn = LOSSES[cfg.loss]
        self.opt = torch.optim.AdamW(self.net.parameters(), cfg.lr, weight_decay=cfg.weight_decay)
        self.sched = torch.optim.lr_scheduler.ReduceLROnPlateau(
            self.opt, mode="max", factor=cfg.plateau_factor, patience=cfg.plateau_patience)
        self.amp = cfg.amp and self.device.type == "cuda"
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.amp)
        self.epoch, self.step, self.best_iou = 0, 0, -1.0
        self.history: list[dict[str, float]] = []
        if self.main:
            self.out.mkdir(parents=True, exist_ok=True)
            (self.out / "config.json").write_text(to_json(cfg), encoding="utf-8")
        if cfg.resume and (self.out / "last.pt").exists():
            self._load_last()
        self.n_params = count_params(self.net)

    # --- checkpoints ---

    def _save(self) -> None:
        if not self.main:
            return
        state = {"model": self.net.state_dict(), "opt": self.opt.state_dict(),
                 "sched": self.sched.state_dict(), "scaler": self.scaler.state_dict(),
                 "epoch": self.epoch, "step": self.step, "best_iou": self.best_iou,
                 "history": self.history}
        tmp = self.out / "last.pt.tmp"
        torch.save(state, tmp)
        os.replace(tmp, self.out / "last.pt")

    def _load_last(self) -> None:
        state = torch.load(self.out / "last.pt", map_location=self.device, weights_only=True)
        self.net.load_state_dict(state["model"])
        self.opt.load_state_dict(state["opt"])
        self.sched.load_state_dict(state["sched"])
        self.scaler.load_state_dict(state["scaler"])
        self.epoch, self.step = int(state["epoch"]), int(state["step"])
        self.best_iou, self.history = float(state["best_iou"]), list(state["history"])

    # --- epochs ---

    def _set_frozen(self, frozen: bool) -> None:
        for p in self.net.encoder.parameters():
            p.requires_grad_(not frozen)

    def _bar(self, it, **kw):  # type: ignore[no-untyped-def]
        if not (self.cfg.progress and self.main):
            return it
        from tqdm import tqdm

        return tqdm(it, leave=False, dynamic_ncols=True, **kw)

    def train_epoch(self) -> float:
        self.model.train()
        self.train_ds.set_epoch(self.epoch)
        if self.sampler is not None:
            self.sampler.set_epoch(self.epoch)
        self._set_frozen(self.epoch < self.cfg.freeze_encoder_epochs)
        total, n = 0.0, 0
        bar = self._bar(self.train_dl, desc=f"epoch {self.epoch + 1}/{self.cfg.epochs}")
        for x, y in bar:
            x, y = x.to(self.device, non_blocking=True), y.to(self.device, non_blocking=True)
            with torch.autocast(self.device.type, dtype=torch.float16, enabled=self.amp):
                logits = self.model(x)
            loss = self.loss_fn(logits, y)
            self.opt.zero_grad(set_to_none=True)
            self.scaler.scale(loss).backward()
            self.scaler.step(self.opt)
            self.scaler.update()
            self.step += 1
            total += loss.detach().item() * len(x)
            n += len(x)
            if hasattr(bar, "set_postfix"):
                bar.set_postfix(loss=f"{total / n:.4f}")
            if self.cfg.max_steps and self.step >= self.cfg.max_steps:
                break
        return total / max(n, 1)

    @torch.no_grad()
    def validate(self) -> dict[str, float]:
        self.model.eval()
        sums = {k: 0.0 for k in ("loss", *METRICS)}
        n = 0
        for x, y in self._bar(self.val_dl, desc="validate"):
            x, y = x.to(self.device), y.to(self.device)
            logits = self.net(x).float()
            prob = torch.sigmoid(logits)
            sums["loss"] += float(self.loss_fn(logits, y)) * len(x)
            for k, fn in METRICS.items():
                sums[k] += float(fn(prob, y).sum())
            n += len(x)
        return {k: v / max(n, 1) for k, v in sums.items()}

    def fit(self) -> dict[str, float]:
        """Train until ``epochs`` (or ``max_steps``); returns the last epoch's record."""
        record: dict[str, float] = {}
        start = time.time()
        while self.epoch < self.cfg.epochs:
            t0 = time.time()
            train_loss = self.train_epoch()
            val = self.validate()
            self.sched.step(val["iou"])
            record = {"epoch": self.epoch + 1, "step": self.step, "train_loss": train_loss,
                      **{f"val_{k}": v for k, v in val.items()},
                      "lr": self.opt.param_groups[0]["lr"], "seconds": time.time() - t0}
            self.history.append(record)
            if self.main:
                if val["iou"] > self.best_iou:
                    self.best_iou = val["iou"]
                    torch.save(self.net.state_dict(), self.out / "best.pt")
                self.epoch += 1
                self._save()
                self._artifacts()
                print(json.dumps({k: round(v, 5) if isinstance(v, float) else v
                                  for k, v in record.items()}), flush=True)
            else:
                self.epoch += 1
            if self.cfg.max_steps and self.step >= self.cfg.max_steps:
                break
            if self.cfg.max_minutes and time.time() - start > 60 * self.cfg.max_minutes:
                break
        if self.main and self.history:
            save_curves(self.history, self.out / "curves.png")
            (self.out / "history.json").write_text(json.dumps(self.history, indent=1))
        return record

    # --- artifacts ---

    def _artifacts(self) -> None:
        if self.epoch % 5 == 0:  # plotting is slow on a small CPU; fit() also plots at the end
            save_curves(self.history, self.out / "curves.png")
        strip = self.strip()
        sdir = self.out / "strips"
        sdir.mkdir(exist_ok=True)
        cv2.imwrite(str(sdir / f"epoch_{self.epoch:03d}.png"), strip)
        strips = sorted(sdir.glob("epoch_*.png"))
        save_timelapse(strips, self.out / "timelapse.gif")
        save_timelapse_video(strips, self.out / "timelapse.mp4")

    @torch.no_grad()
    def strip(self) -> np.ndarray:
        """Rows of [input | target | prediction] for the first few validation images."""
        self.net.eval()
        rows = []
        for i in range(min(self.cfg.strip_images, len(self.val_ds))):
            x, y = self.val_ds[i]
            p = torch.sigmoid(self.net(x[None].to(self.device)).float())[0, 0].cpu().numpy()
            rgb = (x[:3].numpy().transpose(1, 2, 0) * np.array(STD) + np.array(MEAN)) * 255
            bgr = cv2.cvtColor(np.clip(rgb, 0, 255).astype(np.uint8), cv2.COLOR_RGB2BGR)
            t = cv2.cvtColor((y[0].numpy() * 255).astype(np.uint8), cv2.COLOR_GRAY2BGR)
            q = cv2.cvtColor((p * 255).astype(np.uint8), cv2.COLOR_GRAY2BGR)
            rows.append(np.hstack([bgr, t, q]))
        return np.vstack(rows)


def save_curves(history: list[dict[str, float]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ep = [h["epoch"] for h in history]
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
    a.plot(ep, [h["train_loss"] for h in history], "o-", label="train loss")
    a.plot(ep, [h["val_loss"] for h in history], "o-", label="val loss")
    a.set_xlabel("epoch")
    a.legend()
    for k in ("iou", "dice", "pixel_acc", "boundary_f"):
        b.plot(ep, [h[f"val_{k}"] for h in history], "o-", label=f"val {k}")
    b.set_xlabel("epoch")
    b.legend()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def save_timelapse(frames: list[Path], path: Path, ms_per_frame: int = 400) -> None:
    """A GIF of the per-epoch strips (Pillow, which matplotlib brings along)."""
    from PIL import Image

    if not frames:
        return
    imgs = [Image.open(f).convert("RGB") for f in frames]
    imgs[0].save(path, save_all=True, append_images=imgs[1:], duration=ms_per_frame, loop=0)


def save_timelapse_video(frames: list[Path], path: Path, fps: float = 2.5) -> None:
    """The same timelapse as an MP4 (OpenCV's mp4v: no H.264 encoder here), for players and
    slides that don't animate GIFs. Written to a temporary name, then renamed."""
    if not frames:
        return
    first = cv2.imread(str(frames[0]))
    h, w = first.shape[:2]
    size = (w - w % 2, h - h % 2)  # codecs want even sizes
    tmp = path.with_name(f".{path.stem}.tmp{path.suffix}")
    writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    try:
        for f in frames:
            img = cv2.imread(str(f))
            writer.write(cv2.resize(img, size) if img.shape[1::-1] != size else img)
    finally:
        writer.release()
    tmp.replace(path)


def train(cfg: TrainConfig) -> Run:
    run = Run(cfg)
    try:
        run.fit()
    finally:
        if run.distributed and dist.is_initialized():
            dist.destroy_process_group()
    return run
