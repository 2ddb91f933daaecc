"""Inference-only rewrites of the try-on networks for the CPU: the same function, fewer passes over memory.

The plain classes in `u2net.py` and `pfafn.py` stay the readable reference implementation;
`engine.load_networks` hands freshly loaded, eval-mode networks to `optimize_for_inference`, which
replaces some of their submodules in place:

- BatchNorm after a convolution is folded into the convolution's weight and bias (eval statistics
  are constants, so `BN(conv(x)) = conv'(x)`).
- The convolution, its activation (ReLU, LeakyReLU) and a residual addition run as one oneDNN
  (mkldnn) call with the weight reordered once (at the first call, for that input size) into the
  layout oneDNN computes in, instead of per call. Activations flow in channels-last layout between such calls.

Results differ from the plain modules only by float32 rounding (folded BN, a different summation
order); the reference goldens are checked through `load_networks` with the README tolerances. On a
device other than the CPU, or a PyTorch build without oneDNN, the fused modules fall back to the
same arithmetic in ordinary PyTorch calls, so the rewrite is always safe to apply.
"""

from __future__ import annotations

import ctypes
import os
import sys
import threading
from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from tryon.pipeline.neural.pfafn import FLOW_LEAKY_SLOPE, GeneratorNet, PreActivationResBlock, ResidualBlock, WarpNet
from tryon.pipeline.neural.u2net import ConvBatchNormReLU, U2Net

RELU = "relu"
LEAKY_RELU = "leaky_relu"
_PACKING_LOCK = threading.Lock()

# glibc serves allocations below its mmap threshold from the heap and maps larger ones afresh, and by
# default moves that threshold (up to 32 MiB) as blocks are freed. A fresh mapping costs a page fault
# and a zeroed page per 4 KiB on first touch, so activations served by mappings make a forward pass
# about 10 % slower than activations reusing heap memory; but weights re-laid out for oneDNN on the
# heap, between activations, fragment it, and a worker's memory then grows with each try-on. So:
# while the networks load and lay their weights out (a warm-up pass in `engine.load_networks`),
# blocks over 4 MiB are mapped and the free heap is handed back after each network; from then on
# activations up to 16 MiB come from the heap, which is not trimmed (trim threshold 512 MiB). Measured
# with U²-Net + PF-AFN on 2 cores (bench/README.md): 0.88-0.95 s per try-on and a peak RSS of about
# 1.48 GiB, against about 1.0 s and 1.46 GiB with a fixed 4 MiB threshold, and 1.64 GiB from the second
# try-on on when the weights are laid out under the 16 MiB threshold.
LOADING_MMAP_THRESHOLD_BYTES = 4 * 1024 * 1024
MMAP_THRESHOLD_BYTES = 16 * 1024 * 1024
TRIM_THRESHOLD_BYTES = 512 * 1024 * 1024
_GLIBC_M_TRIM_THRESHOLD = -1
_GLIBC_M_MMAP_THRESHOLD = -3


def fold_batchnorm(conv: nn.Conv2d, batchnorm: nn.BatchNorm2d) -> nn.Conv2d:
    """A new convolution computing `batchnorm(conv(x))` with the batch norm's running statistics.

    The arithmetic is done in float64 so the folded weights carry no more rounding than float32 itself.
    """
    scale = batchnorm.weight.double() / torch.sqrt(batchnorm.running_var.double() + batchnorm.eps)
    bias = conv.bias.double() if conv.bias is not None else torch.zeros_like(scale)
    folded = nn.Conv2d(
        conv.in_channels,
        conv.out_channels,
        conv.kernel_size,
        stride=conv.stride,
        padding=conv.padding,
        dilation=conv.dilation,
        groups=conv.groups,
        bias=True,
        device=conv.weight.device,
        dtype=conv.weight.dtype,
    )
    with torch.no_grad():
        folded.weight.copy_(conv.weight.double() * scale.view(-1, 1, 1, 1))
        folded.bias.copy_((bias - batchnorm.running_mean.double()) * scale + batchnorm.bias.double())
    return folded.eval().requires_grad_(False)


def _onednn_usable(weight: torch.Tensor) -> bool:
    return weight.device.type == "cpu" and weight.dtype == torch.float32 and torch.backends.mkldnn.is_available()


class FusedConv2d(nn.Module):
    """`activation(conv(x) + residual)` in one oneDNN call on the CPU; `residual` is optional.

    Built from a plain convolution (with a BatchNorm folded in when given). On the CPU the weight is
    kept only in oneDNN's layout once the first input has been seen; elsewhere (CUDA) the module
    computes the same thing with `F.conv2d`.
    """

    def __init__(
        self,
        conv: nn.Conv2d,
        *,
        batchnorm: nn.BatchNorm2d | None = None,
        activation: str | None = None,
        negative_slope: float = FLOW_LEAKY_SLOPE,
    ) -> None:
        super().__init__()
        if conv.padding_mode != "zeros" or isinstance(conv.padding, str):
            raise ValueError("FusedConv2d needs a convolution with explicit zero padding")
        if activation not in (None, RELU, LEAKY_RELU):
            raise ValueError(f"Unsupported activation {activation!r}; use None, {RELU!r} or {LEAKY_RELU!r}")
        if batchnorm is not None:
            conv = fold_batchnorm(conv, batchnorm)
        self.stride, self.padding, self.dilation, self.groups = (
            list(conv.stride),
            list(conv.padding),
            list(conv.dilation),
            conv.groups,
        )
        self.activation = activation
        self.negative_slope = negative_slope
        self.onednn = _onednn_usable(conv.weight)
        self.in_channels = conv.in_channels
        self.register_buffer("weight", conv.weight.detach())
        self.register_buffer("bias", None if conv.bias is None else conv.bias.detach().clone())
        # oneDNN picks the weight layout for the input size; the weight is reordered at the first call
        # and again only when the input size changes (one photo size in production).
        self._packed: tuple[tuple[int, ...], torch.Tensor] | None = None
        # For inputs given as parts of a concatenation: one convolution per part (`forward_concat`).
        self._parts: tuple[tuple[int, ...], list[FusedConv2d]] | None = None

    def forward(self, x: torch.Tensor, residual: torch.Tensor | None = None) -> torch.Tensor:
        if self.onednn:
            return self._forward_onednn(x, residual)
        out = F.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)
        if residual is not None:
            out = out + residual
        if self.activation == RELU:
            return F.relu(out)
        if self.activation == LEAKY_RELU:
            return F.leaky_relu(out, self.negative_slope)
        return out

    def forward_concat(self, parts: Sequence[torch.Tensor]) -> torch.Tensor:
        """`forward(torch.cat(parts, 1))` without the concatenated copy: each part is convolved with its
        slice of the weight and added to the next part's result inside the oneDNN call, last part
        first; the bias goes with the last part, the activation with the first (see `last_part`)."""
        if not self.onednn or self.groups != 1:
            return self(torch.cat(list(parts), 1))
        convolutions = self._part_convolutions(tuple(part.shape[1] for part in parts))
        out = convolutions[-1](parts[-1])
        for convolution, part in reversed(list(zip(convolutions[:-1], parts[:-1], strict=True))):
            out = convolution(part, residual=out)
        return out

    def last_part(self, part: torch.Tensor, leading_channels: int) -> torch.Tensor:
        """The convolution of the input's last channels alone, with the bias and before the activation:
        `forward(cat(leading, part)) = forward_with_last_part(leading, last_part(part, ...))`, so a
        part that is fixed across many calls is convolved once."""
        return self._part_convolutions((leading_channels, part.shape[1]))[1](part)

    def forward_with_last_part(self, leading: torch.Tensor, last_term: torch.Tensor) -> torch.Tensor:
        """`forward(cat(leading, last))` given `last_term = last_part(last, leading.shape[1])`."""
        leading_channels = leading.shape[1]
        convolution = self._part_convolutions((leading_channels, self.in_channels - leading_channels))[0]
        return convolution(leading, residual=last_term)

    def _part_convolutions(self, channels: tuple[int, ...]) -> list[FusedConv2d]:
        split = self._parts
        if split is not None and split[0] == channels:
            return split[1]
        with _PACKING_LOCK:
            split = self._parts
            if split is not None and split[0] == channels:
                return split[1]
            if sum(channels) != self.in_channels:
                raise ValueError(f"parts with {channels} channels do not add up to the {self.in_channels} expected")
            slices = torch.split(self._dense_weight(), list(channels), dim=1)
            convolutions = [
                self._with_weight(
                    # oneDNN packs its own copy of each slice; the plain fallback convolves views.
                    part.contiguous() if self.onednn else part,
                    self.bias if index == len(slices) - 1 else None,
                    self.activation if index == 0 else None,
                )
                for index, part in enumerate(slices)
            ]
            self._parts = (channels, convolutions)
            if self.onednn:
                self.weight, self._packed = None, None  # the slices hold the weights from now on
        return convolutions

    def _dense_weight(self) -> torch.Tensor:
        """The weight in plain [out, in, kh, kw] layout, wherever it is held now."""
        if self.weight is not None:
            return self.weight
        if self._packed is not None:
            return self._packed[1].to_dense()
        return torch.cat([convolution._dense_weight() for convolution in self._parts[1]], 1)

    def _with_weight(self, weight: torch.Tensor, bias: torch.Tensor | None, activation: str | None) -> FusedConv2d:
        conv = nn.Conv2d(
            weight.shape[1],
            weight.shape[0],
            tuple(weight.shape[2:]),
            stride=self.stride,
            padding=self.padding,
            dilation=self.dilation,
            groups=self.groups,
            bias=bias is not None,
            device="meta",
        )
        conv.weight = nn.Parameter(weight, requires_grad=False)
        if bias is not None:
            conv.bias = nn.Parameter(bias, requires_grad=False)
        return FusedConv2d(conv, activation=activation, negative_slope=self.negative_slope)

    def _packed_weight(self, input_size: tuple[int, ...]) -> torch.Tensor:
        packed = self._packed  # one read: another thread may swap in a weight for another size
        if packed is not None and packed[0] == input_size:
            return packed[1]
        with _PACKING_LOCK:
            packed = self._packed
            if packed is not None and packed[0] == input_size:
                return packed[1]
            dense = self._dense_weight()
            weight = torch.ops.mkldnn._reorder_convolution_weight(
                dense, self.padding, self.stride, self.dilation, self.groups, list(input_size)
            )
            self._packed, self._parts = (input_size, weight), None
            self.weight = None  # the packed copy replaces it: the weights are held once
        return weight

    def _forward_onednn(self, x: torch.Tensor, residual: torch.Tensor | None) -> torch.Tensor:
        x = x.contiguous(memory_format=torch.channels_last)
        weight = self._packed_weight(tuple(x.shape))
        scalars = [self.negative_slope] if self.activation == LEAKY_RELU else []
        conv_args = (self.padding, self.stride, self.dilation, self.groups)
        if residual is None:
            return torch.ops.mkldnn._convolution_pointwise(
                x, weight, self.bias, *conv_args, self.activation or "none", scalars, ""
            )
        residual = residual.contiguous(memory_format=torch.channels_last)
        if self.activation == LEAKY_RELU:  # oneDNN fuses only ReLU after the addition
            out = torch.ops.mkldnn._convolution_pointwise.binary(
                x, residual, weight, self.bias, *conv_args, "add", 1.0, None, [], ""
            )
            return F.leaky_relu_(out, self.negative_slope)
        return torch.ops.mkldnn._convolution_pointwise.binary(
            x, residual, weight, self.bias, *conv_args, "add", 1.0, self.activation, scalars, ""
        )


class FusedGeneratorResidualBlock(nn.Module):
    """`ResidualBlock` as two fused calls: relu(BN(conv(x))), then relu(x + BN(conv(·)))."""

    def __init__(self, block: ResidualBlock) -> None:
        super().__init__()
        conv1, bn1, _relu, conv2, bn2 = block.block
        self.first = FusedConv2d(conv1, batchnorm=bn1, activation=RELU)
        self.second = FusedConv2d(conv2, batchnorm=bn2, activation=RELU)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.second(self.first(x), residual=x)


class FusedPreActivationResBlock(nn.Module):
    """`PreActivationResBlock`: the leading BN → ReLU stays (it acts on the block's input), the inner
    BN folds into the first convolution and the residual addition joins the second."""

    def __init__(self, block: PreActivationResBlock) -> None:
        super().__init__()
        bn1, _relu1, conv1, bn2, _relu2, conv2 = block.block
        self.pre_activation = bn1
        self.first = FusedConv2d(conv1, batchnorm=bn2, activation=RELU)
        self.second = FusedConv2d(conv2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.second(self.first(F.relu(self.pre_activation(x))), residual=x)


def _fuse_sequential(sequence: nn.Sequential) -> None:
    """Merge each Conv2d [→ BatchNorm2d] [→ ReLU | LeakyReLU] run into one `FusedConv2d`, in place;
    the absorbed positions become `nn.Identity` so indices (and state-dict-like names) stay put."""
    modules = list(sequence)
    index = 0
    while index < len(modules):
        conv = modules[index]
        if not isinstance(conv, nn.Conv2d):
            index += 1
            continue
        following = index + 1
        batchnorm = None
        if following < len(modules) and isinstance(modules[following], nn.BatchNorm2d):
            batchnorm, following = modules[following], following + 1
        activation, slope = None, FLOW_LEAKY_SLOPE
        if following < len(modules) and isinstance(modules[following], nn.ReLU):
            activation, following = RELU, following + 1
        elif following < len(modules) and isinstance(modules[following], nn.LeakyReLU):
            activation, slope, following = LEAKY_RELU, modules[following].negative_slope, following + 1
        sequence[index] = FusedConv2d(conv, batchnorm=batchnorm, activation=activation, negative_slope=slope)
        for absorbed in range(index + 1, following):
            sequence[absorbed] = nn.Identity()
        index = following


def _replace_children(module: nn.Module) -> None:
    for name, child in module.named_children():
        if isinstance(child, ConvBatchNormReLU):
            setattr(module, name, FusedConv2d(child.conv_s1, batchnorm=child.bn_s1, activation=RELU))
        elif isinstance(child, ResidualBlock):
            setattr(module, name, FusedGeneratorResidualBlock(child))
        elif isinstance(child, PreActivationResBlock):
            setattr(module, name, FusedPreActivationResBlock(child))
        elif isinstance(child, nn.Conv2d):
            setattr(module, name, FusedConv2d(child))
        else:
            if isinstance(child, nn.Sequential):
                _fuse_sequential(child)
            _replace_children(child)


def _glibc_function(name: str) -> Any:
    if not sys.platform.startswith("linux"):
        return None
    return getattr(ctypes.CDLL(None), name, None)


def tune_malloc_for_inference(mmap_threshold: int = MMAP_THRESHOLD_BYTES) -> bool:
    """Set glibc's mmap and trim thresholds for this process (see `MMAP_THRESHOLD_BYTES`); returns
    whether they were set. Does nothing where the C library is not glibc, or when the operator has
    chosen either value through MALLOC_MMAP_THRESHOLD_ or MALLOC_TRIM_THRESHOLD_."""
    if {"MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_"} & set(os.environ):
        return False
    mallopt = _glibc_function("mallopt")
    if mallopt is None:
        return False
    return (
        mallopt(_GLIBC_M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES) == 1
        and mallopt(_GLIBC_M_MMAP_THRESHOLD, mmap_threshold) == 1
    )


def release_free_memory() -> None:
    """Hand the heap's free pages back to the system (glibc's malloc_trim; a few milliseconds)."""
    malloc_trim = _glibc_function("malloc_trim")
    if malloc_trim is not None:
        malloc_trim(0)


def optimize_for_inference(model: U2Net | WarpNet | GeneratorNet) -> nn.Module:
    """Rewrite an eval-mode network in place for inference (see the module docstring) and return it.
    Training-mode networks are refused: folded BatchNorm would ignore batch statistics."""
    if model.training:
        raise ValueError("optimize_for_inference needs a network in eval mode (call .eval() first)")
    _replace_children(model)
    return model.requires_grad_(False)
