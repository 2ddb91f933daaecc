"""Garment points for the weight-free engine: a flat top's, bottom's and dress's outline points."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from revetir.testing.product_photos import tshirt_mask
from shop.product_art import GarmentDesign, GarmentPattern, GarmentStyle, render_garment
from tryon.pipeline.classic.garment_points import bottom_points, dress_points, top_points, without_hood
from tryon.pipeline.contract import GarmentNotFoundError
from tryon.pipeline.masks import cloth_mask


def drawn_mask(style: GarmentStyle) -> np.ndarray:
    design = GarmentDesign(style, GarmentPattern.PLAIN, (31, 58, 110), (31, 58, 110))
    return cloth_mask(np.asarray(render_garment(design)))


def test_top_points_of_a_flat_tshirt_match_its_drawing():
    # The drawing's corners (revetir/testing/product_photos.py) on a 300×360 canvas.
    points = top_points(tshirt_mask(300, 360))

    assert points.collar == pytest.approx((150, 0.16 * 360), abs=3)
    assert points.left_sleeve_end == pytest.approx((0.07 * 300, 0.40 * 360), abs=6)
    assert points.right_sleeve_end == pytest.approx((0.93 * 300, 0.40 * 360), abs=6)
    assert points.left_sleeve_bottom == pytest.approx((0.22 * 300, 0.45 * 360), abs=6)
    assert points.left_armpit == pytest.approx((0.26 * 300, 0.36 * 360), abs=6)
    assert points.right_armpit == pytest.approx((0.74 * 300, 0.36 * 360), abs=6)
    assert points.left_hem == pytest.approx((0.26 * 300, 0.88 * 360), abs=3)
    assert points.right_hem == pytest.approx((0.74 * 300, 0.88 * 360), abs=3)
    assert points.left_shoulder[0] == pytest.approx(300 - points.right_shoulder[0], abs=1)
    assert points.collar[1] - 10 < points.left_shoulder[1] < points.left_armpit[1]


def test_sleeveless_garment_has_no_sleeve_ends():
    canvas = Image.new("L", (200, 300), 0)
    ImageDraw.Draw(canvas).polygon(
        [(50, 20), (80, 20), (100, 50), (120, 20), (150, 20), (160, 280), (40, 280)], fill=255
    )

    points = top_points(np.asarray(canvas))

    assert points.left_sleeve_end is None and points.right_sleeve_end is None
    assert points.collar == pytest.approx((100, 50), abs=3)
    assert points.left_shoulder[1] < points.left_armpit[1] < points.left_hem[1]


def test_top_points_refuse_an_empty_mask():
    with pytest.raises(GarmentNotFoundError):
        top_points(np.zeros((300, 200), np.uint8))


def test_top_points_find_the_necklines_corners():
    points = top_points(tshirt_mask(300, 360))

    assert points.left_neckline == pytest.approx((0.38 * 300, 0.12 * 360), abs=3)
    assert points.right_neckline == pytest.approx((0.62 * 300, 0.12 * 360), abs=3)


HOODIE_COLOUR = (224, 120, 40)


def demo_garment(style: GarmentStyle) -> np.ndarray:
    """The demo catalogue's picture of a garment of this shape (600×800 RGB, drawn by shop.product_art)."""
    return np.asarray(render_garment(GarmentDesign(style, GarmentPattern.PLAIN, HOODIE_COLOUR, HOODIE_COLOUR)))


def test_a_hood_above_the_shoulders_is_cut_off_with_a_neckline_below():
    picture = demo_garment(GarmentStyle.HOODIE)
    mask = cloth_mask(picture)
    lining = np.all(np.abs(picture.astype(int) - [round(channel * 0.6) for channel in HOODIE_COLOUR]) <= 3, axis=2)

    front = without_hood(mask)
    points = top_points(front)

    assert lining.sum() > 1000, "the drawing's hood shows its darker lining"
    assert (front[lining] > 0).mean() < 0.05
    # What is left above the shoulders is the neckline's edge, not a hood: a few rows, narrower than the body.
    shoulder_y = min(points.left_shoulder[1], points.right_shoulder[1])
    kept_above = np.flatnonzero((front > 0).any(axis=1))
    assert shoulder_y - kept_above[0] < 0.1 * points.shoulder_width
    assert points.left_neckline is not None and points.right_neckline is not None
    assert points.collar[1] > points.left_neckline[1] + 0.05 * points.shoulder_width


@pytest.mark.parametrize(
    "style",
    [GarmentStyle.T_SHIRT, GarmentStyle.LONG_SLEEVE, GarmentStyle.TANK, GarmentStyle.SHIRT, GarmentStyle.JUMPER],
)
def test_tops_with_a_neck_opening_are_left_whole(style):
    mask = cloth_mask(demo_garment(style))

    assert np.array_equal(without_hood(mask), mask)


def test_long_sleeves_laid_beside_the_body_are_not_counted_as_body():
    # The drawing's torso spans x = 166..434 (of 600) from the armpits down; its sleeves hang outside it.
    points = top_points(cloth_mask(demo_garment(GarmentStyle.LONG_SLEEVE)))

    assert points.left_armpit[0] == pytest.approx(166, abs=8)
    assert points.right_armpit[0] == pytest.approx(434, abs=8)
    assert points.left_armpit[1] == pytest.approx(350, abs=30)
    assert points.left_sleeve_end is not None and points.left_sleeve_end[0] < 90
    assert points.right_sleeve_end is not None and points.right_sleeve_end[0] > 510


def test_trousers_points_find_the_waistband_the_crotch_and_both_leg_ends():
    # The drawing (shop/product_art.py): waistband 196..404 at y=110, crotch (300, 330), legs end at y=730.
    points = bottom_points(drawn_mask(GarmentStyle.TROUSERS))

    assert points.left_waist[0] == pytest.approx(196, abs=6) and points.right_waist[0] == pytest.approx(404, abs=6)
    assert points.waist_y == pytest.approx(110, abs=30)
    assert points.crotch is not None and points.crotch[0] == pytest.approx(300, abs=3)
    assert 320 <= points.crotch[1] <= 380  # the cloth mask closes the narrowest part of the gap
    assert points.hem_y == pytest.approx(730, abs=30)
    assert points.left_hem[0] < points.left_inner_hem[0] < 300 < points.right_inner_hem[0] < points.right_hem[0]


def test_skirt_points_have_no_crotch_and_a_hem_wider_than_the_waist():
    points = bottom_points(drawn_mask(GarmentStyle.SKIRT))

    assert points.crotch is None
    assert points.right_hem[0] - points.left_hem[0] > 1.5 * points.waist_width
    assert points.hem_y == pytest.approx(620, abs=25)


def test_shorts_end_well_above_where_trousers_end():
    shorts = bottom_points(drawn_mask(GarmentStyle.SHORTS))
    trousers = bottom_points(drawn_mask(GarmentStyle.TROUSERS))

    assert shorts.crotch is not None and trousers.crotch is not None
    assert shorts.hem_y - shorts.crotch[1] < 0.4 * (trousers.hem_y - trousers.crotch[1])


@pytest.mark.parametrize("style", [GarmentStyle.STRAP_DRESS, GarmentStyle.TEE_DRESS])
def test_a_dress_is_read_as_a_top_down_to_its_waist_and_a_skirt_to_its_hem(style):
    # Both drawings have their waist at y=360 and their hem at y=760.
    dress = dress_points(drawn_mask(style))

    waist_y = (dress.top.left_hem[1] + dress.top.right_hem[1]) / 2
    assert waist_y == pytest.approx(360, abs=20)
    assert dress.top.left_shoulder[1] < dress.top.left_armpit[1] < waist_y
    assert dress.top.collar[1] < waist_y
    assert (dress.left_hem[1] + dress.right_hem[1]) / 2 == pytest.approx(760, abs=30)
    assert dress.right_hem[0] - dress.left_hem[0] > dress.top.right_hem[0] - dress.top.left_hem[0]


def test_only_the_tee_dress_has_sleeves():
    assert dress_points(drawn_mask(GarmentStyle.TEE_DRESS)).top.left_sleeve_end is not None
    assert dress_points(drawn_mask(GarmentStyle.STRAP_DRESS)).top.left_sleeve_end is None


def test_puff_sleeves_joined_to_a_short_bodice_are_read_as_sleeves():
    # A floral puff-sleeve midi's flat lay: the puffs touch the bodice down to the waist seam, so no row
    # of the bodice shows a gap; read as body they made the bodice 1.4 times its waist and were drawn
    # over the shoulders with the old garment showing beside them.
    canvas = Image.new("L", (800, 1000), 0)
    draw = ImageDraw.Draw(canvas)
    draw.polygon([(270, 80), (530, 80), (540, 300), (260, 300)], fill=255)  # bodice, waist seam at y=300
    draw.ellipse((150, 70, 330, 300), fill=255)  # left puff sleeve, joined to the bodice
    draw.ellipse((470, 70, 650, 300), fill=255)  # right puff sleeve
    draw.polygon([(260, 300), (540, 300), (640, 920), (160, 920)], fill=255)  # skirt

    top = dress_points(np.asarray(canvas)).top

    assert top.left_sleeve_end is not None and top.right_sleeve_end is not None
    assert top.left_sleeve_end[0] < 200 and top.right_sleeve_end[0] > 600
    assert top.right_armpit[0] - top.left_armpit[0] == pytest.approx(280, rel=0.15)  # the bodice, not the puffs
    assert top.left_shoulder[1] < top.left_armpit[1] < 300


def test_a_puff_sleeve_dress_has_its_shoulders_on_the_sleeve_heads_not_at_its_narrow_waist_seam():
    # An empire-waist dress laid flat: a smocked bodice 200 wide down to its seam at y=300, puff sleeves
    # joined to it whose heads fall from the neckline's peaks (y=70) to the shoulder seams, 20 lower at
    # x≈238 and x≈562. Its shoulders set the garment's scale on the body: read at the waist seam, they
    # made the dress a fifth too long, its hem below the ankles.
    canvas = Image.new("L", (800, 1000), 0)
    draw = ImageDraw.Draw(canvas)
    upper = [(305, 70), (320, 140), (480, 140), (495, 70), (550, 85), (585, 100), (630, 200), (620, 300)]
    draw.polygon(upper + [(800 - x, y) for x, y in reversed(upper)], fill=255)
    draw.rectangle((300, 290, 500, 310), fill=255)
    draw.polygon([(300, 300), (500, 300), (600, 920), (200, 920)], fill=255)  # skirt

    top = dress_points(np.asarray(canvas)).top

    assert top.right_armpit[0] - top.left_armpit[0] == pytest.approx(200, rel=0.1)  # the bodice
    assert top.left_shoulder[0] == pytest.approx(238, abs=10)
    assert top.right_shoulder[0] == pytest.approx(562, abs=10)
    assert top.shoulder_width == pytest.approx(324, rel=0.08)
