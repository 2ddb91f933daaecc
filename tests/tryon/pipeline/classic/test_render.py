"""Stage 4, rendering, on the drawn person: where the garment reaches beyond the fitted outline."""

from __future__ import annotations

import cv2
import numpy as np

from revetir.testing.drawn_people import LIMB_WIDTHS, SKIN, TOP, full_length_person
from revetir.testing.product_photos import tshirt_photo
from shop.product_art import GarmentDesign, GarmentPattern, GarmentStyle, render_garment
from tryon.pipeline import person
from tryon.pipeline.classic.body_points import body_points, hand_discs
from tryon.pipeline.classic.engine import ClassicTryOnEngine
from tryon.pipeline.classic.render import _held_sideways, _reach_hanging_arms

NAVY = (31, 58, 110)
# Elbows and wrists further out than the drawn person's, the torso widened out to the arms.
WIDE_ARMS = {
    "left_elbow": (360, 320),
    "right_elbow": (120, 320),
    "left_wrist": (365, 440),
    "right_wrist": (115, 440),
}


def wide_person_with_arms_against_the_body():
    """The drawn person with a torso wider than the proportions the fit allows (a plus-size figure), its
    sides hidden behind the arms hanging against it, in the grey top."""
    photo, analysis = full_length_person(WIDE_ARMS)
    mask = analysis.person_mask
    widened = np.array([(170, 190), (310, 190), (352, 240), (350, 450), (130, 450), (128, 240)])
    for canvas, value in ((photo, TOP), (mask, 255)):
        cv2.fillPoly(canvas, [widened], value)
    for side in ("left", "right"):
        joints = [analysis.point(f"{side}_{name}") for name in ("shoulder", "elbow", "wrist")]
        shoulder, elbow, wrist = (tuple(round(float(value)) for value in joint) for joint in joints)
        cv2.line(photo, shoulder, elbow, TOP, LIMB_WIDTHS["arm"])
        cv2.line(photo, elbow, wrist, SKIN, LIMB_WIDTHS["forearm"])
        cv2.circle(photo, wrist, LIMB_WIDTHS["forearm"] // 2, SKIN, -1)
    return photo, analysis


def test_a_tops_sides_reach_the_arms_hanging_against_a_wide_body(monkeypatch):
    # The fitted outline stops at human proportions of the shoulders' spacing, short of the arms: the strip
    # of body between showed the old top, or skin painted over it. The body's side lies behind the arm.
    photo, analysis = wide_person_with_arms_against_the_body()
    monkeypatch.setattr(person, "analyse_body", lambda rgb: analysis)

    result = ClassicTryOnEngine().run(photo, tshirt_photo(colour=(40, 90, 190)))

    garment = result.garment_mask > 0
    rows = slice(340, 430)  # below the elbows, above the hips
    for strip in (slice(322, 340), slice(140, 158)):  # between the fitted sides and the forearms
        assert garment[rows, strip].mean() > 0.9
    # The forearms themselves stay bare, and nothing is drawn off the person.
    assert not garment[360:420, 358:368].any() and not garment[360:420, 112:122].any()
    assert not np.any(garment & (result.person_mask == 0))


def test_a_dresss_sides_reach_the_hands_hanging_by_the_hips(monkeypatch):
    # The wide figure in a long top, its forearms against it down to the hands, which hang below the hips
    # (the hip joints' line): the dress's sides were carried out to the arms only down to the hips, and a
    # bite of the old top, or skin painted over it, showed beside each hand.
    low_hands = WIDE_ARMS | {"left_wrist": (362, 500), "right_wrist": (118, 500)}
    photo, analysis = full_length_person(low_hands)
    mask = analysis.person_mask
    widened = np.array([(170, 190), (310, 190), (352, 240), (350, 520), (130, 520), (128, 240)])
    for canvas, value in ((photo, TOP), (mask, 255)):
        cv2.fillPoly(canvas, [widened], value)
    for side in ("left", "right"):
        elbow, wrist = (
            tuple(round(float(value)) for value in analysis.point(f"{side}_{name}")) for name in ("elbow", "wrist")
        )
        cv2.line(photo, elbow, wrist, SKIN, LIMB_WIDTHS["forearm"])
        cv2.circle(photo, wrist, LIMB_WIDTHS["forearm"] // 2, SKIN, -1)
    monkeypatch.setattr(person, "analyse_body", lambda rgb: analysis)
    dress = np.asarray(render_garment(GarmentDesign(GarmentStyle.TEE_DRESS, GarmentPattern.PLAIN, NAVY, NAVY)))

    result = ClassicTryOnEngine().run(photo, dress, garment_type="full_body")

    garment = result.garment_mask > 0
    rows = slice(455, 495)  # below the hips, above the hands
    for strip in (slice(322, 340), slice(140, 158)):  # between the fitted sides and the forearms
        assert garment[rows, strip].mean() > 0.9
    # The hands stay in front of the dress.
    for wrist_x in (362, 118):
        assert not garment[515:525, wrist_x - 4 : wrist_x + 5].any()


def test_a_garment_narrower_than_the_waist_covers_the_torso_out_to_its_sides_but_not_the_arms():
    # A bodice narrower than the wearer's waist, with background between the torso and the hanging arms
    # (p05 in the smocked dress g24): the strip of waist beside it kept the old top, painted over as a flat
    # skin-coloured block. Worn, the garment goes round the body; the arms and the background stay.
    photo, analysis = full_length_person()
    body = body_points(analysis)
    on_person = analysis.person_mask > 0
    alpha = np.zeros(on_person.shape, np.float32)
    alpha[200:600, 200:281] = 1.0
    skin = np.all(photo == SKIN, axis=2)

    reached = _reach_hanging_arms(
        alpha, on_person, skin, body, hand_discs(analysis, body.unit), origin=(0, 0), factor=1.0
    )

    covered = reached >= 0.5
    rows = slice(260, 430)  # between the armpits and the hips
    for side in (slice(182, 200), slice(281, 299)):  # the torso beside the narrow bodice
        assert covered[rows, side].all(), "the waist beside the bodice is left bare"
    assert not np.any(covered & (alpha < 0.5) & ~on_person), "drawn across the background"
    upper_arms = np.zeros(on_person.shape, np.uint8)
    for shoulder, elbow in (((170, 190), (140, 320)), ((310, 190), (340, 320))):
        cv2.line(upper_arms, shoulder, elbow, 1, LIMB_WIDTHS["arm"] - 6)
    assert not covered[rows][upper_arms[rows] > 0].any(), "the hanging arms are covered"


def test_a_garment_side_carried_out_under_an_arm_keeps_its_print():
    # Vertical stripes, the garment's body ending at column 60 on the right; columns 60 to 80 are carried
    # out to the arm. One colour held across them drew flat bands; the print goes on instead.
    colours = np.zeros((40, 100, 3), np.uint8)
    colours[:] = np.where((np.arange(100) // 4) % 2 == 0, 40, 220)[None, :, None]
    source = np.zeros((40, 100), bool)
    source[:, 20:60] = True
    held = np.zeros((40, 100), bool)
    held[:, 60:80] = True

    carried = _held_sideways(colours, held, source, centre=40.0, inset=1).astype(int)

    strip = carried[:, 62:80, 0]
    assert (strip.max(axis=1) - strip.min(axis=1) >= 150).all(), "the strip is one flat colour per row"
    assert set(np.unique(strip)) <= {40, 220}, "the print is smeared"


def test_a_side_carried_out_to_a_sleeve_leaves_the_sleeve_its_own_colours():
    # The garment's body (navy) ends at column 60, carried out across a strip to its sleeve (red) from
    # column 66: the sleeve's edge beside the strip was painted in the body's colour, a navy block sticking
    # out of the sleeve (p25 in g02).
    colours = np.zeros((40, 100, 3), np.uint8)
    colours[:, :60] = NAVY
    colours[:, 66:] = (200, 30, 40)
    source = np.zeros((40, 100), bool)
    source[:, 20:60] = True
    source[:, 66:] = True
    held = np.zeros((40, 100), bool)
    held[:, 60:66] = True

    carried = _held_sideways(colours, held, source, centre=40.0, inset=3)

    assert (carried[:, 66:] == (200, 30, 40)).all(), "the sleeve is recoloured"
    assert (carried[:, 60:66] == NAVY).all()


def test_a_side_carried_out_under_a_sleeve_stops_at_the_arm_below_the_sleeves_end():
    # A sleeve ending above the elbow, with more cloth beyond the arm on the same rows (a wide sleeve's
    # slanting hem, p25's bell-sleeved figure in g02): carried out to that cloth, the garment's side crossed
    # the arm below the sleeve as a block of its colour. It stops at the arm, having covered the body's side.
    _photo, analysis = full_length_person()
    body = body_points(analysis)
    on_person = np.ones(analysis.person_mask.shape, bool)  # an old bell sleeve around the arm
    alpha = np.zeros(on_person.shape, np.float32)
    alpha[200:600, 200:296] = 1.0
    on_sleeve = np.zeros(on_person.shape, bool)
    arm = body.right_arm
    sleeve_end = arm.root + 0.45 * (arm.joint - arm.root)
    cv2.line(on_sleeve.view(np.uint8), _pixel(arm.root), _pixel(sleeve_end), 1, 40)
    alpha[on_sleeve] = 1.0
    flare_rows = slice(round(arm.root[1] + 0.7 * (arm.joint[1] - arm.root[1])), round(arm.joint[1]))
    arm_x = round(float(arm.joint[0]))
    alpha[flare_rows, arm_x + 12 : arm_x + 30] = 1.0  # the sleeve's hem, further out and lower
    no_skin = np.zeros(on_person.shape, bool)

    reached = _reach_hanging_arms(alpha, on_person, no_skin, body, [], on_sleeve=on_sleeve, origin=(0, 0), factor=1.0)

    covered = reached >= 0.5
    arm_below_sleeve = np.zeros(on_person.shape, np.uint8)
    cv2.line(arm_below_sleeve, _pixel(sleeve_end), _pixel(arm.joint), 1, 10)
    assert not covered[flare_rows][arm_below_sleeve[flare_rows] > 0].any(), "the arm below the sleeve is covered"
    assert covered[flare_rows, 296:300].all(), "the body's side beside the arm is left bare"


def _pixel(point: np.ndarray) -> tuple[int, int]:
    return round(float(point[0])), round(float(point[1]))
