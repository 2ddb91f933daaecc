"""Garment masks from product photos: what PF-AFN's "edge" input is made from."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw
from skimage import data

from tests.tryon.pipeline.product_photos import tshirt_mask, tshirt_photo
from tryon.pipeline.contract import GarmentNotFoundError
from tryon.pipeline.masks import cloth_mask, fill_holes, largest_component, refine_with_saliency


def intersection_over_union(mask: np.ndarray, truth: np.ndarray) -> float:
    found, expected = mask > 0, truth > 0
    return float((found & expected).sum() / (found | expected).sum())


@pytest.mark.parametrize(
    "photo_options",
    [
        pytest.param({"colour": (200, 40, 40)}, id="plain-red"),
        pytest.param({"colour": (20, 20, 20)}, id="black"),
        pytest.param({"colour": (30, 60, 160), "stripe_colour": (250, 250, 250)}, id="striped-blue-and-white"),
        pytest.param({"colour": (246, 246, 244), "outline_colour": (215, 215, 215)}, id="white-with-seams"),
        pytest.param({"colour": (250, 250, 250), "shadow": True}, id="white-with-soft-shadow"),
        pytest.param({"colour": (60, 140, 60), "noise": 4.0}, id="noisy-sensor"),
    ],
)
def test_cloth_mask_matches_the_drawn_garment(photo_options):
    photo = tshirt_photo(**photo_options)

    mask = cloth_mask(photo)

    assert mask.dtype == np.uint8 and mask.shape == photo.shape[:2]
    assert set(np.unique(mask)) == {0, 255}
    assert intersection_over_union(mask, tshirt_mask()) > 0.9


def test_cloth_mask_fills_a_white_print_inside_the_garment():
    photo = Image.fromarray(tshirt_photo(colour=(200, 40, 40)))
    ImageDraw.Draw(photo).rectangle((120, 150, 180, 210), fill=(255, 255, 255))

    mask = cloth_mask(np.asarray(photo))

    assert mask[150:211, 120:181].min() == 255


def test_cloth_mask_keeps_only_the_garment_and_drops_a_separate_speck():
    photo = Image.fromarray(tshirt_photo(colour=(200, 40, 40)))
    ImageDraw.Draw(photo).ellipse((10, 330, 24, 344), fill=(0, 0, 200))

    mask = cloth_mask(np.asarray(photo))

    assert mask[330:345, 10:25].max() == 0
    assert intersection_over_union(mask, tshirt_mask()) > 0.9


def test_cloth_mask_works_on_a_light_grey_background():
    photo = tshirt_photo(colour=(200, 40, 40)).astype(np.int16)
    background = np.all(photo == 255, axis=2)
    photo[background] = (228, 228, 230)

    mask = cloth_mask(photo.astype(np.uint8))

    assert intersection_over_union(mask, tshirt_mask()) > 0.9


def test_cloth_mask_handles_a_tight_crop_where_the_garment_touches_the_edges():
    tight = np.s_[40:300, 15:285]  # hem and both sleeves cut by the frame

    mask = cloth_mask(np.ascontiguousarray(tshirt_photo(colour=(200, 40, 40))[tight]))

    assert intersection_over_union(mask, tshirt_mask()[tight]) > 0.9


def test_cloth_mask_reports_an_empty_product_photo():
    with pytest.raises(GarmentNotFoundError, match="No garment found"):
        cloth_mask(np.full((200, 160, 3), 255, dtype=np.uint8))


@pytest.mark.parametrize("photo", [data.astronaut, data.chelsea], ids=["astronaut", "cat-on-dark-ground"])
def test_cloth_mask_reports_a_photo_without_plain_light_background(photo):
    with pytest.raises(GarmentNotFoundError, match="plain background"):
        cloth_mask(photo())


def test_cloth_mask_rejects_a_greyscale_array_with_a_clear_message():
    with pytest.raises(ValueError, match="H×W×3 uint8"):
        cloth_mask(np.full((200, 160), 255, dtype=np.uint8))


def test_fill_holes_fills_enclosed_background_but_not_open_bays():
    ring = np.zeros((50, 50), dtype=np.uint8)
    ring[10:40, 10:40] = 255
    ring[20:30, 20:30] = 0  # enclosed hole
    ring[20:30, 35:50] = 0  # bay reaching the border

    filled = fill_holes(ring)

    assert filled[20:30, 20:30].min() == 255
    assert filled[25, 45] == 0


def test_largest_component_drops_smaller_pieces():
    mask = np.zeros((40, 40), dtype=np.uint8)
    mask[5:30, 5:30] = 255
    mask[35:38, 35:38] = 255

    kept = largest_component(mask)

    assert kept[10, 10] == 255 and kept[36, 36] == 0


def test_saliency_refinement_removes_what_u2net_is_sure_is_background():
    mask = tshirt_mask()
    saliency = np.where(mask > 0, 230, 10).astype(np.uint8)
    saliency[300:, :] = 10  # U²-Net says the hem area is background

    refined = refine_with_saliency(mask, saliency)

    assert refined[300:].max() == 0
    assert refined[150, 150] == 255


def test_saliency_refinement_keeps_the_classical_mask_when_saliency_sees_nothing():
    mask = tshirt_mask()

    refined = refine_with_saliency(mask, np.zeros_like(mask))

    assert np.array_equal(refined, mask)
