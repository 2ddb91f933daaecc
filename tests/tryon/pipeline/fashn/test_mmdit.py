"""The FASHN VTON v1.5 network computes the official `TryOnModel`'s function: goldens of the official
code on small configurations with deterministic stand-in weights (../shared/reference/fashn)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from revetir.testing.fashn_reference import (
    INTERMEDIATE_MAX_ABS,
    ROPE_MAX_ABS,
    SINUSOID_MAX_ABS,
    VELOCITY_MAX_ABS,
    case_manifest_name,
    conditions,
    fashn_case_names,
    fashn_manifest_names,
    golden,
    manifest,
    stand_in_network,
    stand_in_state_dict,
)
from revetir.testing.reference_data import state_dict_sha256
from tryon.pipeline.fashn import build_model, cfg_velocities
from tryon.pipeline.fashn.mmdit import rope_rotations, timestep_sinusoid

CASES = fashn_case_names()


def assert_close(actual: torch.Tensor, expected: np.ndarray, atol: float, what: str) -> None:
    actual = actual.detach().double().numpy()
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    worst = float(np.abs(actual - expected).max())
    assert worst <= atol, f"{what}: max abs difference {worst:.3g} > {atol:g}"


@pytest.fixture(scope="module")
def networks(fashn_dir):
    return {}


def network_for(networks: dict, case: str) -> torch.nn.Module:
    name = case_manifest_name(case)
    if name not in networks:
        networks[name] = stand_in_network(name)
    return networks[name]


@pytest.mark.parametrize("name", fashn_manifest_names())
def test_state_dict_has_the_official_keys_and_shapes_in_order(fashn_dir, name):
    expected = [(entry["key"], tuple(entry["shape"])) for entry in manifest(name)["tensors"]]
    network = build_model(**manifest(name)["constructor"]["kwargs"])
    assert [(key, tuple(value.shape)) for key, value in network.state_dict().items()] == expected


@pytest.mark.parametrize("name", fashn_manifest_names())
def test_stand_in_weights_are_the_ones_the_goldens_were_made_with(fashn_dir, name):
    assert state_dict_sha256(stand_in_state_dict(name)) == manifest(name)["detweights_sha256"]


@pytest.mark.parametrize("case", CASES)
def test_conditional_and_null_velocities_match_the_official_forward(networks, case):
    data, network = golden(case), network_for(networks, case)
    cond = conditions(data)
    x, t = torch.from_numpy(data["probe_x"]), torch.from_numpy(data["probe_t"])
    with torch.no_grad():
        assert_close(network(x, t, **cond), data["fwd_v"], VELOCITY_MAX_ABS, "fwd_v")
        assert_close(network(x, t, **cond, null=True), data["fwd_v_null"], VELOCITY_MAX_ABS, "fwd_v_null")


@pytest.mark.parametrize("case", CASES)
def test_guidance_pair_is_one_doubled_batch_with_the_null_rows_blanked(networks, case):
    """What reaches the patch embedders and the category embedding in the doubled batch, and the two
    velocities it gives (the official `forward_for_cfg`)."""
    data, network = golden(case), network_for(networks, case)
    seen: dict[str, torch.Tensor] = {}
    hooks = [
        network.x_embedder.register_forward_pre_hook(lambda m, args: seen.__setitem__("x", args[0].clone())),
        network.garment_embedder.register_forward_pre_hook(lambda m, args: seen.__setitem__("g", args[0].clone())),
        network.y_embedder.register_forward_pre_hook(lambda m, args: seen.__setitem__("y", args[0].clone())),
    ]
    try:
        v_c, v_u = cfg_velocities(
            network, torch.from_numpy(data["probe_x"]), float(data["probe_t"][0]), **conditions(data)
        )
    finally:
        for hook in hooks:
            hook.remove()
    assert_close(seen["x"], data["cfg_x_embedder_input"], 0, "cfg_x_embedder_input")
    assert_close(seen["g"], data["cfg_garment_embedder_input"], 0, "cfg_garment_embedder_input")
    assert seen["y"].tolist() == data["cfg_y_ids"].tolist()
    assert_close(v_c, data["cfg_v_c"], VELOCITY_MAX_ABS, "cfg_v_c")
    assert_close(v_u, data["cfg_v_u"], VELOCITY_MAX_ABS, "cfg_v_u")


@pytest.mark.parametrize("case", CASES)
def test_intermediate_stages_match_the_official_ones(networks, case):
    """Embedders, time and category embeddings, every patch-mixer, double and single block and the final
    layer of the conditional probe forward (where a difference starts, for debugging)."""
    data, network = golden(case), network_for(networks, case)
    seen: dict[str, torch.Tensor] = {}

    def keep(name, index=None):
        def hook(module, args, output):
            seen[name] = (output[index] if index is not None else output).detach().clone()

        return hook

    stages = {
        "int_x_embed": network.x_embedder,
        "int_garment_embed": network.garment_embedder,
        "int_t_emb": network.t_embedder,
        "int_y_emb": network.y_embedder,
        "int_final": network.final_layer,
    }
    stages |= {f"int_mixer_{i}": block for i, block in enumerate(network.x_patch_mixer)}
    stages |= {f"int_single_{i}": block for i, block in enumerate(network.single_blocks)}
    hooks = [module.register_forward_hook(keep(name)) for name, module in stages.items()]
    for i, block in enumerate(network.double_blocks):
        hooks += [
            block.register_forward_hook(keep(f"int_double_{i}_img", 0)),
            block.register_forward_hook(keep(f"int_double_{i}_txt", 1)),
        ]
    hooks += [
        network.x_embedder.register_forward_pre_hook(lambda m, a: seen.__setitem__("int_x_embed_in", a[0].clone())),
        network.garment_embedder.register_forward_pre_hook(
            lambda m, a: seen.__setitem__("int_garment_embed_in", a[0].clone())
        ),
    ]
    try:
        with torch.no_grad():
            network(torch.from_numpy(data["probe_x"]), torch.from_numpy(data["probe_t"]), **conditions(data))
    finally:
        for hook in hooks:
            hook.remove()
    expected = sorted(key for key in data if key.startswith("int_"))
    assert sorted(seen) == expected
    for key in expected:
        assert_close(seen[key], data[key], INTERMEDIATE_MAX_ABS, key)


@pytest.mark.parametrize("case", CASES)
def test_time_embedding_and_rope_tables_match(networks, case):
    data, network = golden(case), network_for(networks, case)
    t = torch.from_numpy(data["temb_t"])
    assert_close(timestep_sinusoid(t), data["temb_sinusoid"], SINUSOID_MAX_ABS, "temb_sinusoid")
    with torch.no_grad():
        assert_close(network.t_embedder(t), data["temb_mlp"], INTERMEDIATE_MAX_ABS, "temb_mlp")
    batch = data["probe_x"].shape[0]
    ids = network.positions(batch)
    assert_close(ids, data["rope_ids"], 0, "rope_ids")
    per_stream = rope_rotations(ids, network.axes_dim, network.theta)
    assert_close(per_stream, data["rope_pe_x"], ROPE_MAX_ABS, "rope_pe_x")
    assert_close(torch.cat([per_stream, per_stream], dim=2), data["rope_pe_joint"], ROPE_MAX_ABS, "rope_pe_joint")


def test_float64_network_matches_the_official_float64_run(fashn_dir):
    """After `.double()` the official code still normalises, rotates and builds the sinusoid in float32;
    so do we (first step's velocities of case 1)."""
    case = CASES[0]
    data = golden(case)
    network = stand_in_network(case_manifest_name(case)).double()
    cond = conditions(data, dtype=torch.float64)
    v_c, v_u = cfg_velocities(network, torch.from_numpy(data["x_steps_f64"][0]), float(data["timesteps"][0]), **cond)
    assert v_c.dtype == torch.float64
    assert_close(v_c, data["v_c_steps_f64"][0], VELOCITY_MAX_ABS, "v_c_steps_f64[0]")
    assert_close(v_u, data["v_u_steps_f64"][0], VELOCITY_MAX_ABS, "v_u_steps_f64[0]")


def test_wrong_input_shapes_are_refused_with_what_the_network_expects(fashn_dir):
    network = stand_in_network("fashn_vton_small")
    height, width = manifest("fashn_vton_small")["constructor"]["kwargs"]["input_shape"]
    images = torch.zeros(1, 3, height, width)
    pose = torch.zeros(1, 1, height, width)
    category = torch.tensor([1])
    with pytest.raises(ValueError, match=rf"person_pose must be \[1, 1, {height}, {width}\]"):
        network(images, 0.5, ca=images, garment=images, person_pose=images, garment_pose=pose, category=category)
    small = torch.zeros(1, 3, height // 2, width)
    with pytest.raises(ValueError, match="x must be"):
        network(small, 0.5, ca=images, garment=images, person_pose=pose, garment_pose=pose, category=category)


def test_null_branch_ignores_the_conditioning_and_keeps_x_and_t(networks):
    """The null velocity does not depend on person, garment, poses or category, but on x and t."""
    data, network = golden(CASES[0]), network_for(networks, CASES[0])
    cond = conditions(data)
    other = {key: (value.flip(-1) if key != "category" else value % 3 + 1) for key, value in cond.items()}
    x, t = torch.from_numpy(data["probe_x"]), torch.from_numpy(data["probe_t"])
    with torch.no_grad():
        null = network(x, t, **cond, null=True)
        assert torch.equal(null, network(x, t, **other, null=True))
        assert not torch.allclose(null, network(x, t * 0.5, **cond, null=True))
        assert not torch.allclose(null, network(x, t, **cond))


def test_constructor_rejects_axes_that_do_not_fill_a_head():
    with pytest.raises(ValueError, match="must sum to the head dimension 32"):
        build_model(input_shape=(48, 32), hidden_size=64, n_heads=2, patch_size=4, axes_dim=(8, 8, 8))


LANDSCAPE_THREE_HEADS = {
    "input_shape": [30, 54],
    "hidden_size": 72,
    "n_heads": 3,
    "double_blocks_depth": 3,
    "single_blocks_depth": 1,
    "patch_size": 6,
    "axes_dim": [4, 10, 10],
    "patch_mixer_depth": 2,
}


def test_unpatchify_places_token_channels_as_the_official_layout():
    """Channel c·p² + i·p + j of token (r, s) is pixel (c, r·p + i, s·p + j) (a landscape, odd grid)."""
    network = build_model(**LANDSCAPE_THREE_HEADS)
    rows, cols, p = 5, 9, 6
    tokens = torch.arange(2 * rows * cols * 3 * p * p, dtype=torch.float32).reshape(2, rows * cols, 3 * p * p)
    image = network.unpatchify(tokens)
    assert image.shape == (2, 3, 30, 54)
    for b, c, r, s, i, j in [(0, 0, 0, 0, 0, 0), (1, 2, 4, 8, 5, 5), (0, 1, 3, 7, 2, 4), (1, 0, 1, 6, 4, 1)]:
        assert image[b, c, r * p + i, s * p + j] == tokens[b, r * cols + s, c * p * p + i * p + j]


def test_other_configurations_build_and_run_from_their_constructor_arguments():
    """3 heads, other depths, another patch grid, a landscape canvas: the state dict follows the
    official naming, and forward and sampling give velocities and pictures of the canvas size."""
    network = build_model(**LANDSCAPE_THREE_HEADS).eval()
    state = network.state_dict()
    assert sum(key.startswith("double_blocks.") and key.endswith(".img_mod.lin.weight") for key in state) == 3
    assert state["x_patch_mixer.1.norm.query_norm.scale"].shape == (24,)
    assert state["patch_mixer_token"].shape == (1, 1, 108)
    x = torch.randn(2, 3, 30, 54)
    images, poses = torch.zeros(2, 3, 30, 54), torch.zeros(2, 1, 30, 54)
    with torch.no_grad():
        velocity = network(
            x,
            torch.tensor([0.1, 0.9]),
            ca=images,
            garment=images,
            person_pose=poses,
            garment_pose=poses,
            category=torch.tensor([1, 2]),
        )
    assert velocity.shape == x.shape and torch.isfinite(velocity).all()
