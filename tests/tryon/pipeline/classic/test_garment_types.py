"""Trousers, shorts, skirts and dresses with the weight-free engine, and the photos it refuses.

Bottoms and dresses go on the drawn full-length person of `drawn_people.py` (no full-length photo
ships in an installed package), whose keypoints and mask are fed to the engine in place of the body
model's; the refusals use the real body model on real photos.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import skimage.data

from revetir.testing.drawn_people import JOINTS, LIMB_WIDTHS, full_length_person
from revetir.testing.person_photos import astronaut, grace_hopper
from revetir.testing.product_photos import tshirt_photo
from shop.product_art import GarmentDesign, GarmentPattern, GarmentStyle, render_garment
from tryon.pipeline import person
from tryon.pipeline.classic.engine import ClassicTryOnEngine
from tryon.pipeline.contract import TryOnError, UnusablePhotoError

NAVY, SAND = (31, 58, 110), (206, 192, 162)


@pytest.fixture(scope="module")
def engine() -> ClassicTryOnEngine:
    return ClassicTryOnEngine()


@pytest.fixture
def drawn_person(monkeypatch):
    photo, analysis = full_length_person()
    monkeypatch.setattr(person, "analyse_body", lambda rgb: analysis)
    return photo, analysis


def wear(engine, photo, style: GarmentStyle):
    garment = np.asarray(render_garment(GarmentDesign(style, GarmentPattern.STRIPED, NAVY, SAND)))
    return engine.run(photo, garment, garment_type=style.garment_type)


def changed(photo: np.ndarray, result) -> np.ndarray:
    return np.any(np.asarray(result.image) != photo, axis=2)


def along_leg(side: str, start: float, end: float) -> tuple[np.ndarray, np.ndarray]:
    """Pixels (rows, columns) on the middle third of a drawn leg, from `start` to `end` of hip → ankle."""
    hip, ankle = np.array(JOINTS[f"{side}_hip"]), np.array(JOINTS[f"{side}_ankle"])
    shares = np.linspace(start, end, 40)
    points = hip + shares[:, None] * (ankle - hip)
    offsets = np.linspace(-LIMB_WIDTHS["shin"] / 6, LIMB_WIDTHS["shin"] / 6, 5)
    xs = (points[:, None, 0] + offsets[None, :]).round().astype(int).ravel()
    ys = np.repeat(points[:, 1].round().astype(int), len(offsets))
    return ys, xs


def leg_line_x(side: str, y: float) -> float:
    """Where the drawn leg's line (hip → knee → ankle) crosses row y."""
    heights = [JOINTS[f"{side}_{joint}"][1] for joint in ("hip", "knee", "ankle")]
    return float(np.interp(y, heights, [JOINTS[f"{side}_{joint}"][0] for joint in ("hip", "knee", "ankle")]))


LEG_ROWS = range(round(JOINTS["left_hip"][1]), round(JOINTS["left_ankle"][1]) + 1)


def between_the_legs(mask: np.ndarray) -> np.ndarray:
    """The wall between the drawn legs (True), from the hip joints to the ankles: off the person mask and
    between the two legs' lines, which run inside the legs."""
    gap = np.zeros(mask.shape, bool)
    for y in LEG_ROWS:  # the person's right leg is on the image's left
        gap[y, round(leg_line_x("right", y)) : round(leg_line_x("left", y)) + 1] = True
    return gap & (mask == 0)


def lowest_row_on_the_legs(garment: np.ndarray) -> int:
    """The lowest row the garment covers on the legs' lines (its hem)."""
    return max(y for y in LEG_ROWS for side in ("left", "right") if garment[y, round(leg_line_x(side, y))])


SKIRTS_AND_DRESSES = [GarmentStyle.SKIRT, GarmentStyle.STRAP_DRESS, GarmentStyle.TEE_DRESS]
ALL_TYPES = [
    GarmentStyle.T_SHIRT,
    GarmentStyle.LONG_SLEEVE,
    GarmentStyle.TROUSERS,
    GarmentStyle.SHORTS,
    GarmentStyle.SKIRT,
    GarmentStyle.STRAP_DRESS,
    GarmentStyle.TEE_DRESS,
]


@pytest.mark.parametrize("style", ALL_TYPES)
def test_every_garment_type_is_drawn_only_on_the_person_and_never_on_the_face(engine, drawn_person, style):
    photo, analysis = drawn_person

    result = wear(engine, photo, style)

    garment = changed(photo, result)
    assert garment.mean() > 0.02
    # A skirt or dress also hangs across the gap between the legs; below the hips bottoms and dresses keep
    # their own outline, a little wider than bare legs (trousers still leave the gap between the legs:
    # see below). Tops stay on the person.
    may_cover = analysis.person_mask > 0
    if style in SKIRTS_AND_DRESSES:
        may_cover |= between_the_legs(analysis.person_mask)
    if style.garment_type != "upper_body":
        off_person = cv2.distanceTransform((analysis.person_mask == 0).astype(np.uint8), cv2.DIST_L2, 3)
        below_hips = np.arange(photo.shape[0])[:, None] >= JOINTS["left_hip"][1]
        flare = 2 if style in SKIRTS_AND_DRESSES else 1  # an A-line hem stands well off the legs
        may_cover |= below_hips & (off_person <= flare * LIMB_WIDTHS["thigh"])
    assert not np.any(garment & ~may_cover)
    chin = JOINTS["mouth_left"][1] + 20
    assert not garment[: round(chin)].any()


@pytest.mark.parametrize("style", [GarmentStyle.TROUSERS, GarmentStyle.SHORTS, GarmentStyle.SKIRT])
def test_bottoms_cover_the_thighs_and_leave_the_chest_alone(engine, drawn_person, style):
    photo, _ = drawn_person

    garment = changed(photo, wear(engine, photo, style))

    for side in ("left", "right"):
        assert garment[along_leg(side, 0.1, 0.3)].mean() > 0.9
    chest = JOINTS["left_shoulder"][1] + 60
    assert not garment[round(chest) - 10 : round(chest) + 10, 200:280].any()


def test_trouser_legs_run_down_to_the_ankles(engine, drawn_person):
    photo, _ = drawn_person

    garment = changed(photo, wear(engine, photo, GarmentStyle.TROUSERS))

    for side in ("left", "right"):
        assert garment[along_leg(side, 0.55, 0.95)].mean() > 0.9
    # The legs are covered each on its own: the wall between them stays as it was.
    between_knees = (round(JOINTS["left_knee"][1]), round((JOINTS["left_knee"][0] + JOINTS["right_knee"][0]) / 2))
    assert not garment[between_knees]


def test_shorts_end_above_the_knees(engine, drawn_person):
    photo, _ = drawn_person

    garment = changed(photo, wear(engine, photo, GarmentStyle.SHORTS))

    for side in ("left", "right"):
        assert garment[along_leg(side, 0.55, 1.0)].mean() < 0.05


@pytest.mark.parametrize("style", [GarmentStyle.STRAP_DRESS, GarmentStyle.TEE_DRESS])
def test_a_dress_covers_the_torso_and_goes_on_down_the_legs(engine, drawn_person, style):
    photo, _ = drawn_person

    garment = changed(photo, wear(engine, photo, style))

    torso = garment[300:420, 200:280]
    assert torso.mean() > 0.8
    for side in ("left", "right"):
        assert garment[along_leg(side, 0.1, 0.4)].mean() > 0.9


@pytest.mark.parametrize("style", SKIRTS_AND_DRESSES)
def test_skirts_and_dresses_hang_across_the_gap_between_the_legs_down_to_their_hem(engine, drawn_person, style):
    photo, analysis = drawn_person

    garment = changed(photo, wear(engine, photo, style))

    hem = lowest_row_on_the_legs(garment)
    assert hem > JOINTS["left_hip"][1] + 100  # the garment goes on down the thighs
    gap = between_the_legs(analysis.person_mask)
    gap[: round(JOINTS["left_hip"][1]) + 5] = False
    gap[hem - 5 :] = False  # the hem's own soft edge
    assert gap.sum() > 1000
    assert garment[gap].mean() > 0.97
    # Below the hem the wall between the legs shows again.
    below_hem = between_the_legs(analysis.person_mask)
    below_hem[: hem + 5] = False
    assert not garment[below_hem].any()


@pytest.mark.parametrize("style", [GarmentStyle.TROUSERS, GarmentStyle.SHORTS])
def test_trousers_and_shorts_leave_the_gap_between_the_legs_below_the_crotch_bare(engine, drawn_person, style):
    photo, analysis = drawn_person

    garment = changed(photo, wear(engine, photo, style))

    gap = between_the_legs(analysis.person_mask)
    hip_y, knee_y = JOINTS["left_hip"][1], JOINTS["left_knee"][1]
    gap[: round(hip_y + 0.4 * (knee_y - hip_y))] = False  # the crotch sits within a third of the thigh
    assert not garment[gap].any()


def test_a_long_sleeve_on_a_sharply_bent_arm_covers_the_elbow_without_a_gap(engine, monkeypatch):
    # The arm on the image's left bends by about 75° at the elbow, its forearm reaching across the body.
    photo, analysis = full_length_person({"right_wrist": (215, 360)})
    monkeypatch.setattr(person, "analyse_body", lambda rgb: analysis)

    garment = changed(photo, wear(engine, photo, GarmentStyle.LONG_SLEEVE))

    elbow_x, elbow_y = JOINTS["right_elbow"]
    ys, xs = np.mgrid[0 : photo.shape[0], 0 : photo.shape[1]]
    # The elbow's core: within 0.4 arm widths of the joint, where the upper arm and forearm pieces meet.
    elbow = (np.hypot(xs - elbow_x, ys - elbow_y) <= 0.4 * LIMB_WIDTHS["arm"]) & (analysis.person_mask > 0)
    assert garment[elbow].mean() > 0.95


def test_short_sleeves_reach_from_the_shoulders_toward_the_elbows(engine, drawn_person):
    photo, _ = drawn_person

    garment = changed(photo, wear(engine, photo, GarmentStyle.T_SHIRT))

    for side in ("left", "right"):
        shoulder, elbow = np.array(JOINTS[f"{side}_shoulder"]), np.array(JOINTS[f"{side}_elbow"])
        x, y = (shoulder + 0.35 * (elbow - shoulder)).round().astype(int)
        assert garment[y - 3 : y + 4, x - 3 : x + 4].all()


def test_long_sleeves_cover_the_bare_forearms_but_not_the_hands(engine, drawn_person):
    photo, _ = drawn_person

    garment = changed(photo, wear(engine, photo, GarmentStyle.LONG_SLEEVE))

    for side in ("left", "right"):
        elbow, wrist = np.array(JOINTS[f"{side}_elbow"]), np.array(JOINTS[f"{side}_wrist"])
        x, y = (elbow + 0.5 * (wrist - elbow)).round().astype(int)
        assert garment[y - 3 : y + 4, x - 3 : x + 4].mean() > 0.8  # the forearm, below the bend
        hand_x, hand_y = (round(value) for value in JOINTS[f"{side}_index"])
        assert not garment[hand_y - 4 : hand_y + 5, hand_x - 4 : hand_x + 5].any()


@pytest.mark.parametrize("garment_type", ["lower_body", "full_body"])
@pytest.mark.parametrize("photo_of", [astronaut, grace_hopper], ids=["astronaut", "grace-hopper"])
def test_a_waist_up_photo_refuses_trousers_and_dresses_with_the_shoppers_message(engine, photo_of, garment_type):
    trousers = np.asarray(render_garment(GarmentDesign(GarmentStyle.TROUSERS, GarmentPattern.PLAIN, NAVY, NAVY)))

    with pytest.raises(UnusablePhotoError, match="can try tops"):
        engine.run(photo_of(), trousers, garment_type=garment_type)


def test_a_side_view_behind_a_tripod_is_refused_instead_of_painting_the_grass():
    # skimage's camera: a man seen from the side behind a camera on a tripod, standing on grass.
    camera = np.repeat(skimage.data.camera()[:, :, None], 3, axis=2)

    with pytest.raises(UnusablePhotoError, match="from the side"):
        ClassicTryOnEngine().run(camera, tshirt_photo(colour=(235, 235, 235), stripe_colour=(30, 120, 60)))


def test_an_unknown_garment_type_is_a_clear_error(engine):
    with pytest.raises(TryOnError, match="Unknown garment type 'socks'"):
        engine.run(astronaut(), tshirt_photo(), garment_type="socks")
