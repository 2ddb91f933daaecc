"""Checkpoint files for the neural engine's tests, made from the reference's deterministic weights.

Real checkpoints cannot be downloaded here, so the tests write `detweights.deterministic_state_dict`
of the reference manifests with `torch.save`, under the official file names: they pass the same
verification as the real files and exercise the whole pipeline. Generating the PF-AFN tensors takes
a while on a busy CPU, so the files are kept in the system temp folder, keyed by the manifests'
`detweights_sha256`, and shared by test runs; a test copies nothing, it points the engine there.
u2net.pth (176 MB) is left out unless asked for (the benchmarks): the engine then uses U²-NetP.
"""

from __future__ import annotations

import importlib.util
import json
import os
import tempfile
from pathlib import Path
from types import ModuleType

import torch

STAND_IN_FILES = {
    "u2netp": "u2netp.pth",
    "pfafn_warp": "warp_model_final.pth",
    "pfafn_gen": "gen_model_final.pth",
}


def load_detweights(reference_dir: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("reference_detweights", reference_dir / "detweights.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def stand_in_weights_dir(reference_dir: Path, *, full_u2net: bool = False) -> Path:
    """A folder holding u2netp.pth, warp_model_final.pth and gen_model_final.pth (created once), and
    with `full_u2net` also u2net.pth, which the engine then prefers, as with the official files."""
    files = {**STAND_IN_FILES, "u2net": "u2net.pth"} if full_u2net else STAND_IN_FILES
    manifests = {
        name: json.loads((reference_dir / "manifests" / f"{name}.json").read_text(encoding="utf-8")) for name in files
    }
    fingerprint = "-".join(manifests[name]["detweights_sha256"][:12] for name in files)
    folder = Path(tempfile.gettempdir()) / "revetir-stand-in-weights" / fingerprint
    folder.mkdir(parents=True, exist_ok=True)
    detweights = None
    for name, filename in files.items():
        target = folder / filename
        if target.is_file():
            continue
        detweights = detweights or load_detweights(reference_dir)
        partial = folder / f".{filename}.{os.getpid()}.partial"
        torch.save(detweights.deterministic_state_dict(manifests[name]), partial)
        os.replace(partial, target)  # atomic: a concurrent run sees a whole file or none
    return folder
