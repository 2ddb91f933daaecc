"""Access to ../shared/reference (manifests, deterministic weights, golden outputs of the official code)
and the README's tolerances, shared by the network, loader and engine tests."""

from __future__ import annotations

import hashlib
import importlib.util
import json
from functools import cache
from pathlib import Path
from types import ModuleType

import numpy as np
import torch

from revetir.testing.shared_folders import REFERENCE_DIR

torch.set_num_threads(min(2, torch.get_num_threads()))

U2NET_MAX_ABS = 1e-4
FLOW_MAX_ABS = 2e-4
DELTA_MAX_ABS = 3e-3
IMAGE_MEAN_ABS = 2e-5
IMAGE_MAX_ABS = 2e-2
PFAFN_IMAGE_KEYS = ("warped_cloth", "warped_edge", "p_rendered", "m_composite", "p_tryon")
PFAFN_INPUT_KEYS = ("real_image", "clothes", "edge")


def golden_case_names(prefix: str, visible: tuple[str, ...]) -> list[str]:
    """Case names of golden/{prefix}_*.npz (held-out cases dropped into the folder run too); the
    visible names when the reference folder is absent (the reference_dir fixture then skips)."""
    found = sorted(p.stem.removeprefix(f"{prefix}_") for p in (REFERENCE_DIR / "golden").glob(f"{prefix}_*.npz"))
    return found or list(visible)


def load_golden(reference_dir: Path, prefix: str, case: str) -> dict[str, np.ndarray]:
    with np.load(reference_dir / "golden" / f"{prefix}_{case}.npz") as data:
        return {key: data[key] for key in data.files}


@cache
def detweights(reference_dir: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("reference_detweights", reference_dir / "detweights.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@cache
def reference_manifest(reference_dir: Path, name: str) -> dict:
    return json.loads((reference_dir / "manifests" / f"{name}.json").read_text(encoding="utf-8"))


@cache
def deterministic_state_dict(reference_dir: Path, name: str) -> dict[str, torch.Tensor]:
    """The stand-in weights the goldens were computed with (cached: U²-Net's takes seconds). Callers
    must not modify the tensors in place."""
    return detweights(reference_dir).deterministic_state_dict(reference_manifest(reference_dir, name))


def state_dict_sha256(state_dict: dict[str, torch.Tensor]) -> str:
    """The manifest's detweights_sha256: key bytes + little-endian C-order tensor bytes, per entry."""
    digest = hashlib.sha256()
    for key, tensor in state_dict.items():
        digest.update(key.encode("utf-8"))
        array = tensor.contiguous().numpy()
        digest.update(array.astype(array.dtype.newbyteorder("<")).tobytes())
    return digest.hexdigest()


def assert_u2net_maps_match(outputs: tuple[torch.Tensor, ...], golden: dict[str, np.ndarray]) -> None:
    compared = 0
    for index, output in enumerate(outputs):
        key = f"d{index}"
        if key in golden:
            np.testing.assert_allclose(output.cpu().numpy(), golden[key], rtol=0, atol=U2NET_MAX_ABS, err_msg=key)
            compared += 1
    assert compared, "the golden file holds none of d0…d6"


def pfafn_differences(outputs: dict[str, torch.Tensor], golden: dict[str, np.ndarray]) -> dict[str, dict]:
    """For every output the golden file carries: the worst absolute difference (and the mean, for
    images) and whether it is within the README's tolerance for its kind."""
    report: dict[str, dict] = {}
    for key, expected in golden.items():
        if key in PFAFN_INPUT_KEYS or key == "meta" or key.endswith("_uint8"):
            continue
        assert key in outputs, f"{key} is in the golden file but not produced"
        actual = outputs[key].cpu().numpy()
        assert actual.shape == expected.shape, f"{key}: shape {actual.shape} != {expected.shape}"
        difference = np.abs(actual.astype(np.float64) - expected)
        entry = {"max_abs": float(difference.max())}
        if key in PFAFN_IMAGE_KEYS:
            entry["mean_abs"] = float(difference.mean())
            entry["ok"] = entry["mean_abs"] <= IMAGE_MEAN_ABS and entry["max_abs"] <= IMAGE_MAX_ABS
        else:  # delta_* in pixels; last_flow, flow_level_* as normalised grids
            entry["ok"] = entry["max_abs"] <= (DELTA_MAX_ABS if key.startswith("delta_") else FLOW_MAX_ABS)
        report[key] = entry
    assert report, "the golden file holds no outputs"
    return report


def assert_pfafn_outputs_match(outputs: dict[str, torch.Tensor], golden: dict[str, np.ndarray]) -> None:
    """Compare every output the golden file carries, with the README's per-kind tolerances."""
    for key, entry in pfafn_differences(outputs, golden).items():
        assert entry["ok"], f"{key}: {entry}"


def pfafn_inputs(golden: dict[str, np.ndarray]) -> tuple[torch.Tensor, ...]:
    return tuple(torch.from_numpy(golden[key]) for key in PFAFN_INPUT_KEYS)
