"""Trousers, shorts, skirts and dresses with the weight-free engine, and the photos it refuses.

Bottoms and dresses go on the drawn full-length person of `drawn_people.py` (no full-length photo
ships in an installed package), whose keypoints and mask are fed to the engine in place of the body
model's; the refusals use the real body model on real photos.
"""

from __future__ import annotations

import numpy as np
import pytest
import skimage.data

from shop.product_art import GarmentDesign, GarmentPattern, GarmentStyle, render_garment
from tests.tryon.pipeline.classic.drawn_people import JOINTS, LIMB_WIDTHS, full_length_person
from tests.tryon.pipeline.person_photos import astronaut, grace_hopper
from tests.tryon.pipeline.product_photos import tshirt_photo
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
    assert not np.any(garment & (analysis.person_mask == 0))
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
