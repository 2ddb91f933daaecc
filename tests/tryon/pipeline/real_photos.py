"""Access to ../shared/realphotos: real photos of people and real product pictures, with labels of
what a careful person expects (evaluation data only: read from there, never copied into the project).

Tests that use them skip with the reason when the folder is absent; CI has it.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import PROJECT_ROOT
from tryon.pipeline.imageio import load_rgb

REAL_PHOTOS_DIR = PROJECT_ROOT.parent / "shared" / "realphotos"
GARMENT_TYPE_BY_WORD = {"top": "upper_body", "bottom": "lower_body", "dress": "full_body"}


def _present() -> bool:
    return (REAL_PHOTOS_DIR / "labels.json").is_file()


# For test modules that use nothing else: `pytestmark = real_photos.needed`.
needed = pytest.mark.skipif(not _present(), reason=f"real photos not found at {REAL_PHOTOS_DIR} (../shared/realphotos)")


def require_real_photos() -> Path:
    if not (REAL_PHOTOS_DIR / "labels.json").is_file():
        pytest.skip(f"real photos not found at {REAL_PHOTOS_DIR} (expected ../shared/realphotos)")
    return REAL_PHOTOS_DIR


@cache
def labels() -> dict[str, dict[str, str]]:
    """Per person key ("p05"), per garment type: "accept", "refuse" or "either"."""
    data = json.loads((require_real_photos() / "labels.json").read_text())
    return {key: value for key, value in data.items() if not key.startswith("_")}


def person_path(key: str) -> Path:
    (path,) = (require_real_photos() / "persons").glob(f"{key}_*")
    return path


def garment_path(key: str) -> Path:
    (path,) = (require_real_photos() / "garments").glob(f"{key}_*")
    return path


@cache
def _person_pixels(key: str) -> np.ndarray:
    pixels = load_rgb(person_path(key))
    pixels.setflags(write=False)
    return pixels


def person(key: str) -> np.ndarray:
    """The photo as RGB uint8 (a fresh copy)."""
    return _person_pixels(key).copy()


def garment(key: str) -> np.ndarray:
    """The product picture as RGB uint8 (a cut-out flattened on white: use `garment_path` to keep it)."""
    return load_rgb(garment_path(key))


def garment_type_of(path: Path) -> str:
    """The garment type its file name says (g16_bottom_shorts_denim.jpg → "lower_body")."""
    return GARMENT_TYPE_BY_WORD[path.stem.split("_")[1]]


def label_cases() -> list[tuple[str, str, str]]:
    """(person key, garment type, expected) for every label; empty when the photos are absent (use
    `needed` on the test to say why it is skipped)."""
    if not _present():
        return []
    return [
        (key, garment_type, want)
        for key, row in labels().items()
        for garment_type, want in row.items()
        if garment_type != "why"
    ]
