"""U²-Net / U²-NetP compute the same function as the official models (goldens of the official code)."""

from __future__ import annotations

import pytest
import torch

from revetir.testing.reference_data import (
    assert_u2net_maps_match,
    deterministic_state_dict,
    golden_case_names,
    load_golden,
    reference_manifest,
    state_dict_sha256,
)
from tryon.pipeline.neural.u2net import U2Net
from tryon.pipeline.neural.weights import load_checkpoint

VARIANTS = ("u2net", "u2netp")
VISIBLE_CASES = ("case1", "case2", "case3_oddsize")


@pytest.fixture(scope="module")
def networks(reference_dir):
    """Both variants with the deterministic stand-in weights, loaded as an official file would be."""
    loaded = {}
    for variant in VARIANTS:
        loaded[variant] = load_checkpoint(U2Net(variant), deterministic_state_dict(reference_dir, variant)).eval()
    return loaded


@pytest.mark.parametrize("variant", VARIANTS)
def test_state_dict_keys_and_shapes_equal_the_official_checkpoint_in_order(reference_dir, variant):
    expected = [(e["key"], tuple(e["shape"])) for e in reference_manifest(reference_dir, variant)["tensors"]]
    actual = [(key, tuple(value.shape)) for key, value in U2Net(variant).state_dict().items()]
    assert actual == expected


@pytest.mark.parametrize(
    "variant, case",
    [(v, c) for v in VARIANTS for c in golden_case_names(v, VISIBLE_CASES)],
)
def test_side_and_fused_maps_match_the_official_model(reference_dir, networks, variant, case):
    golden = load_golden(reference_dir, variant, case)
    with torch.no_grad():
        outputs = networks[variant](torch.from_numpy(golden["input"]))
    assert len(outputs) == 7
    assert all(o.shape == (1, 1, *golden["input"].shape[2:]) for o in outputs)
    assert_u2net_maps_match(outputs, golden)


@pytest.mark.parametrize("variant", VARIANTS)
def test_deterministic_weights_are_the_ones_the_goldens_were_made_with(reference_dir, variant):
    manifest = reference_manifest(reference_dir, variant)
    assert state_dict_sha256(deterministic_state_dict(reference_dir, variant)) == manifest["detweights_sha256"]


def test_unknown_variant_is_refused_with_the_valid_names():
    with pytest.raises(ValueError, match="u2netp"):
        U2Net("u2net_huge")
