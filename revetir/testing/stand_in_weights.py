"""Checkpoint files for the neural engine's tests, made from the reference's deterministic weights.

Real checkpoints cannot be downloaded here, so the tests write `detweights.deterministic_state_dict`
of the reference manifests with `torch.save`, under the official file names: they pass the same
verification as the real files and exercise the whole pipeline. Generating the PF-AFN tensors takes
a while on a busy CPU, so the files are kept in the system temp folder, keyed by the manifests'
`detweights_sha256`, and shared by test runs; a test copies nothing, it points the engine there.
u2net.pth (176 MB) is left out unless asked for (the benchmarks): the engine then uses U²-NetP.

The warp module's flow heads are damped (`FLOW_HEAD_DAMPING`): untrained, their offsets are large
enough to fold the garment over itself, and the engine rightly refuses such a warp before rendering
(`tryon/pipeline/neural/fit_check.py`). Damped, the same untrained network still moves the garment,
without folding it, so the tests see the drawing path a trained warp takes. The goldens are checked
against the undamped `deterministic_state_dict` directly (tests/tryon/pipeline/neural/test_load_networks.py).
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import tempfile
from pathlib import Path
from types import ModuleType

import torch

STAND_IN_FILES = {
    "u2netp": "u2netp.pth",
    "pfafn_warp": "warp_model_final.pth",
    "pfafn_gen": "gen_model_final.pth",
}
# Each flow head's output convolution (`pfafn._flow_head`'s last layer) is scaled by this: every level's
# offsets are that much smaller (the layer is linear), the warp a gentler version of the same one.
FLOW_HEAD_DAMPING = 0.3
FLOW_HEAD_OUTPUT = re.compile(r"aflow_net\.net(Main|Refine)\.\d+\.6\.(weight|bias)")


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
    fingerprint = "-".join(manifests[name]["detweights_sha256"][:12] for name in files) + f"-flow{FLOW_HEAD_DAMPING}"
    folder = Path(tempfile.gettempdir()) / "revetir-stand-in-weights" / fingerprint
    folder.mkdir(parents=True, exist_ok=True)
    detweights = None
    for name, filename in files.items():
        target = folder / filename
        if target.is_file():
            continue
        detweights = detweights or load_detweights(reference_dir)
        partial = folder / f".{filename}.{os.getpid()}.partial"
        state_dict = detweights.deterministic_state_dict(manifests[name])
        if name == "pfafn_warp":
            state_dict = damped_flow_heads(state_dict)
        torch.save(state_dict, partial)
        os.replace(partial, target)  # atomic: a concurrent run sees a whole file or none
    return folder


def damped_flow_heads(state_dict: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The warp module's state dict with every flow head's output layer scaled by `FLOW_HEAD_DAMPING`."""
    return {
        key: value * FLOW_HEAD_DAMPING if FLOW_HEAD_OUTPUT.fullmatch(key) else value
        for key, value in state_dict.items()
    }
