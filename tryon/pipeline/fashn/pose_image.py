"""The pose picture FASHN VTON v1.5 is conditioned on: keypoints → one grayscale channel.

FASHN VTON v1.5 (FASHN AI, 2026; github.com/fashn-AI/fashn-vton-1.5) detects the person with DWPose
(Yang et al., "Effective Whole-body Pose Estimation with Two-stages Distillation", ICCV 2023
workshops, arXiv:2307.15880) and draws the OpenPose-style skeleton in grays instead of colours, each
limb and joint with a gray of its own, so one channel still tells the limbs apart. Three parts here:

- `render_pose`: the grayscale renderer, bit-exact with the official one (17 limbs as filled
  ellipses at 0.6 of their gray, 18 joints as discs, then hand bones and points, then face points).
- `pose_from_wholebody`: DWPose's post-processing of the 133 COCO-WholeBody keypoints and scores its
  two ONNX stages return (neck insertion, OpenPose-18 order, the choice of one person, the 0.3 score
  threshold, normalised coordinates), for operators who install DWPose.
- `pose_from_blazepose` / `pose_from_body_analysis`: what the shop runs. Our body model is BlazePose
  (33 keypoints, see tryon/pipeline/body/); its points are mapped to the 18 OpenPose body points by
  anatomy (the neck is the shoulders' midpoint, as DWPose makes it). BlazePose has no fingers and no
  face contour, so hands and faces carry only the anatomically equal points — wrist, index and pinky
  knuckles (hand points 0, 5, 17) and eye corners, nose tip and mouth corners (68-point face indices
  36, 39, 42, 45, 30, 48, 54) — and the official renderer's rules decide what of them is drawn, as
  they do for the partly hidden hands and faces DWPose reports. Everything else is −1 (not drawn).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

import cv2
import numpy as np

from tryon.pipeline.body.analysis import LEG_VISIBLE_THRESHOLD, VISIBLE_THRESHOLD
from tryon.pipeline.body.landmarks import KEYPOINT_NAMES
from tryon.pipeline.fashn.canvas import CanvasPlacement, resize_pad

if TYPE_CHECKING:
    from tryon.pipeline.body.analysis import BodyAnalysis

BODY_POINTS = 18
HAND_POINTS = 21
FACE_POINTS = 68
WHOLEBODY_POINTS = 133

# OpenPose-18 body points (left and right are the person's own).
NOSE, NECK = 0, 1
RIGHT_SHOULDER, RIGHT_ELBOW, RIGHT_WRIST = 2, 3, 4
LEFT_SHOULDER, LEFT_ELBOW, LEFT_WRIST = 5, 6, 7
RIGHT_HIP, RIGHT_KNEE, RIGHT_ANKLE = 8, 9, 10
LEFT_HIP, LEFT_KNEE, LEFT_ANKLE = 11, 12, 13
RIGHT_EYE, LEFT_EYE, RIGHT_EAR, LEFT_EAR = 14, 15, 16, 17

# The renderer's limbs, in drawing order (0-based OpenPose indices); a later limb covers an earlier one.
LIMBS: tuple[tuple[int, int], ...] = (
    (NECK, RIGHT_SHOULDER),
    (NECK, LEFT_SHOULDER),
    (RIGHT_SHOULDER, RIGHT_ELBOW),
    (RIGHT_ELBOW, RIGHT_WRIST),
    (LEFT_SHOULDER, LEFT_ELBOW),
    (LEFT_ELBOW, LEFT_WRIST),
    (NECK, RIGHT_HIP),
    (RIGHT_HIP, RIGHT_KNEE),
    (RIGHT_KNEE, RIGHT_ANKLE),
    (NECK, LEFT_HIP),
    (LEFT_HIP, LEFT_KNEE),
    (LEFT_KNEE, LEFT_ANKLE),
    (NECK, NOSE),
    (NOSE, RIGHT_EYE),
    (RIGHT_EYE, RIGHT_EAR),
    (NOSE, LEFT_EYE),
    (LEFT_EYE, LEFT_EAR),
)
LIMB_GRAYS = tuple(int(gray) for gray in np.linspace(20, 240, BODY_POINTS).astype(np.uint8)[: len(LIMBS)])
LIMB_OPACITY = 0.6  # the limb layer is scaled by this before it goes under the joints
LIMB_HALF_WIDTH = 4  # minor semi-axis of each limb's ellipse, pixels
ELLIPSE_STEP_DEGREES = 1
JOINT_RADIUS = 4
JOINT_BRIGHTENING = 1.3  # a joint is 1.3 × the gray of the first limb that holds it


def _joint_gray(point: int) -> int:
    first_limb = next(index for index, limb in enumerate(LIMBS) if point in limb)
    return min(255, int(LIMB_GRAYS[first_limb] * JOINT_BRIGHTENING))


JOINT_GRAYS = tuple(_joint_gray(point) for point in range(BODY_POINTS))

# Hands: 21 points (0 wrist, then four per finger from thumb to pinky), 20 bones from the wrist out.
HAND_BONES: tuple[tuple[int, int], ...] = tuple(
    (0 if joint == 0 else base + joint, base + joint + 1) for base in (0, 4, 8, 12, 16) for joint in range(4)
)
HAND_BONE_GRAYS = tuple(int(gray) for gray in np.linspace(160, 220, len(HAND_BONES)).astype(np.uint8))
HAND_BONE_THICKNESS = 2
HAND_POINT_GRAY, HAND_POINT_RADIUS = 240, 4
FACE_POINT_GRAY, FACE_POINT_RADIUS = 200, 3
# Hand and face points are drawn only with both pixel coordinates above this (hidden ones are −1).
MIN_DRAWN_PIXEL = 0.01

# DWPose post-processing.
SCORE_THRESHOLD = 0.3
COCO_LEFT_SHOULDER, COCO_RIGHT_SHOULDER = 5, 6
NECK_INSERTED_AT = 17
# COCO-WholeBody body indices (after the neck is inserted at 17) for OpenPose points 1–4, 6–10, 12–17;
# OpenPose 0, 5 and 11 (nose, left shoulder, left hip) keep their COCO index.
OPENPOSE_FROM_COCO: dict[int, int] = {
    NECK: NECK_INSERTED_AT,
    RIGHT_SHOULDER: 6,
    RIGHT_ELBOW: 8,
    RIGHT_WRIST: 10,
    LEFT_ELBOW: 7,
    LEFT_WRIST: 9,
    RIGHT_HIP: 12,
    RIGHT_KNEE: 14,
    RIGHT_ANKLE: 16,
    LEFT_KNEE: 13,
    LEFT_ANKLE: 15,
    RIGHT_EYE: 2,
    LEFT_EYE: 1,
    RIGHT_EAR: 4,
    LEFT_EAR: 3,
}
# Slices of the 134 points once the neck is inserted: 6 feet, 68 face, 21 left hand, 21 right hand.
FACE_SLICE = slice(24, 24 + FACE_POINTS)
LEFT_HAND_SLICE = slice(FACE_SLICE.stop, FACE_SLICE.stop + HAND_POINTS)
RIGHT_HAND_SLICE = slice(LEFT_HAND_SLICE.stop, LEFT_HAND_SLICE.stop + HAND_POINTS)
TORSO_AND_LIMBS = slice(1, 14)  # neck to left ankle: what picks the main person

# BlazePose → OpenPose-18 (the neck is computed); names as tryon.pipeline.body.landmarks.KEYPOINT_NAMES.
BLAZEPOSE_FOR_BODY_POINT: dict[int, str] = {
    NOSE: "nose",
    RIGHT_SHOULDER: "right_shoulder",
    RIGHT_ELBOW: "right_elbow",
    RIGHT_WRIST: "right_wrist",
    LEFT_SHOULDER: "left_shoulder",
    LEFT_ELBOW: "left_elbow",
    LEFT_WRIST: "left_wrist",
    RIGHT_HIP: "right_hip",
    RIGHT_KNEE: "right_knee",
    RIGHT_ANKLE: "right_ankle",
    LEFT_HIP: "left_hip",
    LEFT_KNEE: "left_knee",
    LEFT_ANKLE: "left_ankle",
    RIGHT_EYE: "right_eye",
    LEFT_EYE: "left_eye",
    RIGHT_EAR: "right_ear",
    LEFT_EAR: "left_ear",
}
# Knees and ankles under a long skirt are in the picture but less sure: the body model's own leg threshold.
LEG_POINTS = (RIGHT_KNEE, RIGHT_ANKLE, LEFT_KNEE, LEFT_ANKLE)
# Hand point (0 wrist, 5 index knuckle, 17 pinky knuckle) → BlazePose name, per side ("left" / "right").
BLAZEPOSE_FOR_HAND_POINT: dict[int, str] = {0: "wrist", 5: "index", 17: "pinky"}
# 68-point face index (iBUG order, the subject's right eye first) → BlazePose name.
BLAZEPOSE_FOR_FACE_POINT: dict[int, str] = {
    30: "nose",
    36: "right_eye_outer",
    39: "right_eye_inner",
    42: "left_eye_inner",
    45: "left_eye_outer",
    48: "mouth_right",
    54: "mouth_left",
}


class PoseKeypoints(NamedTuple):
    """DWPose's pose dict as arrays, coordinates normalised to [0, 1] by the picture's width and height.

    candidate (18·n, 2): body points; subset (n, 18): the candidate row of each point, −1 when unseen;
    hands (2·n, 21, 2): left then right hand, −1 where unseen; faces (n, 68, 2). `hands`/`faces` None:
    not drawn at all (the flat-lay dummy has neither).
    """

    candidate: np.ndarray
    subset: np.ndarray
    hands: np.ndarray | None
    faces: np.ndarray | None


def blank_pose() -> PoseKeypoints:
    """The flat-lay garment's pose: no body (an all-black pose image)."""
    return PoseKeypoints(-np.ones((BODY_POINTS, 2)), -np.ones((1, BODY_POINTS)), None, None)


# ---------------------------------------------------------------------------------------------------------------------
# Renderer


def _pixel(value: np.floating, size: int) -> int:
    # The product keeps the array's precision (float32 stays float32), then truncates toward zero.
    return int(value * size)


def _draw_body(canvas: np.ndarray, candidate: np.ndarray, subset: np.ndarray) -> np.ndarray:
    height, width = canvas.shape
    limb_layer = np.zeros_like(canvas)
    rows = [[int(row) for row in person] for person in subset]
    for (first, second), gray in zip(LIMBS, LIMB_GRAYS, strict=True):
        for person in rows:
            row_a, row_b = person[first], person[second]
            if row_a == -1 or row_b == -1:
                continue
            xa, ya = _pixel(candidate[row_a][0], width), _pixel(candidate[row_a][1], height)
            xb, yb = _pixel(candidate[row_b][0], width), _pixel(candidate[row_b][1], height)
            centre = ((xa + xb) // 2, (ya + yb) // 2)
            half_length = int(math.hypot(xa - xb, ya - yb)) // 2
            angle = int(math.degrees(math.atan2(ya - yb, xa - xb)))
            outline = cv2.ellipse2Poly(centre, (half_length, LIMB_HALF_WIDTH), angle, 0, 360, ELLIPSE_STEP_DEGREES)
            cv2.fillConvexPoly(limb_layer, outline, gray)
    canvas = np.maximum(canvas, (limb_layer * LIMB_OPACITY).astype(np.uint8))
    for point, gray in enumerate(JOINT_GRAYS):
        for person in rows:
            row = person[point]
            if row == -1:
                continue
            centre = (_pixel(candidate[row][0], width), _pixel(candidate[row][1], height))
            cv2.circle(canvas, centre, JOINT_RADIUS, gray, thickness=-1)
    return canvas


def _drawn_pixels(points: np.ndarray, height: int, width: int) -> list[tuple[int, int] | None]:
    """Pixel positions of hand or face points; None for those the renderer leaves out."""
    pixels = []
    for x, y in points:
        column, row = _pixel(x, width), _pixel(y, height)
        pixels.append((column, row) if column > MIN_DRAWN_PIXEL and row > MIN_DRAWN_PIXEL else None)
    return pixels


def _draw_hands(canvas: np.ndarray, hands: np.ndarray) -> None:
    height, width = canvas.shape
    for hand in hands:
        pixels = _drawn_pixels(np.asarray(hand), height, width)
        for (start, end), gray in zip(HAND_BONES, HAND_BONE_GRAYS, strict=True):
            if pixels[start] is not None and pixels[end] is not None:
                cv2.line(canvas, pixels[start], pixels[end], gray, thickness=HAND_BONE_THICKNESS)
        for pixel in pixels:
            if pixel is not None:
                cv2.circle(canvas, pixel, HAND_POINT_RADIUS, HAND_POINT_GRAY, thickness=-1)


def _draw_faces(canvas: np.ndarray, faces: np.ndarray) -> None:
    height, width = canvas.shape
    for face in faces:
        for pixel in _drawn_pixels(np.asarray(face), height, width):
            if pixel is not None:
                cv2.circle(canvas, pixel, FACE_POINT_RADIUS, FACE_POINT_GRAY, thickness=-1)


def render_pose(
    candidate: np.ndarray | Sequence,
    subset: np.ndarray | Sequence,
    hands: np.ndarray | Sequence | None,
    faces: np.ndarray | Sequence | None,
    height: int,
    width: int,
) -> np.ndarray:
    """The FASHN VTON v1.5 pose image: uint8 (height, width), black where nothing is drawn.

    Arguments as `PoseKeypoints` (normalised coordinates; the array's dtype is kept for the pixel
    products, as the official renderer does). Body first, then hands, then faces, each over the last.
    """
    if height < 1 or width < 1:
        raise ValueError(f"pose image size must be positive, got {width}×{height}")
    candidate, subset = np.asarray(candidate), np.atleast_2d(np.asarray(subset))
    if subset.shape[-1] != BODY_POINTS or candidate.ndim != 2 or candidate.shape[1] < 2:
        raise ValueError(f"expected candidate (18·n, 2) and subset (n, 18), got {candidate.shape} and {subset.shape}")
    if subset.size and int(subset.max()) >= len(candidate):
        raise ValueError(f"subset refers to candidate row {int(subset.max())} of {len(candidate)}")
    canvas = _draw_body(np.zeros((int(height), int(width)), np.uint8), candidate, subset)
    if hands is not None:
        _draw_hands(canvas, np.asarray(hands).reshape(-1, HAND_POINTS, 2))
    if faces is not None:
        _draw_faces(canvas, np.asarray(faces).reshape(-1, FACE_POINTS, 2))
    return canvas


def render_pose_keypoints(pose: PoseKeypoints, height: int, width: int) -> np.ndarray:
    """`render_pose` for a `PoseKeypoints`."""
    return render_pose(pose.candidate, pose.subset, pose.hands, pose.faces, height, width)


def pose_canvas(pose: PoseKeypoints, placement: CanvasPlacement) -> np.ndarray:
    """The pose image on the model's canvas: drawn at the pre-resized photo's size (as the official
    pipeline draws it), then resized with nearest-exact and padded like the photo itself."""
    image = render_pose_keypoints(pose, *placement.pre_resized_hw)
    canvas, padding = resize_pad(image, placement.canvas_hw, pose=True)
    if padding != placement.padding_ltrb:
        raise ValueError(f"pose canvas padding {padding} differs from the photo's {placement.padding_ltrb}")
    return canvas


# ---------------------------------------------------------------------------------------------------------------------
# DWPose post-processing


def _openpose_order(points: np.ndarray) -> np.ndarray:
    """(n, 134, k) with the neck inserted at 17 → the first 18 points in OpenPose order."""
    reordered = points.copy()
    targets = list(OPENPOSE_FROM_COCO)
    reordered[:, targets] = points[:, [OPENPOSE_FROM_COCO[target] for target in targets]]
    return reordered


def _main_person(points: np.ndarray, scores: np.ndarray) -> int:
    """DWPose's choice among several people: the largest seen-score sum × box area of points 1–13.

    As in DWPose, the first person's seen points select the points of everyone's box, and only
    coordinates above 0 count; when every product is 0, the largest score sum wins.
    """
    seen = scores[:, TORSO_AND_LIMBS] > SCORE_THRESHOLD
    totals = np.sum(scores[:, TORSO_AND_LIMBS] * seen, axis=1)
    areas = np.zeros(len(points), dtype=totals.dtype)
    for person, person_points in enumerate(points[:, TORSO_AND_LIMBS]):
        chosen = person_points[seen[0]]
        xs, ys = chosen[:, 0][chosen[:, 0] > 0], chosen[:, 1][chosen[:, 1] > 0]
        if len(xs) and len(ys):
            areas[person] = (xs.max() - xs.min()) * (ys.max() - ys.min())
    with np.errstate(invalid="ignore", over="ignore"):
        products = totals * areas
    products[~np.isfinite(products)] = 0
    if np.all(products == 0):
        return int(np.argmax(totals))
    return int(np.nanargmax(products))


def pose_from_wholebody(keypoints: np.ndarray, scores: np.ndarray, height: int, width: int) -> PoseKeypoints:
    """DWPose's 133 COCO-WholeBody keypoints (n, 133, 2) in pixels and scores (n, 133) → one person's pose.

    Body points are kept with subset −1 where the score is ≤ 0.3; hand and face points with a score
    below 0.3 become exactly −1; feet are dropped. Coordinates are divided by width and height.
    """
    keypoints, scores = np.asarray(keypoints), np.asarray(scores)
    if keypoints.ndim != 3 or keypoints.shape[1:] != (WHOLEBODY_POINTS, 2) or scores.shape != keypoints.shape[:2]:
        raise ValueError(
            f"expected keypoints (n, 133, 2) and scores (n, 133), got {keypoints.shape} and {scores.shape}"
        )
    if len(keypoints) == 0:
        raise ValueError("no person in the keypoints")
    rows = np.concatenate([keypoints, scores[..., None]], axis=-1)  # (n, 133, 3): x, y, score
    neck = np.mean(rows[:, [COCO_LEFT_SHOULDER, COCO_RIGHT_SHOULDER]], axis=1)
    neck[:, 2] = np.logical_and(
        rows[:, COCO_LEFT_SHOULDER, 2] > SCORE_THRESHOLD, rows[:, COCO_RIGHT_SHOULDER, 2] > SCORE_THRESHOLD
    )
    rows = _openpose_order(np.insert(rows, NECK_INSERTED_AT, neck, axis=1))
    points, point_scores = rows[..., :2], rows[..., 2]
    if len(points) > 1:
        person = _main_person(points, point_scores)
        points, point_scores = points[person : person + 1], point_scores[person : person + 1]
    points = points.copy()
    points[..., 0] /= float(width)
    points[..., 1] /= float(height)

    candidate = points[0, :BODY_POINTS].copy()
    body_scores = point_scores[:, :BODY_POINTS]
    subset = np.where(body_scores > SCORE_THRESHOLD, np.arange(BODY_POINTS), -1).astype(body_scores.dtype)
    points[point_scores < SCORE_THRESHOLD] = -1
    hands = np.concatenate([points[:, LEFT_HAND_SLICE], points[:, RIGHT_HAND_SLICE]])
    faces = points[:, FACE_SLICE].copy()
    return PoseKeypoints(candidate, subset, hands, faces)


# ---------------------------------------------------------------------------------------------------------------------
# BlazePose (the body model the shop runs) → OpenPose-18 with the hand and face points it has


def pose_from_blazepose(
    points_xy: np.ndarray,
    visibility: np.ndarray,
    height: int,
    width: int,
    *,
    hands_and_face: bool = True,
) -> PoseKeypoints:
    """BlazePose's 33 keypoints (photo pixels, x right, y down) and visibilities → the model's pose.

    A point counts when it lies inside the photo and its visibility reaches the body model's threshold
    (VISIBLE_THRESHOLD; LEG_VISIBLE_THRESHOLD for knees and ankles, which long skirts hide). The neck
    is the shoulders' midpoint, seen when both shoulders are. `hands_and_face=False` leaves hands and
    faces out entirely (only the body is drawn).
    """
    points_xy = np.asarray(points_xy, dtype=np.float64)
    visibility = np.asarray(visibility, dtype=np.float64)
    if points_xy.shape != (len(KEYPOINT_NAMES), 2) or visibility.shape != (len(KEYPOINT_NAMES),):
        raise ValueError(
            f"expected BlazePose points (33, 2) and visibilities (33,), got {points_xy.shape} and {visibility.shape}"
        )
    if height < 1 or width < 1:
        raise ValueError(f"photo size must be positive, got {width}×{height}")
    inside = (
        np.isfinite(points_xy).all(axis=1)
        & (points_xy[:, 0] >= 0)
        & (points_xy[:, 0] < width)
        & (points_xy[:, 1] >= 0)
        & (points_xy[:, 1] < height)
    )
    normalised = (points_xy / np.array([width, height], dtype=np.float64)).astype(np.float32)

    def seen(name: str, threshold: float = VISIBLE_THRESHOLD) -> bool:
        index = KEYPOINT_NAMES.index(name)
        return bool(inside[index] and visibility[index] >= threshold)

    def at(name: str) -> np.ndarray:
        return normalised[KEYPOINT_NAMES.index(name)]

    candidate = -np.ones((BODY_POINTS, 2), dtype=np.float32)
    subset = -np.ones((1, BODY_POINTS), dtype=np.float32)
    for point, name in BLAZEPOSE_FOR_BODY_POINT.items():
        threshold = LEG_VISIBLE_THRESHOLD if point in LEG_POINTS else VISIBLE_THRESHOLD
        candidate[point] = at(name)
        if seen(name, threshold):
            subset[0, point] = point
    candidate[NECK] = (at("left_shoulder") + at("right_shoulder")) / 2
    if seen("left_shoulder") and seen("right_shoulder"):
        subset[0, NECK] = NECK
    if not hands_and_face:
        return PoseKeypoints(candidate, subset, None, None)

    hands = -np.ones((2, HAND_POINTS, 2), dtype=np.float32)
    for hand, side in enumerate(("left", "right")):
        for point, part in BLAZEPOSE_FOR_HAND_POINT.items():
            name = f"{side}_{part}"
            if seen(name):
                hands[hand, point] = at(name)
    faces = -np.ones((1, FACE_POINTS, 2), dtype=np.float32)
    for point, name in BLAZEPOSE_FOR_FACE_POINT.items():
        if seen(name):
            faces[0, point] = at(name)
    return PoseKeypoints(candidate, subset, hands, faces)


def pose_from_body_analysis(analysis: BodyAnalysis, *, hands_and_face: bool = True) -> PoseKeypoints:
    """The pose of the person the body model found (see `pose_from_blazepose`); render it at any size
    with the photo's aspect ratio, e.g. the pre-resized photo's."""
    points = np.array([[analysis.keypoints[name].x, analysis.keypoints[name].y] for name in KEYPOINT_NAMES])
    visibility = np.array([analysis.keypoints[name].visibility for name in KEYPOINT_NAMES])
    return pose_from_blazepose(points, visibility, analysis.height, analysis.width, hands_and_face=hands_and_face)
