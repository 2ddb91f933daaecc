"""`analyse_body(rgb)`: the shopper's pose, person mask and whether the photo suits each garment type.

The two-stage BlazePose pipeline of MediaPipe's `pose_landmark_cpu.pbtxt` (v0.10.21), run once on a
still photo: detector → region from its alignment keypoints → landmark model on that region →
projection back to the photo; then, as MediaPipe does for the next video frame, a region from the
landmarks' auxiliary points, and when it differs from the detector's region a second landmark pass on
it (the detector's region is only a rough guess from a 224-pixel view). The photo is downscaled once to
`WORK_LONG_SIDE` for every model; keypoints are scaled back exactly and the mask is enlarged at the end.

The verdicts turn what a garment needs into what the shopper should do: tops need both shoulders in
the picture of a person facing the camera; trousers and dresses also need hips, knees and ankles.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from tryon.pipeline.body import detector, landmarks, segmentation
from tryon.pipeline.body.landmarks import KEYPOINT_NAMES, CropLandmarks
from tryon.pipeline.body.models import POSE_DETECTOR, POSE_LANDMARKS, SELFIE_SEGMENTATION, load_model
from tryon.pipeline.body.region import Region, region_from_alignment_points

WORK_LONG_SIDE = 512
VISIBLE_THRESHOLD = 0.5
SECOND_PASS_SHIFT = 0.1  # of the region's side: centre or size moved by more → landmarks rerun
SECOND_PASS_TURN = math.radians(5)
MIN_PERSON_EXTENT = 0.3  # the person must span this share of the photo's height or width
MIN_SHOULDER_WIDTH_PX = 24
MIN_FRONTAL_SHOULDER_RATIO = 0.4  # shoulder width / shoulder-to-hip length; about 0.7 facing the camera
MAX_NOSE_OFFSET = 0.8  # nose from the shoulders' middle along their line, in half shoulder widths
MIN_FRONTAL_SHOULDER_SHARE = 0.5  # shoulder width in the picture / in 3-D (with the model's depth): turned < 60°

SHOULDERS = [KEYPOINT_NAMES.index("left_shoulder"), KEYPOINT_NAMES.index("right_shoulder")]

GARMENT_TYPES = ("upper_body", "lower_body", "full_body")
FACE_THE_CAMERA = "Face the camera with your shoulders and hips in the picture."
NO_PERSON = "We could not find a person in this photo. " + FACE_THE_CAMERA
SEVERAL_PEOPLE = "Only you should be in the photo: take one where nobody else is in the picture."
TOO_SMALL = "You are too far from the camera: take a photo where you fill most of the picture. " + FACE_THE_CAMERA
SIDE_VIEW = "This photo shows you from the side. " + FACE_THE_CAMERA
BACK_VIEW = "This photo shows you from behind. " + FACE_THE_CAMERA
SHOULDERS_OUT = "Your shoulders are not both in the photo. " + FACE_THE_CAMERA
HIPS_OUT = (
    "This photo shows you from the waist up: it can try tops. For trousers and dresses, include your hips "
    "and knees, down to your feet, in the picture."
)
KNEES_OUT = (
    "This photo ends above your knees: it can try tops. For trousers and dresses, take a full-length photo "
    "with your hips, knees and feet in the picture."
)
ANKLES_OUT = (
    "This photo ends above your ankles: it can try tops. For trousers and dresses, take a full-length photo "
    "down to your feet."
)


@dataclass(frozen=True)
class Keypoint:
    """A body landmark in photo pixels (x right, y down) with MediaPipe's visibility in [0, 1]."""

    x: float
    y: float
    visibility: float


@dataclass(frozen=True)
class GarmentVerdict:
    """Whether a photo can try one garment type; `message` tells the shopper what photo to take when not."""

    usable: bool
    message: str = ""


@dataclass(frozen=True)
class BodyAnalysis:
    """Everything the try-on engines and the shop need to know about the person in one photo."""

    width: int
    height: int
    keypoints: dict[str, Keypoint]
    person_mask: np.ndarray = field(repr=False)  # uint8 (height, width), 0 or 255
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 of the person (x1, y1 exclusive)
    people: int
    verdicts: dict[str, GarmentVerdict]
    photo_problem: str | None = None
    timings: dict[str, float] = field(default_factory=dict, compare=False, repr=False)

    def point(self, name: str) -> np.ndarray:
        """(x, y) of a keypoint as float64, photo pixels."""
        keypoint = self.keypoints[name]
        return np.array([keypoint.x, keypoint.y])

    def visible(self, name: str, threshold: float = VISIBLE_THRESHOLD) -> bool:
        """True when the keypoint is inside the photo and the model sees it (not hidden)."""
        keypoint = self.keypoints.get(name)
        if keypoint is None:
            return False
        inside = 0 <= keypoint.x < self.width and 0 <= keypoint.y < self.height
        return inside and keypoint.visibility >= threshold

    def usable_for(self, garment_type: str) -> GarmentVerdict:
        """The verdict for "upper_body", "lower_body" or "full_body"; ValueError for anything else."""
        if garment_type not in self.verdicts:
            raise ValueError(f"unknown garment type {garment_type!r}; expected one of {', '.join(GARMENT_TYPES)}")
        return self.verdicts[garment_type]

    def to_json(self) -> dict[str, Any]:
        """Plain JSON (no mask): what the CLI prints and what a stored photo keeps."""
        return {
            "width": self.width,
            "height": self.height,
            "people": self.people,
            "box": list(self.box),
            "photo_problem": self.photo_problem,
            "keypoints": {
                name: {"x": round(point.x, 2), "y": round(point.y, 2), "visibility": round(point.visibility, 4)}
                for name, point in self.keypoints.items()
            },
            "verdicts": {
                garment_type: {"usable": verdict.usable, "message": verdict.message}
                for garment_type, verdict in self.verdicts.items()
            },
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any], person_mask: np.ndarray) -> BodyAnalysis:
        """Rebuild an analysis stored with `to_json`, given the person mask kept beside it."""
        return cls(
            width=int(data["width"]),
            height=int(data["height"]),
            keypoints={
                name: Keypoint(float(point["x"]), float(point["y"]), float(point["visibility"]))
                for name, point in data["keypoints"].items()
            },
            person_mask=person_mask,
            box=tuple(int(value) for value in data["box"]),
            people=int(data["people"]),
            verdicts={
                garment_type: GarmentVerdict(bool(verdict["usable"]), str(verdict["message"]))
                for garment_type, verdict in data["verdicts"].items()
            },
            photo_problem=data.get("photo_problem"),
        )


# ---------------------------------------------------------------------------------------------------------------------
# Verdicts


def _all_verdicts(message: str) -> dict[str, GarmentVerdict]:
    return {garment_type: GarmentVerdict(False, message) for garment_type in GARMENT_TYPES}


def _both_visible(analysis_view: BodyAnalysis, part: str) -> bool:
    return analysis_view.visible(f"left_{part}") and analysis_view.visible(f"right_{part}")


def _whole_photo_problem(view: BodyAnalysis, shoulder_depth: float) -> str | None:
    """Why no garment at all can be tried on this photo, or None (`shoulder_depth`: the model's
    front-to-back distance between the shoulders, photo pixels)."""
    if view.people == 0 or not view.keypoints:
        return NO_PERSON
    if view.people > 1:
        return SEVERAL_PEOPLE
    box_x0, box_y0, box_x1, box_y1 = view.box
    extent = max((box_x1 - box_x0) / view.width, (box_y1 - box_y0) / view.height)
    left_shoulder, right_shoulder = view.point("left_shoulder"), view.point("right_shoulder")
    shoulder_width = float(np.linalg.norm(left_shoulder - right_shoulder))
    if extent < MIN_PERSON_EXTENT or shoulder_width < MIN_SHOULDER_WIDTH_PX:
        return TOO_SMALL
    if not _both_visible(view, "shoulder"):
        return SHOULDERS_OUT
    mid_shoulder = (left_shoulder + right_shoulder) / 2
    mid_hip = (view.point("left_hip") + view.point("right_hip")) / 2
    torso_length = float(np.linalg.norm(mid_hip - mid_shoulder))
    across = right_shoulder - left_shoulder
    turned_away = shoulder_width < MIN_FRONTAL_SHOULDER_SHARE * math.hypot(shoulder_width, shoulder_depth)
    # Seen from the side the nose is beyond one shoulder; facing the camera it is between them.
    nose_offset = 2 * abs(float(np.dot(view.point("nose") - mid_shoulder, across))) / max(shoulder_width**2, 1e-6)
    nose_beside = view.visible("nose") and nose_offset > MAX_NOSE_OFFSET
    if shoulder_width < MIN_FRONTAL_SHOULDER_RATIO * torso_length or turned_away or nose_beside:
        return SIDE_VIEW
    face_seen = any(view.visible(name) for name in ("nose", "left_eye", "right_eye"))
    # Facing the camera, the person's left shoulder is on the right of the picture (in the body's own
    # frame, so a tilted photo still counts): the cross product of shoulder→shoulder and shoulder→hip.
    down = mid_hip - mid_shoulder
    facing_camera = across[0] * down[1] - across[1] * down[0] < 0
    if not face_seen or not facing_camera:
        return BACK_VIEW
    return None


def judge_photo(view: BodyAnalysis, *, shoulder_depth: float = 0.0) -> tuple[dict[str, GarmentVerdict], str | None]:
    """Per garment type verdicts and the whole-photo problem for an analysis whose verdicts are not set yet."""
    problem = _whole_photo_problem(view, shoulder_depth)
    if problem is not None:
        return _all_verdicts(problem), problem
    legs_message = None
    if not _both_visible(view, "hip"):
        legs_message = HIPS_OUT
    elif not _both_visible(view, "knee"):
        legs_message = KNEES_OUT
    elif not _both_visible(view, "ankle"):
        legs_message = ANKLES_OUT
    legs = GarmentVerdict(legs_message is None, legs_message or "")
    return {"upper_body": GarmentVerdict(True), "lower_body": legs, "full_body": legs}, None


# ---------------------------------------------------------------------------------------------------------------------
# The pipeline


@dataclass(frozen=True)
class _Pass:
    region: Region
    landmarks: CropLandmarks
    raw_segmentation: np.ndarray


def _landmark_pass(work: np.ndarray, region: Region, run_landmarks: Callable[[np.ndarray], list[np.ndarray]]) -> _Pass:
    crop = region.crop(work, landmarks.INPUT_SIZE)
    raw_landmarks, raw_presence, raw_segmentation, raw_heatmap, _world = run_landmarks(landmarks.landmark_input(crop))
    return _Pass(region, landmarks.decode_landmarks(raw_landmarks, raw_presence, raw_heatmap), raw_segmentation)


def _needs_second_pass(first: Region, second: Region) -> bool:
    moved = math.hypot(second.centre_x - first.centre_x, second.centre_y - first.centre_y)
    turned = abs(math.remainder(second.rotation - first.rotation, 2 * math.pi))
    return (
        moved > SECOND_PASS_SHIFT * first.side
        or abs(second.side - first.side) > SECOND_PASS_SHIFT * first.side
        or turned > SECOND_PASS_TURN
    )


def _box_from(mask_work: np.ndarray, scale: float, size: tuple[int, int], points: np.ndarray) -> tuple[int, ...]:
    height, width = size
    if cv2.countNonZero(mask_work):
        x, y, box_width, box_height = cv2.boundingRect(mask_work)
        corners = np.array([x, y, x + box_width, y + box_height]) / scale
    else:
        inside = points[(points[:, 0] >= 0) & (points[:, 0] < width) & (points[:, 1] >= 0) & (points[:, 1] < height)]
        if not len(inside):
            return (0, 0, 0, 0)
        corners = np.concatenate([inside.min(axis=0), inside.max(axis=0) + 1])
    x0, y0, x1, y1 = (int(value) for value in np.round(corners))
    return (max(0, x0), max(0, y0), min(width, x1), min(height, y1))


def downscale_for_models(rgb: np.ndarray) -> tuple[np.ndarray, float]:
    """The photo with its long side at most WORK_LONG_SIDE, and the scale used.

    Area averaging over a 12 MP photo reads every pixel (≈30 ms on 2 cores); bilinear sampling down to
    twice the target first and area averaging the last factor of two costs a fraction of that and
    still removes most of the aliasing the models would see.
    """
    height, width = rgb.shape[:2]
    scale = min(1.0, WORK_LONG_SIDE / max(height, width))
    if scale == 1.0:
        return rgb, scale
    target = (round(width * scale), round(height * scale))
    if scale < 0.5:
        rgb = cv2.resize(rgb, (target[0] * 2, target[1] * 2), interpolation=cv2.INTER_LINEAR)
    return cv2.resize(rgb, target, interpolation=cv2.INTER_AREA), scale


def _empty_analysis(width: int, height: int, people: int, timings: dict[str, float]) -> BodyAnalysis:
    view = BodyAnalysis(
        width=width,
        height=height,
        keypoints={},
        person_mask=np.zeros((height, width), np.uint8),
        box=(0, 0, 0, 0),
        people=people,
        verdicts={},
        timings=timings,
    )
    verdicts, problem = judge_photo(view)
    return replace(view, verdicts=verdicts, photo_problem=problem)


def analyse_body(rgb: np.ndarray, *, models_dir: Path | None = None, refine_mask: bool = True) -> BodyAnalysis:
    """Pose, person mask and per-garment verdicts for one RGB photo (H, W, 3 uint8).

    Raises BodyModelMissingError (naming the file and the install command) when a model file is
    absent or damaged. `refine_mask` adds selfie segmentation to the pose model's mask.
    """
    if rgb.ndim == 2:
        rgb = np.repeat(rgb[:, :, None], 3, axis=2)
    rgb = np.ascontiguousarray(rgb[..., :3], dtype=np.uint8)
    height, width = rgb.shape[:2]
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[stage] = timings.get(stage, 0.0) + now - clock
        clock = now

    pose_detector = load_model(POSE_DETECTOR, models_dir)
    pose_landmarks = load_model(POSE_LANDMARKS, models_dir)
    selfie = load_model(SELFIE_SEGMENTATION, models_dir) if refine_mask else None
    lap("load")

    work, scale = downscale_for_models(rgb)
    work_size = work.shape[:2]
    lap("downscale")

    people = detector.detect_people(work, pose_detector.run)
    lap("detect")
    if not people:
        return _empty_analysis(width, height, 0, timings)

    best = people[0]
    found = _landmark_pass(work, region_from_alignment_points(best.keypoints[0], best.keypoints[1]), pose_landmarks.run)
    lap("landmarks")
    points_work = found.region.to_image(found.landmarks.points)
    refined_region = region_from_alignment_points(
        points_work[landmarks.AUXILIARY_CENTRE], points_work[landmarks.AUXILIARY_SCALE]
    )
    if _needs_second_pass(found.region, refined_region):
        found = _landmark_pass(work, refined_region, pose_landmarks.run)
        points_work = found.region.to_image(found.landmarks.points)
    lap("landmarks_refine")
    if found.landmarks.pose_presence < landmarks.POSE_PRESENCE_THRESHOLD:
        return _empty_analysis(width, height, 0, timings)

    probability = segmentation.pose_probability(found.region, found.raw_segmentation, work_size)
    if selfie is not None:
        (raw_selfie,) = selfie.run(segmentation.selfie_input(work))
        probability = segmentation.refine_with_selfie(
            probability, segmentation.selfie_probability(raw_selfie, work_size)
        )
    mask_work = segmentation.mask_at_size(probability, work_size)
    lap("segment")
    person_mask = segmentation.mask_at_size(probability, (height, width))
    lap("mask_upscale")

    points = points_work / scale
    keypoints = {
        name: Keypoint(float(points[index, 0]), float(points[index, 1]), float(found.landmarks.visibility[index]))
        for index, name in enumerate(KEYPOINT_NAMES)
    }
    view = BodyAnalysis(
        width=width,
        height=height,
        keypoints=keypoints,
        person_mask=person_mask,
        box=_box_from(mask_work, scale, (height, width), points[: len(KEYPOINT_NAMES)]),
        people=len(people),
        verdicts={},
        timings=timings,
    )
    shoulder_depth = abs(float(np.diff(found.landmarks.depth[SHOULDERS])[0])) * found.region.side / scale
    verdicts, problem = judge_photo(view, shoulder_depth=shoulder_depth)
    lap("verdicts")
    return replace(view, verdicts=verdicts, photo_problem=problem)
