"""Landmarks for the weight-free engine: the face, the upper body from a mask, a flat garment's outline."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw
from skimage import data

from shop.product_art import GarmentDesign, GarmentPattern, GarmentStyle, render_garment
from tests.tryon.pipeline.person_photos import astronaut
from tests.tryon.pipeline.product_photos import tshirt_mask
from tryon.pipeline.classic.body_points import (
    SHOULDER_HALF_WIDTH_RANGE,
    TYPICAL_SHOULDER_HALF_WIDTH,
    FaceBox,
    FaceDetector,
    body_landmarks,
)
from tryon.pipeline.classic.garment_points import garment_landmarks, without_hood
from tryon.pipeline.contract import GarmentNotFoundError, NoPersonFoundError
from tryon.pipeline.masks import cloth_mask

# Where the astronaut's face is (x, y, width, height), read off the 512×512 photo.
ASTRONAUT_FACE = (177, 66, 95, 95)


def overlap(box: FaceBox, expected: tuple[int, int, int, int]) -> float:
    left, top, width, height = expected
    inter_width = min(box.left + box.width, left + width) - max(box.left, left)
    inter_height = min(box.bottom, top + height) - max(box.top, top)
    intersection = max(0.0, inter_width) * max(0.0, inter_height)
    return intersection / (box.width * box.height + width * height - intersection)


FACE = FaceBox(160, 60, 80, 80)


def drawn_person(*, face: FaceBox = FACE, size=(400, 500), shoulder_half_width=100) -> np.ndarray:
    """A person mask: head ellipse, neck, shoulders at y=185 sloping into a torso down to the bottom."""
    canvas = Image.new("L", size, 0)
    draw = ImageDraw.Draw(canvas)
    centre = face.centre_x
    draw.ellipse((face.left - 5, face.top - 25, face.left + face.width + 5, face.bottom + 10), fill=255)
    draw.rectangle((centre - 22, face.bottom, centre + 22, 190), fill=255)
    draw.polygon(
        [
            (centre - 40, 175),
            (centre + 40, 175),
            (centre + shoulder_half_width, 195),
            (centre + 0.85 * shoulder_half_width, size[1]),
            (centre - 0.85 * shoulder_half_width, size[1]),
            (centre - shoulder_half_width, 195),
        ],
        fill=255,
    )
    return np.array(canvas)


def test_face_detector_finds_the_astronauts_face():
    face = FaceDetector().detect(astronaut())

    assert overlap(face, ASTRONAUT_FACE) > 0.6


def test_face_detector_finds_the_face_in_a_mirrored_photo():
    photo = astronaut()[:, ::-1]
    left, top, width, height = ASTRONAUT_FACE

    face = FaceDetector().detect(np.ascontiguousarray(photo))

    assert overlap(face, (512 - left - width, top, width, height)) > 0.6


def test_face_detector_finds_a_small_face_in_a_full_length_photo():
    photo = np.full((1600, 1200, 3), 128, np.uint8)  # the face is 6% of the long side, as in a full-length shot
    photo[300:812, 400:912] = astronaut()
    left, top, width, height = ASTRONAUT_FACE

    face = FaceDetector().detect(photo)

    assert overlap(face, (left + 400, top + 300, width, height)) > 0.6


def test_face_detector_refuses_a_photo_without_a_face():
    with pytest.raises(NoPersonFoundError, match="No person found"):
        FaceDetector().detect(data.coffee())


def test_body_landmarks_follow_the_mask_shoulders_and_stay_symmetric():
    face = FACE

    body = body_landmarks(face, drawn_person(face=face))

    assert body.neck[0] == pytest.approx(face.centre_x)
    assert body.chin_y > face.bottom
    assert body.chin_y < body.neck[1] <= body.left_shoulder[1] + 0.1 * face.width
    assert body.left_shoulder[1] == pytest.approx(body.right_shoulder[1])
    assert 180 <= body.left_shoulder[1] <= 200  # the drawn shoulder line, near y=185..195
    # Shoulders just inside the mask's edge (half-width 100 at the shoulder line).
    assert 85 <= face.centre_x - body.left_shoulder[0] <= 100
    assert body.right_shoulder[0] - face.centre_x == pytest.approx(face.centre_x - body.left_shoulder[0])
    assert body.left_chest[1] < body.left_waist[1] < body.left_hip[1]
    for left, right in (body.left_chest, body.right_chest), (body.left_waist, body.right_waist):
        assert left[0] < face.centre_x < right[0]
        assert right[0] - left[0] < body.shoulder_width


def test_body_landmarks_use_typical_shoulders_where_the_body_runs_off_the_photo():
    face = FACE
    wider_than_the_photo = drawn_person(face=face, shoulder_half_width=400)

    body = body_landmarks(face, wider_than_the_photo)

    assert body.shoulder_width == pytest.approx(2 * TYPICAL_SHOULDER_HALF_WIDTH * face.width)


def test_body_landmarks_clamp_a_mask_that_holds_more_than_a_body():
    face = FACE
    mask = drawn_person(face=face)
    mask[170:, 10:390] = 255  # a sofa behind the shoulders, inside the photo

    body = body_landmarks(face, mask)

    assert body.shoulder_width <= 2 * SHOULDER_HALF_WIDTH_RANGE[1] * face.width


def test_garment_landmarks_of_a_flat_tshirt_match_its_drawing():
    # The drawing's corners (tests/tryon/pipeline/product_photos.py) on a 300×360 canvas.
    points = garment_landmarks(tshirt_mask(300, 360))

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

    points = garment_landmarks(np.asarray(canvas))

    assert points.left_sleeve_end is None and points.right_sleeve_end is None
    assert points.collar == pytest.approx((100, 50), abs=3)
    assert points.left_shoulder[1] < points.left_armpit[1] < points.left_hem[1]


def test_garment_landmarks_refuse_an_empty_mask():
    with pytest.raises(GarmentNotFoundError):
        garment_landmarks(np.zeros((300, 200), np.uint8))


def test_body_landmarks_measure_how_far_the_arms_hang_out():
    relaxed = body_landmarks(FACE, drawn_person())
    arms_out = drawn_person()
    centre = FACE.centre_x
    # The right arm held out: the outline widens steeply below the shoulder on that side only.
    arms_out_image = Image.fromarray(arms_out)
    ImageDraw.Draw(arms_out_image).polygon(
        [(centre + 80, 195), (centre + 105, 195), (centre + 195, 380), (centre + 90, 420)], fill=255
    )

    raised = body_landmarks(FACE, np.array(arms_out_image))

    assert relaxed.left_arm_angle < 15 and relaxed.right_arm_angle < 15
    assert raised.right_arm_angle > relaxed.right_arm_angle + 10
    assert raised.left_arm_angle == pytest.approx(relaxed.left_arm_angle, abs=1)


def test_garment_landmarks_find_the_necklines_corners():
    points = garment_landmarks(tshirt_mask(300, 360))

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
    points = garment_landmarks(front)

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
    points = garment_landmarks(cloth_mask(demo_garment(GarmentStyle.LONG_SLEEVE)))

    assert points.left_armpit[0] == pytest.approx(166, abs=8)
    assert points.right_armpit[0] == pytest.approx(434, abs=8)
    assert points.left_armpit[1] == pytest.approx(350, abs=30)
    assert points.left_sleeve_end is not None and points.left_sleeve_end[0] < 90
    assert points.right_sleeve_end is not None and points.right_sleeve_end[0] > 510
