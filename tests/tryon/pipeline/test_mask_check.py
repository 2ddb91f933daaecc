"""The staff check of a garment mask (`tryon.pipeline.mask_check`): it names what is wrong with masks
like the ones that drew broken try-ons, and passes the good ones."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw

from revetir.testing.product_photos import tshirt_mask, tshirt_photo
from revetir.testing.real_photos import STRIPED_WRAP_TOP, WHITE_SWEATSHIRT, real_garment
from tryon.pipeline.classic.engine import ClassicTryOnEngine
from tryon.pipeline.contract import FULL_BODY, LOWER_BODY, UPPER_BODY, GarmentNotFoundError
from tryon.pipeline.mask_check import mask_problems
from tryon.pipeline.masks import cloth_mask, fill_holes

WHITE_ON_GREY = {"colour": (246, 246, 246), "outline_colour": (222, 222, 222)}
GREY_STUDIO = (226, 226, 229)
# The print on the drawn sweatshirt: a dark block in the middle of its chest.
PRINT_BOX = (115, 130, 185, 200)


def on_grey(photo: np.ndarray) -> np.ndarray:
    """The drawn product photo with its white studio replaced by light grey."""
    photo = photo.copy()
    photo[tshirt_mask() == 0] = GREY_STUDIO
    return photo


def white_sweatshirt_with_print() -> np.ndarray:
    image = Image.fromarray(on_grey(tshirt_photo(**WHITE_ON_GREY)))
    ImageDraw.Draw(image).rectangle(PRINT_BOX, fill=(30, 40, 70))
    return np.asarray(image)


def print_only_mask(shape: tuple[int, int]) -> np.ndarray:
    mask = np.zeros(shape, dtype=np.uint8)
    left, top, right, bottom = PRINT_BOX
    mask[top - 10 : bottom + 10, left - 10 : right + 10] = 255
    return mask


def closed_over(mask: np.ndarray, size: int) -> np.ndarray:
    """The mask closed with a disc of `size` and its holes filled: how the old cloth mask swallowed the
    background between a sleeve and the body."""
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    return fill_holes(cv2.morphologyEx(mask, cv2.MORPH_CLOSE, kernel))


def long_sleeved_photo() -> tuple[np.ndarray, np.ndarray]:
    """A long-sleeved top on white whose sleeves hang beside the body with a gap, and its true mask."""
    canvas = Image.new("L", (300, 360), 0)
    draw = ImageDraw.Draw(canvas)
    draw.polygon([(105, 40), (195, 40), (215, 70), (215, 320), (85, 320), (85, 70)], fill=255)  # body
    draw.polygon([(85, 60), (70, 62), (40, 310), (68, 314), (84, 110)], fill=255)  # left sleeve
    draw.polygon([(215, 60), (230, 62), (260, 310), (232, 314), (216, 110)], fill=255)  # right sleeve
    mask = np.asarray(canvas)
    photo = np.full((360, 300, 3), 255, dtype=np.uint8)
    photo[mask > 0] = (40, 70, 150)
    return photo, mask


def test_a_good_mask_of_a_drawn_top_passes():
    photo = tshirt_photo()

    assert mask_problems(photo, tshirt_mask(), UPPER_BODY) == []


def test_a_print_only_mask_of_a_white_sweatshirt_on_grey_is_flagged_as_leaving_the_garment_out():
    photo = white_sweatshirt_with_print()

    problems = mask_problems(photo, print_only_mask(photo.shape[:2]), UPPER_BODY)

    assert any("what stands out from the background" in problem for problem in problems), problems
    assert mask_problems(photo, cloth_mask(photo), UPPER_BODY) == []


def test_a_mask_closed_over_the_gap_between_sleeves_and_body_is_flagged_as_taking_in_background():
    photo, truth = long_sleeved_photo()

    problems = mask_problems(photo, closed_over(truth, 41), UPPER_BODY)

    assert any("takes in background" in problem for problem in problems), problems
    assert mask_problems(photo, truth, UPPER_BODY) == []
    assert mask_problems(photo, cloth_mask(photo), UPPER_BODY) == []


def test_the_old_kind_of_sweatshirt_mask_on_the_real_picture_is_flagged():
    picture = real_garment(WHITE_SWEATSHIRT)
    good = cloth_mask(picture)
    height, width = good.shape
    print_area = np.zeros_like(good)
    print_area[round(0.12 * height) : round(0.52 * height), round(0.15 * width) : round(0.75 * width)] = 255

    problems = mask_problems(picture, good & print_area, UPPER_BODY)

    assert any("what stands out from the background" in problem for problem in problems), problems


def test_a_blob_mask_of_the_real_striped_top_is_flagged():
    picture = real_garment(STRIPED_WRAP_TOP)

    problems = mask_problems(picture, closed_over(cloth_mask(picture), 61), UPPER_BODY)

    assert any("takes in background" in problem for problem in problems), problems


def test_a_mask_in_several_pieces_is_flagged():
    photo, truth = long_sleeved_photo()
    pieces = truth.copy()
    pieces[:, 140:160] = 0  # cut down the middle
    photo[pieces == 0] = 255

    problems = mask_problems(photo, pieces, UPPER_BODY)

    assert any("2 pieces" in problem for problem in problems), problems


def test_a_garment_cut_by_the_pictures_edge_is_flagged():
    tight = np.s_[40:300, 15:285]  # hem and both sleeves cut by the frame
    photo = np.ascontiguousarray(tshirt_photo()[tight])

    problems = mask_problems(photo, cloth_mask(photo), UPPER_BODY)

    assert any("runs off the picture's bottom" in problem for problem in problems), problems


def test_a_top_cut_in_half_by_the_frame_is_refused_for_that_reason_not_a_misleading_one():
    """Its garment points cannot be found either; staff read what the mask check saw, the cut edge."""
    tee = real_garment("g02_top_tshirt_fila_logo.jpg")
    half = np.ascontiguousarray(tee[: tee.shape[0] // 2])

    with pytest.raises(GarmentNotFoundError, match="runs off the picture's bottom edge"):
        ClassicTryOnEngine().prepare_garment(half)


@pytest.mark.parametrize(("garment_type", "flagged"), [(UPPER_BODY, True), (LOWER_BODY, False), (FULL_BODY, False)])
def test_a_long_narrow_outline_is_flagged_for_a_top_but_not_for_trousers_or_a_dress(garment_type, flagged):
    photo = np.full((400, 300, 3), 255, dtype=np.uint8)
    mask = np.zeros((400, 300), dtype=np.uint8)
    mask[40:360, 97:203] = 255  # 3 times as tall as wide: jeans or a long dress, not a top
    photo[mask > 0] = (60, 60, 120)

    problems = mask_problems(photo, mask, garment_type)

    assert any("times as tall as it is wide" in problem for problem in problems) == flagged, problems


def test_a_cut_out_is_judged_by_its_shape_only():
    photo = np.zeros((360, 300, 3), dtype=np.uint8)  # what hides under a cut-out's transparency
    photo[tshirt_mask() > 0] = (250, 250, 250)

    assert mask_problems(photo, tshirt_mask(), UPPER_BODY, cut_out=True) == []


def test_the_problems_say_what_picture_to_upload_instead():
    photo, truth = long_sleeved_photo()

    problems = mask_problems(photo, closed_over(truth, 41), UPPER_BODY)

    assert problems and all("Upload" in problem for problem in problems)
