"""The development set of real product pictures in ../shared/realphotos/garments (see its README:
evaluation data only, never copied into the project). Tests that use it skip when it is absent."""

from __future__ import annotations

import numpy as np
import pytest

from tests.tryon.pipeline.real_photos import REAL_PHOTOS_DIR
from tryon.pipeline.contract import FULL_BODY, LOWER_BODY, UPPER_BODY
from tryon.pipeline.imageio import load_rgb

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
    """The product picture as RGB; skips the test when the development set is not there."""
    path = REAL_GARMENTS_DIR / name
    if not path.is_file():
        pytest.skip(f"real product pictures not found at {REAL_GARMENTS_DIR} (expected ../shared/realphotos)")
    return load_rgb(path)


def at(mask: np.ndarray, x: float, y: float) -> bool:
    """Whether the mask holds the point at fractions (x, y) of the picture's width and height."""
    height, width = mask.shape[:2]
    return bool(mask[min(height - 1, round(y * height)), min(width - 1, round(x * width))] > 0)
