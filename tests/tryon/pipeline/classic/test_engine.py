"""The weight-free try-on engine on real photos: where the garment lands, what stays untouched, errors."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw
from skimage import data

from revetir.testing.drawn_people import full_length_person
from revetir.testing.person_photos import astronaut, grace_hopper, resized, widened
from revetir.testing.product_photos import tshirt_photo
from shop.product_art import GarmentDesign, GarmentPattern, GarmentStyle, render_garment
from tryon.pipeline import person
from tryon.pipeline.body import analyse_body
from tryon.pipeline.classic.body_points import body_points, hand_discs
from tryon.pipeline.classic.engine import ClassicTryOnEngine
from tryon.pipeline.classic.fit import place_sleeves
from tryon.pipeline.classic.garment_mask import prepare_garment
from tryon.pipeline.contract import (
    ENGINE_CLASSIC,
    STAGES,
    GarmentNotFoundError,
    NoPersonFoundError,
    UnusablePhotoError,
)

PLAIN_TSHIRT = {"colour": (40, 90, 190)}
STRIPED_TSHIRT = {"colour": (235, 235, 235), "stripe_colour": (30, 120, 60)}
CASES = {
    "astronaut-plain": (astronaut, PLAIN_TSHIRT),
    "grace-hopper-striped": (grace_hopper, STRIPED_TSHIRT),
}


@pytest.fixture(scope="module")
def engine() -> ClassicTryOnEngine:
    return ClassicTryOnEngine()


@pytest.fixture(scope="module")
def fitted(engine, request):
    """(photo, result) for one case, computed once per module."""
    photo_of, garment_options = CASES[request.param]
    photo = photo_of()
    return photo, engine.run(photo, tshirt_photo(**garment_options))


def opencv_face_box(photo: np.ndarray) -> tuple[int, int, int, int]:
    """The face as OpenCV's stock frontal cascade sees it on the original photo (x, y, w, h)."""
    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
    grey = cv2.cvtColor(photo, cv2.COLOR_RGB2GRAY)
    faces = cascade.detectMultiScale(grey, scaleFactor=1.1, minNeighbors=8, minSize=(40, 40))
    assert len(faces) >= 1, "the sample photo's face should be found by the stock cascade"
    return tuple(int(value) for value in max(faces, key=lambda box: box[2]))


def changed_pixels(photo: np.ndarray, result) -> np.ndarray:
    return np.any(np.asarray(result.image) != photo, axis=2)


@pytest.mark.parametrize("fitted", list(CASES), indirect=True)
def test_garment_pixels_land_inside_the_person_mask(fitted):
    photo, result = fitted
    changed = changed_pixels(photo, result)

    assert changed.sum() > 0.05 * changed.size
    assert not np.any(changed & (result.person_mask == 0))


@pytest.mark.parametrize("fitted", list(CASES), indirect=True)
def test_garment_is_centred_on_the_torso_below_the_face(fitted):
    photo, result = fitted
    face_x, face_y, face_width, face_height = opencv_face_box(photo)
    rows, columns = np.nonzero(changed_pixels(photo, result))

    assert rows.min() > face_y + face_height
    face_centre = face_x + face_width / 2
    # Half a face width of slack: the astronaut leans, her torso is a third of a face left of her face.
    assert abs(np.median(columns) - face_centre) < 0.5 * face_width


@pytest.mark.parametrize("fitted", list(CASES), indirect=True)
def test_garment_covers_a_sensible_share_of_the_torso(fitted):
    photo, result = fitted
    face_x, face_y, face_width, face_height = opencv_face_box(photo)
    centre = face_x + face_width // 2
    torso = (
        slice(face_y + face_height, min(photo.shape[0], face_y + 4 * face_height)),
        slice(max(0, centre - int(1.5 * face_width)), centre + int(1.5 * face_width)),
    )

    coverage = (result.garment_mask[torso] > 0).mean()

    assert 0.3 <= coverage <= 0.95


@pytest.mark.parametrize("fitted", list(CASES), indirect=True)
def test_face_pixels_are_unchanged(fitted):
    photo, result = fitted
    face_x, face_y, face_width, face_height = opencv_face_box(photo)
    face = (slice(face_y, face_y + face_height), slice(face_x, face_x + face_width))

    assert np.array_equal(np.asarray(result.image)[face], photo[face])


@pytest.mark.parametrize("fitted", ["astronaut-plain"], indirect=True)
def test_result_keeps_the_engine_contract(fitted):
    photo, result = fitted
    height, width = photo.shape[:2]

    assert result.engine == ENGINE_CLASSIC
    assert result.image.size == (width, height) and result.image.mode == "RGB"
    assert result.image_small.size == (192, 256) and result.image_small.mode == "RGB"
    for mask in (result.person_mask, result.garment_mask):
        assert mask.dtype == np.uint8 and mask.shape == (height, width)
        assert set(np.unique(mask)) == {0, 255}
    assert not np.any((result.garment_mask > 0) & (result.person_mask == 0))
    assert list(result.timings) == list(STAGES)
    assert all(seconds >= 0 for seconds in result.timings.values())


@pytest.mark.parametrize("fitted", ["astronaut-plain"], indirect=True)
def test_small_picture_shows_the_person_with_the_garment_in_the_middle(fitted):
    _, result = fitted
    small = np.asarray(result.image_small).astype(int)
    garment_blue = (small[:, :, 2] > small[:, :, 0] + 60) & (small[:, :, 2] > 120)
    rows, columns = np.nonzero(garment_blue)

    assert garment_blue.mean() > 0.15
    assert 64 < np.median(columns) < 128
    assert np.median(rows) > 128  # the garment is on the body, below the face


def test_sleeveless_top_is_fitted_to_the_torso(engine):
    canvas = Image.new("RGB", (300, 360), (255, 255, 255))
    outline = [(90, 30), (125, 30), (150, 70), (175, 30), (210, 30), (225, 330), (75, 330)]
    ImageDraw.Draw(canvas).polygon(outline, fill=(150, 30, 90))
    photo = grace_hopper()
    face_x, face_y, face_width, face_height = opencv_face_box(photo)

    result = engine.run(photo, np.asarray(canvas))

    changed = changed_pixels(photo, result)
    rows, columns = np.nonzero(changed)
    assert changed.mean() > 0.1
    assert not np.any(changed & (result.person_mask == 0))
    assert rows.min() > face_y + face_height
    assert abs(np.median(columns) - (face_x + face_width / 2)) < 0.5 * face_width


def test_stages_are_reported_in_order_with_increasing_fractions(engine):
    reports: list[tuple[str, float]] = []

    engine.run(astronaut(), tshirt_photo(**PLAIN_TSHIRT), on_stage=lambda stage, done: reports.append((stage, done)))

    stages = [stage for stage, _ in reports]
    assert [stage for index, stage in enumerate(stages) if stage not in stages[:index]] == list(STAGES)
    fractions = [done for _, done in reports]
    assert fractions == sorted(fractions) and len(set(fractions)) == len(fractions)
    assert fractions[0] == 0.0 and fractions[-1] == 1.0


def test_black_and_white_photo_gets_the_whole_garment(engine):
    photo = np.repeat(cv2.cvtColor(astronaut(), cv2.COLOR_RGB2GRAY)[:, :, None], 3, axis=2)
    face_x, face_y, face_width, face_height = opencv_face_box(photo)
    centre = face_x + face_width // 2

    result = engine.run(photo, tshirt_photo(**PLAIN_TSHIRT))

    # Grey clothes are not mistaken for skin: the torso's sides are covered too.
    chest = result.garment_mask[face_y + 3 * face_height, centre - face_width : centre + face_width]
    assert (chest > 0).mean() > 0.9


def test_photo_that_ends_at_the_chin_is_refused_with_a_message_for_the_shopper(engine):
    _, face_y, _, face_height = opencv_face_box(astronaut())
    head_only = astronaut()[: face_y + face_height + 5]

    with pytest.raises(UnusablePhotoError, match="shoulders are not both in the photo"):
        engine.run(head_only, tshirt_photo(**PLAIN_TSHIRT))


def test_photo_without_a_person_is_refused_with_a_message_for_the_shopper(engine):
    with pytest.raises(NoPersonFoundError, match="could not find a person"):
        engine.run(data.coffee(), tshirt_photo(**PLAIN_TSHIRT))


@pytest.mark.parametrize(
    "garment",
    [
        pytest.param(np.full((360, 300, 3), 255, np.uint8), id="blank-white"),
        pytest.param(data.coffee(), id="a-photo-that-is-not-a-product-shot"),
    ],
)
def test_garment_image_without_a_garment_is_refused(engine, garment):
    with pytest.raises(GarmentNotFoundError) as raised:
        engine.run(astronaut(), garment)

    assert "garment" in str(raised.value).lower()


@pytest.mark.parametrize(
    ("shaped", "width", "height"),
    [
        pytest.param(resized, 120, 90, id="tiny-landscape"),
        pytest.param(resized, 4000, 3000, id="huge-landscape"),
        pytest.param(resized, 1080, 1440, id="phone-portrait-3-4"),
        pytest.param(widened, 1280, 720, id="wide-16-9"),
    ],
)
def test_photos_of_any_size_and_shape_are_fitted(engine, shaped, width, height):
    photo = shaped(astronaut(), width, height)

    result = engine.run(photo, tshirt_photo(**PLAIN_TSHIRT))

    assert result.image.size == (width, height)
    assert result.image_small.size == (192, 256)
    changed = changed_pixels(photo, result)
    assert changed.mean() > 0.03
    assert not np.any(changed & (result.person_mask == 0))


def test_encoded_photo_bytes_are_accepted(engine):
    encoded = io.BytesIO()
    Image.fromarray(grace_hopper()).save(encoded, format="JPEG", quality=90)

    result = engine.run(encoded.getvalue(), tshirt_photo(**PLAIN_TSHIRT))

    assert result.image.size == (512, 600)
    assert result.garment_mask.any()


def test_a_bare_hand_in_front_of_the_torso_stays_in_front_of_the_garment(engine):
    photo = astronaut().copy()
    face_x, face_y, face_width, face_height = opencv_face_box(photo)
    cheeks = photo[
        face_y + face_height // 2 : face_y + 3 * face_height // 4,
        face_x + face_width // 3 : face_x + 2 * face_width // 3,
    ]
    skin = tuple(int(value) for value in cheeks.reshape(-1, 3).mean(axis=0))
    # Over the torso's side, where no keypoint marks it: the skin colour keeps it in front.
    hand_centre = (face_x + face_width // 2 - int(1.2 * face_width), face_y + face_height + int(2.2 * face_width))
    cv2.ellipse(photo, hand_centre, (16, 22), 0, 0, 360, skin, thickness=-1)

    result = engine.run(photo, tshirt_photo(**PLAIN_TSHIRT))

    x, y = hand_centre
    palm = (slice(y - 8, y + 8), slice(x - 6, x + 6))
    assert result.person_mask[palm].all(), "the hand is part of the person"
    assert np.array_equal(np.asarray(result.image)[palm], photo[palm])
    # ...while the garment does cover the torso beside it.
    assert result.garment_mask[y - 8 : y + 8, x + 40 : x + 80].all()


@pytest.mark.parametrize("fitted", ["astronaut-plain"], indirect=True)
def test_garment_stays_on_the_body_not_on_the_background_or_the_helmet_beside_it(fitted):
    photo, result = fitted
    face_x, _, face_width, _ = opencv_face_box(photo)
    face_centre = face_x + face_width / 2
    _, columns = np.nonzero(changed_pixels(photo, result))

    # Shoulders span about three face widths; the flag and the helmet beside her lie further out.
    assert columns.min() > 0 and columns.max() < photo.shape[1] - 1
    assert face_centre - columns.min() < 2.2 * face_width
    assert columns.max() - face_centre < 2.2 * face_width
    helmet = (slice(400, 512), slice(400, 512))
    assert not changed_pixels(photo, result)[helmet].any()


@pytest.mark.parametrize("photo_of", [astronaut, grace_hopper], ids=["astronaut", "grace-hopper"])
def test_no_specks_of_the_photo_show_through_the_garment(engine, photo_of):
    photo = photo_of()  # the astronaut's badges and Grace Hopper's white collar once showed through as dots
    analysis = analyse_body(photo)

    result = engine.run(photo, tshirt_photo(**PLAIN_TSHIRT))

    filled = np.zeros((photo.shape[0] + 2, photo.shape[1] + 2), np.uint8)
    outside = result.garment_mask.copy()
    cv2.floodFill(outside, filled, (0, 0), 255)
    garment_region = (result.garment_mask > 0) | (outside == 0)  # the garment with its holes filled
    # Hands in front of the garment stay uncovered on purpose; nothing else inside it may.
    hands = np.zeros(photo.shape[:2], np.uint8)
    for x, y, radius in hand_discs(analysis, body_points(analysis).unit):
        cv2.circle(hands, (round(x), round(y)), round(radius) + 2, 1, -1)
    unchanged_inside = (garment_region & ~changed_pixels(photo, result) & (hands == 0)).astype(np.uint8)
    count, _ = cv2.connectedComponents(unchanged_inside, connectivity=8)
    assert count - 1 == 0


@pytest.mark.parametrize("fitted", list(CASES), indirect=True)
def test_the_neck_shows_through_the_garments_neckline(fitted):
    photo, result = fitted
    face_x, face_y, face_width, face_height = opencv_face_box(photo)
    below_chin = slice(face_y + face_height, face_y + face_height + face_width // 4)
    neck = (below_chin, slice(face_x + 2 * face_width // 5, face_x + 3 * face_width // 5))

    assert not changed_pixels(photo, result)[neck].any()


def test_a_short_top_ends_at_its_own_hem_above_the_bottom_of_the_photo(engine):
    canvas = Image.new("RGB", (300, 120), (255, 255, 255))
    cropped_top = [(50, 20), (110, 20), (150, 50), (190, 20), (250, 20), (255, 100), (45, 100)]
    ImageDraw.Draw(canvas).polygon(cropped_top, fill=(150, 30, 90))
    photo = astronaut()  # waist up: the body runs on to the bottom of the photo

    result = engine.run(photo, np.asarray(canvas))

    # The garment's own pixels, not every changed one: below a short top the person's own top gives way.
    rows, _ = np.nonzero(result.garment_mask)
    assert rows.max() < 0.85 * photo.shape[0]
    assert result.person_mask[-1].any()


def test_the_persons_folds_show_on_the_garment(engine, monkeypatch):
    # A crease across the drawn person's plain grey top (a photo's own top is busy with prints and badges,
    # which rightly give no fold shading): the new top is darker along it than just above and below.
    photo, analysis = full_length_person()
    monkeypatch.setattr(person, "analyse_body", lambda rgb: analysis)
    fold_rows, columns = slice(324, 336), slice(205, 275)
    fold = np.zeros(photo.shape[:2], np.float32)
    fold[fold_rows, columns] = 1.0
    fold = cv2.GaussianBlur(fold, (0, 0), 3)
    photo = np.clip(photo * (1 - 0.25 * fold[:, :, None]), 0, 255).astype(np.uint8)

    result = engine.run(photo, tshirt_photo(**PLAIN_TSHIRT))

    brightness = np.asarray(result.image).astype(float).sum(axis=2)
    inner = slice(columns.start + 10, columns.stop - 10)
    in_fold = brightness[fold_rows.start + 3 : fold_rows.stop - 3, inner].mean()
    above = brightness[fold_rows.start - 24 : fold_rows.start - 14, inner].mean()
    below = brightness[fold_rows.stop + 14 : fold_rows.stop + 24, inner].mean()
    assert result.garment_mask[fold_rows, columns].all()
    assert in_fold < 0.92 * min(above, below)


def test_long_sleeves_follow_the_upper_arm_then_bend_at_the_elbow_along_the_forearm():
    _photo, analysis = full_length_person()
    body = body_points(analysis)
    design = GarmentDesign(GarmentStyle.LONG_SLEEVE, GarmentPattern.PLAIN, (40, 90, 190), (40, 90, 190))
    _, alpha, garment = prepare_garment(np.asarray(render_garment(design)))

    _, sleeves = place_sleeves(garment, alpha, body)

    assert len(sleeves) == 4  # upper arm and forearm, each side
    for upper, lower, arm in ((sleeves[0], sleeves[1], body.left_arm), (sleeves[2], sleeves[3], body.right_arm)):
        for piece, start, end in ((upper, arm.root, arm.joint), (lower, arm.joint, arm.end)):
            ys, xs = np.nonzero(piece.alpha > 0.5)
            placed = np.column_stack([xs, ys]) @ piece.garment_to_photo[:, :2].T + piece.garment_to_photo[:, 2]
            # The piece's long axis (its pixels' principal direction) runs along the arm's segment.
            centred = placed - placed.mean(axis=0)
            axis = np.linalg.svd(centred, full_matrices=False)[2][0]
            segment = (end - start) / np.linalg.norm(end - start)
            degrees_apart = np.degrees(np.arccos(min(1.0, abs(float(axis @ segment)))))
            assert degrees_apart < 8
    # The bend: the forearm pieces point back in toward the body from the elbows.
    assert np.sign(body.left_arm.end[0] - body.left_arm.joint[0]) != np.sign(
        body.left_arm.joint[0] - body.left_arm.root[0]
    )


DEMO_COLOUR, DEMO_ACCENT = (224, 120, 40), (30, 50, 110)


@pytest.mark.parametrize("style", [style for style in GarmentStyle if style.garment_type == "upper_body"])
@pytest.mark.parametrize("photo_of", [astronaut, grace_hopper], ids=["astronaut", "grace-hopper"])
def test_every_demo_garment_shape_is_worn_below_the_chin_over_the_torso(engine, photo_of, style):
    photo = photo_of()
    garment = np.asarray(render_garment(GarmentDesign(style, GarmentPattern.TWO_TONE, DEMO_COLOUR, DEMO_ACCENT)))
    face_x, face_y, face_width, face_height = opencv_face_box(photo)
    centre = face_x + face_width // 2
    torso = (
        slice(face_y + face_height, min(photo.shape[0], face_y + 4 * face_height)),
        slice(max(0, centre - int(1.5 * face_width)), centre + int(1.5 * face_width)),
    )

    result = engine.run(photo, garment)

    changed = changed_pixels(photo, result)
    rows, _ = np.nonzero(changed)
    assert rows.min() > face_y + face_height
    assert not np.any(changed & (result.person_mask == 0))
    assert 0.3 <= (result.garment_mask[torso] > 0).mean() <= 0.95


@pytest.mark.parametrize("photo_of", [astronaut, grace_hopper], ids=["astronaut", "grace-hopper"])
def test_a_hoodies_hood_hangs_behind_the_head_instead_of_lying_on_the_chest(engine, photo_of):
    photo = photo_of()
    hoodie = np.asarray(
        render_garment(GarmentDesign(GarmentStyle.HOODIE, GarmentPattern.PLAIN, DEMO_COLOUR, DEMO_COLOUR))
    )
    body = body_points(analyse_body(photo))

    result = engine.run(photo, hoodie)

    # Above the wearer's shoulder line only the neckline's edge is drawn: a narrow band around the neck.
    rows, columns = np.nonzero(changed_pixels(photo, result)[: round(body.left_shoulder[1])])
    assert len(rows) == 0 or rows.min() > body.left_shoulder[1] - 0.4 * body.unit
    assert len(columns) == 0 or np.abs(columns - body.centre_x).max() < 0.7 * body.shoulder_width
    # The hood's dark lining (0.6 of the hoodie's colour) is not drawn between chin and armpits: hardly any
    # of the garment there is a dark shade of it (with the hood read as the collar, about an eighth was).
    front = (
        slice(round(body.chin_y), round(body.left_chest[1] + 0.3 * body.unit)),
        slice(round(body.centre_x - 0.5 * body.unit), round(body.centre_x + 0.5 * body.unit)),
    )
    pixels = np.asarray(result.image)[front].astype(int)
    on_garment = result.garment_mask[front] > 0
    lining_shade = (pixels[:, :, 0] < 0.7 * DEMO_COLOUR[0]) & (pixels[:, :, 0] > 1.4 * pixels[:, :, 2])
    assert on_garment.mean() > 0.3
    assert (lining_shade & on_garment).sum() < 0.05 * on_garment.sum()


def test_the_background_between_a_long_sleeve_and_the_body_is_not_part_of_the_garment():
    # In the drawing (600×800) the left sleeve's inner edge and the body's side are 20-35 px apart at
    # y = 460..560, around x = 150: a gap the cloth mask closes, which would be drawn as a white shard.
    design = GarmentDesign(GarmentStyle.LONG_SLEEVE, GarmentPattern.PLAIN, DEMO_COLOUR, DEMO_COLOUR)

    _, alpha, _ = prepare_garment(np.asarray(render_garment(design)))

    assert alpha[460:560, 148:153].max() < 0.5
    assert alpha[460:560, 200].min() > 0.5  # the body beside it stays
