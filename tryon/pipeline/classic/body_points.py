"""Body landmarks for weight-free garment fitting, from the face and the person mask (part of stage 3).

The face is found with OpenCV's Haar cascades (Viola and Jones, CVPR 2001). Everything else on the
body is measured in units of the face box width, which makes the rules independent of photo size:
the neck, shoulders, chest, waist and hips are placed at typical proportions below the face and their
widths are read from the person mask's rows, clamped to what a human torso can be (a mask that also
holds the arms or a chair must not make the shirt twice as wide).

"Left" and "right" mean the image's left and right throughout, not the wearer's.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cache

import cv2
import numpy as np

from tryon.pipeline.classic.garment_points import Point, run_through
from tryon.pipeline.contract import NoPersonFoundError

# Face detection runs on a grey copy whose long side is this many pixels (upscaled for tiny photos);
# the cascade's smallest face is 24 pixels, so the first pass finds faces from about a tenth of the
# photo's width up (selfies, waist-up photos) and the second, only when needed, those of full-length photos.
DETECTION_LONG_SIDES = (256, 640)
DETECTION_SCALE_FACTOR = 1.15
DETECTION_SUBSAMPLE_SAMPLES = 3  # source pixels per detection pixel kept when subsampling a large photo
MIN_FACE_PIXELS = 24
FRONTAL_MIN_NEIGHBOURS = 5
FALLBACK_MIN_NEIGHBOURS = 4
FRONTAL_CASCADES = ("haarcascade_frontalface_default.xml", "haarcascade_frontalface_alt2.xml")
PROFILE_CASCADE = "haarcascade_profileface.xml"
# Body proportions below the face box, in face-box widths (W) from its top or bottom.
CHIN_BELOW_FACE_BOTTOM = 0.06
NECK_BELOW_CHIN_RANGE = (0.1, 0.6)
SHOULDER_BELOW_FACE_TOP = 1.55
SHOULDER_PROBE_OFFSET = 1.05  # columns at centre ± this, where the top of the shoulders is looked for
SHOULDER_HALF_WIDTH_RANGE = (0.95, 1.75)
# Used where the mask cannot tell (the body runs off the photo's edge).
TYPICAL_SHOULDER_HALF_WIDTH = 1.2
SHOULDER_INSET = 0.08  # the shoulder point sits this far inside the mask edge
ARMPIT_BELOW_SHOULDER = 1.0
WAIST_BELOW_NECK = 2.7
HIP_BELOW_NECK = 3.6
# Torso half-widths relative to the shoulder half-width: (smallest, largest believable).
CHEST_HALF_WIDTH_RANGE = (0.65, 0.92)
WAIST_HALF_WIDTH_RANGE = (0.55, 0.85)
HIP_HALF_WIDTH_RANGE = (0.6, 0.92)
# Rows averaged (± this many face widths) when reading a width from the mask.
ROW_BAND = 0.08
# Arm direction: the mask's outer edge is read this far below the shoulder (face widths), where the
# upper arm is, and its slant gives the arm's angle from vertical, clamped to what a relaxed pose shows.
ARM_PROBE_BELOW_SHOULDER = (0.3, 1.5)
ARM_ANGLE_RANGE = (3.0, 45.0)  # degrees from vertical, outwards
TYPICAL_ARM_ANGLE = 12.0  # where the arm runs off the photo or is not in the mask


@dataclass(frozen=True)
class FaceBox:
    """The detected face: left, top, width, height in pixels of the photo it was found in."""

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

    def scaled(self, factor: float) -> FaceBox:
        return FaceBox(self.left * factor, self.top * factor, self.width * factor, self.height * factor)


@dataclass(frozen=True)
class BodyLandmarks:
    """Upper-body points on the photo, in pixels; `unit` is the face width they were measured in."""

    unit: float
    chin_y: float
    neck: Point
    left_shoulder: Point
    right_shoulder: Point
    left_chest: Point  # torso side at armpit height
    right_chest: Point
    left_waist: Point
    right_waist: Point
    left_hip: Point
    right_hip: Point
    # How far each upper arm hangs out from vertical, in degrees (outwards from the body).
    left_arm_angle: float = TYPICAL_ARM_ANGLE
    right_arm_angle: float = TYPICAL_ARM_ANGLE

    @property
    def centre_x(self) -> float:
        return (self.left_shoulder[0] + self.right_shoulder[0]) / 2

    @property
    def shoulder_width(self) -> float:
        return self.right_shoulder[0] - self.left_shoulder[0]

    def torso_sides_at(self, y: float) -> tuple[float, float]:
        """Left and right torso edge at height y, interpolated between chest, waist and hip (held beyond)."""
        heights = [self.left_chest[1], self.left_waist[1], self.left_hip[1]]
        lefts = [self.left_chest[0], self.left_waist[0], self.left_hip[0]]
        rights = [self.right_chest[0], self.right_waist[0], self.right_hip[0]]
        return float(np.interp(y, heights, lefts)), float(np.interp(y, heights, rights))


@cache
def _cascade(filename: str) -> cv2.CascadeClassifier:
    classifier = cv2.CascadeClassifier(cv2.data.haarcascades + filename)
    if classifier.empty():
        raise RuntimeError(
            f"OpenCV's Haar cascade {filename} could not be loaded from {cv2.data.haarcascades}; "
            "reinstall opencv-python-headless (see requirements.txt)."
        )
    return classifier


# OpenCV does not promise that one cascade may run in several threads at once; detections take turns.
_DETECTION_LOCK = threading.Lock()


class FaceDetector:
    """Finds the shopper's face: frontal cascades first, then profiles (both ways) as a fallback.

    The cascades are loaded once per process and shared by every detector; `detect` may be called
    from several threads.
    """

    def __init__(self) -> None:
        self._frontal = [_cascade(name) for name in FRONTAL_CASCADES]
        self._profile = _cascade(PROFILE_CASCADE)

    def detect(self, rgb: np.ndarray) -> FaceBox:
        """Return the most confidently detected face in photo pixels, or raise NoPersonFoundError."""
        height, width = rgb.shape[:2]
        largest = 0  # no limit in the first pass
        for long_side in DETECTION_LONG_SIDES:
            factor = long_side / max(height, width)
            # No histogram equalisation: the cascade normalises each window's contrast itself, and a
            # large plain background would skew a global one.
            grey = cv2.cvtColor(_resize(rgb, factor), cv2.COLOR_RGB2GRAY)
            with _DETECTION_LOCK:
                face = self._detect_in(grey, max_side=round(largest * factor))
            if face is not None:
                return face.scaled(1 / factor)
            # A finer pass only looks for faces up to twice the smallest the coarser one could see.
            largest = 2 * MIN_FACE_PIXELS / factor
        raise NoPersonFoundError()

    def _detect_in(self, grey: np.ndarray, *, max_side: int) -> FaceBox | None:
        attempts = [(cascade, FRONTAL_MIN_NEIGHBOURS, False) for cascade in self._frontal[:1]]
        attempts += [(cascade, FALLBACK_MIN_NEIGHBOURS, False) for cascade in self._frontal[1:]]
        attempts += [(self._profile, FALLBACK_MIN_NEIGHBOURS, False), (self._profile, FALLBACK_MIN_NEIGHBOURS, True)]
        for cascade, min_neighbours, mirrored in attempts:
            image = cv2.flip(grey, 1) if mirrored else grey
            boxes, votes = cascade.detectMultiScale2(
                image,
                scaleFactor=DETECTION_SCALE_FACTOR,
                minNeighbors=min_neighbours,
                minSize=(MIN_FACE_PIXELS, MIN_FACE_PIXELS),
                maxSize=(max_side, max_side),
            )
            if len(boxes) == 0:
                continue
            # The detection most neighbouring windows agree on; ties go to the larger face.
            best = max(range(len(boxes)), key=lambda i: (int(votes[i]), int(boxes[i][2])))
            left, top, box_width, box_height = (float(value) for value in boxes[best])
            if mirrored:
                left = grey.shape[1] - left - box_width
            return FaceBox(left, top, box_width, box_height)
        return None


def body_landmarks(face: FaceBox, person_mask: np.ndarray) -> BodyLandmarks:
    """Place the upper-body landmarks from the face box and the person mask (uint8 H×W, same photo)."""
    unit = face.width
    centre_x = face.centre_x
    chin_y = face.bottom + CHIN_BELOW_FACE_BOTTOM * unit
    shoulder_y = _shoulder_height(person_mask, face, chin_y)
    neck_y = float(
        np.clip(
            shoulder_y - 0.05 * unit, chin_y + NECK_BELOW_CHIN_RANGE[0] * unit, chin_y + NECK_BELOW_CHIN_RANGE[1] * unit
        )
    )

    probe_y = shoulder_y + ARM_PROBE_BELOW_SHOULDER[0] * unit
    left_extent, right_extent = _mask_extents(person_mask, centre_x, probe_y, unit)
    arm_probe_y = shoulder_y + ARM_PROBE_BELOW_SHOULDER[1] * unit
    left_arm_extent, right_arm_extent = _mask_extents(person_mask, centre_x, arm_probe_y, unit)
    left_half = _shoulder_half_width(left_extent, unit)
    right_half = _shoulder_half_width(right_extent, unit)

    def sides(y: float, ratio_range: tuple[float, float]) -> tuple[Point, Point]:
        measured_left, measured_right = _mask_extents(person_mask, centre_x, y, unit)
        lowest, highest = ratio_range
        left = float(np.clip(measured_left, lowest * left_half, highest * left_half))
        right = float(np.clip(measured_right, lowest * right_half, highest * right_half))
        return (centre_x - left, y), (centre_x + right, y)

    armpit_y = shoulder_y + ARMPIT_BELOW_SHOULDER * unit
    left_chest, right_chest = sides(armpit_y, CHEST_HALF_WIDTH_RANGE)
    left_waist, right_waist = sides(neck_y + WAIST_BELOW_NECK * unit, WAIST_HALF_WIDTH_RANGE)
    left_hip, right_hip = sides(neck_y + HIP_BELOW_NECK * unit, HIP_HALF_WIDTH_RANGE)
    return BodyLandmarks(
        unit=unit,
        chin_y=chin_y,
        neck=(centre_x, neck_y),
        left_shoulder=(centre_x - left_half, shoulder_y),
        right_shoulder=(centre_x + right_half, shoulder_y),
        left_chest=left_chest,
        right_chest=right_chest,
        left_waist=left_waist,
        right_waist=right_waist,
        left_hip=left_hip,
        right_hip=right_hip,
        left_arm_angle=_arm_angle(left_extent, left_arm_extent, arm_probe_y - probe_y),
        right_arm_angle=_arm_angle(right_extent, right_arm_extent, arm_probe_y - probe_y),
    )


def _arm_angle(upper_extent: float, lower_extent: float, drop: float) -> float:
    """Degrees from vertical of the body's outer edge between two heights (the upper arm's slant)."""
    if not (np.isfinite(upper_extent) and np.isfinite(lower_extent)):
        return TYPICAL_ARM_ANGLE
    return float(np.clip(np.degrees(np.arctan2(lower_extent - upper_extent, drop)), *ARM_ANGLE_RANGE))


def _shoulder_half_width(extent: float, unit: float) -> float:
    if not np.isfinite(extent):
        return TYPICAL_SHOULDER_HALF_WIDTH * unit
    low, high = SHOULDER_HALF_WIDTH_RANGE
    return float(np.clip(extent - SHOULDER_INSET * unit, low * unit, high * unit))


def _shoulder_height(person_mask: np.ndarray, face: FaceBox, chin_y: float) -> float:
    """Top of the mask over both shoulders, or the typical height where the mask does not say."""
    typical = face.top + SHOULDER_BELOW_FACE_TOP * face.width
    height, width = person_mask.shape
    tops = []
    for direction in (-1, 1):
        column = round(face.centre_x + direction * SHOULDER_PROBE_OFFSET * face.width)
        start = round(chin_y)
        if not 0 <= column < width or start >= height:
            continue
        below_chin = np.flatnonzero(person_mask[start:, column])
        if len(below_chin):
            tops.append(start + float(below_chin[0]))
    if not tops:
        return typical
    # A raised hand or long hair can hide a shoulder; stay within half a face of the typical height.
    return float(np.clip(np.mean(tops), typical - 0.5 * face.width, typical + 0.5 * face.width))


def _mask_extents(person_mask: np.ndarray, centre_x: float, y: float, unit: float) -> tuple[float, float]:
    """Distance from the centre line to the mask's left and right edge, median over a band of rows.

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


def _resize(rgb: np.ndarray, factor: float) -> np.ndarray:
    height, width = rgb.shape[:2]
    if factor < 1:
        # Every few pixels first: the detector needs no anti-aliasing beyond what INTER_AREA then gives.
        step = int(1 / (factor * DETECTION_SUBSAMPLE_SAMPLES))
        if step >= 2:
            rgb = rgb[::step, ::step]
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    interpolation = cv2.INTER_AREA if factor < 1 else cv2.INTER_LINEAR
    return cv2.resize(rgb, size, interpolation=interpolation)
