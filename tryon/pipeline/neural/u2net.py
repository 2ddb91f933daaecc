"""U²-Net salient-object segmentation, used to cut the shopper out of their photo.

Qin et al., "U²-Net: Going Deeper with Nested U-Structure for Salient Object Detection",
Pattern Recognition 106 (2020), arXiv:2005.09007. Section 3.1 describes the residual U-block
(RSU-L, and the dilated RSU-4F used where the resolution is already low); section 3.2 the
two-level nested U-structure with six side outputs fused by a 1×1 convolution.

Module and attribute names follow the released checkpoints (`u2net.pth`, `u2netp.pth`), so their
state dicts load with strict key and shape checks (see `tryon.pipeline.neural.weights`).
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from tryon.pipeline.neural.concat import conv_on_concat

U2NetVariant = Literal["u2net", "u2netp"]

# (block, in, mid, out) per stage: the full model and the small one (the paper's U²-Net†, released as u2netp).
STAGE_LAYOUTS: dict[str, dict[str, tuple[str, int, int, int]]] = {
    "u2net": {
        "stage1": ("RSU7", 3, 32, 64),
        "stage2": ("RSU6", 64, 32, 128),
        "stage3": ("RSU5", 128, 64, 256),
        "stage4": ("RSU4", 256, 128, 512),
        "stage5": ("RSU4F", 512, 256, 512),
        "stage6": ("RSU4F", 512, 256, 512),
        "stage5d": ("RSU4F", 1024, 256, 512),
        "stage4d": ("RSU4", 1024, 128, 256),
        "stage3d": ("RSU5", 512, 64, 128),
        "stage2d": ("RSU6", 256, 32, 64),
        "stage1d": ("RSU7", 128, 16, 64),
    },
    "u2netp": {
        "stage1": ("RSU7", 3, 16, 64),
        "stage2": ("RSU6", 64, 16, 64),
        "stage3": ("RSU5", 64, 16, 64),
        "stage4": ("RSU4", 64, 16, 64),
        "stage5": ("RSU4F", 64, 16, 64),
        "stage6": ("RSU4F", 64, 16, 64),
        "stage5d": ("RSU4F", 128, 16, 64),
        "stage4d": ("RSU4", 128, 16, 64),
        "stage3d": ("RSU5", 128, 16, 64),
        "stage2d": ("RSU6", 128, 16, 64),
        "stage1d": ("RSU7", 128, 16, 64),
    },
}

# Side outputs: the decoder stage each side conv reads (the last one reads the bottom encoder stage).
SIDE_SOURCES = ("stage1d", "stage2d", "stage3d", "stage4d", "stage5d", "stage6")


def upsample_to(source: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
    """Bilinear resize of `source` to the exact spatial size of `reference` (odd sizes included)."""
    return F.interpolate(source, size=reference.shape[2:], mode="bilinear", align_corners=False)


def _pool(x: torch.Tensor) -> torch.Tensor:
    # ceil_mode keeps the last row/column of odd-sized maps, so decoder sizes match the skips.
    return F.max_pool2d(x, kernel_size=2, stride=2, ceil_mode=True)


class ConvBatchNormReLU(nn.Module):
    """3×3 convolution (with bias, padding = dilation) → BatchNorm → ReLU: the paper's REBNCONV."""

    def __init__(self, in_channels: int, out_channels: int, dilation: int = 1) -> None:
        super().__init__()
        self.conv_s1 = nn.Conv2d(in_channels, out_channels, 3, padding=dilation, dilation=dilation)
        self.bn_s1 = nn.BatchNorm2d(out_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.bn_s1(self.conv_s1(x)))


class ResidualUBlock(nn.Module):
    """RSU-L (section 3.1): an L-level U-Net inside a residual connection.

    Encoder: conv(in→out) = hxin, conv(out→mid), then L−2 × [max-pool, conv(mid→mid)], then a
    dilation-2 conv at the bottom. Decoder: at each level conv(cat[deeper, skip]) and upsample to the
    skip's size; the last conv maps 2·mid→out. Returns decoder output + hxin (same size as x).
    The input may be given as parts of a channel concatenation (`forward(up, skip)`).
    """

    def __init__(self, height: int, in_channels: int, mid_channels: int, out_channels: int) -> None:
        super().__init__()
        self.height = height
        self.rebnconvin = ConvBatchNormReLU(in_channels, out_channels)
        self.rebnconv1 = ConvBatchNormReLU(out_channels, mid_channels)
        for level in range(2, height):
            setattr(self, f"rebnconv{level}", ConvBatchNormReLU(mid_channels, mid_channels))
        setattr(self, f"rebnconv{height}", ConvBatchNormReLU(mid_channels, mid_channels, dilation=2))
        for level in range(height - 1, 1, -1):
            setattr(self, f"rebnconv{level}d", ConvBatchNormReLU(2 * mid_channels, mid_channels))
        self.rebnconv1d = ConvBatchNormReLU(2 * mid_channels, out_channels)

    def forward(self, *parts: torch.Tensor) -> torch.Tensor:
        hxin = conv_on_concat(self.rebnconvin, parts)
        skips = [self.rebnconv1(hxin)]
        for level in range(2, self.height):
            skips.append(getattr(self, f"rebnconv{level}")(_pool(skips[-1])))
        deeper = getattr(self, f"rebnconv{self.height}")(skips[-1])
        for level in range(self.height - 1, 0, -1):
            skip = skips[level - 1]
            if deeper.shape[2:] != skip.shape[2:]:
                deeper = upsample_to(deeper, skip)
            deeper = conv_on_concat(getattr(self, f"rebnconv{level}d"), (deeper, skip))
        return deeper + hxin


class DilatedResidualUBlock(nn.Module):
    """RSU-4F (section 3.2): RSU-4 with dilations 1, 2, 4, 8 instead of pooling, for the low-resolution
    stages where further downsampling would lose the context."""

    def __init__(self, in_channels: int, mid_channels: int, out_channels: int) -> None:
        super().__init__()
        self.rebnconvin = ConvBatchNormReLU(in_channels, out_channels)
        self.rebnconv1 = ConvBatchNormReLU(out_channels, mid_channels, dilation=1)
        self.rebnconv2 = ConvBatchNormReLU(mid_channels, mid_channels, dilation=2)
        self.rebnconv3 = ConvBatchNormReLU(mid_channels, mid_channels, dilation=4)
        self.rebnconv4 = ConvBatchNormReLU(mid_channels, mid_channels, dilation=8)
        self.rebnconv3d = ConvBatchNormReLU(2 * mid_channels, mid_channels, dilation=4)
        self.rebnconv2d = ConvBatchNormReLU(2 * mid_channels, mid_channels, dilation=2)
        self.rebnconv1d = ConvBatchNormReLU(2 * mid_channels, out_channels, dilation=1)

    def forward(self, *parts: torch.Tensor) -> torch.Tensor:
        hxin = conv_on_concat(self.rebnconvin, parts)
        hx1 = self.rebnconv1(hxin)
        hx2 = self.rebnconv2(hx1)
        hx3 = self.rebnconv3(hx2)
        hx4 = self.rebnconv4(hx3)
        hx3d = conv_on_concat(self.rebnconv3d, (hx4, hx3))
        hx2d = conv_on_concat(self.rebnconv2d, (hx3d, hx2))
        hx1d = conv_on_concat(self.rebnconv1d, (hx2d, hx1))
        return hx1d + hxin


def _build_block(kind: str, in_channels: int, mid_channels: int, out_channels: int) -> nn.Module:
    if kind == "RSU4F":
        return DilatedResidualUBlock(in_channels, mid_channels, out_channels)
    height = int(kind.removeprefix("RSU"))
    return ResidualUBlock(height, in_channels, mid_channels, out_channels)


class U2Net(nn.Module):
    """The nested U-structure (section 3.2): six encoder stages, five decoder stages, six side maps.

    `forward(x)` takes a normalised image [B, 3, H, W] (any H, W; the official demo uses 320×320)
    and returns the tuple (d0, d1, …, d6) of sigmoid maps [B, 1, H, W]; d0 is the fusion of the six
    side logits and is the one used as the mask.
    """

    def __init__(self, variant: U2NetVariant = "u2net") -> None:
        super().__init__()
        if variant not in STAGE_LAYOUTS:
            raise ValueError(f"Unknown U²-Net variant {variant!r}; expected one of {sorted(STAGE_LAYOUTS)}.")
        self.variant = variant
        layout = STAGE_LAYOUTS[variant]
        for name, (kind, in_channels, mid_channels, out_channels) in layout.items():
            setattr(self, name, _build_block(kind, in_channels, mid_channels, out_channels))
        for index, source in enumerate(SIDE_SOURCES, start=1):
            setattr(self, f"side{index}", nn.Conv2d(layout[source][3], 1, 3, padding=1))
        self.outconv = nn.Conv2d(len(SIDE_SOURCES), 1, 1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        hx1 = self.stage1(x)
        hx2 = self.stage2(_pool(hx1))
        hx3 = self.stage3(_pool(hx2))
        hx4 = self.stage4(_pool(hx3))
        hx5 = self.stage5(_pool(hx4))
        hx6 = self.stage6(_pool(hx5))

        # Each decoder stage reads cat([upsampled deeper stage, skip]), given as its two parts.
        hx5d = self.stage5d(upsample_to(hx6, hx5), hx5)
        hx4d = self.stage4d(upsample_to(hx5d, hx4), hx4)
        hx3d = self.stage3d(upsample_to(hx4d, hx3), hx3)
        hx2d = self.stage2d(upsample_to(hx3d, hx2), hx2)
        hx1d = self.stage1d(upsample_to(hx2d, hx1), hx1)

        # Side logits, all at the input resolution; fused before the sigmoid (section 3.2).
        side_logits = [self.side1(hx1d)]
        for index, feature in enumerate((hx2d, hx3d, hx4d, hx5d, hx6), start=2):
            side_logits.append(upsample_to(getattr(self, f"side{index}")(feature), side_logits[0]))
        fused = self.outconv(torch.cat(side_logits, 1))
        return tuple(torch.sigmoid(logits) for logits in (fused, *side_logits))
