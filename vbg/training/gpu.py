"""Training on a pack (``vbg.training.pack``) with the whole data set and its augmentation on
the GPU (CPU works too, slowly: it is how the tests run it).

Why a second loop beside ``loop.py``: small real-time networks are starved by a CPU data
loader; here a batch is a gather from uint8 tensors already on the device, then one
``grid_sample`` does the engine's crop/stretch, shift, scale, rotation and flip, and a few
tensor ops do the rest (:mod:`vbg.training.augment`; the edge loss is in
:mod:`vbg.training.losses`, :class:`~vbg.training.config.FitConfig` in the config module).
Per sample, in the spirit of what the engine meets:

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
from dataclasses import asdict
from pathlib import Path

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from vbg.imaging import read_image
from vbg.training.augment import Augment, PackData, simulated_previous
from vbg.training.config import FitConfig
from vbg.training.errors import ConfigError
from vbg.training.losses import LOSSES, METRICS, edge_loss
from vbg.training.nets import build_net, count_params

__all__ = ["FitConfig", "GpuRun", "fit"]

MEAN = 0.5
STD = 0.5


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
