"""A convolution applied to a channel concatenation, without building the concatenation where it can.

U²-Net's decoders and PF-AFN's refinement heads convolve `cat([a, b], 1)`. The copy costs a pass over
memory and, at 320×320, tens of megabytes; since conv(cat(a, b)) = conv_a(a) + conv_b(b) with the
weight split along its input channels, the fused convolutions of `optimize.py` take the parts as they
are (`FusedConv2d.forward_concat`). The plain modules concatenate, as the official code does.

The same identity lets a part that stays fixed over many calls be convolved once: PF-AFN's refinement
heads see [warped garment, person] features, and the person half depends on the photo alone
(`conv_of_last_part`, then `conv_with_last_part` per garment).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn


def conv_on_concat(module: nn.Module, parts: Sequence[torch.Tensor]) -> torch.Tensor:
    """`module(torch.cat(parts, 1))`, computed without the copy when `module` knows how."""
    if len(parts) == 1:
        return module(parts[0])
    forward_concat = getattr(module, "forward_concat", None)
    if forward_concat is None:
        return module(torch.cat(list(parts), 1))
    return forward_concat(parts)


def conv_of_last_part(module: nn.Module, part: torch.Tensor, leading_channels: int) -> torch.Tensor:
    """The share of `module(cat(leading, part))` that comes from `part` (its channels after the first
    `leading_channels`), bias included, before any activation `module` applies."""
    last_part = getattr(module, "last_part", None)
    if last_part is not None:
        return last_part(part, leading_channels)
    conv = _plain_conv(module)
    return F.conv2d(part, conv.weight[:, leading_channels:], conv.bias, conv.stride, conv.padding, conv.dilation)


def conv_with_last_part(module: nn.Module, leading: torch.Tensor, last_term: torch.Tensor) -> torch.Tensor:
    """`module(cat(leading, last))` given `last_term = conv_of_last_part(module, last, leading.shape[1])`."""
    forward_with_last_part = getattr(module, "forward_with_last_part", None)
    if forward_with_last_part is not None:
        return forward_with_last_part(leading, last_term)
    conv = _plain_conv(module)
    weight = conv.weight[:, : leading.shape[1]]
    return F.conv2d(leading, weight, None, conv.stride, conv.padding, conv.dilation) + last_term


def _plain_conv(module: nn.Module) -> nn.Conv2d:
    if not isinstance(module, nn.Conv2d) or module.groups != 1 or isinstance(module.padding, str):
        raise TypeError(f"a convolution of parts needs an ungrouped Conv2d with numeric padding, not {module!r}")
    return module
