"""The three MediaPipe model files of the body model: where they live, their checksums, loading them.

The files come out of the `mediapipe==0.10.21` wheel (Apache-2.0, the MediaPipe authors; see
weights/README.md) and are checked against the SHA-256 sums in `weights/manifest.json` (key
`body_model`). They run with LiteRT (`ai-edge-litert`), not with the mediapipe package, which pins
numpy<2. Each interpreter is created once per process; a LiteRT interpreter is not safe for two
threads at once, so every call holds that model's lock.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

WEIGHTS_DIR_ENV = "REVETIR_WEIGHTS_DIR"
DEFAULT_WEIGHTS_DIR = Path(__file__).resolve().parents[3] / "weights"
MODELS_SUBDIR = "mediapipe"
MANIFEST_PATH = DEFAULT_WEIGHTS_DIR / "manifest.json"
MANIFEST_KEY = "body_model"
INSTALL_COMMAND = "python -m tryon.pipeline.body.install"
INTERPRETER_THREADS = 2

POSE_DETECTOR = "pose_detection"
POSE_LANDMARKS = "pose_landmark_full"
SELFIE_SEGMENTATION = "selfie_segmentation"
MODEL_NAMES = (POSE_DETECTOR, POSE_LANDMARKS, SELFIE_SEGMENTATION)


class BodyModelMissingError(RuntimeError):
    """A body model file is absent or is not the file the manifest names; the message says which and how to fix it."""

    def __init__(self, message: str, *, path: Path) -> None:
        super().__init__(message)
        self.path = path


@dataclass(frozen=True)
class ModelFile:
    """One model file as `weights/manifest.json` records it."""

    name: str
    filename: str
    wheel_path: str  # path inside the mediapipe wheel
    sha256: str
    size: int


def read_manifest(manifest_path: Path = MANIFEST_PATH) -> dict[str, ModelFile]:
    """The body model's entries of `weights/manifest.json`, by model name."""
    section: Mapping[str, Any] = json.loads(manifest_path.read_text(encoding="utf-8"))[MANIFEST_KEY]
    return {
        name: ModelFile(
            name=name,
            filename=entry["file"],
            wheel_path=entry["wheel_path"],
            sha256=entry["sha256"],
            size=entry["size"],
        )
        for name, entry in section["files"].items()
    }


def models_dir_from_env() -> Path:
    """`$REVETIR_WEIGHTS_DIR/mediapipe`, default the project's `weights/mediapipe`."""
    return Path(os.environ.get(WEIGHTS_DIR_ENV) or DEFAULT_WEIGHTS_DIR) / MODELS_SUBDIR


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_model_file(model: ModelFile, models_dir: Path) -> Path:
    """The path of a verified model file; raises BodyModelMissingError naming the file and the fix."""
    path = models_dir / model.filename
    if not path.is_file():
        raise BodyModelMissingError(
            f"Body model file {path} is missing. Install it with `{INSTALL_COMMAND}` (or `make install`).",
            path=path,
        )
    if path.stat().st_size != model.size or file_sha256(path) != model.sha256:
        raise BodyModelMissingError(
            f"Body model file {path} is damaged (its SHA-256 is not the one in weights/manifest.json). "
            f"Reinstall it with `{INSTALL_COMMAND} --force`.",
            path=path,
        )
    return path


@dataclass(frozen=True)
class ModelStatus:
    """What `install_weights` reports for one file: "verified", "missing" or "damaged"."""

    filename: str
    path: Path
    state: str


def model_statuses(models_dir: Path | None = None) -> list[ModelStatus]:
    """The state of each body model file, for operators."""
    models_dir = models_dir or models_dir_from_env()
    statuses = []
    for model in read_manifest().values():
        try:
            path = check_model_file(model, models_dir)
            state = "verified"
        except BodyModelMissingError as exc:
            path = exc.path
            state = "missing" if not path.exists() else "damaged"
        statuses.append(ModelStatus(filename=model.filename, path=path, state=state))
    return statuses


class LoadedModel:
    """A LiteRT interpreter with its tensor indices, callable from any thread."""

    def __init__(self, path: Path) -> None:
        from ai_edge_litert.interpreter import Interpreter

        self.path = path
        self._interpreter = Interpreter(model_path=str(path), num_threads=INTERPRETER_THREADS)
        self._interpreter.allocate_tensors()
        self._input_index = self._interpreter.get_input_details()[0]["index"]
        self._output_indices = [detail["index"] for detail in self._interpreter.get_output_details()]
        self._lock = threading.Lock()

    def run(self, tensor: np.ndarray) -> list[np.ndarray]:
        """Outputs in the model's order, each with its batch dimension removed."""
        batch = np.ascontiguousarray(tensor[None], dtype=np.float32)
        with self._lock:
            self._interpreter.set_tensor(self._input_index, batch)
            self._interpreter.invoke()
            return [self._interpreter.get_tensor(index)[0].copy() for index in self._output_indices]


_loaded: dict[tuple[str, str], LoadedModel] = {}
_loading_lock = threading.Lock()


def load_model(name: str, models_dir: Path | None = None) -> LoadedModel:
    """The interpreter for one model, created (and the file verified) once per process and folder."""
    models_dir = models_dir or models_dir_from_env()
    key = (name, str(models_dir.resolve()))
    model = _loaded.get(key)
    if model is not None:
        return model
    with _loading_lock:
        if key not in _loaded:
            path = check_model_file(read_manifest()[name], models_dir)
            _loaded[key] = LoadedModel(path)
        return _loaded[key]


def load_all_models(models_dir: Path | None = None) -> None:
    """Create every interpreter now (a worker's warm-up), so the first photo check does not pay for it."""
    for name in MODEL_NAMES:
        load_model(name, models_dir)


def forget_loaded_models() -> None:
    """Drop the cached interpreters (after reinstalling files, and in tests)."""
    with _loading_lock:
        _loaded.clear()
