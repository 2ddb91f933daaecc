"""The FASHN VTON v1.5 files an operator installs, and whether they are usable: `model.safetensors`
(required), the model configuration (only for a non-standard size, e.g. the tests' small one) and
DWPose's two ONNX files (optional; this build draws the pose from the shop's own body model).

Everything lives in `<weights dir>/fashn/`. The weights come from the authors' Hugging Face repository
(https://huggingface.co/fashn-ai/fashn-vton-1.5, Apache-2.0 per its model card; weights/README.md asks
the operator to confirm it) and are installed by `manage.py install_weights`, which records the file's
SHA-256 beside it; nothing downloads at run time. A file is usable when its header holds exactly the
model's keys, shapes and dtypes (`weights.check_weights_file`, on the meta device: no 1.9 GB read).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from tryon.pipeline.contract import WeightsError
from tryon.pipeline.fashn.dwpose import DETECTOR_FILE, POSE_MODEL_FILE
from tryon.pipeline.weight_files import (
    ProgressCallback,
    install_stream,
    normalise_sha256,
    weights_dir_from_env,
)

FASHN_SUBDIR = "fashn"
MODEL_FILENAME = "model.safetensors"
# Constructor keyword arguments for a model of another size than the released one, as JSON:
# {"constructor_kwargs": {...}} (a reference manifest's `constructor.kwargs`). The real file needs none.
CONFIG_FILENAME = "model_config.json"
# Written by `install_weights`: the SHA-256 it checked, with the size and time of the file it moved in.
INSTALL_RECORD_FILENAME = "model.safetensors.install.json"
DWPOSE_FILENAMES = (DETECTOR_FILE, POSE_MODEL_FILE)
APPROX_MODEL_SIZE_GB = 1.9
MODEL_SOURCE_URL = "https://huggingface.co/fashn-ai/fashn-vton-1.5"
CODE_SOURCE_URL = "https://github.com/fashn-AI/fashn-vton-1.5"
DWPOSE_SOURCE_URL = "https://huggingface.co/fashn-ai/DWPose"
LICENCE = (
    "FASHN VTON v1.5: code Apache-2.0 (https://github.com/fashn-AI/fashn-vton-1.5); weights released by "
    "FASHN AI as Apache-2.0 for research and commercial use (model card, https://huggingface.co/fashn-ai/"
    "fashn-vton-1.5). Confirm the licence on the model card before selling with it."
)
DWPOSE_LICENCE = "DWPose and YOLOX ONNX files: Apache-2.0 (https://huggingface.co/fashn-ai/DWPose)."
INSTALL_COMMAND = "python manage.py install_weights --from PATH/TO/model.safetensors"
IDENTITY_DIGEST_LENGTH = 12


def fashn_dir(weights_dir: str | os.PathLike[str] | None = None) -> Path:
    base = Path(weights_dir) if weights_dir is not None else weights_dir_from_env()
    return base / FASHN_SUBDIR


def install_hint() -> str:
    return f"Download {MODEL_FILENAME} from {MODEL_SOURCE_URL}, then run `{INSTALL_COMMAND}` (see weights/README.md)."


@dataclass(frozen=True)
class FashnFilesReport:
    """What `verify_fashn_dir` found: whether the model can load, the problem when not (naming the
    file and how to install it), the constructor arguments, the checksum and the optional files."""

    directory: Path
    problem: str | None
    model_kwargs: dict[str, Any] = field(default_factory=dict)
    sha256: str | None = None  # as recorded by install_weights; None for a file placed by hand
    size: int = 0
    mtime_ns: int = 0
    dwpose_installed: tuple[str, ...] = ()

    @property
    def ready(self) -> bool:
        return self.problem is None

    @property
    def dwpose_usable(self) -> bool:
        """Both DWPose files are installed and onnxruntime is there to run them (else the engine draws
        the pose from the shop's body model)."""
        return (
            set(self.dwpose_installed) == set(DWPOSE_FILENAMES) and importlib.util.find_spec("onnxruntime") is not None
        )

    @property
    def model_path(self) -> Path:
        return self.directory / MODEL_FILENAME

    @property
    def is_standard_size(self) -> bool:
        """The released configuration (576×864, hidden 1280); other sizes only serve tests."""
        from tryon.pipeline.fashn.weights import FULL_MODEL_KWARGS

        return _comparable(self.model_kwargs) == _comparable(FULL_MODEL_KWARGS)

    def weights_digest(self) -> str:
        """Names the exact file: its recorded SHA-256, else (a file copied in by hand) its size and time,
        so other weights are never taken for these; cheap enough for every request."""
        if self.sha256:
            return self.sha256[:IDENTITY_DIGEST_LENGTH]
        unrecorded = repr((self.size, self.mtime_ns, _comparable(self.model_kwargs)))
        return "f" + hashlib.sha256(unrecorded.encode()).hexdigest()[: IDENTITY_DIGEST_LENGTH - 1]


def _comparable(kwargs: Mapping[str, Any]) -> str:
    return json.dumps(
        {key: list(value) if isinstance(value, tuple) else value for key, value in kwargs.items()}, sort_keys=True
    )


def read_model_kwargs(directory: Path) -> dict[str, Any]:
    """The constructor arguments: the released model's, unless `model_config.json` names others."""
    from tryon.pipeline.fashn.weights import FULL_MODEL_KWARGS

    config_path = directory / CONFIG_FILENAME
    if not config_path.is_file():
        return dict(FULL_MODEL_KWARGS)
    try:
        kwargs = json.loads(config_path.read_text(encoding="utf-8"))["constructor_kwargs"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise WeightsError(
            f"{config_path} is not a FASHN model configuration ({type(exc).__name__}: {exc}); it must hold "
            '{"constructor_kwargs": {...}}. Delete it to use the released model\'s configuration.'
        ) from exc
    if not isinstance(kwargs, dict):
        raise WeightsError(f"{config_path}: constructor_kwargs must be a JSON object.")
    return kwargs


def _read_record(directory: Path, size: int, mtime_ns: int) -> str | None:
    """The SHA-256 install_weights recorded, if it describes the file there now."""
    try:
        record = json.loads((directory / INSTALL_RECORD_FILENAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or (record.get("size"), record.get("mtime_ns")) != (size, mtime_ns):
        return None
    return record.get("sha256") if isinstance(record.get("sha256"), str) else None


_VERIFIED: dict[tuple, str | None] = {}  # (path, size, mtime, config) → problem or None
_VERIFIED_LOCK = threading.Lock()


def verify_fashn_dir(weights_dir: str | os.PathLike[str] | None = None) -> FashnFilesReport:
    """Check `<weights_dir>/fashn/` (default: REVETIR_WEIGHTS_DIR or weights/). The header check runs
    once per process while the file's size, time and configuration stay the same, so this is cheap
    enough to call on every request."""
    directory = fashn_dir(weights_dir)
    dwpose = tuple(name for name in DWPOSE_FILENAMES if (directory / name).is_file())
    model_path = directory / MODEL_FILENAME
    if not model_path.is_file():
        problem = (
            f"{MODEL_FILENAME} (FASHN VTON v1.5, about {APPROX_MODEL_SIZE_GB:g} GB) is not installed in {directory}. "
            f"{install_hint()}"
        )
        return FashnFilesReport(directory=directory, problem=problem, dwpose_installed=dwpose)
    stat = model_path.stat()
    try:
        kwargs = read_model_kwargs(directory)
    except WeightsError as exc:
        return FashnFilesReport(directory=directory, problem=str(exc), dwpose_installed=dwpose)
    key = (str(model_path.resolve()), stat.st_size, stat.st_mtime_ns, _comparable(kwargs))
    with _VERIFIED_LOCK:
        known = key in _VERIFIED
        problem = _VERIFIED.get(key)
    if not known:
        problem = _header_problem(model_path, kwargs)
        with _VERIFIED_LOCK:
            _VERIFIED[key] = problem
    return FashnFilesReport(
        directory=directory,
        problem=problem,
        model_kwargs=kwargs,
        sha256=_read_record(directory, stat.st_size, stat.st_mtime_ns),
        size=stat.st_size,
        mtime_ns=stat.st_mtime_ns,
        dwpose_installed=dwpose,
    )


def _header_problem(model_path: Path, kwargs: Mapping[str, Any]) -> str | None:
    from tryon.pipeline.fashn.weights import check_weights_file

    try:
        check_weights_file(model_path, kwargs)
    except WeightsError as exc:
        return f"{str(exc).rstrip('.')}. {install_hint()}"
    except (TypeError, ValueError) as exc:  # a configuration the model class does not accept
        return f"The FASHN model configuration in {model_path.parent} is not valid ({exc})."
    return None


# ---------------------------------------------------------------------------------------------------------------------
# Installing


def is_fashn_file(path: Path) -> bool:
    """Whether `install_weights` should treat `path` as a FASHN file (by name)."""
    return path.name in (MODEL_FILENAME, *DWPOSE_FILENAMES)


def install_fashn_stream(
    source: IO[bytes],
    *,
    filename: str,
    weights_dir: str | os.PathLike[str],
    source_label: str,
    total_bytes: int | None = None,
    progress: ProgressCallback | None = None,
    expected_sha256: str | None = None,
) -> tuple[Path, str]:
    """Install `model.safetensors` or a DWPose file into `<weights_dir>/fashn/` atomically.

    The SHA-256 is checked against `expected_sha256` (the operator's `--sha256`) or, for the model,
    the one `weights/manifest.json` records when it records one. The model's header must hold exactly
    the keys, shapes and dtypes of the model (the configuration in `model_config.json` when there is
    one, else the released one). Returns (installed path, SHA-256); the model's SHA-256 is recorded
    beside it, so the engine's identity names these exact weights.
    """
    if filename not in (MODEL_FILENAME, *DWPOSE_FILENAMES):
        raise WeightsError(f"{filename} is not a FASHN VTON file ({MODEL_FILENAME}, {', '.join(DWPOSE_FILENAMES)}).")
    directory = fashn_dir(weights_dir)
    if expected_sha256 is not None:
        expected_sha256 = normalise_sha256(expected_sha256, label="--sha256")
    elif filename == MODEL_FILENAME:
        expected_sha256 = manifest_sha256()
    kwargs = read_model_kwargs(directory) if filename == MODEL_FILENAME else {}

    def check(temp_path: Path) -> Path:
        if filename == MODEL_FILENAME:
            from tryon.pipeline.fashn.weights import check_weights_file

            try:
                check_weights_file(temp_path, kwargs)
            except WeightsError as exc:
                raise WeightsError(
                    f"{source_label} is not the FASHN VTON v1.5 model ({exc}); nothing was installed."
                ) from exc
        elif temp_path.stat().st_size == 0:
            raise WeightsError(f"{source_label} is empty; nothing was installed.")
        return Path(FASHN_SUBDIR) / filename

    target, sha256 = install_stream(
        source,
        dest_dir=weights_dir,
        source_label=source_label,
        check=check,
        total_bytes=total_bytes,
        progress=progress,
        expected_sha256=expected_sha256,
    )
    if filename == MODEL_FILENAME:
        stat = target.stat()
        record = {"sha256": sha256, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
        (directory / INSTALL_RECORD_FILENAME).write_text(json.dumps(record) + "\n", encoding="utf-8")
    return target, sha256


def install_fashn_file(
    source: str | os.PathLike[str],
    *,
    weights_dir: str | os.PathLike[str],
    progress: ProgressCallback | None = None,
    expected_sha256: str | None = None,
) -> tuple[Path, str]:
    """Copy one local FASHN file (named as the authors name it) into place (see install_fashn_stream)."""
    source = Path(source)
    with source.open("rb") as stream:
        return install_fashn_stream(
            stream,
            filename=source.name,
            weights_dir=weights_dir,
            source_label=str(source),
            total_bytes=source.stat().st_size,
            progress=progress,
            expected_sha256=expected_sha256,
        )


# ---------------------------------------------------------------------------------------------------------------------
# The manifest entry


MANIFEST_KEY = "fashn"


def _manifest_path() -> Path:
    return Path(__file__).resolve().parents[3] / "weights" / "manifest.json"


def manifest_entry() -> dict[str, Any]:
    """The FASHN section of weights/manifest.json (file, source, licence, SHA-256 when known, keys and shapes)."""
    return json.loads(_manifest_path().read_text(encoding="utf-8"))[MANIFEST_KEY]


def manifest_sha256() -> str | None:
    """The SHA-256 weights/manifest.json records for model.safetensors; None while it records none
    (the operator then passes `--sha256` from the model card's file listing)."""
    value = manifest_entry().get("sha256")
    return normalise_sha256(value, label="weights/manifest.json") if value else None


def build_manifest_entry(reference_manifest: Mapping[str, Any], *, sha256: str | None = None) -> dict[str, Any]:
    """The manifest section from the reference manifest of the full model (keys, shapes and dtypes are facts)."""
    tensors, source = reference_manifest["tensors"], reference_manifest["source"]
    dtypes = sorted({entry["dtype"] for entry in tensors})
    return {
        "file": f"{FASHN_SUBDIR}/{MODEL_FILENAME}",
        "source": f"{MODEL_SOURCE_URL} (code {source['repo']} @ {source['commit']})",
        "licence": LICENCE,
        "sha256": sha256,
        "dtype": dtypes[0] if len(dtypes) == 1 else dtypes,
        "num_tensors": len(tensors),
        "constructor_kwargs": reference_manifest["constructor"]["kwargs"],
        "tensors": {entry["key"]: list(entry["shape"]) for entry in tensors},
    }
