"""Keypoints of real photos against positions marked by hand, and how they follow the photo when it
is mirrored, taken from further away, tilted or darkened. Tolerance: a tenth of the shoulder width."""

from __future__ import annotations

import numpy as np
import pytest

from revetir.testing import body_photos
from tryon.pipeline.body import KEYPOINT_NAMES, analyse_body
from tryon.pipeline.body.landmarks import mirrored_name

# Marked by hand on the 512×512 astronaut and the 512×600 Grace Hopper (photo pixels). Left and
# right are the person's own: her left shoulder is on the right of the picture.
ASTRONAUT_MARKS = {
    "nose": (222, 128),
    "right_eye": (202, 102),
    "left_eye": (245, 103),
    "right_shoulder": (100, 228),
    "left_shoulder": (300, 243),
}
GRACE_HOPPER_MARKS = {
    "nose": (259, 239),
    "right_eye": (216, 190),
    "left_eye": (305, 188),
    "right_shoulder": (86, 401),
    "left_shoulder": (437, 401),
}
MARKED = ("nose", "right_eye", "left_eye", "right_shoulder", "left_shoulder")


def shoulder_width(marks: dict[str, tuple[float, float]]) -> float:
    return float(np.linalg.norm(np.subtract(marks["left_shoulder"], marks["right_shoulder"])))


def assert_near(analysis, marks: dict[str, tuple[float, float]], names=MARKED) -> None:
    tolerance = shoulder_width(marks) / 10
    for name in names:
        distance = float(np.linalg.norm(analysis.point(name) - np.asarray(marks[name], dtype=float)))
        assert distance <= tolerance, f"{name} is {distance:.1f} px from the mark (tolerance {tolerance:.1f})"


@pytest.fixture(scope="module")
def astronaut_analysis():
    return analyse_body(body_photos.astronaut())


def test_astronaut_keypoints_are_where_they_were_marked_by_hand(astronaut_analysis):
    assert astronaut_analysis.people == 1
    assert_near(astronaut_analysis, ASTRONAUT_MARKS)
    assert all(astronaut_analysis.visible(name) for name in MARKED)


def test_grace_hopper_keypoints_are_where_they_were_marked_by_hand():
    assert_near(analyse_body(body_photos.grace_hopper()), GRACE_HOPPER_MARKS)


def test_every_keypoint_has_mediapipes_name_and_a_visibility_between_0_and_1(astronaut_analysis):
    assert tuple(astronaut_analysis.keypoints) == KEYPOINT_NAMES
    assert len(KEYPOINT_NAMES) == 33
    assert KEYPOINT_NAMES[11:13] == ("left_shoulder", "right_shoulder")
    assert all(0.0 <= point.visibility <= 1.0 for point in astronaut_analysis.keypoints.values())


@pytest.mark.parametrize(
    "photo, marks", [(body_photos.astronaut, ASTRONAUT_MARKS), (body_photos.grace_hopper, GRACE_HOPPER_MARKS)]
)
def test_mirrored_photo_swaps_left_and_right(photo, marks):
    original = photo()
    width = original.shape[1]
    mirrored_marks = {mirrored_name(name): (width - x, y) for name, (x, y) in marks.items()}
    analysis = analyse_body(body_photos.mirrored(original))
    assert_near(analysis, mirrored_marks)
    # Still facing the camera: the person's left shoulder stays on the right of the picture.
    assert analysis.point("left_shoulder")[0] > analysis.point("right_shoulder")[0]


def test_distant_shot_finds_the_same_points_scaled_into_the_larger_picture():
    picture, scale, offset = body_photos.distant_placement(body_photos.astronaut(), 0.5)
    marks = {name: tuple(np.asarray(point) * scale + offset) for name, point in ASTRONAUT_MARKS.items()}
    assert_near(analyse_body(picture), marks)


@pytest.mark.parametrize("degrees", [10, -10])
def test_tilted_photo_finds_the_points_turned_with_it(degrees):
    original = body_photos.grace_hopper()
    matrix = body_photos.rotation_matrix(original, degrees)
    marks = {name: tuple(matrix @ np.array([x, y, 1.0])) for name, (x, y) in GRACE_HOPPER_MARKS.items()}
    assert_near(analyse_body(body_photos.rotated(original, degrees)), marks)


def test_photo_in_dim_light_finds_the_same_points():
    assert_near(analyse_body(body_photos.darkened(body_photos.grace_hopper())), GRACE_HOPPER_MARKS)


def test_a_twelve_megapixel_photo_gives_the_same_points_in_its_own_pixels():
    import cv2

    original = body_photos.grace_hopper()
    factor = 6.0
    big = cv2.resize(original, None, fx=factor, fy=factor, interpolation=cv2.INTER_LINEAR)
    analysis = analyse_body(big)
    assert (analysis.width, analysis.height) == (big.shape[1], big.shape[0])
    assert analysis.person_mask.shape == big.shape[:2]
    marks = {name: (x * factor, y * factor) for name, (x, y) in GRACE_HOPPER_MARKS.items()}
    assert_near(analysis, marks)


def test_a_grey_photo_is_analysed_like_its_three_channel_copy():
    grey = body_photos.camera_man()[:, :, 0]
    assert analyse_body(grey).to_json() == analyse_body(body_photos.camera_man()).to_json()
