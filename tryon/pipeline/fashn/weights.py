"""Building the FASHN VTON v1.5 network and loading the official `model.safetensors` strictly.

The official file (Hugging Face repo fashn-ai/fashn-vton-1.5, ~1.94 GB) holds 366 tensors with bare
key names, every one bfloat16; the official loader reads it whole and calls a strict
`load_state_dict`, then casts the model to bfloat16 on CUDA GPUs that support it and to float32
elsewhere (an exact upcast). We keep those rules and add what an operator needs to hear:

- Keys, shapes and dtypes are checked against the model before a single value is copied, and any
  difference is a `WeightsError` naming the key and what was expected. A checkpoint that "almost"
  matches would load and then draw noise, so nothing is ever loaded partially.
- A file must hold one floating dtype for all tensors: bfloat16 (the released file) or float32 (a
  full-precision export, and the stand-in weights the tests write). Other dtypes (float16, float64,
  integers) or a mix are refused: no release of the model has them. Callers that know which dtype the
  file must have (the manifest records bfloat16 for the official file) pass it as `dtype`.
- A safetensors path is read with plain file reads, tensor by tensor, straight into the model's own
  tensors: loading needs the model plus its largest tensor in memory, never the model twice.
- `check_weights_file` verifies a file against a network built on the meta device, reading only the
  header (and the file size, so a truncated download is caught): no 1.9 GB allocation.

The safetensors layout (8-byte little-endian header length, a JSON header of
{key: {dtype, shape, data_offsets}}, then the raw little-endian data) is the format's specification
(github.com/huggingface/safetensors).
"""

from __future__ import annotations

import json
import os
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from tryon.pipeline.contract import WeightsError
from tryon.pipeline.fashn.mmdit import TryOnMMDiT

# The official constructor defaults (`TryOnModel()`), the configuration of the released checkpoint.
FULL_MODEL_KWARGS: dict[str, Any] = {
    "input_shape": (864, 576),
    "hidden_size": 1280,
    "n_heads": 10,
    "double_blocks_depth": 8,
    "single_blocks_depth": 16,
    "mlp_ratio": 4,
    "channels_in": 3,
    "patch_size": 12,
    "theta": 10_000,
    "axes_dim": (16, 56, 56),
    "qkv_bias": True,
    "guidance_embed": False,
    "n_classes": 3,
    "use_patch_mixer": True,
    "patch_mixer_depth": 4,
}
WEIGHTS_FILENAME = "model.safetensors"
OFFICIAL_DTYPE = torch.bfloat16
ACCEPTED_FILE_DTYPES = (torch.bfloat16, torch.float32)
SAFETENSORS_DTYPES: dict[str, torch.dtype] = {
    "BF16": torch.bfloat16,
    "F16": torch.float16,
    "F32": torch.float32,
    "F64": torch.float64,
    "I64": torch.int64,
    "I32": torch.int32,
    "I16": torch.int16,
    "I8": torch.int8,
    "U8": torch.uint8,
    "BOOL": torch.bool,
}
HEADER_LENGTH_BYTES = 8
MAX_HEADER_BYTES = 100 * 1024 * 1024
MAX_KEYS_IN_MESSAGE = 5


@dataclass(frozen=True)
class TensorEntry:
    """One tensor as a checkpoint describes it (no data)."""

    dtype: torch.dtype
    shape: tuple[int, ...]


@dataclass(frozen=True)
class WeightsSummary:
    """What `check_weights_file` found: a file that matches the network."""

    path: Path
    tensors: int
    values: int
    dtype: torch.dtype
    size_bytes: int


def build_model(**constructor_kwargs: Any) -> TryOnMMDiT:
    """The network with the official constructor arguments (a manifest's `constructor.kwargs`, lists
    accepted for tuples); no arguments gives the full-size model of the released checkpoint. Build
    inside `with torch.device("meta"):` for shapes only, or on a GPU to skip CPU initialisation."""
    kwargs = {**FULL_MODEL_KWARGS, **constructor_kwargs}
    unknown = set(kwargs) - set(FULL_MODEL_KWARGS)
    if unknown:
        raise TypeError(f"unknown FASHN VTON constructor arguments: {', '.join(sorted(unknown))}")
    kwargs["input_shape"] = tuple(kwargs["input_shape"])
    kwargs["axes_dim"] = tuple(kwargs["axes_dim"])
    return TryOnMMDiT(**kwargs)


def compute_dtype(device: torch.device | str) -> torch.dtype:
    """bfloat16 on CUDA GPUs that support it (the official choice), float32 everywhere else."""
    device = torch.device(device)
    if device.type == "cuda" and torch.cuda.is_available() and torch.cuda.is_bf16_supported():
        return torch.bfloat16
    return torch.float32


def expected_entries(model: nn.Module) -> dict[str, tuple[int, ...]]:
    """Key → shape of everything a checkpoint must hold for `model` (parameters and persistent buffers)."""
    return {key: tuple(value.shape) for key, value in model.state_dict().items()}


def read_safetensors_header(path: str | os.PathLike) -> dict[str, tuple[TensorEntry, int, int]]:
    """Key → (entry, start, end) with absolute byte offsets, after checking that the header parses
    and that every tensor's bytes lie inside the file and match its dtype and shape."""
    path = Path(path)
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            prefix = handle.read(HEADER_LENGTH_BYTES)
            if len(prefix) < HEADER_LENGTH_BYTES:
                raise WeightsError(f"{path} is not a safetensors file (only {size} bytes)")
            (header_length,) = struct.unpack("<Q", prefix)
            if header_length > min(MAX_HEADER_BYTES, size - HEADER_LENGTH_BYTES):
                raise WeightsError(f"{path} is not a safetensors file, or is truncated (header length {header_length})")
            header = json.loads(handle.read(header_length))
    except FileNotFoundError as error:
        raise WeightsError(f"weights file {path} not found") from error
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise WeightsError(f"{path} is not a safetensors file (unreadable header: {error})") from error
    if not isinstance(header, dict):
        raise WeightsError(f"{path} is not a safetensors file (header is not a JSON object)")
    data_start = HEADER_LENGTH_BYTES + header_length
    entries: dict[str, tuple[TensorEntry, int, int]] = {}
    for key, info in header.items():
        if key == "__metadata__":
            continue
        try:
            dtype = SAFETENSORS_DTYPES[info["dtype"]]
            shape = tuple(int(s) for s in info["shape"])
            begin, end = (int(o) for o in info["data_offsets"])
        except (KeyError, TypeError, ValueError) as error:
            raise WeightsError(f"{path}: tensor {key!r} has an unreadable header entry {info!r}") from error
        values = 1
        for s in shape:
            values *= s
        item_size = torch.empty((), dtype=dtype).element_size()
        if end - begin != values * item_size or begin < 0:
            raise WeightsError(f"{path}: tensor {key!r} has {end - begin} bytes for {info['dtype']} {list(shape)}")
        if data_start + end > size:
            raise WeightsError(
                f"{path} is truncated: tensor {key!r} ends at byte {data_start + end} but the file has {size} bytes"
            )
        entries[key] = (TensorEntry(dtype, shape), data_start + begin, data_start + end)
    return entries


def _name_keys(keys: list[str]) -> str:
    shown = ", ".join(sorted(keys)[:MAX_KEYS_IN_MESSAGE])
    more = len(keys) - MAX_KEYS_IN_MESSAGE
    return shown + (f" and {more} more" if more > 0 else "")


def verify_entries(
    found: Mapping[str, TensorEntry],
    expected: Mapping[str, tuple[int, ...]],
    *,
    source: str,
    dtype: torch.dtype | None = None,
) -> torch.dtype:
    """Check a checkpoint's keys, shapes and dtypes against a network's; returns the file's dtype.
    `dtype` None accepts bfloat16 or float32 (one for every tensor); otherwise exactly that one."""
    missing = [key for key in expected if key not in found]
    unexpected = [key for key in found if key not in expected]
    if missing:
        raise WeightsError(f"{source} lacks {len(missing)} tensor(s) the FASHN VTON network has: {_name_keys(missing)}")
    if unexpected:
        raise WeightsError(
            f"{source} holds {len(unexpected)} tensor(s) the FASHN VTON network does not have: {_name_keys(unexpected)}"
        )
    for key, shape in expected.items():
        if found[key].shape != shape:
            raise WeightsError(f"{source}: tensor {key!r} has shape {list(found[key].shape)}, expected {list(shape)}")
    allowed = (dtype,) if dtype is not None else ACCEPTED_FILE_DTYPES
    first_key = next(iter(expected))
    file_dtype = found[first_key].dtype
    for key in expected:
        entry_dtype = found[key].dtype
        if entry_dtype not in allowed:
            names = " or ".join(str(d).removeprefix("torch.") for d in allowed)
            raise WeightsError(
                f"{source}: tensor {key!r} is {str(entry_dtype).removeprefix('torch.')}, expected {names} "
                "(the released model.safetensors is bfloat16)"
            )
        if entry_dtype != file_dtype:
            raise WeightsError(
                f"{source}: tensor {key!r} is {str(entry_dtype).removeprefix('torch.')} while {first_key!r} is "
                f"{str(file_dtype).removeprefix('torch.')}; a checkpoint must use one dtype throughout"
            )
    return file_dtype


def load_weights(
    model: nn.Module,
    state_dict_or_path: Mapping[str, torch.Tensor] | str | os.PathLike,
    *,
    file_dtype: torch.dtype | None = None,
) -> nn.Module:
    """Fill `model` (any device and dtype) from a state dict with the official key names or a
    safetensors file, strictly (see the module docstring); values are converted to the model's dtype
    as they are copied; `file_dtype` requires that dtype (else bfloat16 or float32). Returns the model.
    Raises `WeightsError` naming the first difference."""
    expected = expected_entries(model)
    targets = model.state_dict(keep_vars=True)
    if any(value.is_meta for value in targets.values()):
        raise ValueError("the network is on the meta device: allocate it first (`model.to_empty(device=...)`)")
    if isinstance(state_dict_or_path, Mapping):
        tensors = state_dict_or_path
        found = {key: TensorEntry(value.dtype, tuple(value.shape)) for key, value in tensors.items()}
        verify_entries(found, expected, source="the state dict", dtype=file_dtype)
        with torch.no_grad():
            for key in expected:
                targets[key].copy_(tensors[key])
        return model
    path = Path(state_dict_or_path)
    header = read_safetensors_header(path)
    verify_entries({key: entry for key, (entry, _, _) in header.items()}, expected, source=str(path), dtype=file_dtype)
    with path.open("rb", buffering=0) as handle, torch.no_grad():
        for key in expected:
            entry, begin, end = header[key]
            buffer = bytearray(end - begin)
            handle.seek(begin)
            if handle.readinto(buffer) != len(buffer):
                raise WeightsError(f"{path} is truncated at tensor {key!r}")
            if buffer:
                targets[key].copy_(torch.frombuffer(buffer, dtype=entry.dtype).reshape(entry.shape))
    return model


def check_weights_file(
    path: str | os.PathLike, model_kwargs: Mapping[str, Any] | None = None, *, file_dtype: torch.dtype | None = None
) -> WeightsSummary:
    """Verify a safetensors file against the network `model_kwargs` builds (default: the full model)
    without allocating it: the network is built on the meta device and only the file's header is
    read. Raises `WeightsError`, or returns what the file holds."""
    with torch.device("meta"):
        model = build_model(**(model_kwargs or {}))
    expected = expected_entries(model)
    header = read_safetensors_header(path)
    found = {key: entry for key, (entry, _, _) in header.items()}
    found_dtype = verify_entries(found, expected, source=str(path), dtype=file_dtype)
    values = 0
    for shape in expected.values():
        count = 1
        for s in shape:
            count *= s
        values += count
    return WeightsSummary(
        path=Path(path), tensors=len(expected), values=values, dtype=found_dtype, size_bytes=Path(path).stat().st_size
    )


def load_model(
    path: str | os.PathLike,
    *,
    device: torch.device | str = "cpu",
    dtype: torch.dtype | None = None,
    model_kwargs: Mapping[str, Any] | None = None,
    file_dtype: torch.dtype | None = None,
) -> TryOnMMDiT:
    """The network in eval mode on `device`, in `dtype` (default `compute_dtype(device)`), filled from
    a safetensors file. Built on the meta device and allocated once on the target, so neither a
    float32 CPU copy nor random initialisation happens."""
    device = torch.device(device)
    with torch.device("meta"):
        model = build_model(**(model_kwargs or {}))
    model = model.to(dtype=dtype or compute_dtype(device)).to_empty(device=device)
    return load_weights(model, path, file_dtype=file_dtype).eval()
