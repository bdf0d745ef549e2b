"""Training losses on logits ``[N,1,H,W]`` against soft targets in [0,1]; and torch metrics.

Losses: ``bce_iou_l1`` = BCE + 0.5·(1 − soft IoU) + 0.5·L1, and ``bce_dice`` = BCE + (1 − soft
Dice). Soft IoU/Dice are computed per image and averaged over the batch.
Metrics (on probabilities, thresholded at 0.5): IoU, Dice, pixel accuracy, boundary F-score
(DAVIS-style, the same definition as ``vbg.evaluation.boundary_f``).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

EPS = 1e-6


def soft_iou(prob: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    inter = (prob * target).flatten(1).sum(1)
    union = (prob + target - prob * target).flatten(1).sum(1)
    return ((inter + EPS) / (union + EPS)).mean()


def soft_dice(prob: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    inter = (prob * target).flatten(1).sum(1)
    total = prob.flatten(1).sum(1) + target.flatten(1).sum(1)
    return ((2 * inter + EPS) / (total + EPS)).mean()


def bce_iou_l1(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    prob = torch.sigmoid(logits.float())
    bce = F.binary_cross_entropy_with_logits(logits.float(), target)
    return bce + 0.5 * (1 - soft_iou(prob, target)) + 0.5 * (prob - target).abs().mean()


def bce_dice(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    prob = torch.sigmoid(logits.float())
    return F.binary_cross_entropy_with_logits(logits.float(), target) + (
        1 - soft_dice(prob, target))


LOSSES = {"bce_iou_l1": bce_iou_l1, "bce_dice": bce_dice}


# --- metrics --------------------------------------------------------------------------------


def _binary(x: torch.Tensor) -> torch.Tensor:
    return (x >= 0.5).float()


def iou(prob: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Per-image IoU of the binarised masks (1 where both are empty)."""
    p, t = _binary(prob).flatten(1), _binary(target).flatten(1)
    inter, union = (p * t).sum(1), ((p + t) > 0).float().sum(1)
    return torch.where(union > 0, inter / union.clamp(min=1), torch.ones_like(union))


def dice(prob: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    p, t = _binary(prob).flatten(1), _binary(target).flatten(1)
    total = p.sum(1) + t.sum(1)
    return torch.where(total > 0, 2 * (p * t).sum(1) / total.clamp(min=1),
                       torch.ones_like(total))


def pixel_accuracy(prob: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return (_binary(prob) == _binary(target)).float().flatten(1).mean(1)


def _boundary(m: torch.Tensor) -> torch.Tensor:
    """Morphological gradient with a 3×3 square (as cv2.MORPH_GRADIENT): dilate − erode."""
    dil = F.max_pool2d(m, 3, 1, 1)
    ero = -F.max_pool2d(-m, 3, 1, 1)
    return (dil - ero) > 0


def _dilate_disc(m: torch.Tensor, d: int) -> torch.Tensor:
    """Dilation by OpenCV's elliptic structuring element of radius ``d`` (as the numpy
    version in vbg.evaluation uses)."""
    import cv2

    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * d + 1, 2 * d + 1))
    disc = torch.from_numpy(k.astype("float32")).to(m.device)[None, None]
    return F.conv2d(m.float(), disc, padding=d) > 0


def boundary_f(prob: torch.Tensor, target: torch.Tensor, tolerance: float = 0.0075
               ) -> torch.Tensor:
    """Per-image boundary F-score: boundary pixels within ``tolerance`` × diagonal."""
    p, t = _boundary(_binary(prob)), _boundary(_binary(target))
    h, w = prob.shape[2:]
    d = max(1, round(tolerance * (h * h + w * w) ** 0.5))
    p_near, t_near = _dilate_disc(p, d), _dilate_disc(t, d)
    np_, nt = p.flatten(1).sum(1).float(), t.flatten(1).sum(1).float()
    prec = (p & t_near).flatten(1).sum(1) / np_.clamp(min=1)
    rec = (t & p_near).flatten(1).sum(1) / nt.clamp(min=1)
    f = torch.where(prec + rec > 0, 2 * prec * rec / (prec + rec).clamp(min=EPS),
                    torch.zeros_like(prec))
    f = torch.where((np_ == 0) & (nt == 0), torch.ones_like(f), f)
    return torch.where((np_ == 0) ^ (nt == 0), torch.zeros_like(f), f)


METRICS = {"iou": iou, "dice": dice, "pixel_acc": pixel_accuracy, "boundary_f": boundary_f}


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
