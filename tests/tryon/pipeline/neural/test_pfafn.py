"""PF-AFN's warp module and generator compute the same function as the official test-time code."""

from __future__ import annotations

import pytest
import torch

from revetir.testing.reference_data import (
    assert_pfafn_outputs_match,
    deterministic_state_dict,
    golden_case_names,
    load_golden,
    pfafn_inputs,
    reference_manifest,
    state_dict_sha256,
)
from tryon.pipeline.neural.pfafn import GeneratorNet, WarpNet, correlation, tryon_forward, tryon_from_pyramids
from tryon.pipeline.neural.weights import load_checkpoint

VISIBLE_CASES = ("case1", "case2")


@pytest.fixture(scope="module")
def warp_and_generator(reference_dir):
    warp = load_checkpoint(WarpNet(), deterministic_state_dict(reference_dir, "pfafn_warp")).eval()
    generator = load_checkpoint(GeneratorNet(), deterministic_state_dict(reference_dir, "pfafn_gen")).eval()
    return warp, generator


@pytest.mark.parametrize(("network", "manifest"), [(WarpNet, "pfafn_warp"), (GeneratorNet, "pfafn_gen")])
def test_state_dict_keys_and_shapes_equal_the_official_checkpoint_in_order(reference_dir, network, manifest):
    expected = [(e["key"], tuple(e["shape"])) for e in reference_manifest(reference_dir, manifest)["tensors"]]
    with torch.device("meta"):
        actual = [(key, tuple(value.shape)) for key, value in network().state_dict().items()]
    assert actual == expected


@pytest.mark.parametrize("case", golden_case_names("pfafn", VISIBLE_CASES))
def test_tryon_outputs_flows_and_per_level_offsets_match_the_official_code(reference_dir, warp_and_generator, case):
    golden = load_golden(reference_dir, "pfafn", case)
    with torch.no_grad():
        outputs = tryon_forward(*warp_and_generator, *pfafn_inputs(golden), with_intermediates=True)
    assert {f"flow_level_{i}" for i in range(5)} <= outputs.keys()
    assert_pfafn_outputs_match(outputs, golden)


@pytest.mark.parametrize("case", golden_case_names("pfafn", VISIBLE_CASES))
def test_the_pair_from_kept_person_terms_matches_the_official_code(reference_dir, warp_and_generator, case):
    """The photo's half of each flow refinement, computed once per photo, gives the official outputs."""
    golden = load_golden(reference_dir, "pfafn", case)
    warp, generator = warp_and_generator
    real_image, clothes, edge = pfafn_inputs(golden)
    masked_clothes = clothes * edge
    with torch.no_grad():
        person_pyramid = warp.person_pyramid(real_image)
        person_terms = warp.person_terms(person_pyramid)
        outputs = tryon_from_pyramids(
            warp,
            generator,
            real_image,
            masked_clothes,
            edge,
            person_pyramid,
            warp.garment_pyramid(masked_clothes),
            person_terms=person_terms,
            with_intermediates=True,
        )
    assert [term.shape[1] for term in person_terms] == [128] * 5  # netRefine's first layer: 512 → 128
    assert_pfafn_outputs_match(outputs, golden)


def test_generator_maps_seven_channels_to_four(warp_and_generator):
    with torch.no_grad():
        raw = warp_and_generator[1](torch.zeros(1, 7, 64, 32))
    assert raw.shape == (1, 4, 64, 32)


@pytest.mark.parametrize("manifest", ["pfafn_warp", "pfafn_gen"])
def test_deterministic_weights_are_the_ones_the_goldens_were_made_with(reference_dir, manifest):
    expected = reference_manifest(reference_dir, manifest)["detweights_sha256"]
    assert state_dict_sha256(deterministic_state_dict(reference_dir, manifest)) == expected


def test_correlation_is_the_channel_mean_product_with_vertical_displacement_as_the_slow_index():
    generator = torch.Generator().manual_seed(7)
    first = torch.randn(1, 5, 6, 7, generator=generator)
    second = torch.randn(1, 5, 6, 7, generator=generator)
    cost = correlation(first, second)
    assert cost.shape == (1, 49, 6, 7)
    for k in (0, 6, 10, 24, 42, 48):
        dy, dx = k // 7 - 3, k % 7 - 3
        for y in range(6):
            for x in range(7):
                inside = 0 <= y + dy < 6 and 0 <= x + dx < 7
                expected = (first[0, :, y, x] * second[0, :, y + dy, x + dx]).sum() / 5 if inside else 0.0
                assert float(cost[0, k, y, x]) == pytest.approx(float(expected), abs=1e-6), (k, y, x)


def test_correlation_runs_on_the_device_of_its_inputs():
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    for device in devices:
        features = torch.ones(1, 4, 5, 5, device=device)
        cost = correlation(features, features)
        assert cost.device.type == device
        assert float(cost[0, 24, 2, 2]) == 1.0  # zero displacement, all ones
        assert float(cost[0, 0, 0, 0]) == 0.0  # displaced outside the image: zero padding
