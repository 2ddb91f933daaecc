"""Which garment types a photo can try, and the message that tells the shopper what photo to take."""

from __future__ import annotations

import numpy as np
import pytest

from revetir.testing import body_photos
from tryon.pipeline.body import BodyAnalysis, GarmentVerdict, Keypoint, analyse_body
from tryon.pipeline.body.analysis import (
    ANKLES_OUT,
    BACK_VIEW,
    HIPS_OUT,
    KNEES_OUT,
    NO_PERSON,
    SEVERAL_PEOPLE,
    SHOULDERS_OUT,
    SIDE_VIEW,
    TOO_SMALL,
    judge_photo,
)
from tryon.pipeline.body.landmarks import KEYPOINT_NAMES


def usable_types(analysis: BodyAnalysis) -> set[str]:
    return {garment for garment, verdict in analysis.verdicts.items() if verdict.usable}


def test_coffee_cup_has_no_person_and_can_try_nothing():
    analysis = analyse_body(body_photos.coffee())
    assert analysis.people == 0
    assert analysis.photo_problem == NO_PERSON
    assert usable_types(analysis) == set()
    assert not analysis.person_mask.any()
    assert analysis.person_mask.shape == body_photos.coffee().shape[:2]


@pytest.mark.parametrize("photo", [body_photos.grace_hopper, body_photos.astronaut])
def test_waist_up_photos_can_try_tops_only_and_say_to_include_hips_and_knees(photo):
    analysis = analyse_body(photo())
    assert analysis.photo_problem is None
    assert usable_types(analysis) == {"upper_body"}
    assert analysis.usable_for("lower_body") == GarmentVerdict(False, HIPS_OUT)
    assert analysis.usable_for("full_body").message.startswith(
        "This photo shows you from the waist up: it can try tops."
    )


def test_man_seen_from_the_side_behind_a_camera_is_told_to_face_it():
    analysis = analyse_body(body_photos.camera_man())
    assert analysis.people == 1
    assert analysis.photo_problem == SIDE_VIEW
    assert usable_types(analysis) == set()


def test_two_people_side_by_side_are_refused():
    astronaut = body_photos.astronaut()
    analysis = analyse_body(np.concatenate([astronaut, body_photos.mirrored(astronaut)], axis=1))
    assert analysis.people == 2
    assert analysis.photo_problem == SEVERAL_PEOPLE


def test_a_person_far_away_in_a_large_picture_is_asked_to_come_closer():
    analysis = analyse_body(body_photos.distant(body_photos.astronaut(), 0.15))
    assert analysis.photo_problem == TOO_SMALL
    assert analysis.photo_problem.startswith("You are too far from the camera")


def test_a_moderately_distant_shot_is_still_usable_for_tops():
    assert usable_types(analyse_body(body_photos.distant(body_photos.astronaut(), 0.5))) == {"upper_body"}


def test_photo_cut_above_the_shoulders_can_try_nothing():
    hopper = body_photos.grace_hopper()
    analysis = analyse_body(np.ascontiguousarray(hopper[:370]))
    assert analysis.photo_problem in (SHOULDERS_OUT, NO_PERSON)
    assert usable_types(analysis) == set()


def test_usable_for_an_unknown_garment_type_is_an_error_naming_the_types():
    with pytest.raises(ValueError, match="upper_body, lower_body, full_body"):
        analyse_body(body_photos.astronaut()).usable_for("hat")


# The rules on a constructed full-length pose (photo 600×1000), so every branch is checked exactly.

STANDING = {
    "nose": (300, 100),
    "left_eye": (315, 90),
    "right_eye": (285, 90),
    "left_shoulder": (380, 220),
    "right_shoulder": (220, 220),
    "left_hip": (350, 480),
    "right_hip": (250, 480),
    "left_knee": (350, 700),
    "right_knee": (250, 700),
    "left_ankle": (350, 920),
    "right_ankle": (250, 920),
}


def pose(overrides: dict[str, tuple[float, float, float]] | None = None, *, people: int = 1) -> BodyAnalysis:
    points = {name: Keypoint(0.0, 0.0, 0.0) for name in KEYPOINT_NAMES}
    points.update({name: Keypoint(x, y, 0.99) for name, (x, y) in STANDING.items()})
    points.update({name: Keypoint(*value) for name, value in (overrides or {}).items()})
    person_mask = np.zeros((1000, 600), np.uint8)
    person_mask[60:960, 200:400] = 255
    return BodyAnalysis(
        width=600,
        height=1000,
        keypoints=points,
        person_mask=person_mask,
        box=(200, 60, 400, 960),
        people=people,
        verdicts={},
    )


def test_a_full_length_photo_facing_the_camera_can_try_every_garment_type():
    verdicts, problem = judge_photo(pose())
    assert problem is None
    assert all(verdict.usable for verdict in verdicts.values())


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"left_hip": (350, 480, 0.1), "right_hip": (250, 480, 0.1)}, HIPS_OUT),
        ({"left_knee": (350, 700, 0.1)}, KNEES_OUT),
        ({"right_ankle": (250, 1010, 0.9)}, ANKLES_OUT),
    ],
)
def test_legs_out_of_the_picture_leave_tops_only(overrides, message):
    verdicts, problem = judge_photo(pose(overrides))
    assert problem is None
    assert verdicts["upper_body"].usable
    assert verdicts["lower_body"] == verdicts["full_body"] == GarmentVerdict(False, message)


def test_a_shoulder_outside_the_picture_makes_the_photo_unusable():
    _verdicts, problem = judge_photo(pose({"left_shoulder": (610, 220, 0.9)}))
    assert problem == SHOULDERS_OUT


def test_shoulders_in_left_right_order_of_someone_facing_away_mean_a_view_from_behind():
    swapped = {"left_shoulder": (220, 220, 0.99), "right_shoulder": (380, 220, 0.99)}
    _verdicts, problem = judge_photo(pose(swapped))
    assert problem == BACK_VIEW


def test_no_face_visible_means_a_view_from_behind():
    hidden_face = {name: (*STANDING[name], 0.05) for name in ("nose", "left_eye", "right_eye")}
    assert judge_photo(pose(hidden_face))[1] == BACK_VIEW


def test_a_head_cut_off_above_the_picture_is_judged_facing_from_the_body():
    above = {name: (x, y - 200, 0.99) for name, (x, y) in STANDING.items() if name in ("nose", "left_eye", "right_eye")}
    assert judge_photo(pose(above))[1] is None
    swapped = {"left_shoulder": (220, 220, 0.99), "right_shoulder": (380, 220, 0.99)}
    assert judge_photo(pose({**above, **swapped}))[1] == BACK_VIEW


def test_a_face_hidden_in_front_of_the_body_is_not_the_back_of_a_head():
    hidden_face = {name: (*STANDING[name], 0.05) for name in ("nose", "left_eye", "right_eye")}
    assert judge_photo(pose(hidden_face), nose_in_front=True)[1] is None
    assert judge_photo(pose(hidden_face), nose_in_front=False)[1] == BACK_VIEW


def test_size_is_judged_by_the_pixels_between_the_shoulders_not_the_share_of_the_frame():
    small = {name: (x / 4, y / 4, 0.99) for name, (x, y) in STANDING.items()}  # 40 px shoulders in 600×1000
    assert judge_photo(pose(small))[1] is None
    smaller = {name: (x / 5, y / 5, 0.99) for name, (x, y) in STANDING.items()}
    assert judge_photo(pose(smaller))[1] == TOO_SMALL


def test_knees_and_ankles_off_the_person_do_not_count_as_legs_in_the_picture():
    analysis = pose()
    analysis.person_mask[560:] = 0  # a waist-up person; the model guessed legs on the background below
    verdicts, problem = judge_photo(analysis)
    assert problem is None
    assert verdicts["lower_body"] == GarmentVerdict(False, KNEES_OUT)


def test_narrow_shoulders_or_shoulders_far_apart_in_depth_mean_a_side_view():
    narrow = {"left_shoulder": (320, 220, 0.99), "right_shoulder": (280, 220, 0.99), "nose": (300, 100, 0.99)}
    assert judge_photo(pose(narrow))[1] == SIDE_VIEW
    assert judge_photo(pose(), shoulder_depth=400.0)[1] == SIDE_VIEW
    assert judge_photo(pose({"nose": (420, 100, 0.99)}))[1] == SIDE_VIEW


def test_several_people_come_before_any_other_problem():
    assert judge_photo(pose({"left_shoulder": (610, 220, 0.9)}, people=3))[1] == SEVERAL_PEOPLE


def test_analysis_survives_a_round_trip_through_json():
    analysis = analyse_body(body_photos.astronaut())
    data = analysis.to_json()
    import json

    restored = BodyAnalysis.from_json(json.loads(json.dumps(data)), analysis.person_mask)
    assert restored.verdicts == analysis.verdicts
    assert restored.box == analysis.box
    assert restored.people == analysis.people
    assert restored.photo_problem == analysis.photo_problem
    for name in KEYPOINT_NAMES:
        assert np.allclose(restored.point(name), analysis.point(name), atol=0.01)
        assert restored.visible(name) == analysis.visible(name)
