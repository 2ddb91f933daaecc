"""Strict loading of FASHN VTON weights: official key names, shapes and dtypes, safetensors read
tensor by tensor, the full-size file checked against a network on the meta device (no 1.9 GB in
memory), and every mismatch a `WeightsError` naming the tensor."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch

from revetir.testing.fashn_reference import (
    FULL_MANIFEST,
    VELOCITY_MAX_ABS,
    case_manifest_name,
    conditions,
    fashn_case_names,
    golden,
    manifest,
    manifest_entries,
    stand_in_state_dict,
    write_safetensors,
    write_stand_in_file,
)
from revetir.testing.shared_folders import PROJECT_ROOT
from tryon.pipeline.contract import WeightsError
from tryon.pipeline.fashn import (
    FULL_MODEL_KWARGS,
    build_model,
    check_weights_file,
    compute_dtype,
    load_model,
    load_weights,
)

SMALL = "fashn_vton_small"
FULL_VALUES = 971_814_240


@pytest.fixture(scope="module")
def full_file(fashn_dir, tmp_path_factory):
    """The full-size checkpoint's layout written from the manifest: bfloat16 zeros, a sparse file."""
    return write_safetensors(
        tmp_path_factory.mktemp("fashn_full") / "model.safetensors", manifest_entries(FULL_MANIFEST)
    )


def test_full_network_on_the_meta_device_has_the_official_keys_and_shapes_in_order(fashn_dir):
    with torch.device("meta"):
        network = build_model()
    state = network.state_dict()
    assert [(key, tuple(value.shape)) for key, value in state.items()] == [
        (entry["key"], tuple(entry["shape"])) for entry in manifest(FULL_MANIFEST)["tensors"]
    ]
    assert sum(value.numel() for value in state.values()) == FULL_VALUES
    assert manifest(FULL_MANIFEST)["constructor"]["kwargs"] == {
        key: list(value) if isinstance(value, tuple) else value for key, value in FULL_MODEL_KWARGS.items()
    }


def test_full_size_file_verifies_against_the_meta_network(full_file):
    summary = check_weights_file(full_file, file_dtype=torch.bfloat16)
    assert (summary.tensors, summary.values, summary.dtype) == (366, FULL_VALUES, torch.bfloat16)
    assert summary.size_bytes > 2 * FULL_VALUES
    assert check_weights_file(full_file, FULL_MODEL_KWARGS).values == FULL_VALUES


def full_entries_with(change):
    return [change(*entry) for entry in manifest_entries(FULL_MANIFEST)]


@pytest.mark.parametrize(
    "change, message",
    [
        (
            lambda k, d, s, t: (k.replace("double_blocks.3.img_attn.qkv", "double_blocks.3.img_attn.to_qkv"), d, s, t),
            r"lacks 2 tensor\(s\).*double_blocks\.3\.img_attn\.qkv\.bias, double_blocks\.3\.img_attn\.qkv\.weight",
        ),
        (
            lambda k, d, s, t: (k, d, (1280, 1280) if k == "single_blocks.7.linear2.weight" else s, t),
            r"'single_blocks\.7\.linear2\.weight' has shape \[1280, 1280\], expected \[1280, 6400\]",
        ),
        (
            lambda k, d, s, t: (k, torch.float16 if k == "final_layer.linear.weight" else d, s, t),
            r"'final_layer\.linear\.weight' is float16, expected bfloat16",
        ),
        (
            lambda k, d, s, t: (k, torch.float32 if k.startswith("y_embedder") else d, s, t),
            r"'y_embedder\.weight' is float32, expected bfloat16",
        ),
    ],
    ids=["renamed key", "wrong shape", "float16 tensor", "float32 tensor in a bf16 file"],
)
def test_full_size_file_with_a_wrong_tensor_is_refused_naming_it(fashn_dir, tmp_path, change, message):
    path = write_safetensors(tmp_path / "model.safetensors", full_entries_with(change))
    with pytest.raises(WeightsError, match=message):
        check_weights_file(path, file_dtype=torch.bfloat16)


def test_extra_tensor_and_mixed_dtypes_are_refused_without_a_required_dtype(fashn_dir, tmp_path):
    extra = [
        *manifest_entries(FULL_MANIFEST),
        ("guidance_embedder.mlp.in_layer.weight", torch.bfloat16, (1280, 256), None),
    ]
    with pytest.raises(WeightsError, match=r"does not have: guidance_embedder\.mlp\.in_layer\.weight"):
        check_weights_file(write_safetensors(tmp_path / "extra.safetensors", extra))
    mixed = full_entries_with(lambda k, d, s, t: (k, torch.float32 if k.startswith("final_layer") else d, s, t))
    with pytest.raises(WeightsError, match=r"'final_layer\.\S+' is float32 while 'patch_mixer_token' is bfloat16"):
        check_weights_file(write_safetensors(tmp_path / "mixed.safetensors", mixed))


def test_truncated_or_foreign_files_are_refused_with_the_reason(full_file, tmp_path):
    truncated = tmp_path / "truncated.safetensors"
    with full_file.open("rb") as source, truncated.open("wb") as target:
        target.write(source.read(1 << 20))
    with pytest.raises(WeightsError, match="is truncated: tensor"):
        check_weights_file(truncated)
    foreign = tmp_path / "model.pth"
    foreign.write_bytes(b"PK\x03\x04" + bytes(100))
    with pytest.raises(WeightsError, match="not a safetensors file"):
        check_weights_file(foreign)
    with pytest.raises(WeightsError, match="not found"):
        check_weights_file(tmp_path / "missing.safetensors")


def test_small_file_loads_the_same_values_as_the_state_dict_and_matches_the_goldens(fashn_dir, tmp_path):
    case = fashn_case_names()[0]
    name = case_manifest_name(case)
    kwargs = manifest(name)["constructor"]["kwargs"]
    path = write_stand_in_file(tmp_path / "model.safetensors", name)
    from_file = load_weights(build_model(**kwargs), path).eval()
    for key, value in from_file.state_dict().items():
        assert torch.equal(value, stand_in_state_dict(name)[key]), key
    network = load_model(path, device="cpu", model_kwargs=kwargs)
    assert network.dtype == torch.float32 and not network.training
    data = golden(case)
    with torch.no_grad():
        velocity = network(torch.from_numpy(data["probe_x"]), torch.from_numpy(data["probe_t"]), **conditions(data))
    assert np.abs(velocity.double().numpy() - data["fwd_v"]).max() <= VELOCITY_MAX_ABS


def test_bfloat16_file_upcasts_exactly_and_a_required_dtype_is_enforced(fashn_dir, tmp_path):
    kwargs = manifest(SMALL)["constructor"]["kwargs"]
    path = write_stand_in_file(tmp_path / "model.safetensors", SMALL, dtype=torch.bfloat16)
    network = load_weights(build_model(**kwargs), path, file_dtype=torch.bfloat16)
    for key, value in network.state_dict().items():
        assert value.dtype == torch.float32
        assert torch.equal(value, stand_in_state_dict(SMALL)[key].to(torch.bfloat16).float()), key
    float32_file = write_stand_in_file(tmp_path / "full_precision.safetensors", SMALL)
    with pytest.raises(WeightsError, match=r"'patch_mixer_token' is float32, expected bfloat16"):
        load_weights(build_model(**kwargs), float32_file, file_dtype=torch.bfloat16)


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda sd: sd.pop("final_layer.linear.bias"), r"lacks 1 tensor\(s\).*: final_layer\.linear\.bias"),
        (lambda sd: sd.update({"module.extra": torch.zeros(1)}), r"does not have: module\.extra"),
        (
            lambda sd: sd.update({"y_embedder.weight": torch.zeros(3, 64)}),
            r"'y_embedder\.weight' has shape \[3, 64\], expected \[4, 64\]",
        ),
        (
            lambda sd: sd.update({"patch_mixer_token": torch.zeros(1, 1, 48, dtype=torch.float64)}),
            r"'patch_mixer_token' is float64, expected bfloat16 or float32",
        ),
    ],
    ids=["missing", "unexpected", "shape", "dtype"],
)
def test_mismatching_state_dict_is_refused_before_anything_is_copied(fashn_dir, edit, message):
    network = build_model(**manifest(SMALL)["constructor"]["kwargs"])
    before = {key: value.clone() for key, value in network.state_dict().items()}
    state = dict(stand_in_state_dict(SMALL))
    edit(state)
    with pytest.raises(WeightsError, match=message):
        load_weights(network, state)
    assert all(torch.equal(value, before[key]) for key, value in network.state_dict().items())


def test_compute_dtype_is_float32_off_cuda():
    assert compute_dtype("cpu") == torch.float32
    assert compute_dtype(torch.device("cpu")) == torch.float32


MEMORY_SCRIPT = textwrap.dedent(
    """
    import resource, sys, torch
    from tryon.pipeline.fashn import build_model, load_weights
    from revetir.testing.fashn_reference import write_safetensors

    kwargs = dict(input_shape=(96, 72), hidden_size=384, n_heads=3, axes_dim=(16, 56, 56),
                  double_blocks_depth=4, single_blocks_depth=8, patch_mixer_depth=2)
    with torch.device("meta"):
        meta = build_model(**kwargs)
    entries = [(k, torch.bfloat16, tuple(v.shape), None) for k, v in meta.state_dict().items()]
    path = write_safetensors(__import__("pathlib").Path(sys.argv[1]), entries)
    network = meta.to_empty(device="cpu")
    for value in network.state_dict().values():
        value.fill_(1.0)  # touch every page before measuring
    model_bytes = sum(v.numel() * v.element_size() for v in network.state_dict().values())
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    load_weights(network, path)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    assert all(bool((v == 0).all()) for v in network.state_dict().values())
    print(model_bytes, after - before)
    """
)


def test_loading_a_file_needs_the_model_plus_one_tensor_not_a_second_model(tmp_path):
    """Peak memory while loading a ~160 MB network from a file grows by far less than the file: the
    values go into the network's tensors one at a time (measured in a fresh process)."""
    result = subprocess.run(
        [sys.executable, "-c", MEMORY_SCRIPT, str(tmp_path / "model.safetensors")],
        cwd=PROJECT_ROOT,
        env={"PYTHONPATH": str(PROJECT_ROOT), "PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "1"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    model_bytes, growth = (int(v) for v in result.stdout.split())
    assert model_bytes > 120_000_000
    assert growth < model_bytes // 10, f"peak memory grew by {growth:,} bytes loading a {model_bytes:,}-byte network"


def test_a_network_still_on_the_meta_device_is_not_silently_left_empty(fashn_dir):
    with torch.device("meta"):
        network = build_model(**manifest(SMALL)["constructor"]["kwargs"])
    with pytest.raises(ValueError, match="meta device"):
        load_weights(network, stand_in_state_dict(SMALL))
