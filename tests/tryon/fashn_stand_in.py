"""FASHN VTON v1.5 installed as an operator would, with the small reference configuration and its
deterministic stand-in weights (../shared/reference/fashn), so the whole engine runs on a CPU in
seconds. The real file needs no `model_config.json`; a test model of another size does."""

from __future__ import annotations

import json
from pathlib import Path

from revetir.testing.fashn_reference import manifest, write_stand_in_file
from tryon.pipeline.fashn.files import CONFIG_FILENAME, FASHN_SUBDIR, MODEL_FILENAME

SMALL_MANIFEST = "fashn_vton_small"
PROJECT_WEIGHTS = Path(__file__).resolve().parents[2] / "weights"


def write_model_config(weights_dir: Path, name: str = SMALL_MANIFEST) -> Path:
    """`<weights_dir>/fashn/model_config.json` naming the configuration of manifest `name`."""
    directory = weights_dir / FASHN_SUBDIR
    directory.mkdir(parents=True, exist_ok=True)
    config = directory / CONFIG_FILENAME
    config.write_text(json.dumps({"constructor_kwargs": manifest(name)["constructor"]["kwargs"]}), encoding="utf-8")
    return config


def install_small_fashn(weights_dir: Path, name: str = SMALL_MANIFEST) -> Path:
    """A weights folder holding the small FASHN model (stand-in weights, float32) and the body model's
    files (linked from the project's weights/); returns the folder."""
    write_model_config(weights_dir, name)
    write_stand_in_file(weights_dir / FASHN_SUBDIR / MODEL_FILENAME, name)
    mediapipe = weights_dir / "mediapipe"
    if not mediapipe.exists():
        mediapipe.symlink_to(PROJECT_WEIGHTS / "mediapipe", target_is_directory=True)
    return weights_dir
