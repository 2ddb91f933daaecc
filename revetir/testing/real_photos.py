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

from revetir.testing.shared_folders import REAL_PHOTOS_DIR
from tryon.pipeline.contract import FULL_BODY, LOWER_BODY, UPPER_BODY
from tryon.pipeline.imageio import load_rgb

GARMENT_TYPE_BY_WORD = {"top": UPPER_BODY, "bottom": LOWER_BODY, "dress": FULL_BODY}


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


# The product pictures by file name, for tests parametrised over them.
REAL_GARMENTS_DIR = REAL_PHOTOS_DIR / "garments"

# File name → garment type, as the shop would list each product.
DEV_GARMENTS = {
    "g01_top_polo_colorblock.jpg": UPPER_BODY,
    "g02_top_tshirt_fila_logo.jpg": UPPER_BODY,
    "g04_top_longsleeve_shirt_pink.jpg": UPPER_BODY,
    "g06_top_polo_red_lowres.jpg": UPPER_BODY,
    "g07_top_cami_crop_yellow.jpg": UPPER_BODY,
    "g09_top_tshirt_black_graphic_hires.jpg": UPPER_BODY,
    "g11_top_sweatshirt_white_print.jpg": UPPER_BODY,
    "g13_top_striped_wrap_bodysuit.jpg": UPPER_BODY,
    "g16_bottom_shorts_denim.jpg": LOWER_BODY,
    "g17_bottom_shorts_printed.jpg": LOWER_BODY,
    "g19_bottom_jeans_straight.jpg": LOWER_BODY,
    "g21_bottom_jeans_pink_skinny.jpg": LOWER_BODY,
    "g24_dress_floral_puffsleeve_midi.jpg": FULL_BODY,
    "g25_dress_sequin_gown_black.jpg": FULL_BODY,
    "g28_dress_knit_shirtdress_cream.jpg": FULL_BODY,
    "g30_dress_tshirt_white_greybg.png": FULL_BODY,
}
STRIPED_WRAP_TOP = "g13_top_striped_wrap_bodysuit.jpg"
WHITE_SWEATSHIRT = "g11_top_sweatshirt_white_print.jpg"
WHITE_DRESS_ON_GREY = "g30_dress_tshirt_white_greybg.png"


def real_garment(name: str) -> np.ndarray:
    """The product picture (by file name) as RGB; skips the test when the photos are not there."""
    require_real_photos()
    return load_rgb(REAL_GARMENTS_DIR / name)


def at(mask: np.ndarray, x: float, y: float) -> bool:
    """Whether the mask holds the point at fractions (x, y) of the picture's width and height."""
    height, width = mask.shape[:2]
    return bool(mask[min(height - 1, round(y * height)), min(width - 1, round(x * width))] > 0)
