"""The production inference path (`engine.load_networks`) computes the official models' function."""

from __future__ import annotations

import os

import pytest
import torch

from revetir.testing.reference_data import (
    assert_pfafn_outputs_match,
    assert_u2net_maps_match,
    deterministic_state_dict,
    golden_case_names,
    load_golden,
    pfafn_inputs,
)
from tryon.pipeline.contract import WeightsError
from tryon.pipeline.neural.engine import load_networks


@pytest.fixture(scope="module")
def networks(reference_dir):
    return load_networks(
        deterministic_state_dict(reference_dir, "u2net"),
        deterministic_state_dict(reference_dir, "pfafn_warp"),
        deterministic_state_dict(reference_dir, "pfafn_gen"),
    )


@pytest.fixture(scope="module")
def checkpoint_files(reference_dir, tmp_path_factory):
    """The three files an operator installs (small U²-Net variant), written with torch.save."""
    folder = tmp_path_factory.mktemp("weights")
    paths = {}
    for name, filename in (
        ("u2netp", "u2netp.pth"),
        ("pfafn_warp", "warp_model_final.pth"),
        ("pfafn_gen", "gen_model_final.pth"),
    ):
        paths[name] = folder / filename
        torch.save(deterministic_state_dict(reference_dir, name), paths[name])
    return paths


@pytest.mark.parametrize("case", golden_case_names("u2net", ("case1", "case2", "case3_oddsize")))
def test_segment_returns_the_official_fused_map(reference_dir, networks, case):
    golden = load_golden(reference_dir, "u2net", case)
    d0 = networks.segment(torch.from_numpy(golden["input"]))
    assert_u2net_maps_match((d0,), golden)


@pytest.mark.parametrize("case", golden_case_names("pfafn", ("case1", "case2")))
def test_dress_returns_the_official_tryon_outputs_and_flows(reference_dir, networks, case):
    golden = load_golden(reference_dir, "pfafn", case)
    outputs = networks.dress(*pfafn_inputs(golden), with_intermediates=True)
    assert_pfafn_outputs_match(outputs, golden)


@pytest.mark.parametrize("case", golden_case_names("pfafn", ("case1", "case2")))
def test_the_pair_from_both_sides_kept_returns_the_official_outputs(reference_dir, networks, case):
    golden = load_golden(reference_dir, "pfafn", case)
    real_image, clothes, edge = pfafn_inputs(golden)
    masked_clothes = clothes * edge
    person_pyramid, person_terms = networks.person_features(real_image)
    garment_pyramid = networks.garment_pyramid(masked_clothes)

    # As the engine dresses: the warp (judged by the fit check), then the generator.
    warped = networks.warp_from_pyramids(masked_clothes, edge, person_pyramid, garment_pyramid, person_terms)
    outputs = networks.render(real_image, warped)

    assert_pfafn_outputs_match(outputs, {key: golden[key] for key in outputs})


@pytest.mark.skipif(
    not torch.cuda.is_available(),
    reason="needs a CUDA GPU; bench/tryon_gpu_bench.py runs the same comparison on a GPU machine",
)
def test_the_gpu_path_returns_the_official_outputs_with_tf32_off(reference_dir):
    networks = load_networks(
        deterministic_state_dict(reference_dir, "u2net"),
        deterministic_state_dict(reference_dir, "pfafn_warp"),
        deterministic_state_dict(reference_dir, "pfafn_gen"),
        device="cuda",
    )
    assert not (torch.backends.cudnn.allow_tf32 or torch.backends.cuda.matmul.allow_tf32)
    golden = load_golden(reference_dir, "u2net", "case3_oddsize")
    d0 = networks.segment(torch.from_numpy(golden["input"]))
    assert d0.device.type == "cpu"  # results come back on the device of the inputs
    assert_u2net_maps_match((d0,), golden)
    golden = load_golden(reference_dir, "pfafn", "case2")
    assert_pfafn_outputs_match(networks.dress(*pfafn_inputs(golden), with_intermediates=True), golden)


def test_installed_files_load_once_per_process_and_match_the_goldens(reference_dir, checkpoint_files):
    paths = (checkpoint_files["u2netp"], checkpoint_files["pfafn_warp"], checkpoint_files["pfafn_gen"])
    networks = load_networks(*paths, u2net_variant="u2netp")
    assert load_networks(*map(str, paths), u2net_variant="u2netp") is networks

    golden = load_golden(reference_dir, "u2netp", "case3_oddsize")
    assert_u2net_maps_match((networks.segment(torch.from_numpy(golden["input"])),), golden)
    assert not (networks.segmenter.training or networks.warp.training or networks.generator.training)

    golden = load_golden(reference_dir, "pfafn", "case2")
    outputs = networks.dress(*pfafn_inputs(golden))
    assert set(outputs) == {"warped_cloth", "last_flow", "warped_edge", "p_rendered", "m_composite", "p_tryon"}
    assert not any(value.requires_grad for value in outputs.values())
    assert_pfafn_outputs_match(outputs, {key: golden[key] for key in outputs})


def test_a_replaced_file_is_loaded_again(checkpoint_files):
    paths = (checkpoint_files["u2netp"], checkpoint_files["pfafn_warp"], checkpoint_files["pfafn_gen"])
    before = load_networks(*paths, u2net_variant="u2netp")
    stat = paths[0].stat()
    os.utime(paths[0], ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert load_networks(*paths, u2net_variant="u2netp") is not before


def test_a_damaged_file_raises_a_weights_error_naming_it(checkpoint_files, tmp_path):
    damaged = tmp_path / "u2netp.pth"
    damaged.write_bytes(checkpoint_files["u2netp"].read_bytes()[:1000])
    with pytest.raises(WeightsError, match=str(damaged)):
        load_networks(damaged, checkpoint_files["pfafn_warp"], checkpoint_files["pfafn_gen"], u2net_variant="u2netp")
