"""Segmentation networks. Each returns logits ``[N,1,H,W]`` (the sigmoid is added at export)
and exposes ``encoder`` (a module) so the loop can freeze it for the first epochs.

- ``UNet``: DoubleConv (Conv3×3-BN-ReLU ×2, no conv bias), 4 levels, bilinear upsampling
  (~31M parameters at width 64).
- ``MobileNetV2Seg``: a MobileNetV2 encoder (inverted residuals, ReLU6) with a light
  transposed-conv decoder (~3.5M at width 32); no ImageNet weights offline: train from scratch
  or by distillation.
- ``RestrictedSeg``: encoder-decoder without skips or residuals (Conv, BN, ReLU,
  ConvTranspose only: the minimal ONNX op set once BN is folded).
- ``TinySeg``: the real-time class (≤ 0.5M parameters, a few ms at 256×256 on one core):
  a narrow MobileNetV2-style encoder, squeeze-excite context at 1/32, an additive-skip
  bilinear decoder. ``tiny_fast``: the same with the decoder ending at 1/4 resolution.

Any of them takes ``in_ch=4`` for the temporal variant (RGB + previous alpha).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def count_params(net: nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())


# --- U-Net ---------------------------------------------------------------------------------


class DoubleConv(nn.Sequential):
    def __init__(self, cin: int, cout: int, mid: int | None = None) -> None:
        mid = mid or cout
        super().__init__(
            nn.Conv2d(cin, mid, 3, padding=1, bias=False), nn.BatchNorm2d(mid), nn.ReLU(True),
            nn.Conv2d(mid, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(True),
        )


class UNet(nn.Module):
    def __init__(self, in_ch: int = 3, width: int = 64) -> None:
        super().__init__()
        c = [width * 2**i for i in range(5)]  # 64..1024
        self.inc = DoubleConv(in_ch, c[0])
        self.downs = nn.ModuleList(
            nn.Sequential(nn.MaxPool2d(2), DoubleConv(c[i], c[i + 1])) for i in range(4)
        )
        self.encoder = nn.ModuleList([self.inc, self.downs])
        # Bilinear upsampling keeps the channels, DoubleConv halves them after concatenation.
        self.ups = nn.ModuleList(DoubleConv(c[i + 1] + c[i], c[i]) for i in reversed(range(4)))
        self.head = nn.Conv2d(c[0], 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = [self.inc(x)]
        for d in self.downs:
            skips.append(d(skips[-1]))
        y = skips.pop()
        for up in self.ups:
            s = skips.pop()
            y = F.interpolate(y, size=s.shape[2:], mode="bilinear", align_corners=False)
            y = up(torch.cat([s, y], 1))
        return self.head(y)


# --- MobileNetV2 blocks --------------------------------------------------------------------


def conv_bn(cin: int, cout: int, k: int = 3, s: int = 1, groups: int = 1,
            act: bool = True) -> nn.Sequential:
    layers: list[nn.Module] = [nn.Conv2d(cin, cout, k, s, k // 2, groups=groups, bias=False),
                               nn.BatchNorm2d(cout)]
    if act:
        layers.append(nn.ReLU6(True))
    return nn.Sequential(*layers)


class InvertedResidual(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int, expand: int) -> None:
        super().__init__()
        hid = cin * expand
        layers: list[nn.Module] = [conv_bn(cin, hid, 1)] if expand != 1 else []
        layers += [conv_bn(hid, hid, 3, stride, groups=hid), conv_bn(hid, cout, 1, act=False)]
        self.block = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.block(x)
        return x + y if self.residual else y


def _stages(in_ch: int, width: int, spec: list[tuple[int, int, int, int]]) -> nn.ModuleList:
    """Encoder stages; each stage ends at a new resolution. spec: (expand, mult, repeats, s)."""
    stages: list[nn.Module] = [conv_bn(in_ch, width, 3, 2)]
    cin = width
    for t, mult, n, s in spec:
        cout = max(8, int(width * mult))
        blocks: list[nn.Module] = []
        for i in range(n):
            blocks.append(InvertedResidual(cin, cout, s if i == 0 else 1, t))
            cin = cout
        if s == 2:
            stages.append(nn.Sequential(*blocks))
        else:
            stages[-1] = nn.Sequential(stages[-1], *blocks)
    return nn.ModuleList(stages)


class MobileNetV2Seg(nn.Module):
    """MobileNetV2 (width 32 = the standard 1.0×) encoder + transposed-conv decoder."""

    SPEC = [(1, 0.5, 1, 1), (6, 0.75, 2, 2), (6, 1, 3, 2), (6, 2, 4, 2), (6, 3, 3, 1),
            (6, 5, 3, 2), (6, 10, 1, 1)]

    def __init__(self, in_ch: int = 3, width: int = 32) -> None:
        super().__init__()
        self.encoder = _stages(in_ch, width, self.SPEC)
        chans = [_out_channels(s) for s in self.encoder]  # at 1/2, 1/4, 1/8, 1/16, 1/32
        ups = []
        c = chans[-1]
        for skip in reversed(chans[:-1]):
            ups.append(nn.ModuleDict({
                "up": nn.Sequential(nn.ConvTranspose2d(c, skip, 4, 2, 1, bias=False),
                                    nn.BatchNorm2d(skip), nn.ReLU(True)),
                "fuse": conv_bn(skip, skip, 3, groups=1),
            }))
            c = skip
        self.decoder = nn.ModuleList(ups)
        self.head = nn.ConvTranspose2d(c, 1, 4, 2, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        feats = []
        for s in self.encoder:
            x = s(x)
            feats.append(x)
        y = feats.pop()
        for d in self.decoder:
            y = d["fuse"](d["up"](y) + feats.pop())
        return self.head(y)


def _out_channels(module: nn.Module) -> int:
    convs = [m for m in module.modules() if isinstance(m, nn.Conv2d)]
    return convs[-1].out_channels


# --- restricted ----------------------------------------------------------------------------


class RestrictedSeg(nn.Module):
    """Conv-BN-ReLU stride-2 encoder, ConvTranspose decoder; no skips, no residuals."""

    def __init__(self, in_ch: int = 3, width: int = 16, levels: int = 4) -> None:
        super().__init__()
        enc: list[nn.Module] = []
        c = in_ch
        for i in range(levels):
            cout = width * 2**i
            enc += [nn.Conv2d(c, cout, 3, 2, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(True),
                    nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout),
                    nn.ReLU(True)]
            c = cout
        self.encoder = nn.Sequential(*enc)
        dec: list[nn.Module] = []
        for i in reversed(range(levels - 1)):
            cout = width * 2**i
            dec += [nn.ConvTranspose2d(c, cout, 4, 2, 1, bias=False), nn.BatchNorm2d(cout),
                    nn.ReLU(True)]
            c = cout
        dec.append(nn.ConvTranspose2d(c, 1, 4, 2, 1))
        self.decoder = nn.Sequential(*dec)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encoder(x))


# --- tiny (real-time) ----------------------------------------------------------------------


class SqueezeExcite(nn.Module):
    def __init__(self, c: int, r: int = 4) -> None:
        super().__init__()
        self.fc = nn.Sequential(nn.Conv2d(c, c // r, 1), nn.ReLU(True), nn.Conv2d(c // r, c, 1),
                                nn.Sigmoid())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.fc(F.adaptive_avg_pool2d(x, 1))


class TinySeg(nn.Module):
    """Real-time net: width 16 ≈ 0.2M parameters."""

    SPEC = [(2, 1.5, 1, 2), (4, 2, 2, 2), (4, 4, 3, 2), (4, 6, 2, 2)]

    def __init__(self, in_ch: int = 3, width: int = 16, skip_fine: int = 0) -> None:
        super().__init__()
        stages = _stages(in_ch, width, self.SPEC)
        chans = [_out_channels(s) for s in stages]
        stages[-1] = nn.Sequential(stages[-1], SqueezeExcite(chans[-1]))
        self.encoder = stages
        # skip_fine = 1: the decoder stops at 1/4 of the input (the 1/2-resolution features
        # are not fused), which roughly halves the decoder's cost; the engine's guided
        # upsampling restores the edge detail.
        self.skip_fine = skip_fine
        d = width
        self.lateral = nn.ModuleList(conv_bn(c, d, 1) for c in chans[skip_fine:])
        self.refine = nn.ModuleList(
            nn.Sequential(conv_bn(d, d, 3, groups=d), conv_bn(d, d, 1))
            for _ in chans[skip_fine:-1]
        )
        self.head = nn.Conv2d(d, 1, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        size = x.shape[2:]
        feats = []
        for s in self.encoder:
            x = s(x)
            feats.append(x)
        feats = feats[self.skip_fine:]
        y = self.lateral[-1](feats[-1])
        for i in reversed(range(len(feats) - 1)):
            f = feats[i]
            y = F.interpolate(y, size=f.shape[2:], mode="bilinear", align_corners=False)
            y = self.refine[i](y + self.lateral[i](f))
        y = self.head(y)
        return F.interpolate(y, size=size, mode="bilinear", align_corners=False)


def build_net(arch: str, in_ch: int = 3, width: int | None = None) -> nn.Module:
    if arch == "tiny_fast":
        return TinySeg(in_ch=in_ch, width=width or 16, skip_fine=1)
    table = {"unet": (UNet, 64), "mobilenetv2": (MobileNetV2Seg, 32),
             "restricted": (RestrictedSeg, 16), "tiny": (TinySeg, 16)}
    cls, default = table[arch]
    return cls(in_ch=in_ch, width=width or default)
