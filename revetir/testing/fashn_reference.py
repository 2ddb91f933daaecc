"""../shared/reference/fashn for the FASHN VTON tests and `bench/fashn_gpu.py`: manifests, golden
cases (held-out cases dropped into the folder run too), the deterministic stand-in weights and
safetensors files written from them.

Stand-in files are written here rather than with `safetensors.torch.save_file` so that the full-size
file (1.94 GB of bfloat16 zeros) can be made from the manifest alone: the header is written and the
file extended to its full length, which on Linux makes a sparse file that reads as zeros and occupies
no disk blocks. The layout is the format's specification (8-byte little-endian header length, JSON
header with dtype, shape and data_offsets per tensor, then the data).
"""

from __future__ import annotations

import json
import struct
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import numpy as np
import torch

from revetir.testing.reference_data import detweights
from revetir.testing.shared_folders import REFERENCE_DIR
from tryon.pipeline.fashn import build_model, load_weights

torch.set_num_threads(min(2, torch.get_num_threads()))

FASHN_DIR = REFERENCE_DIR / "fashn"
VISIBLE_CASES = ("case1", "case2", "case3")
SMALL_MANIFESTS = ("fashn_vton_small", "fashn_vton_small_b")
FULL_MANIFEST = "fashn_vton_full"

# The README's tolerances (max abs).
VELOCITY_MAX_ABS = 5e-5
SAMPLE_MAX_ABS = 2e-5
INTERMEDIATE_MAX_ABS = 5e-5
SINUSOID_MAX_ABS = 1e-4
ROPE_MAX_ABS = 1e-5
SCHEDULE_MAX_ABS = 1e-6
OUTPUT_UINT8_MAX_ABS = 1

SAFETENSORS_DTYPE_NAMES = {torch.bfloat16: "BF16", torch.float32: "F32", torch.float16: "F16", torch.float64: "F64"}
MANIFEST_DTYPES = {"bfloat16": torch.bfloat16, "float32": torch.float32}


def fashn_case_names() -> list[str]:
    found = sorted(p.stem.removeprefix("fashn_small_") for p in (FASHN_DIR / "golden").glob("fashn_small_*.npz"))
    return found or list(VISIBLE_CASES)


def fashn_manifest_names() -> list[str]:
    """Every small configuration in the manifests folder (held-out ones included)."""
    found = sorted(p.stem for p in (FASHN_DIR / "manifests").glob("fashn_vton_*.json") if p.stem != FULL_MANIFEST)
    return found or list(SMALL_MANIFESTS)


@cache
def manifest(name: str) -> dict:
    return json.loads((FASHN_DIR / "manifests" / f"{name}.json").read_text(encoding="utf-8"))


@cache
def golden(case: str) -> dict[str, np.ndarray]:
    with np.load(FASHN_DIR / "golden" / f"fashn_small_{case}.npz") as data:
        return {key: data[key] for key in data.files}


def case_meta(case: str) -> dict:
    return json.loads(str(golden(case)["meta"]))


def case_manifest_name(case: str) -> str:
    return case_meta(case)["manifest"].removesuffix(".json")


@cache
def stand_in_state_dict(name: str) -> dict[str, torch.Tensor]:
    """`detweights.deterministic_state_dict` of a manifest (float32; do not modify in place)."""
    return detweights(REFERENCE_DIR).deterministic_state_dict(manifest(name))


def stand_in_network(name: str) -> torch.nn.Module:
    """A fresh network built from the manifest's constructor arguments with the stand-in weights, eval."""
    network = build_model(**manifest(name)["constructor"]["kwargs"])
    return load_weights(network, stand_in_state_dict(name)).eval()


def conditions(data: dict[str, np.ndarray], *, dtype: torch.dtype = torch.float32) -> dict[str, torch.Tensor]:
    def image(key: str) -> torch.Tensor:
        return torch.from_numpy(data[key]).to(dtype)

    return {
        "ca": image("ca_images"),
        "garment": image("garment_images"),
        "person_pose": image("person_poses"),
        "garment_pose": image("garment_poses"),
        "category": torch.from_numpy(data["garment_categories"]),
    }


def write_safetensors(
    path: Path, entries: Iterable[tuple[str, torch.dtype, tuple[int, ...], torch.Tensor | None]]
) -> Path:
    """A safetensors file of (key, dtype, shape, tensor or None); None leaves that tensor's bytes to
    the final extension of the file (zeros, sparse). Tensors are written one at a time."""
    entries = list(entries)
    header: dict[str, dict] = {}
    offset = 0
    for key, dtype, shape, _ in entries:
        size = torch.empty((), dtype=dtype).element_size() * int(np.prod(shape, dtype=np.int64))
        header[key] = {
            "dtype": SAFETENSORS_DTYPE_NAMES[dtype],
            "shape": list(shape),
            "data_offsets": [offset, offset + size],
        }
        offset += size
    encoded = json.dumps(header, separators=(",", ":")).encode()
    encoded += b" " * (-len(encoded) % 8)
    with path.open("wb") as handle:
        handle.write(struct.pack("<Q", len(encoded)))
        handle.write(encoded)
        data_start = handle.tell()
        for key, dtype, _, tensor in entries:
            if tensor is not None:
                handle.seek(data_start + header[key]["data_offsets"][0])
                handle.write(tensor.to(dtype).contiguous().view(torch.uint8).numpy().tobytes())
        handle.truncate(data_start + offset)
    return path


def manifest_entries(
    name: str, *, dtype: torch.dtype | None = None
) -> list[tuple[str, torch.dtype, tuple[int, ...], None]]:
    """A manifest's tensors without data, in the dtype the manifest records (or `dtype`)."""
    return [
        (entry["key"], dtype or MANIFEST_DTYPES[entry["dtype"]], tuple(entry["shape"]), None)
        for entry in manifest(name)["tensors"]
    ]


def write_stand_in_file(path: Path, name: str, *, dtype: torch.dtype = torch.float32) -> Path:
    """The stand-in weights of a small manifest as a safetensors file in `dtype`."""
    state = stand_in_state_dict(name)
    return write_safetensors(path, [(key, dtype, tuple(value.shape), value) for key, value in state.items()])
