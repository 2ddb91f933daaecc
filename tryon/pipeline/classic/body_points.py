"""The body as the weight-free engine fits garments to it (part of stage 3), from the body model's
keypoints (MediaPipe BlazePose, `tryon.pipeline.body`) and its person mask.

Joints come from the keypoints: shoulders, elbows and wrists make each arm, hips, knees and ankles each
leg. The outline a garment lies on is read from the person mask at those joints' heights and clamped to
human proportions of the joints' own spacing (a mask that also holds the arms hanging beside the torso
must not make the shirt twice as wide). Lengths are in `unit`s of a face width, taken as a fixed share
of the shoulder joints' spacing, so every rule is independent of photo size.

"Left" and "right" mean the image's left and right throughout, not the wearer's; `body_points`
pairs the body model's named keypoints (the person's left and right) with the image's sides.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from tryon.pipeline.body import BodyAnalysis
from tryon.pipeline.classic.garment_points import Point, run_through
from tryon.pipeline.fit_limits import face_width

# The garment's shoulder seam lies on the top of the shoulder: up to this far (face widths) above the
# joint, where the mask says so, and this far outside it.
SHOULDER_TOP_ABOVE_JOINT = (0.1, 0.35)
SHOULDER_SEAM_OUTSIDE_JOINT = 0.12
# The chin below the mouth and the face's top above the eyes, in eye-to-mouth distances.
CHIN_BELOW_MOUTH = 0.9
FACE_TOP_ABOVE_EYES = 1.4
# The base of the neck: this far above the shoulder seam line, but at least this far below the chin.
NECK_ABOVE_SHOULDERS = 0.25
NECK_BELOW_CHIN = 0.1
ARMPIT_BELOW_SHOULDER = 1.0
# Torso half-widths read from the mask, clamped: at the armpits in shoulder half-spacings, at the waist
# and hips in hip-joint half-spacings (the outline at the hips is about 1.8 of them).
CHEST_HALF_WIDTH_RANGE = (0.65, 0.95)
WAIST_HALF_WIDTH_RANGE = (1.2, 1.8)
HIP_HALF_WIDTH_RANGE = (1.4, 2.1)
# The waistband of trousers and skirts sits this share of the shoulder-to-hip length above the hip joints.
WAISTBAND_ABOVE_HIPS = 0.22
ROW_BAND = 0.08  # rows averaged (± face widths) when reading a width from the mask
# A hand is kept clear of the garment within this many wrist-to-knuckle lengths of its keypoints.
HAND_CLEARANCE = 0.7
MIN_HAND_RADIUS = 0.25  # face widths
# A leg's silhouette on a row is the person mask's run within this many face widths of the leg's line.
LEG_RUN_REACH = 0.4
# A skirt hanging free beside the legs stays this far (face widths) from each arm's line: arms hang in front.
ARM_CLEARANCE = 0.35
# Capsule radii of human limbs in face widths, at the root, the joint and the end (shoulder, elbow,
# wrist; hip, knee, ankle): an upper arm is about 9 cm across, a thigh about 17 cm, a face 14 cm.
ARM_RADII = (0.32, 0.26, 0.2)
LEG_RADII = (0.6, 0.4, 0.27)


@dataclass(frozen=True)
class FaceBox:
    """The face: left, top, width, height in photo pixels."""

    left: float
    top: float
    width: float
    height: float

    @property
    def centre_x(self) -> float:
        return self.left + self.width / 2

    @property
    def bottom(self) -> float:
        return self.top + self.height


@dataclass(frozen=True)
class Limb:
    """An arm (shoulder, elbow, wrist) or a leg (hip, knee, ankle) in photo pixels."""

    root: np.ndarray
    joint: np.ndarray
    end: np.ndarray

    @property
    def upper_length(self) -> float:
        return float(np.linalg.norm(self.joint - self.root))

    @property
    def length(self) -> float:
        return self.upper_length + float(np.linalg.norm(self.end - self.joint))

    def along(self, distance: float) -> tuple[np.ndarray, np.ndarray]:
        """The point `distance` pixels from the root along root → joint → end (continued straight past
        the end) and the unit direction of the segment it lies on."""
        upper = self.joint - self.root
        lower = self.end - self.joint
        if distance <= self.upper_length or not np.linalg.norm(lower):
            direction = upper / max(float(np.linalg.norm(upper)), 1e-6)
            return self.root + direction * distance, direction
        direction = lower / float(np.linalg.norm(lower))
        return self.joint + direction * (distance - self.upper_length), direction


@dataclass(frozen=True)
class BodyPoints:
    """Points a garment is fitted to, in photo pixels; `unit` is a face width."""

    unit: float
    face: FaceBox
    chin_y: float
    neck: Point
    left_shoulder: Point  # where a top's shoulder seam goes
    right_shoulder: Point
    left_chest: Point  # torso side at armpit height
    right_chest: Point
    left_waist: Point
    right_waist: Point
    left_hip: Point
    right_hip: Point
    left_arm: Limb
    right_arm: Limb
    left_leg: Limb
    right_leg: Limb
    waistband_y: float  # where trousers and skirts start
    left_waistband: Point
    right_waistband: Point

    @property
    def centre_x(self) -> float:
        return (self.left_shoulder[0] + self.right_shoulder[0]) / 2

    @property
    def shoulder_width(self) -> float:
        return self.right_shoulder[0] - self.left_shoulder[0]

    @property
    def hip_centre(self) -> np.ndarray:
        return (self.left_leg.root + self.right_leg.root) / 2

    def torso_sides_at(self, y: float) -> tuple[float, float]:
        """Left and right torso edge at height y, interpolated between chest, waist and hip (held beyond)."""
        heights = [self.left_chest[1], self.left_waist[1], self.left_hip[1]]
        lefts = [self.left_chest[0], self.left_waist[0], self.left_hip[0]]
        rights = [self.right_chest[0], self.right_waist[0], self.right_hip[0]]
        return float(np.interp(y, heights, lefts)), float(np.interp(y, heights, rights))


def body_points(analysis: BodyAnalysis) -> BodyPoints:
    """The fitting points of the person in `analysis` (a photo the body model found one person in)."""
    mask = analysis.person_mask
    # Facing the camera the person's right shoulder is on the image's left; pair names with image sides.
    image_left, image_right = ("right", "left")
    if analysis.point("left_shoulder")[0] < analysis.point("right_shoulder")[0]:
        image_left, image_right = image_right, image_left

    def limb(side: str, names: tuple[str, str, str]) -> Limb:
        return Limb(*(analysis.point(f"{side}_{name}") for name in names))

    left_arm, right_arm = (limb(side, ("shoulder", "elbow", "wrist")) for side in (image_left, image_right))
    left_leg, right_leg = (limb(side, ("hip", "knee", "ankle")) for side in (image_left, image_right))
    shoulder_spacing = float(np.linalg.norm(right_arm.root - left_arm.root))
    unit = face_width(shoulder_spacing)
    face = _face_box(analysis, unit)
    chin_y = face.bottom

    left_shoulder = _shoulder_seam(mask, left_arm.root, -1, unit)
    right_shoulder = _shoulder_seam(mask, right_arm.root, 1, unit)
    centre_x = (left_shoulder[0] + right_shoulder[0]) / 2
    shoulder_y = (left_shoulder[1] + right_shoulder[1]) / 2
    neck_y = max(shoulder_y - NECK_ABOVE_SHOULDERS * unit, chin_y + NECK_BELOW_CHIN * unit)
    hip_centre = (left_leg.root + right_leg.root) / 2
    hip_half = max(float(np.linalg.norm(right_leg.root - left_leg.root)) / 2, 0.3 * unit)
    shoulder_half = shoulder_spacing / 2

    def sides(y: float, x: float, half: float, ratio_range: tuple[float, float]) -> tuple[Point, Point]:
        measured_left, measured_right = _mask_extents(mask, x, y, unit)
        lowest, highest = ratio_range
        left = float(np.clip(measured_left, lowest * half, highest * half))
        right = float(np.clip(measured_right, lowest * half, highest * half))
        return (x - left, y), (x + right, y)

    armpit_y = shoulder_y + ARMPIT_BELOW_SHOULDER * unit
    hip_y = float(hip_centre[1])
    waist_y = (armpit_y + hip_y) / 2
    left_chest, right_chest = sides(armpit_y, centre_x, shoulder_half, CHEST_HALF_WIDTH_RANGE)
    middle_x = float((centre_x + hip_centre[0]) / 2)
    left_waist, right_waist = sides(waist_y, middle_x, hip_half, WAIST_HALF_WIDTH_RANGE)
    left_hip, right_hip = sides(hip_y, float(hip_centre[0]), hip_half, HIP_HALF_WIDTH_RANGE)
    waistband_y = hip_y - WAISTBAND_ABOVE_HIPS * (hip_y - shoulder_y)
    waistband_x = float(hip_centre[0] + WAISTBAND_ABOVE_HIPS * (centre_x - hip_centre[0]))
    left_waistband, right_waistband = sides(waistband_y, waistband_x, hip_half, WAIST_HALF_WIDTH_RANGE)
    return BodyPoints(
        unit=unit,
        face=face,
        chin_y=chin_y,
        neck=(centre_x, neck_y),
        left_shoulder=left_shoulder,
        right_shoulder=right_shoulder,
        left_chest=left_chest,
        right_chest=right_chest,
        left_waist=left_waist,
        right_waist=right_waist,
        left_hip=left_hip,
        right_hip=right_hip,
        left_arm=left_arm,
        right_arm=right_arm,
        left_leg=left_leg,
        right_leg=right_leg,
        waistband_y=waistband_y,
        left_waistband=left_waistband,
        right_waistband=right_waistband,
    )


def hand_discs(analysis: BodyAnalysis, unit: float) -> list[tuple[float, float, float]]:
    """Discs (x, y, radius in photo pixels) over each hand, from its wrist, knuckle and thumb keypoints:
    no garment is drawn there."""
    discs = []
    for side in ("left", "right"):
        wrist = analysis.point(f"{side}_wrist")
        knuckles = [analysis.point(f"{side}_{name}") for name in ("pinky", "index", "thumb")]
        reach = max(float(np.linalg.norm(point - wrist)) for point in knuckles)
        centre = np.mean([wrist, *knuckles], axis=0)
        discs.append((float(centre[0]), float(centre[1]), max(HAND_CLEARANCE * reach, MIN_HAND_RADIUS * unit)))
    return discs


def _face_box(analysis: BodyAnalysis, unit: float) -> FaceBox:
    """The face from the eyes, ears and mouth keypoints: as wide as the ears are apart (at least a unit)."""
    eyes = (analysis.point("left_eye") + analysis.point("right_eye")) / 2
    mouth = (analysis.point("mouth_left") + analysis.point("mouth_right")) / 2
    eye_to_mouth = max(float(mouth[1] - eyes[1]), 0.2 * unit)
    ears = abs(float(analysis.point("left_ear")[0] - analysis.point("right_ear")[0]))
    width = max(ears, unit)
    top = float(eyes[1]) - FACE_TOP_ABOVE_EYES * eye_to_mouth
    bottom = float(mouth[1]) + CHIN_BELOW_MOUTH * eye_to_mouth
    centre_x = float(analysis.point("nose")[0])
    return FaceBox(centre_x - width / 2, top, width, bottom - top)


def _shoulder_seam(mask: np.ndarray, joint: np.ndarray, outwards: int, unit: float) -> Point:
    """Where a top's shoulder seam goes: a little outside the joint, on the top of the shoulder as the
    mask shows it (within SHOULDER_TOP_ABOVE_JOINT of the joint; long hair can hide it)."""
    height, width = mask.shape
    x = float(joint[0] + outwards * SHOULDER_SEAM_OUTSIDE_JOINT * unit)
    column = int(np.clip(round(x), 0, width - 1))
    lowest, highest = (float(joint[1]) - share * unit for share in SHOULDER_TOP_ABOVE_JOINT)
    top = lowest
    start = int(np.clip(round(joint[1]), 0, height - 1))
    if mask[start, column]:
        off_person = np.flatnonzero(mask[: start + 1, column] == 0)
        top = float(off_person[-1] + 1) if len(off_person) else 0.0
    return x, float(np.clip(top, highest, lowest))


def _mask_extents(person_mask: np.ndarray, centre_x: float, y: float, unit: float) -> tuple[float, float]:
    """Distance from `centre_x` to the mask's left and right edge, median over a band of rows.

    Rows outside the photo, or where the centre is not on the person, report infinity so the caller's
    upper clamp (a typical proportion) applies.
    """
    height, width = person_mask.shape
    column = int(np.clip(round(centre_x), 0, width - 1))
    band = max(1, round(ROW_BAND * unit))
    lefts, rights = [], []
    for row in range(round(y) - band, round(y) + band + 1, max(1, band // 2)):
        if not 0 <= row < height or not person_mask[row, column]:
            continue
        left_edge, right_edge = run_through(person_mask[row] > 0, column)
        # Touching the photo's border means the body continues beyond it: the width is unknown.
        lefts.append(np.inf if left_edge == 0 else centre_x - left_edge)
        rights.append(np.inf if right_edge == width - 1 else right_edge - centre_x)
    if not lefts:
        return np.inf, np.inf
    return float(np.median(lefts)), float(np.median(rights))


def between_legs(person_mask: np.ndarray, body: BodyPoints) -> np.ndarray:
    """The space between the two legs (uint8, 255 inside) from the hip joints down to the ankles, which a
    skirt or dress hangs across although the person mask has a gap there.

    On each row it runs from the inner edge of the left leg's silhouette to the inner edge of the right
    leg's (the mask's runs nearest each leg's line), so it never reaches past the outer leg outline or
    onto anything beside the person; where the legs touch or a leg is not found it is empty.
    """
    gap = np.zeros(person_mask.shape[:2], np.uint8)
    height = gap.shape[0]
    reach = LEG_RUN_REACH * body.unit
    top = max(0, int(np.ceil(body.hip_centre[1])))
    bottom = min(height, int(np.floor(min(body.left_leg.end[1], body.right_leg.end[1]))) + 1)
    for y in range(top, bottom):
        left_x, right_x = _leg_x_at(body.left_leg, y), _leg_x_at(body.right_leg, y)
        if left_x is None or right_x is None or right_x - left_x < 2:
            continue
        row = person_mask[y] > 0
        left_run, right_run = _run_near(row, left_x, reach), _run_near(row, right_x, reach)
        if left_run is None or right_run is None or left_run[1] + 1 >= right_run[0]:
            continue
        gap[y, left_run[1] + 1 : right_run[0]] = 255
    return gap


def _leg_x_at(leg: Limb, y: float) -> float | None:
    """Where the leg's line (hip → knee → ankle) crosses row y; None where it does not run downwards."""
    heights = [float(leg.root[1]), float(leg.joint[1]), float(leg.end[1])]
    if not heights[0] < heights[1] < heights[2] or not heights[0] <= y <= heights[2]:
        return None
    return float(np.interp(y, heights, [float(leg.root[0]), float(leg.joint[0]), float(leg.end[0])]))


def _run_near(row: np.ndarray, x: float, reach: float) -> tuple[int, int] | None:
    """First and last column of the filled run of `row` at or nearest to column x, within `reach`."""
    filled = np.flatnonzero(row)
    if len(filled) == 0:
        return None
    nearest = int(filled[np.argmin(np.abs(filled - x))])
    if abs(nearest - x) > reach:
        return None
    return run_through(row, nearest)


def hanging_room(shape: tuple[int, ...], body: BodyPoints, *, keep_open: np.ndarray | None = None) -> np.ndarray:
    """Where a bottom or a dress may reach off the person (uint8, 255 inside): below the hip joints, with
    its own outline (a trouser leg is wider than a bare leg, a skirt has its own flare), but clear of
    the arms, which hang in front of it, and of `keep_open` (for trousers, the gap between the legs).
    Cut to the person mask instead, a skirt was a tube down the legs whose hem stepped where the
    person's own shorts ended, and trousers were leggings."""
    room = np.zeros(shape[:2], np.uint8)
    room[max(0, int(np.ceil(body.hip_centre[1]))) :] = 255
    thickness = max(1, round(2 * ARM_CLEARANCE * body.unit))
    for arm in (body.left_arm, body.right_arm):
        points = np.round(np.array([arm.root, arm.joint, arm.end])).astype(np.int32)
        cv2.polylines(room, [points], isClosed=False, color=0, thickness=thickness)
    if keep_open is not None:
        room[keep_open > 0] = 0
    return room


def limb_depth(
    limb: Limb, radii: tuple[float, float, float], unit: float, grid_x: np.ndarray, grid_y: np.ndarray
) -> np.ndarray:
    """Distance from the limb's line over its radius there (above 1 outside it): the limb as a capsule
    tapering through `radii` (face widths at its root, joint and end)."""
    depth = np.full(grid_x.shape, np.inf)
    for start, end, (start_radius, end_radius) in (
        (limb.root, limb.joint, radii[:2]),
        (limb.joint, limb.end, radii[1:]),
    ):
        distance, share = segment_distance_and_share(start, end, grid_x, grid_y)
        depth = np.minimum(depth, distance / (unit * (start_radius + share * (end_radius - start_radius))))
    return depth


def limb_distance(limb: Limb, grid_x: np.ndarray, grid_y: np.ndarray) -> np.ndarray:
    """Distance of every grid point to the limb's line (root → joint → end)."""
    return np.minimum(
        segment_distance(limb.root, limb.joint, grid_x, grid_y), segment_distance(limb.joint, limb.end, grid_x, grid_y)
    )


def segment_distance(start: np.ndarray, end: np.ndarray, grid_x: np.ndarray, grid_y: np.ndarray) -> np.ndarray:
    """Distance of every grid point to the segment from `start` to `end`."""
    return segment_distance_and_share(start, end, grid_x, grid_y)[0]


def segment_distance_and_share(
    start: np.ndarray, end: np.ndarray, grid_x: np.ndarray, grid_y: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Distance of every point to the segment, and how far along it (0 to 1) its nearest point lies."""
    start, end = np.asarray(start, np.float64), np.asarray(end, np.float64)
    direction = end - start
    length_squared = max(float(direction @ direction), 1e-9)
    share = np.clip(((grid_x - start[0]) * direction[0] + (grid_y - start[1]) * direction[1]) / length_squared, 0, 1)
    distance = np.hypot(grid_x - (start[0] + share * direction[0]), grid_y - (start[1] + share * direction[1]))
    return distance, share
