"""The FASHN VTON v1.5 pose image: the official renderer and DWPose post-processing bit for bit
(golden pose_render_case*.npz and the person_pose_* keys of fashn_small_case*.npz), and the
conversion the shop runs, from the body model's BlazePose keypoints, on known keypoints and on real
photos."""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest

from revetir.testing import real_photos
from revetir.testing.reference_data import golden_case_names, load_golden
from tryon.pipeline.body import BodyAnalysis, analyse_body
from tryon.pipeline.body.landmarks import KEYPOINT_NAMES
from tryon.pipeline.fashn import render_pose
from tryon.pipeline.fashn.canvas import photo_points_to_canvas, place_photo, resize_pad
from tryon.pipeline.fashn.pose_image import (
    JOINT_GRAYS,
    LEFT_HIP,
    LEFT_KNEE,
    LEFT_SHOULDER,
    LEFT_WRIST,
    LIMB_GRAYS,
    LIMB_OPACITY,
    LIMBS,
    NECK,
    RIGHT_HIP,
    RIGHT_KNEE,
    RIGHT_SHOULDER,
    RIGHT_WRIST,
    PoseKeypoints,
    blank_pose,
    pose_canvas,
    pose_from_blazepose,
    pose_from_body_analysis,
    pose_from_wholebody,
    render_pose_keypoints,
)


@pytest.fixture(scope="module")
def fashn_dir(reference_dir):
    return reference_dir / "fashn"


def assert_same_pose(pose: PoseKeypoints, golden: dict[str, np.ndarray], prefix: str) -> None:
    for field in PoseKeypoints._fields:
        expected = golden[f"{prefix}{field}"]
        actual = getattr(pose, field)
        assert actual.dtype == expected.dtype, field
        np.testing.assert_array_equal(actual, expected, err_msg=field)


@pytest.mark.parametrize("case", golden_case_names("pose_render", ("case1", "case2", "case3_flatlay", "case4_direct")))
def test_pose_images_match_the_official_renderer_exactly(fashn_dir, case):
    golden = load_golden(fashn_dir, "pose_render", case)
    sized = sorted(key for key in golden if key.startswith("pose_uint8_"))
    if sized:  # the renderer called directly on a bodies-only pose at several sizes
        for key in sized:
            height, width = (int(value) for value in key.removeprefix("pose_uint8_").split("x"))
            image = render_pose(golden["pose_candidate"], golden["pose_subset"], None, None, height, width)
            np.testing.assert_array_equal(image, golden[key], err_msg=key)
        return
    height, width = (int(value) for value in golden["image_hw"])
    if "raw_keypoints" in golden:
        pose = pose_from_wholebody(golden["raw_keypoints"], golden["raw_scores"], height, width)
        assert_same_pose(pose, golden, "pose_")
    else:  # flat-lay garment: the dummy pose
        pose = PoseKeypoints(golden["pose_candidate"], golden["pose_subset"], None, None)
        np.testing.assert_array_equal(pose.subset, blank_pose().subset)
    image = render_pose_keypoints(pose, height, width)
    np.testing.assert_array_equal(image, golden["pose_uint8"])
    canvas, padding = resize_pad(image, pose=True)
    np.testing.assert_array_equal(canvas, golden["pose_canvas_uint8"])
    assert padding == tuple(golden["canvas_padding_ltrb"])


@pytest.mark.parametrize("case", golden_case_names("fashn_small", ("case1", "case2", "case3")))
def test_pipeline_pose_images_match_the_official_ones(fashn_dir, case):
    golden = load_golden(fashn_dir, "fashn_small", case)
    canvas_hw = golden["ca_canvas_uint8"].shape[:2]
    height, width = golden["person_pre_resized_uint8"].shape[:2]
    pose = pose_from_wholebody(golden["person_raw_keypoints"], golden["person_raw_scores"], height, width)
    assert_same_pose(pose, golden, "person_pose_")
    np.testing.assert_array_equal(render_pose_keypoints(pose, height, width), golden["person_pose_uint8"])

    height, width = golden["garment_pre_resized_uint8"].shape[:2]
    if "garment_raw_keypoints" in golden:  # a garment photographed on a person
        pose = pose_from_wholebody(golden["garment_raw_keypoints"], golden["garment_raw_scores"], height, width)
    else:
        pose = blank_pose()
    image = render_pose_keypoints(pose, height, width)
    np.testing.assert_array_equal(image, golden["garment_pose_uint8"])
    np.testing.assert_array_equal(resize_pad(image, canvas_hw, pose=True)[0], golden["garment_pose_canvas_uint8"])


def test_flat_lay_pose_is_black():
    assert not render_pose_keypoints(blank_pose(), 640, 512).any()


# ---------------------------------------------------------------------------------------------------------------------
# BlazePose → OpenPose-18

PHOTO_HEIGHT, PHOTO_WIDTH = 800, 500
# A person facing the camera: their right side on the picture's left.
STANDING = {
    "nose": (250, 110),
    "left_eye_inner": (258, 98),
    "left_eye": (262, 97),
    "left_eye_outer": (267, 98),
    "right_eye_inner": (242, 98),
    "right_eye": (238, 97),
    "right_eye_outer": (233, 98),
    "left_ear": (278, 104),
    "right_ear": (222, 104),
    "mouth_left": (258, 126),
    "mouth_right": (242, 126),
    "left_shoulder": (320, 200),
    "right_shoulder": (180, 200),
    "left_elbow": (340, 320),
    "right_elbow": (160, 320),
    "left_wrist": (350, 430),
    "right_wrist": (150, 430),
    "left_pinky": (352, 462),
    "right_pinky": (148, 462),
    "left_index": (344, 468),
    "right_index": (156, 468),
    "left_thumb": (338, 452),
    "right_thumb": (162, 452),
    "left_hip": (290, 440),
    "right_hip": (210, 440),
    "left_knee": (295, 590),
    "right_knee": (205, 590),
    "left_ankle": (300, 740),
    "right_ankle": (200, 740),
    "left_heel": (298, 755),
    "right_heel": (202, 755),
    "left_foot_index": (310, 770),
    "right_foot_index": (190, 770),
}
OPENPOSE_FROM_NAME = {
    0: "nose",
    2: "right_shoulder",
    3: "right_elbow",
    4: "right_wrist",
    5: "left_shoulder",
    6: "left_elbow",
    7: "left_wrist",
    8: "right_hip",
    9: "right_knee",
    10: "right_ankle",
    11: "left_hip",
    12: "left_knee",
    13: "left_ankle",
    14: "right_eye",
    15: "left_eye",
    16: "right_ear",
    17: "left_ear",
}


def standing_keypoints(**visibility: float) -> tuple[np.ndarray, np.ndarray]:
    points = np.array([STANDING[name] for name in KEYPOINT_NAMES], dtype=float)
    seen = np.array([visibility.get(name, 0.95) for name in KEYPOINT_NAMES])
    return points, seen


def normalised(x: float, y: float) -> np.ndarray:
    return np.array([x / PHOTO_WIDTH, y / PHOTO_HEIGHT], dtype=np.float32)


def test_blazepose_points_become_the_eighteen_openpose_points():
    pose = pose_from_blazepose(*standing_keypoints(), PHOTO_HEIGHT, PHOTO_WIDTH)
    np.testing.assert_array_equal(pose.subset, np.arange(18, dtype=np.float32)[None])
    for point, name in OPENPOSE_FROM_NAME.items():
        np.testing.assert_allclose(pose.candidate[point], normalised(*STANDING[name]), atol=1e-7, err_msg=name)
    np.testing.assert_allclose(pose.candidate[NECK], normalised(250, 200), atol=1e-7)
    # hands: wrist, index and pinky knuckles only; left hand first
    assert pose.hands.shape == (2, 21, 2) and pose.faces.shape == (1, 68, 2)
    np.testing.assert_allclose(pose.hands[0, 0], normalised(350, 430), atol=1e-7)
    np.testing.assert_allclose(pose.hands[1, 5], normalised(156, 468), atol=1e-7)
    np.testing.assert_allclose(pose.hands[1, 17], normalised(148, 462), atol=1e-7)
    assert {int(i) for i in np.nonzero(pose.hands[0, :, 0] >= 0)[0]} == {0, 5, 17}
    # face: nose tip, eye corners, mouth corners in the 68-point order (the subject's right eye first)
    np.testing.assert_allclose(pose.faces[0, 36], normalised(233, 98), atol=1e-7)
    np.testing.assert_allclose(pose.faces[0, 45], normalised(267, 98), atol=1e-7)
    np.testing.assert_allclose(pose.faces[0, 48], normalised(242, 126), atol=1e-7)
    assert {int(i) for i in np.nonzero(pose.faces[0, :, 0] >= 0)[0]} == {30, 36, 39, 42, 45, 48, 54}


def test_hidden_or_outside_points_are_left_out():
    points, seen = standing_keypoints(left_knee=0.2, right_knee=0.4, left_shoulder=0.3, left_index=0.1)
    points[KEYPOINT_NAMES.index("right_wrist")] = (-6, 430)  # outside the photo, however sure the model is
    points[KEYPOINT_NAMES.index("right_ankle")] = (200, PHOTO_HEIGHT)
    pose = pose_from_blazepose(points, seen, PHOTO_HEIGHT, PHOTO_WIDTH)
    hidden = {int(i) for i in np.nonzero(pose.subset[0] == -1)[0]}
    # the left knee is hidden, the right one seen at the body model's leg threshold; no neck without both shoulders
    assert hidden == {LEFT_KNEE, LEFT_SHOULDER, NECK, RIGHT_WRIST, 10}
    assert (pose.hands[1, 0] == -1).all() and (pose.hands[0, 5] == -1).all() and (pose.hands[0, 0] >= 0).all()

    without = pose_from_blazepose(points, seen, PHOTO_HEIGHT, PHOTO_WIDTH, hands_and_face=False)
    assert without.hands is None and without.faces is None
    np.testing.assert_array_equal(without.subset, pose.subset)


def test_rendered_pose_puts_each_joint_and_limb_where_the_keypoints_are():
    pose = pose_from_blazepose(*standing_keypoints(), PHOTO_HEIGHT, PHOTO_WIDTH)
    image = render_pose_keypoints(pose, PHOTO_HEIGHT, PHOTO_WIDTH)
    assert image.shape == (PHOTO_HEIGHT, PHOTO_WIDTH) and image.dtype == np.uint8
    assert image[200, 180] == JOINT_GRAYS[RIGHT_SHOULDER] and image[200, 320] == JOINT_GRAYS[LEFT_SHOULDER]
    assert image[200, 250] == JOINT_GRAYS[NECK]
    assert image[440, 210] == JOINT_GRAYS[RIGHT_HIP] and image[440, 290] == JOINT_GRAYS[LEFT_HIP]
    thigh = LIMBS.index((RIGHT_HIP, RIGHT_KNEE))
    assert image[515, 207] == int(LIMB_GRAYS[thigh] * LIMB_OPACITY)  # half way down the right thigh
    assert image[430, 350] == 240  # the hand's wrist point is drawn over the body's wrist joint
    assert image[600, 40] == 0  # nothing away from the body
    body_only = pose_from_blazepose(*standing_keypoints(), PHOTO_HEIGHT, PHOTO_WIDTH, hands_and_face=False)
    assert render_pose_keypoints(body_only, PHOTO_HEIGHT, PHOTO_WIDTH)[430, 350] == JOINT_GRAYS[LEFT_WRIST]


def test_pose_from_blazepose_refuses_the_wrong_number_of_points():
    with pytest.raises(ValueError, match="33"):
        pose_from_blazepose(np.zeros((17, 2)), np.zeros(17), PHOTO_HEIGHT, PHOTO_WIDTH)


def test_render_pose_refuses_a_subset_pointing_past_the_candidates():
    with pytest.raises(ValueError, match="candidate row"):
        render_pose(np.zeros((4, 2)), np.arange(18)[None], None, None, 10, 10)


# ---------------------------------------------------------------------------------------------------------------------
# Real photos through the body model


@cache
def analysis_of(key: str) -> BodyAnalysis:
    return analyse_body(real_photos.person(key))


@real_photos.needed
@pytest.mark.parametrize("key", ["p08", "p11", "p03"])
def test_pose_image_of_a_real_photo_lands_on_the_person(key):
    """Shoulder and hip joints are drawn on the canvas where the photo's shoulders and hips go, and
    the person (the body model's mask, placed on the same canvas) is there."""
    photo = real_photos.person(key)
    analysis = analysis_of(key)
    _, _, placement = place_photo(photo)
    drawn = pose_canvas(pose_from_body_analysis(analysis), placement)
    mask_canvas, _ = resize_pad(analysis.person_mask, pose=True)
    for name, point in (
        ("right_shoulder", RIGHT_SHOULDER),
        ("left_shoulder", LEFT_SHOULDER),
        ("right_hip", RIGHT_HIP),
        ("left_hip", LEFT_HIP),
    ):
        x, y = photo_points_to_canvas(analysis.point(name)[None], placement)[0]
        column, row = round(x), round(y)
        window = drawn[row - 2 : row + 3, column - 2 : column + 3]
        assert (window == JOINT_GRAYS[point]).sum() >= 9, (key, name)
        assert mask_canvas[row - 10 : row + 11, column - 10 : column + 11].mean() > 0.3 * 255, (key, name)
