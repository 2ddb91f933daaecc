"""The weight-free engine on real photos and real product pictures (../shared/realphotos): the old
garment gives way, face and background stay, the product's colours come through, sleeves meet the body,
and a garment it cannot fit is refused rather than drawn.

The photos are evaluation data that may not be copied into the project (their README): the tests read
them where they lie and skip when the folder is absent. The fold check and the hue-keeping shading
have tests that need no photo.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw

from revetir.testing import real_photos
from revetir.testing.drawn_people import full_length_person
from revetir.testing.product_photos import tshirt_photo
from tryon.pipeline.classic.body_points import BodyPoints, body_points, hand_discs
from tryon.pipeline.classic.engine import ClassicTryOnEngine
from tryon.pipeline.classic.fit import fit_points, place_sleeves
from tryon.pipeline.classic.fit_check import measure_fit
from tryon.pipeline.classic.garment_mask import prepare_garment
from tryon.pipeline.classic.render import face_core_pixels, skin_reference_pixels
from tryon.pipeline.classic.shading import apply_shading
from tryon.pipeline.classic.tps import fit_thin_plate_spline
from tryon.pipeline.contract import FULL_BODY, LOWER_BODY, UPPER_BODY, GarmentFitError, TryOnError
from tryon.pipeline.person import analyse_photo

needs_real_photos = real_photos.needed
person_photo = real_photos.person
product_picture = real_photos.garment


def lab(pixels: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(np.ascontiguousarray(pixels.reshape(-1, 1, 3)), cv2.COLOR_RGB2LAB).reshape(-1, 3).astype(float)


def patch_colour(image: np.ndarray, point: np.ndarray, radius: int) -> np.ndarray:
    """Median Lab colour of the square of `radius` around `point`."""
    x, y = round(float(point[0])), round(float(point[1]))
    return np.median(lab(image[y - radius : y + radius + 1, x - radius : x + radius + 1]), axis=0)


def covered_around(placed: np.ndarray, point: np.ndarray, radius: float) -> float:
    """Share of the square of `radius` around `point` that the garment covers."""
    x, y = np.round(point).astype(int)
    reach = max(1, round(radius))
    return float(placed[y - reach : y + reach + 1, x - reach : x + reach + 1].mean())


@pytest.fixture(scope="module")
def engine() -> ClassicTryOnEngine:
    return ClassicTryOnEngine()


@pytest.fixture(scope="module")
def dressed(engine):
    """(photo, body, result) per (person, garment, garment type), computed once."""
    cache: dict[tuple[str, str, str], tuple[np.ndarray, BodyPoints, object]] = {}

    def dress(person: str, garment: str, garment_type: str):
        key = (person, garment, garment_type)
        if key not in cache:
            photo = person_photo(person)
            body = body_points(analyse_photo(photo))
            cache[key] = (photo, body, engine.run(photo, product_picture(garment), garment_type=garment_type))
        return cache[key]

    return dress


def skin_colour(photo: np.ndarray, body: BodyPoints) -> np.ndarray:
    return np.median(lab(face_core_pixels(photo, body.face)), axis=0)


@needs_real_photos
def test_a_short_sleeved_top_over_long_sleeves_leaves_skin_on_the_forearms(dressed):
    # p01 wears a navy long-sleeved top; g01 is a short-sleeved polo.
    photo, body, result = dressed("p01", "g01", UPPER_BODY)
    image = np.asarray(result.image)
    skin = skin_colour(photo, body)

    for arm in (body.left_arm, body.right_arm):
        forearm = arm.joint + 0.5 * (arm.end - arm.joint)
        radius = max(1, round(0.06 * body.unit))
        before, after = patch_colour(photo, forearm, radius), patch_colour(image, forearm, radius)
        assert np.linalg.norm(before[1:] - skin[1:]) > 20, "the old sleeve should differ from skin to begin with"
        assert np.linalg.norm(after - before) > 30, "the old sleeve's colour is still on the forearm"
        assert np.linalg.norm(after[1:] - skin[1:]) < 10, f"the forearm is not skin-coloured: {after} vs {skin}"


@needs_real_photos
@pytest.mark.parametrize("person", ["p05", "p08"])
def test_a_long_sleeved_sweatshirt_covers_bare_forearms_hanging_in_front_of_the_body(dressed, person):
    # p05 and p08 wear short sleeves with their arms down by their sides, partly in front of the torso;
    # g11 is a white long-sleeved sweatshirt. Its sleeves used to be cut away wherever an arm showed skin.
    _, body, result = dressed(person, "g11", UPPER_BODY)
    placed = result.garment_mask > 0

    for arm in (body.left_arm, body.right_arm):
        forearm = arm.joint + 0.5 * (arm.end - arm.joint)
        assert covered_around(placed, forearm, 0.05 * body.unit) >= 0.9, "a forearm is bare"


@needs_real_photos
def test_a_white_top_over_a_black_tee_is_evenly_lit_not_greyed_in_the_middle(dressed):
    # p05 wears a black tee with white letters and has bare arms: measured with the skin and the letters,
    # the black middle read as deep shadow and the white sweatshirt came out with a grey blob on the chest.
    _, body, result = dressed("p05", "g11", UPPER_BODY)
    image = np.asarray(result.image)
    radius = max(1, round(0.1 * body.unit))
    chests = np.array([body.left_chest, body.right_chest], dtype=float)
    centre = np.vstack([chests, [body.left_hip, body.right_hip]]).mean(axis=0)
    middle = patch_colour(image, centre, radius)[0]
    sides = [patch_colour(image, chest + 0.2 * (centre - chest), radius)[0] for chest in chests]
    assert middle >= max(sides) - 12, f"the chest's middle is {max(sides) - middle:.0f} L darker than its sides"


@needs_real_photos
def test_a_white_dress_over_a_black_tee_and_grey_jeans_is_as_light_at_the_chest_as_at_the_hips(dressed):
    # Light measured against the whole garment's median took the black tee above the grey jeans for a
    # shadow, and the white dress came out grey down to the waist.
    _, body, result = dressed("p05", "g30", FULL_BODY)
    image = np.asarray(result.image)
    radius = max(1, round(0.1 * body.unit))
    chest = np.mean([body.left_chest, body.right_chest], axis=0)
    hips = np.mean([body.left_hip, body.right_hip], axis=0) + np.array([0.0, 0.3 * body.unit])
    chest_lightness, hips_lightness = patch_colour(image, chest, radius)[0], patch_colour(image, hips, radius)[0]
    assert chest_lightness >= 200, f"the white dress is grey on the chest (L {chest_lightness:.0f})"
    assert abs(chest_lightness - hips_lightness) <= 12, f"chest L {chest_lightness:.0f}, hips L {hips_lightness:.0f}"


@needs_real_photos
def test_bare_shins_are_rounded_like_a_leg_not_painted_flat(dressed):
    # p05's grey jeans give way to skin below denim shorts: lighter along the leg's middle than at its sides.
    _, body, result = dressed("p05", "g16", LOWER_BODY)
    image = np.asarray(result.image)
    radius = max(1, round(0.03 * body.unit))
    for leg in (body.left_leg, body.right_leg):
        shin = leg.joint + 0.5 * (leg.end - leg.joint)
        along = (leg.end - leg.joint) / np.linalg.norm(leg.end - leg.joint)
        across = np.array([-along[1], along[0]]) * 0.25 * body.unit
        middle = patch_colour(image, shin, radius)[0]
        for side in (shin - across, shin + across):
            assert middle >= patch_colour(image, side, radius)[0] + 4, "the shin is a flat band of colour"


@needs_real_photos
@pytest.mark.parametrize("person", ["p05", "p11", "p28"])
def test_shorts_over_long_trousers_leave_skin_on_the_shins(dressed, person):
    # p05 wears grey jeans, p28 black trousers; g16 are denim shorts. p11 wears white trousers under a
    # long tunic, so her thighs show the tunic: the trousers are found on her shins.
    photo, body, result = dressed(person, "g16", LOWER_BODY)
    image = np.asarray(result.image)
    skin = skin_colour(photo, body)

    for leg in (body.left_leg, body.right_leg):
        shin = leg.joint + 0.5 * (leg.end - leg.joint)
        radius = max(1, round(0.06 * body.unit))
        before, after = patch_colour(photo, shin, radius), patch_colour(image, shin, radius)
        assert np.linalg.norm(after - before) > 30, "the old trousers' colour is still on the shin"
        assert np.linalg.norm(after[1:] - skin[1:]) < 10, f"the shin is not skin-coloured: {after} vs {skin}"


@needs_real_photos
@pytest.mark.parametrize("person", ["p11", "p13", "p28"])
def test_wide_shorts_fit_legs_held_together_instead_of_being_refused(dressed, person):
    # g17's legs are wider than a leg: placed on legs held close together their inner edges crossed, the
    # spline folded, and the shopper was told to "stand straight and face the camera" while she did.
    _, body, result = dressed(person, "g17", LOWER_BODY)
    placed = result.garment_mask > 0
    for leg in (body.left_leg, body.right_leg):
        thigh = leg.root + 0.4 * (leg.joint - leg.root)
        assert covered_around(placed, thigh, 0.05 * body.unit) >= 0.9, "a thigh is bare"


@needs_real_photos
def test_a_face_hidden_by_a_phone_takes_the_skin_colour_from_the_hands(dressed):
    # p25's mirror selfie: the phone's patterned case covers her face. Learnt from the face box, her bare
    # forearm under the old bell sleeve was painted the phone's purple.
    photo, body, result = dressed("p25", "g02", UPPER_BODY)
    image = np.asarray(result.image)
    hands = hand_discs(analyse_photo(photo), body.unit)
    reference = np.median(lab(skin_reference_pixels(photo, body, hands)), axis=0)
    assert np.linalg.norm(skin_colour(photo, body)[1:] - reference[1:]) > 10, "the face box should show the phone"

    arm = body.left_arm
    forearm = arm.joint + 0.5 * (arm.end - arm.joint)
    after = patch_colour(image, forearm, max(1, round(0.06 * body.unit)))
    assert np.linalg.norm(after[1:] - reference[1:]) < 10, f"the forearm is not skin-coloured: {after} vs {reference}"


CASES = [
    ("p01", "g01", UPPER_BODY),
    ("p08", "g07", UPPER_BODY),
    ("p05", "g16", LOWER_BODY),
    ("p13", "g24", FULL_BODY),
]


@needs_real_photos
@pytest.mark.parametrize(("person", "garment", "garment_type"), CASES)
def test_face_and_background_far_from_the_body_are_unchanged(dressed, person, garment, garment_type):
    photo, body, result = dressed(person, garment, garment_type)
    changed = np.any(np.asarray(result.image) != photo, axis=2)

    face = body.face
    top, bottom = max(0, round(face.top)), max(0, round(body.chin_y) - 1)
    left, right = max(0, round(face.left)), round(face.left + face.width)
    assert not changed[top:bottom, left:right].any(), "the face changed"
    off_person = cv2.distanceTransform((result.person_mask == 0).astype(np.uint8), cv2.DIST_L2, 3) / body.unit
    far = off_person > 0.25
    if garment_type != UPPER_BODY:
        # Below the hips a bottom or a dress keeps its own outline: a trouser leg or a skirt's flare.
        below_hips = np.arange(photo.shape[0])[:, None] >= body.hip_centre[1]
        far &= ~below_hips | (off_person > 3.0)
    assert not changed[far].any(), "the background far from the person changed"


@needs_real_photos
@pytest.mark.parametrize(
    ("person", "garment", "garment_type"),
    [("p13", "g24", FULL_BODY), ("p05", "g24", FULL_BODY), ("p05", "g16", LOWER_BODY), ("p11", "g07", UPPER_BODY)],
)
def test_the_garment_keeps_the_product_pictures_colours_without_a_halo(engine, dressed, person, garment, garment_type):
    # g24 is the light-blue floral dress that came out saturated cyan with a white halo.
    photo, _, result = dressed(person, garment, garment_type)
    side = engine.prepare_garment(product_picture(garment), garment_type=garment_type)
    cloth = cv2.erode((side.arrays["alpha"] >= 0.99).astype(np.uint8), np.ones((7, 7), np.uint8)) > 0
    product = np.median(lab(side.arrays["colours"][cloth]), axis=0)
    placed = (result.garment_mask > 0).astype(np.uint8)
    inside = cv2.erode(placed, np.ones((9, 9), np.uint8)) > 0
    image = np.asarray(result.image)
    worn = np.median(lab(image[inside]), axis=0)
    # The outline where the photo under it is no lighter than the garment: over a white wall a soft edge
    # is lighter by rights, and a halo could not be seen there anyway.
    outline = (placed > 0) & ~(cv2.erode(placed, np.ones((5, 5), np.uint8)) > 0)
    outline &= lab(photo).reshape(photo.shape)[..., 0] <= worn[0]
    edge = np.median(lab(image[outline]), axis=0)

    assert np.abs(worn[1:] - product[1:]).max() <= 6, f"hue or chroma shifted: {worn} vs the product's {product}"
    assert edge[0] - worn[0] <= 12, f"a light halo round the garment: outline {edge[0]} vs inside {worn[0]}"


@needs_real_photos
@pytest.mark.parametrize("person", ["p01", "p05", "p08"])
@pytest.mark.parametrize("garment", ["g01", "g06", "g09"])
def test_sleeves_meet_the_body_without_a_gap_at_the_shoulder_seam(dressed, person, garment):
    _, body, result = dressed(person, garment, UPPER_BODY)
    placed = result.garment_mask > 0

    for shoulder, chest, arm in (
        (body.left_shoulder, body.left_chest, body.left_arm),
        (body.right_shoulder, body.right_chest, body.right_arm),
    ):
        # The triangle between the shoulder seam, the armpit and the upper arm: where body and sleeve meet.
        seam = np.zeros(placed.shape, np.uint8)
        corners = np.array([shoulder, chest, arm.root + 0.4 * (arm.joint - arm.root)])
        cv2.fillConvexPoly(seam, np.round(corners).astype(np.int32), 1)
        assert placed[seam > 0].mean() >= 0.95


@needs_real_photos
def test_a_garment_it_cannot_fit_is_refused_with_a_plain_message(engine):
    # A blob in place of a garment (what a broken product mask looks like): nothing to put on a body.
    canvas = Image.new("RGB", (400, 400), (240, 240, 240))
    ImageDraw.Draw(canvas).ellipse((150, 10, 250, 390), fill=(200, 60, 40))

    with pytest.raises(GarmentFitError) as refusal:
        engine.run(person_photo("p08"), np.asarray(canvas), garment_type=UPPER_BODY)

    assert isinstance(refusal.value, TryOnError)
    message = str(refusal.value)
    assert "fit this garment" in message and "Jacobian" not in message and "%" not in message


@needs_real_photos
@pytest.mark.parametrize("garment", ["g04", "g13"])
def test_long_sleeves_laid_along_the_body_are_read_as_sleeves_and_the_top_is_fitted(engine, garment):
    """Product shots lay long sleeves down beside the body, below its hem: the body's sides are measured
    where the body is (not on the rounded end of the hem), so the shoulders are the garment's outer top
    corners, not two points by the collar, and the top is drawn on a straight full-length photo."""
    side = engine.prepare_garment(product_picture(garment))
    points = side.meta["garment_points"]["points"]
    garment_width = float(side.arrays["colours"].shape[1])
    shoulder_span = points["right_shoulder"][0] - points["left_shoulder"][0]
    assert shoulder_span > 0.35 * garment_width, points
    assert points["left_sleeve_bottom"][1] > points["left_hem"][1]  # cuffs below the hem
    assert points["left_armpit"][1] - points["left_shoulder"][1] > 0.15 * side.arrays["colours"].shape[0]

    result = engine.dress(person_photo("p01"), engine.prepare_photo(person_photo("p01")), side)
    assert result.garment_mask is not None and result.garment_mask.any()


@needs_real_photos
def test_a_long_sleeve_on_an_arm_bent_to_the_hip_ends_at_the_wrist_not_across_the_belly():
    """p14 has her hands on her hips: a sleeve longer than her arm, carried on along the forearm, drew
    a strip of cloth from each wrist across her belly."""
    body = body_points(analyse_photo(person_photo("p14")))
    _colours, alpha, points = prepare_garment(product_picture("g04"))
    _torso, sleeves = place_sleeves(points, alpha, body)

    for arm, other in ((body.left_arm, body.right_arm), (body.right_arm, body.left_arm)):
        forearm = arm.end - arm.joint
        direction = forearm / np.linalg.norm(forearm)
        reach = []  # how far past this wrist, along the forearm, each of this arm's sleeve pieces reaches
        for sleeve in sleeves:
            rows, columns = np.nonzero(sleeve.alpha >= 0.5)
            placed = np.column_stack([columns, rows]) @ sleeve.garment_to_photo[:, :2].T + sleeve.garment_to_photo[:, 2]
            # The other sleeve's cuff may lie within a forearm's length of this wrist (hands on the hips):
            # only this arm's own pieces count.
            middle = placed.mean(axis=0)
            if np.linalg.norm(middle - arm.joint) > np.linalg.norm(middle - other.joint):
                continue
            reach.append(float(((placed - arm.end) @ direction).max()))
        assert reach and max(reach) <= 0.2 * np.linalg.norm(forearm), "a sleeve reaches far past the wrist"


def test_the_fit_check_finds_a_folded_warp():
    _, analysis = full_length_person()
    body = body_points(analysis)
    _, alpha, points = prepare_garment(tshirt_photo(colour=(40, 90, 190)), UPPER_BODY)
    on_body, on_garment = fit_points(points, body)
    torso_alpha, sleeves = place_sleeves(points, alpha, body)

    def report(on_garment: np.ndarray):
        spline = fit_thin_plate_spline(on_body, on_garment)
        return measure_fit(
            spline=spline,
            torso_alpha=torso_alpha,
            sleeves=sleeves,
            body=body,
            person_mask=analysis.person_mask,
            garment_type=UPPER_BODY,
        )

    assert report(on_garment).problem() is None
    # The collar sent below the hem and the hem above the collar: the garment is turned inside out.
    folded = on_garment.copy()
    folded[:, 1] = on_garment[:, 1].max() + on_garment[:, 1].min() - on_garment[:, 1]
    folded[: len(folded) // 2] = on_garment[: len(folded) // 2]
    assert report(folded).folded_share > 0.01


def test_brightening_a_light_colour_keeps_its_hue():
    light_blue = np.full((4, 4, 3), (150, 200, 240), np.uint8)

    brightened = apply_shading(light_blue, np.full((4, 4), 1.3, np.float32))

    red, green, blue = brightened[0, 0].astype(float)
    assert blue == 255
    assert red / blue == pytest.approx(150 / 240, abs=0.01) and green / blue == pytest.approx(200 / 240, abs=0.01)


@needs_real_photos
@pytest.mark.parametrize("garment", ["g01", "g06"])
def test_a_polos_hem_flaring_past_its_waist_is_not_read_as_its_sleeves(engine, garment):
    # g01 and g06 are fitted polos whose hems flare wider than their waists: those rows were taken for
    # sleeve rows, the sleeves' lowest points landed on the hem, and each short sleeve was placed as a
    # piece reaching from the shoulder down past the elbow, its cuff a separate shard on the forearm.
    side = engine.prepare_garment(product_picture(garment))
    points = side.meta["garment_points"]["points"]
    height = side.arrays["colours"].shape[0]
    for name in ("left", "right"):
        sleeve_bottom, armpit, hem = points[f"{name}_sleeve_bottom"], points[f"{name}_armpit"], points[f"{name}_hem"]
        assert sleeve_bottom[1] < hem[1] - 0.2 * height, f"the {name} sleeve ends at the hem: {points}"
        assert abs(sleeve_bottom[1] - armpit[1]) < 0.15 * height, f"the {name} cuff is far from the armpit: {points}"


@needs_real_photos
def test_a_sleeve_on_an_arm_held_out_meets_the_body_at_the_shoulder_and_under_the_arm(dressed):
    """p14 has her hands on her hips, elbows out. The polo's body and sleeves used to leave slivers of skin
    at the top of the shoulders (her own bare shoulders were taken for arms in front of the garment) and a
    wedge of skin under each arm, where the rigid sleeve swung its seam off the body."""
    _, body, result = dressed("p14", "g01", UPPER_BODY)
    placed = result.garment_mask > 0
    down = np.array([0.0, 0.15 * body.unit])
    for shoulder in (body.left_shoulder, body.right_shoulder):
        # Along the shoulder, just below its top, from beside the collar out to the shoulder joint.
        for share in np.linspace(0.45, 0.9, 10):
            x, y = np.round(body.neck + share * (np.asarray(shoulder) - body.neck) + down).astype(int)
            assert placed[y, x], f"skin between the body and the sleeve at ({x}, {y})"
    for shoulder, chest, arm in (
        (body.left_shoulder, body.left_chest, body.left_arm),
        (body.right_shoulder, body.right_chest, body.right_arm),
    ):
        seam = np.zeros(placed.shape, np.uint8)
        corners = np.array([shoulder, chest, arm.root + 0.4 * (arm.joint - arm.root)])
        cv2.fillConvexPoly(seam, np.round(corners).astype(np.int32), 1)
        inside = (seam > 0) & (result.person_mask > 0)
        assert placed[inside].mean() >= 0.95, "a wedge between the body and the sleeve is bare"


@needs_real_photos
def test_a_sleeve_sewn_to_the_body_is_pinned_where_the_body_spline_puts_the_armhole():
    # A sleeve swung off the body has its seam pulled onto the armhole: where the body's spline and the
    # sleeve's map agree on which garment point lands, so no gap opens between them.
    body = body_points(analyse_photo(person_photo("p14")))
    _colours, alpha, points = prepare_garment(product_picture("g01"))
    on_body, on_garment = fit_points(points, body)
    spline = fit_thin_plate_spline(on_body, on_garment)
    _torso, sleeves = place_sleeves(points, alpha, body)
    sewn = [sleeve for sleeve in sleeves if sleeve.seam_spline is not None]
    assert len(sewn) == 2
    for sleeve in sewn:
        anchors = sleeve.seam_anchors[:3]  # shoulder, halfway down the armhole, armpit
        through_sleeve, through_body = sleeve.to_garment(anchors), spline.evaluate(anchors)
        assert np.abs(through_sleeve[[0, 2]] - through_body[[0, 2]]).max() < 1.0
