"""Garment masks from product photos (what PF-AFN's "edge" input and the weight-free engine's outline
are made from): drawn garments, the real product pictures of ../shared/realphotos, and cut-outs."""

from __future__ import annotations

import io
import time

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter
from skimage import data

from revetir.testing.product_photos import tshirt_mask, tshirt_photo
from revetir.testing.real_photos import (
    DEV_GARMENTS,
    STRIPED_WRAP_TOP,
    WHITE_DRESS_ON_GREY,
    WHITE_SWEATSHIRT,
    at,
    real_garment,
)
from tryon.pipeline.classic.garment_mask import prepare_garment
from tryon.pipeline.contract import UPPER_BODY, GarmentNotFoundError
from tryon.pipeline.imageio import load_garment, load_rgb
from tryon.pipeline.imageops import resize_by
from tryon.pipeline.mask_check import mask_problems
from tryon.pipeline.masks import (
    MASK_LONG_SIDE,
    cloth_mask,
    fill_holes,
    garment_mask,
    largest_component,
    refine_with_saliency,
)


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


# --- Real product pictures (../shared/realphotos/garments) ----------------------------------------
# Points are fractions (x, y) of the picture, read off the pictures by eye: where a person sees
# background between a sleeve and the body, and where they see the garment's own (white) fabric.
# (The first two lie where the gap is narrow, just below the blouse's hem: the old mask closed over them.)
STRIPED_TOP_BACKGROUND_BETWEEN_SLEEVES_AND_BODY = [
    (0.232, 0.68),
    (0.735, 0.707),
    (0.27, 0.76),
    (0.30, 0.80),
    (0.25, 0.82),
    (0.70, 0.76),
    (0.65, 0.80),
]
STRIPED_TOP_FABRIC = [(0.215, 0.66), (0.77, 0.62), (0.5, 0.75), (0.17, 0.40), (0.82, 0.40)]
# The torso of the striped top, well inside its outline: its white stripes are the background's colour.
STRIPED_TOP_TORSO = (slice(0.22, 0.55), slice(0.32, 0.68))
SWEATSHIRT_WHITE_FABRIC = [(0.08, 0.5), (0.92, 0.5), (0.45, 0.8), (0.4, 0.6), (0.10, 0.87)]
SWEATSHIRT_BACKGROUND = [(0.5, 0.96), (0.02, 0.05)]
WHITE_DRESS_FABRIC = [(0.36, 0.2), (0.64, 0.2), (0.35, 0.8), (0.65, 0.8), (0.5, 0.88), (0.5, 0.3)]
WHITE_DRESS_BACKGROUND = [(0.25, 0.5), (0.75, 0.5), (0.34, 0.30)]
BETWEEN_THE_LEGS = {"g19_bottom_jeans_straight.jpg": (0.5, 0.85), "g21_bottom_jeans_pink_skinny.jpg": (0.5, 0.8)}
# A background-coloured pixel: within this RGB distance of the picture's corner.
BACKGROUND_COLOUR_TOLERANCE = 12


def background_coloured(picture: np.ndarray) -> np.ndarray:
    corner = picture[:4, :4].reshape(-1, 3).astype(np.int16).mean(axis=0)
    return np.abs(picture.astype(np.int16) - corner).max(axis=2) <= BACKGROUND_COLOUR_TOLERANCE


def fraction_box(picture: np.ndarray, rows: slice, columns: slice) -> tuple[slice, slice]:
    height, width = picture.shape[:2]
    return slice(round(rows.start * height), round(rows.stop * height)), slice(
        round(columns.start * width), round(columns.stop * width)
    )


@pytest.mark.parametrize("name", list(DEV_GARMENTS))
def test_every_dev_garment_gets_a_mask_that_passes_the_staff_check(name):
    picture = real_garment(name)

    mask = cloth_mask(picture)

    assert mask_problems(picture, mask, DEV_GARMENTS[name]) == []


def test_the_background_between_the_striped_tops_sleeves_and_body_is_not_in_its_mask():
    picture = real_garment(STRIPED_WRAP_TOP)
    mask = cloth_mask(picture)
    gap = [point for point in STRIPED_TOP_BACKGROUND_BETWEEN_SLEEVES_AND_BODY]
    assert all(background_coloured(picture)[round(y * mask.shape[0]), round(x * mask.shape[1])] for x, y in gap)

    assert [point for point in gap if at(mask, *point)] == []
    assert [point for point in STRIPED_TOP_FABRIC if not at(mask, *point)] == []


def test_the_striped_tops_white_stripes_stay_in_its_mask():
    picture = real_garment(STRIPED_WRAP_TOP)
    mask = cloth_mask(picture)
    torso = fraction_box(picture, *STRIPED_TOP_TORSO)
    white_stripes = background_coloured(picture)[torso]
    assert white_stripes.mean() > 0.2, "the torso's white stripes are the background's colour"

    assert (mask[torso][white_stripes] > 0).mean() > 0.99


def test_a_white_sweatshirt_on_light_grey_is_masked_whole_not_only_its_print():
    picture = real_garment(WHITE_SWEATSHIRT)

    mask = cloth_mask(picture)

    assert [point for point in SWEATSHIRT_WHITE_FABRIC if not at(mask, *point)] == []
    assert [point for point in SWEATSHIRT_BACKGROUND if at(mask, *point)] == []
    columns = np.flatnonzero(mask.any(axis=0))
    assert (columns[-1] - columns[0]) / mask.shape[1] > 0.9  # sleeve to sleeve
    assert (mask > 0).mean() > 0.55  # the sweatshirt fills most of its picture


def test_the_weight_free_engine_keeps_the_white_sweatshirt_whole():
    picture = real_garment(WHITE_SWEATSHIRT)

    _, alpha, _ = prepare_garment(picture, UPPER_BODY)

    assert [point for point in SWEATSHIRT_WHITE_FABRIC if not at(alpha >= 0.5, *point)] == []


def test_a_white_dress_on_grey_is_masked_whole():
    picture = real_garment(WHITE_DRESS_ON_GREY)

    mask = cloth_mask(picture)

    assert [point for point in WHITE_DRESS_FABRIC if not at(mask, *point)] == []
    assert [point for point in WHITE_DRESS_BACKGROUND if at(mask, *point)] == []


@pytest.mark.parametrize("name", list(BETWEEN_THE_LEGS))
def test_the_background_between_trouser_legs_is_not_in_the_mask(name):
    mask = cloth_mask(real_garment(name))

    assert not at(mask, *BETWEEN_THE_LEGS[name])


def test_a_product_picture_at_the_engines_mask_size_is_masked_well_under_a_second():
    picture = resize_by(real_garment(STRIPED_WRAP_TOP), MASK_LONG_SIDE / 1024)
    cloth_mask(picture)  # warm-up

    started = time.perf_counter()
    cloth_mask(picture)

    assert time.perf_counter() - started < 0.5


# --- Cut-outs: the picture's alpha is the mask -----------------------------------------------------


def encode(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def white_cut_out(size: tuple[int, int] = (300, 360)) -> Image.Image:
    """A white t-shirt cut out on a transparent background whose hidden pixels are black, with a soft
    (half-transparent) rim: what a shop exports from its photo editor."""
    alpha = Image.fromarray(tshirt_mask(*size))
    rim = np.asarray(alpha.filter(ImageFilter.GaussianBlur(1.5)))
    colours = np.zeros((size[1], size[0], 3), dtype=np.uint8)
    colours[rim > 0] = (250, 250, 250)
    return Image.fromarray(np.dstack([colours, rim]), "RGBA")


def test_a_png_cut_out_keeps_its_alpha_and_its_own_colours():
    cut_out = white_cut_out()

    picture = load_garment(encode(cut_out))

    expected = np.asarray(cut_out)
    assert picture.is_cut_out
    assert np.array_equal(picture.alpha, expected[:, :, 3])
    rim = (expected[:, :, 3] > 0) & (expected[:, :, 3] < 255)
    assert rim.any()
    # Not blended with white (nor with the black hidden under the transparency): the garment's white.
    assert np.all(picture.colours[rim] == 250)


def test_a_cut_outs_mask_is_its_alpha_even_for_white_on_white():
    cut_out = white_cut_out()

    mask = garment_mask(load_garment(encode(cut_out)))

    assert np.array_equal(mask > 0, np.asarray(cut_out)[:, :, 3] >= 128)


def test_load_rgb_still_shows_a_cut_out_on_white():
    rgb = load_rgb(encode(white_cut_out()))

    assert rgb.shape[2] == 3 and np.all(rgb[0, 0] == 255)


def test_an_opaque_rgba_picture_is_a_photo_not_a_cut_out():
    opaque = Image.fromarray(tshirt_photo()).convert("RGBA")

    picture = load_garment(encode(opaque))

    assert not picture.is_cut_out and np.array_equal(picture.colours, tshirt_photo())


def test_the_weight_free_engine_fits_a_white_cut_out_by_its_alpha():
    cut_out = white_cut_out()

    colours, alpha, _ = prepare_garment(load_garment(encode(cut_out)), UPPER_BODY)

    inside = tshirt_mask() > 0
    assert intersection_over_union((alpha >= 0.5).astype(np.uint8), tshirt_mask()) > 0.97
    assert np.abs(colours[inside].astype(int) - 250).max() <= 2  # white, not black, inside the outline
