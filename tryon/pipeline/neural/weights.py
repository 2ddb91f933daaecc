"""The checkpoint registry: which files the neural engine needs, where they come from, and the rules
that decide whether a file is the right one.

The official loaders are strict in different ways (U²-Net: `load_state_dict(strict=True)`; PF-AFN:
every model key copied from the file, extra keys ignored). We apply one rule set to all four files:
strip a leading `module.` (DataParallel), require every model key with the exact shape, tolerate a
missing `*.num_batches_tracked` (files written by PyTorch 0.4.0 lack it; unused in eval), ignore
`aflow_net.weight` (a fixed filter that PF-AFN's training code stores), and refuse anything else,
naming the file and the first offending keys. A checkpoint that only "almost" matches would load
and then draw nonsense, so we never load one partially.

Key and shape manifests of the official files live in `weights/manifest.json` (see weights/README.md).
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import IO, Any

import torch
from torch import nn

from tryon.pipeline.contract import WeightsError
from tryon.pipeline.masks import CLOTH_MASK_VERSION
from tryon.pipeline.neural import NEURAL_METHOD_VERSION
from tryon.pipeline.weight_files import (  # noqa: F401 (the shared helpers are also imported from here)
    DEFAULT_WEIGHTS_DIR,
    ProgressCallback,
    file_sha256,
    install_stream,
    weights_dir_from_env,
)

MANIFEST_PATH = Path(__file__).resolve().parents[3] / "weights" / "manifest.json"
INSTALL_COMMAND = "python manage.py install_weights --from DIR"
DATAPARALLEL_PREFIX = "module."
OPTIONAL_KEY_SUFFIX = ".num_batches_tracked"
IGNORED_CHECKPOINT_KEYS = frozenset({"aflow_net.weight"})
MAX_KEYS_IN_MESSAGE = 5
# Sections of weights/manifest.json that do not come from ../shared/reference/manifests.
KEPT_MANIFEST_SECTIONS = ("fashn", "body_model")

PFAFN_LICENCE = (
    "PF-AFN checkpoints: the authors restrict their use to non-commercial research and educational "
    "purposes (https://github.com/geyuying/PF-AFN#license)."
)
U2NET_LICENCE = "U²-Net checkpoints: Apache-2.0, as the U-2-Net repository (https://github.com/xuebinqin/U-2-Net)."
PFAFN_CHECKPOINTS_URL = "https://drive.google.com/file/d/1_a0AiN8Y_d_9TNDhHIcRlERz3zptyYWV/view?usp=sharing"


@dataclass(frozen=True)
class CheckpointSpec:
    """One official checkpoint file the neural engine uses."""

    name: str  # manifest name in weights/manifest.json
    filename: str
    purpose: str
    approx_size_mb: float
    source_url: str
    licence: str


CHECKPOINTS: dict[str, CheckpointSpec] = {
    spec.name: spec
    for spec in (
        CheckpointSpec(
            name="u2net",
            filename="u2net.pth",
            purpose="U²-Net person segmentation (full model)",
            approx_size_mb=176.3,
            source_url="https://drive.google.com/file/d/1ao1ovG1Qtx4b7EoskHXmi2E9rp5CHLcZ/view?usp=sharing",
            licence=U2NET_LICENCE,
        ),
        CheckpointSpec(
            name="u2netp",
            filename="u2netp.pth",
            purpose="U²-NetP person segmentation (small model, alternative to u2net.pth)",
            approx_size_mb=4.7,
            source_url="https://drive.google.com/file/d/1rbSTGKAE-MTxBYHd-51l2hMOQPT_7EPy/view?usp=sharing",
            licence=U2NET_LICENCE,
        ),
        CheckpointSpec(
            name="pfafn_warp",
            filename="warp_model_final.pth",
            purpose="PF-AFN appearance-flow warping module",
            approx_size_mb=117.4,
            source_url=PFAFN_CHECKPOINTS_URL,
            licence=PFAFN_LICENCE,
        ),
        CheckpointSpec(
            name="pfafn_gen",
            filename="gen_model_final.pth",
            purpose="PF-AFN try-on generator",
            approx_size_mb=175.7,
            source_url=PFAFN_CHECKPOINTS_URL,
            licence=PFAFN_LICENCE,
        ),
    )
}
CHECKPOINTS_BY_FILENAME: dict[str, CheckpointSpec] = {spec.filename: spec for spec in CHECKPOINTS.values()}

StateDictSource = Mapping[str, Any] | str | os.PathLike[str]


def install_hint(filename: str) -> str:
    """Where to get `filename` and the command that installs it."""
    spec = CHECKPOINTS_BY_FILENAME.get(filename)
    source = f"download it from {spec.source_url}, then " if spec else ""
    return f"To install it, {source}run `{INSTALL_COMMAND}`."


# ---------------------------------------------------------------------------------------------------------------------
# Manifests


@cache
def expected_shapes(name: str) -> dict[str, tuple[int, ...]]:
    """Key → shape of the official checkpoint `name` ("u2net", "u2netp", "pfafn_warp", "pfafn_gen")."""
    manifest = json.loads(MANIFEST_PATH.read_text(encoding="utf-8"))
    try:
        tensors = manifest["checkpoints"][name]["tensors"]
    except KeyError as exc:
        raise KeyError(f"{MANIFEST_PATH} has no checkpoint named {name!r}") from exc
    return {key: tuple(shape) for key, shape in tensors.items()}


def build_compact_manifest(reference_manifest_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """The content of weights/manifest.json, built from the reference manifests (full descriptions
    with dtypes and constructor notes) by keeping what the loader checks: keys and shapes in order."""
    reference_manifest_dir = Path(reference_manifest_dir)
    current = json.loads(MANIFEST_PATH.read_text(encoding="utf-8"))
    checkpoints = {}
    for spec in CHECKPOINTS.values():
        reference = json.loads((reference_manifest_dir / f"{spec.name}.json").read_text(encoding="utf-8"))
        checkpoints[spec.name] = {
            "file": spec.filename,
            "source": reference["source"]["repo"] + " @ " + reference["source"]["commit"],
            "num_tensors": len(reference["tensors"]),
            "detweights_sha256": reference.get("detweights_sha256"),
            "tensors": {entry["key"]: list(entry["shape"]) for entry in reference["tensors"]},
        }
    return {
        "about": "State-dict keys and shapes of the official checkpoints, in file order. Generated from "
        "the reference manifests; see weights/README.md.",
        "checkpoints": checkpoints,
        # FASHN VTON's entry (`tryon.pipeline.fashn.files.build_manifest_entry`) and the body model's
        # files are not in these reference manifests; they are kept as recorded.
        **{key: current[key] for key in KEPT_MANIFEST_SECTIONS if key in current},
    }


def _render_entry(entry: Mapping[str, Any], indent: str) -> list[str]:
    """One manifest entry: its fields on a line each, then its tensors one per line."""
    lines = [f"{indent}  {json.dumps(k)}: {json.dumps(v)}," for k, v in entry.items() if k != "tensors"]
    lines.append(f'{indent}  "tensors": {{')
    tensors = list(entry["tensors"].items())
    lines.extend(
        f"{indent}    {json.dumps(key)}: {json.dumps(shape)}{',' if i < len(tensors) - 1 else ''}"
        for i, (key, shape) in enumerate(tensors)
    )
    lines.append(f"{indent}  }}")
    return lines


def render_compact_manifest(manifest: Mapping[str, Any]) -> str:
    """JSON with one tensor per line, so a diff of the manifest reads as a diff of the architecture."""
    lines = ["{", f'  "about": {json.dumps(manifest["about"], ensure_ascii=False)},', '  "checkpoints": {']
    names = list(manifest["checkpoints"])
    for index, name in enumerate(names):
        lines.append(f"    {json.dumps(name)}: {{")
        lines.extend(_render_entry(manifest["checkpoints"][name], "    "))
        lines.append("    }" + ("," if index < len(names) - 1 else ""))
    lines.append("  },")
    if "fashn" in manifest:
        lines.append('  "fashn": {')
        lines.extend(_render_entry(manifest["fashn"], "  "))
        lines.append("  },")
    body_model = json.dumps(manifest["body_model"], indent=2, ensure_ascii=False).replace("\n", "\n  ")
    lines += [f'  "body_model": {body_model}', "}", ""]
    return "\n".join(lines)


def write_compact_manifest(
    reference_manifest_dir: str | os.PathLike[str], target: str | os.PathLike[str] = MANIFEST_PATH
) -> None:
    """Regenerate weights/manifest.json from ../shared/reference/manifests."""
    Path(target).write_text(render_compact_manifest(build_compact_manifest(reference_manifest_dir)), encoding="utf-8")


# ---------------------------------------------------------------------------------------------------------------------
# Reading and checking state dicts


def read_checkpoint(path: str | os.PathLike[str], *, memory_map: bool = False) -> dict[str, Any]:
    """torch.load a checkpoint safely (weights_only) onto the CPU; any failure is a WeightsError that
    names the file and says how to install it.

    With `memory_map`, files in the zip format are mapped instead of read, so checking keys and
    shapes costs almost no I/O; legacy-format files (PyTorch < 1.6, as U²-Net's may be) are read.
    """
    path = Path(path)
    if not path.is_file():
        raise WeightsError(f"Checkpoint {path} not found. {install_hint(path.name)}")
    try:
        mapped = memory_map and zipfile.is_zipfile(path)
        loaded = torch.load(path, map_location="cpu", weights_only=True, mmap=mapped)
    except Exception as exc:  # truncated zip, foreign pickle, disk error: all mean "reinstall this file"
        raise WeightsError(
            f"Checkpoint {path} is truncated or is not a PyTorch state dict ({type(exc).__name__}: {exc}). "
            f"{install_hint(path.name)}"
        ) from exc
    if not isinstance(loaded, Mapping):
        raise WeightsError(
            f"Checkpoint {path} holds a {type(loaded).__name__}, not a state dict. {install_hint(path.name)}"
        )
    return dict(loaded)


def _first(keys: Iterable[str]) -> str:
    keys = list(keys)
    shown = ", ".join(keys[:MAX_KEYS_IN_MESSAGE])
    return shown + (f" (+{len(keys) - MAX_KEYS_IN_MESSAGE} more)" if len(keys) > MAX_KEYS_IN_MESSAGE else "")


def match_state_dict(
    state_dict: Mapping[str, Any],
    expected: Mapping[str, tuple[int, ...]],
    *,
    source: str,
) -> dict[str, torch.Tensor]:
    """Apply the loader rules (module docstring) and return a state dict with exactly the expected keys
    (`expected` maps key → shape); a tolerated missing `num_batches_tracked` is filled with 0, what a
    fresh BatchNorm holds. Raises WeightsError naming `source` and the first offending keys.
    """
    cleaned: dict[str, Any] = {}
    for key, value in state_dict.items():
        bare = key.removeprefix(DATAPARALLEL_PREFIX)
        if bare in IGNORED_CHECKPOINT_KEYS and bare not in expected:
            continue
        cleaned[bare] = value

    not_tensors = [key for key, value in cleaned.items() if not isinstance(value, torch.Tensor)]
    missing = [k for k in expected if k not in cleaned and not k.endswith(OPTIONAL_KEY_SUFFIX)]
    unexpected = [k for k in cleaned if k not in expected]
    wrong_shapes = [
        f"{k} (file {list(cleaned[k].shape)}, model {list(expected[k])})"
        for k in expected
        if k in cleaned and k not in not_tensors and tuple(cleaned[k].shape) != tuple(expected[k])
    ]
    problems = []
    if missing:
        problems.append(f"{len(missing)} missing key(s): {_first(missing)}")
    if unexpected:
        problems.append(f"{len(unexpected)} unexpected key(s): {_first(unexpected)}")
    if wrong_shapes:
        problems.append(f"{len(wrong_shapes)} wrong shape(s): {_first(wrong_shapes)}")
    if not_tensors:
        problems.append(f"{len(not_tensors)} non-tensor value(s): {_first(not_tensors)}")
    if problems:
        raise WeightsError(
            f"{source} does not match the model: {'; '.join(problems)}. "
            f"It is not the expected official checkpoint. {install_hint(Path(source).name)}"
        )
    for key in expected:
        if key not in cleaned:
            cleaned[key] = torch.zeros(expected[key], dtype=torch.int64)
    return cleaned


def load_checkpoint(model: nn.Module, state_dict_or_path: StateDictSource) -> nn.Module:
    """Load an official checkpoint (a state dict or a .pth path) into `model` with the strict rules
    above; returns the model. Nothing is loaded when any key or shape is wrong.

    A model built on the meta device (`with torch.device("meta"): ...`, which skips the random
    initialisation) takes the checkpoint's tensors themselves, converted to the model's dtypes.
    """
    if isinstance(state_dict_or_path, Mapping):
        state_dict, source = state_dict_or_path, f"the state dict given for {type(model).__name__}"
    else:
        state_dict, source = read_checkpoint(state_dict_or_path), str(state_dict_or_path)
    current = model.state_dict()
    expected = {key: tuple(value.shape) for key, value in current.items()}
    matched = match_state_dict(state_dict, expected, source=source)
    on_meta = any(value.is_meta for value in current.values())
    if on_meta:
        matched = {key: value.to(dtype=current[key].dtype) for key, value in matched.items()}
    model.load_state_dict(matched, strict=True, assign=on_meta)
    return model


# ---------------------------------------------------------------------------------------------------------------------
# Weights directory


@dataclass(frozen=True)
class WeightsDirReport:
    """Result of checking a weights directory: file names that are fine, and a message per file that
    is missing or unusable (each naming the file and how to install it)."""

    weights_dir: Path
    ok: tuple[str, ...] = ()
    problems: dict[str, str] = field(default_factory=dict)

    @property
    def neural_ready(self) -> bool:
        """Both PF-AFN files and at least one U²-Net variant are usable."""
        ok = set(self.ok)
        has_pfafn = {CHECKPOINTS["pfafn_warp"].filename, CHECKPOINTS["pfafn_gen"].filename} <= ok
        return has_pfafn and bool({CHECKPOINTS["u2net"].filename, CHECKPOINTS["u2netp"].filename} & ok)

    def path(self, name: str) -> Path:
        return self.weights_dir / CHECKPOINTS[name].filename

    @property
    def u2net_variant(self) -> str:
        """The segmenter the neural engine loads: the full U²-Net when it verifies, else U²-NetP."""
        return "u2net" if CHECKPOINTS["u2net"].filename in self.ok else "u2netp"

    def neural_identity(self) -> str:
        """Names the neural engine and the exact files it loads (name, size, modification time), the
        cloth mask's version (`masks.CLOTH_MASK_VERSION`) and the engine's (`NEURAL_METHOD_VERSION`), so
        results and sides prepared with other weights, older masks or an older engine are recognised as
        stale; cheap enough for every request."""
        files = [self.path(name) for name in (self.u2net_variant, "pfafn_warp", "pfafn_gen")]
        stats = [(path.name, path.stat().st_size, path.stat().st_mtime_ns) for path in files]
        versions = (CLOTH_MASK_VERSION, NEURAL_METHOD_VERSION)
        digest = hashlib.sha256(repr((stats, *versions)).encode()).hexdigest()[:16]
        return f"neural/{self.u2net_variant}/{digest}"


_VERIFIED_FILES: dict[Path, tuple[int, int, str | None]] = {}  # path → (mtime_ns, size, problem or None)


def verify_checkpoint_file(path: str | os.PathLike[str], name: str) -> None:
    """Check that `path` loads and holds exactly the keys and shapes of checkpoint `name`."""
    match_state_dict(read_checkpoint(path, memory_map=True), expected_shapes(name), source=str(path))


def verify_weights_dir(weights_dir: str | os.PathLike[str] | None = None) -> WeightsDirReport:
    """Check every registered checkpoint in `weights_dir` (default: `REVETIR_WEIGHTS_DIR` or weights/).

    Each file is read once per process while its modification time and size stay the same, so
    calling this on every request is cheap.
    """
    weights_dir = Path(weights_dir) if weights_dir is not None else weights_dir_from_env()
    ok: list[str] = []
    problems: dict[str, str] = {}
    for spec in CHECKPOINTS.values():
        path = weights_dir / spec.filename
        if not path.is_file():
            problems[spec.filename] = (
                f"{spec.filename} ({spec.purpose}, about {spec.approx_size_mb:g} MB) is not installed in "
                f"{weights_dir}. {install_hint(spec.filename)}"
            )
            continue
        stat = path.stat()
        resolved = path.resolve()
        cached = _VERIFIED_FILES.get(resolved)
        if cached is None or cached[:2] != (stat.st_mtime_ns, stat.st_size):
            try:
                verify_checkpoint_file(path, spec.name)
                problem = None
            except WeightsError as exc:
                problem = str(exc)
            _VERIFIED_FILES[resolved] = (stat.st_mtime_ns, stat.st_size, problem)
        problem = _VERIFIED_FILES[resolved][2]
        if problem is None:
            ok.append(spec.filename)
        else:
            problems[spec.filename] = problem
    return WeightsDirReport(weights_dir=weights_dir, ok=tuple(ok), problems=problems)


# ---------------------------------------------------------------------------------------------------------------------
# Installing


def identify_checkpoint(state_dict: Mapping[str, Any]) -> CheckpointSpec | None:
    """The registered checkpoint whose keys and shapes `state_dict` matches, if any."""
    for spec in CHECKPOINTS.values():
        try:
            match_state_dict(state_dict, expected_shapes(spec.name), source=spec.filename)
        except WeightsError:
            continue
        return spec
    return None


def install_checkpoint_stream(
    source: IO[bytes],
    *,
    dest_dir: str | os.PathLike[str],
    source_label: str,
    total_bytes: int | None = None,
    progress: ProgressCallback | None = None,
) -> tuple[CheckpointSpec, Path]:
    """Write `source` to a temporary file in `dest_dir`, check it is one of the registered checkpoints
    (loadable, exact keys and shapes), then move it into place under its official name
    (`weight_files.install_stream`: atomic, nothing left behind on failure). A WeightsError names
    `source_label`. Returns (spec, installed path).
    """
    found: list[CheckpointSpec] = []

    def check(temp_path: Path) -> Path:
        found.append(_verify_installed_candidate(temp_path, source_label))
        return Path(found[0].filename)

    target, _sha256 = install_stream(
        source, dest_dir=dest_dir, source_label=source_label, check=check, total_bytes=total_bytes, progress=progress
    )
    return found[0], target


def _verify_installed_candidate(temp_path: Path, source_label: str) -> CheckpointSpec:
    try:
        state_dict = torch.load(temp_path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise WeightsError(
            f"{source_label} is truncated or is not a PyTorch checkpoint ({type(exc).__name__}: {exc}); nothing was "
            "installed."
        ) from exc
    if not isinstance(state_dict, Mapping):
        raise WeightsError(f"{source_label} holds a {type(state_dict).__name__}, not a state dict; nothing installed.")
    named = CHECKPOINTS_BY_FILENAME.get(Path(source_label).name)
    if named is not None:
        match_state_dict(state_dict, expected_shapes(named.name), source=source_label)
        return named
    spec = identify_checkpoint(state_dict)
    if spec is None:
        expected = ", ".join(CHECKPOINTS_BY_FILENAME)
        raise WeightsError(
            f"{source_label} matches none of the official checkpoints ({expected}); nothing was installed."
        )
    return spec


def install_checkpoint_file(
    source: str | os.PathLike[str], *, dest_dir: str | os.PathLike[str], progress: ProgressCallback | None = None
) -> tuple[CheckpointSpec, Path]:
    """Copy one local checkpoint file into `dest_dir` (see install_checkpoint_stream)."""
    source = Path(source)
    with source.open("rb") as stream:
        return install_checkpoint_stream(
            stream, dest_dir=dest_dir, source_label=str(source), total_bytes=source.stat().st_size, progress=progress
        )


def find_checkpoint_files(directory: str | os.PathLike[str]) -> list[Path]:
    """Registered checkpoint files anywhere under `directory` (an unpacked download keeps its folders,
    e.g. checkpoints/PFAFN/warp_model_final.pth), one per official name, shallowest first."""
    found: dict[str, Path] = {}
    candidates = sorted(Path(directory).rglob("*.pth"), key=lambda p: (len(p.parts), str(p)))
    for path in candidates:
        if path.name in CHECKPOINTS_BY_FILENAME and path.is_file():
            found.setdefault(path.name, path)
    return list(found.values())
