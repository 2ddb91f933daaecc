"""The inference rewrites of `tryon.pipeline.neural.optimize` compute the plain modules' function."""

from __future__ import annotations

import copy
import platform
import sys
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from tryon.pipeline.neural.concat import conv_of_last_part, conv_with_last_part
from tryon.pipeline.neural.optimize import (
    FusedConv2d,
    fold_batchnorm,
    optimize_for_inference,
    release_free_memory,
    tune_malloc_for_inference,
)
from tryon.pipeline.neural.pfafn import DownSample, GeneratorNet, PreActivationResBlock, WarpNet, correlation
from tryon.pipeline.neural.u2net import U2Net


def _trained_looking_batchnorm(channels: int, generator: torch.Generator) -> nn.BatchNorm2d:
    """A BatchNorm in eval mode with statistics far from the identity, as after training."""
    batchnorm = nn.BatchNorm2d(channels).eval()
    with torch.no_grad():
        batchnorm.running_mean.copy_(torch.randn(channels, generator=generator))
        batchnorm.running_var.copy_(torch.rand(channels, generator=generator) * 2 + 0.1)
        batchnorm.weight.copy_(torch.randn(channels, generator=generator))
        batchnorm.bias.copy_(torch.randn(channels, generator=generator))
    return batchnorm


def _randomise_batchnorms(model: nn.Module, seed: int) -> nn.Module:
    generator = torch.Generator().manual_seed(seed)
    for module in model.modules():
        if isinstance(module, nn.BatchNorm2d):
            module.load_state_dict(_trained_looking_batchnorm(module.num_features, generator).state_dict())
    return model.eval().requires_grad_(False)


@pytest.mark.parametrize("bias", [True, False])
def test_folded_batchnorm_equals_the_eval_batchnorm_after_the_convolution(bias):
    generator = torch.Generator().manual_seed(1)
    conv = nn.Conv2d(8, 16, 3, padding=1, bias=bias).eval()
    batchnorm = _trained_looking_batchnorm(16, generator)
    x = torch.randn(2, 8, 13, 11, generator=generator)
    with torch.inference_mode():
        expected = batchnorm(conv(x))
        folded = fold_batchnorm(conv, batchnorm)(x)
    torch.testing.assert_close(folded, expected, rtol=0, atol=1e-5)


@pytest.mark.parametrize(
    ("activation", "with_residual", "stride", "dilation"),
    [
        ("relu", False, 1, 1),
        ("relu", True, 1, 1),
        ("leaky_relu", False, 1, 1),
        ("leaky_relu", True, 1, 1),
        (None, True, 1, 2),
        (None, False, 2, 1),
    ],
)
def test_fused_convolution_equals_convolution_then_addition_then_activation(
    activation, with_residual, stride, dilation
):
    generator = torch.Generator().manual_seed(2)
    conv = nn.Conv2d(6, 12, 3, stride=stride, padding=dilation, dilation=dilation).eval()
    batchnorm = _trained_looking_batchnorm(12, generator)
    fused = FusedConv2d(conv, batchnorm=batchnorm, activation=activation, negative_slope=0.1)
    for height, width in ((20, 15), (9, 7), (20, 15)):  # a new input size re-lays the weight out
        x = torch.randn(1, 6, height, width, generator=generator)
        with torch.inference_mode():
            expected = batchnorm(conv(x))
            residual = torch.randn(expected.shape, generator=generator) if with_residual else None
            if residual is not None:
                expected = expected + residual
            if activation == "relu":
                expected = F.relu(expected)
            elif activation == "leaky_relu":
                expected = F.leaky_relu(expected, 0.1)
            actual = fused(x, residual=residual)
        torch.testing.assert_close(actual, expected, rtol=0, atol=1e-5)


@pytest.mark.parametrize("activation", ["relu", "leaky_relu", None])
def test_fused_convolution_of_the_parts_of_a_concatenation_equals_it_on_the_concatenation(activation):
    generator = torch.Generator().manual_seed(4)
    conv = nn.Conv2d(10, 12, 3, padding=2, dilation=2).eval()
    batchnorm = _trained_looking_batchnorm(12, generator)
    reference = FusedConv2d(copy.deepcopy(conv), batchnorm=batchnorm, activation=activation, negative_slope=0.1)
    fused = FusedConv2d(conv, batchnorm=batchnorm, activation=activation, negative_slope=0.1)
    parts = [torch.randn(1, channels, 9, 7, generator=generator) for channels in (4, 6)]
    whole = torch.cat(parts, 1)
    with torch.inference_mode():
        expected = reference(whole)
        torch.testing.assert_close(fused.forward_concat(parts), expected, rtol=0, atol=1e-5)
        # Once split, the weight still serves a whole input, and another split of it.
        torch.testing.assert_close(fused(whole), expected, rtol=0, atol=1e-5)
        torch.testing.assert_close(fused.forward_concat([whole[:, :7], whole[:, 7:]]), expected, rtol=0, atol=1e-5)
        with pytest.raises(ValueError, match="do not add up"):
            fused.forward_concat([parts[0], parts[0]])


@pytest.mark.parametrize("onednn", [True, False], ids=["onednn", "plain-calls-as-on-cuda"])
@pytest.mark.parametrize("activation", ["leaky_relu", None])
def test_a_part_convolved_once_then_added_to_the_other_part_equals_the_convolution_of_both(onednn, activation):
    generator = torch.Generator().manual_seed(5)
    conv = nn.Conv2d(10, 12, 3, padding=1).eval()
    reference = FusedConv2d(copy.deepcopy(conv), activation=activation, negative_slope=0.1)
    fused = FusedConv2d(conv, activation=activation, negative_slope=0.1)
    fused.onednn = fused.onednn and onednn
    leading, fixed = torch.randn(1, 4, 9, 7, generator=generator), torch.randn(1, 6, 9, 7, generator=generator)
    with torch.inference_mode():
        expected = reference(torch.cat([leading, fixed], 1))
        term = conv_of_last_part(fused, fixed, 4)
        torch.testing.assert_close(conv_with_last_part(fused, leading, term), expected, rtol=0, atol=1e-5)
        # the plain module, as the reference implementation runs it, gives the same
        plain_term = conv_of_last_part(conv, fixed, 4)
        plain = conv_with_last_part(conv, leading, plain_term)
        plain = F.leaky_relu(plain, 0.1) if activation else plain
        torch.testing.assert_close(plain, expected, rtol=0, atol=1e-5)
        # the whole input still works after the split
        torch.testing.assert_close(fused.forward_concat([leading, fixed]), expected, rtol=0, atol=1e-5)


def test_fused_convolution_rejects_an_activation_it_cannot_fuse():
    with pytest.raises(ValueError, match="Unsupported activation 'tanh'"):
        FusedConv2d(nn.Conv2d(3, 3, 3, padding=1), activation="tanh")


@pytest.mark.parametrize("shape", [(2, 16, 13, 11), (1, 4, 3, 2), (1, 32, 8, 24)])
def test_tiled_correlation_equals_the_shifted_product_definition(shape):
    generator = torch.Generator().manual_seed(3)
    first, second = (torch.randn(shape, generator=generator) for _ in range(2))
    displacement = 3
    padded = F.pad(second, [displacement] * 4)
    height, width = shape[2:]
    expected = torch.stack(
        [
            (first * padded[:, :, dy : dy + height, dx : dx + width]).sum(1) / shape[1]
            for dy in range(2 * displacement + 1)
            for dx in range(2 * displacement + 1)
        ],
        1,
    )
    channels_last = first.contiguous(memory_format=torch.channels_last)
    torch.testing.assert_close(correlation(first, second), expected, rtol=0, atol=1e-6)
    torch.testing.assert_close(correlation(channels_last, second), expected, rtol=0, atol=1e-6)


@pytest.mark.parametrize("onednn", [True, False], ids=["onednn", "plain-calls-as-on-cuda"])
def test_optimized_u2net_has_no_batchnorm_left_and_returns_the_same_maps(onednn):
    torch.manual_seed(4)
    plain = _randomise_batchnorms(U2Net("u2netp"), seed=4)
    optimized = optimize_for_inference(copy.deepcopy(plain))
    assert not any(isinstance(module, nn.BatchNorm2d) for module in optimized.modules())
    for module in optimized.modules():
        if isinstance(module, FusedConv2d):
            module.onednn = onednn and module.onednn  # off: F.conv2d on concatenations, the CUDA path
    x = torch.randn(1, 3, 96, 80)
    with torch.inference_mode():
        for expected, actual in zip(plain(x), optimized(x), strict=True):
            torch.testing.assert_close(actual, expected, rtol=0, atol=1e-5)


def test_optimized_generator_returns_the_same_raw_output():
    torch.manual_seed(5)
    plain = _randomise_batchnorms(GeneratorNet(), seed=5)
    optimized = optimize_for_inference(copy.deepcopy(plain))
    assert not any(isinstance(module, nn.BatchNorm2d) for module in optimized.modules())
    x = torch.randn(1, 7, 128, 96)
    with torch.inference_mode():
        expected = plain(x)
        torch.testing.assert_close(optimized(x), expected, rtol=0, atol=1e-4 * float(expected.abs().max()))


def test_optimized_warp_keeps_only_the_pre_activation_batchnorms_and_returns_the_same_flow():
    torch.manual_seed(6)
    plain = _randomise_batchnorms(WarpNet(), seed=6)
    # Each pre-activation unit keeps the BatchNorm that acts on its input; the others fold into a convolution.
    pre_activation = sum(isinstance(module, DownSample | PreActivationResBlock) for module in plain.modules())
    optimized = optimize_for_inference(copy.deepcopy(plain))
    assert sum(isinstance(module, nn.BatchNorm2d) for module in optimized.modules()) == pre_activation
    person, garment = torch.randn(1, 3, 128, 96), torch.randn(1, 3, 128, 96)
    with torch.inference_mode():
        expected_cloth, expected_flow = plain(person, garment)
        cloth, flow = optimized(person, garment)
    torch.testing.assert_close(flow, expected_flow, rtol=0, atol=2e-4)
    torch.testing.assert_close(cloth, expected_cloth, rtol=0, atol=2e-3)


def test_optimize_refuses_a_network_in_training_mode():
    with pytest.raises(ValueError, match="eval mode"):
        optimize_for_inference(U2Net("u2netp").train())


@pytest.mark.parametrize("variable", ["MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_"])
def test_malloc_thresholds_are_left_to_the_operator_when_the_environment_sets_one(monkeypatch, variable):
    monkeypatch.setenv(variable, "131072")
    assert tune_malloc_for_inference() is False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt is Linux-only")
def test_malloc_thresholds_are_set_on_glibc_and_free_memory_is_handed_back(monkeypatch):
    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_", raising=False)
    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_", raising=False)
    if platform.libc_ver()[0] != "glibc":
        pytest.skip("the C library is not glibc")
    assert tune_malloc_for_inference() is True

    def resident_kib() -> int:
        status = Path("/proc/self/status").read_text()
        return next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))

    blocks = [bytearray(1024 * 1024) for _ in range(64)]  # 64 MiB of heap blocks below the mmap threshold
    held = resident_kib()
    del blocks
    assert resident_kib() > held - 32 * 1024  # the heap keeps them: below the 512 MiB trim threshold
    release_free_memory()
    assert resident_kib() < held - 32 * 1024
