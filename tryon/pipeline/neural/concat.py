"""A convolution applied to a channel concatenation, without building the concatenation where it can.

U²-Net's decoders and PF-AFN's refinement heads convolve `cat([a, b], 1)`. The copy costs a pass over
memory and, at 320×320, tens of megabytes; since conv(cat(a, b)) = conv_a(a) + conv_b(b) with the
weight split along its input channels, the fused convolutions of `optimize.py` take the parts as they
are (`FusedConv2d.forward_concat`). The plain modules concatenate, as the official code does.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn


def conv_on_concat(module: nn.Module, parts: Sequence[torch.Tensor]) -> torch.Tensor:
    """`module(torch.cat(parts, 1))`, computed without the copy when `module` knows how."""
    if len(parts) == 1:
        return module(parts[0])
    forward_concat = getattr(module, "forward_concat", None)
    if forward_concat is None:
        return module(torch.cat(list(parts), 1))
    return forward_concat(parts)
