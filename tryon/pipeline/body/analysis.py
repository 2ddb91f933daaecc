"""`analyse_body(rgb)`: the shopper's pose, person mask and whether the photo suits each garment type.

The two-stage BlazePose pipeline of MediaPipe's `pose_landmark_cpu.pbtxt` (v0.10.21), run once on a
still photo: detector → region from its alignment keypoints → landmark model on that region →
projection back to the photo; then, as MediaPipe does for the next video frame, a region from the
landmarks' auxiliary points, and when it differs from the detector's region a second landmark pass on
it (the detector's region is only a rough guess from a 224-pixel view). The photo is downscaled once to
`WORK_LONG_SIDE` for every model; keypoints are scaled back exactly and the mask is enlarged at the end.

Two additions for the photos shoppers take:
- The detector keys on the face, so a mirror selfie with the phone in front of the face finds nobody.
  Then the person is found from the selfie segmentation mask instead: landmark regions centred along
  the mask's box, large enough to hold a body whose head or feet lie outside the picture, each refined
  once as above; the one the landmark model is surest of (pose presence) wins.
- A person small in a large photo (a quarter of the frame) has few pixels left at `WORK_LONG_SIDE`.
  Then the models run again on a crop of the full-resolution photo around the person, so the body
  is judged, and later dressed, by the pixels it really has.

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
from tryon.pipeline.body.landmarks import KEYPOINT_NAMES, CropLandmarks, mirrored_name
from tryon.pipeline.body.models import POSE_DETECTOR, POSE_LANDMARKS, SELFIE_SEGMENTATION, load_model
from tryon.pipeline.body.region import Region, region_from_alignment_points
from tryon.pipeline.contract import FULL_BODY, GARMENT_TYPES, LOWER_BODY, UPPER_BODY

WORK_LONG_SIDE = 512
VISIBLE_THRESHOLD = 0.5
# Knees and ankles under a long skirt or dress are in the picture but hidden: the model is less sure of them.
LEG_VISIBLE_THRESHOLD = 0.35
ON_BODY_REACH = 0.15  # of the shoulder width: how far from the person mask a knee or ankle may lie
SECOND_PASS_SHIFT = 0.1  # of the region's side: centre or size moved by more → landmarks rerun
SECOND_PASS_TURN = math.radians(5)
# Smallest distance between the shoulders, in the photo's own pixels, that leaves enough to dress.
MIN_SHOULDER_WIDTH_PX = 40
# A person whose box spans less than this share of the photo's long side is analysed again on a crop.
CROP_BELOW_EXTENT = 0.6
CROP_MARGIN = 0.35  # of the person's box, added on each side of the crop
TILE_SEARCH_FROM = 2  # photos this many times the work size are searched in tiles when nobody is found
# Landmark regions tried when the detector finds nobody: centres along the person mask's box (share of
# its height from the top) and sides (multiples of its long side; the body may reach past the picture).
MASK_REGION_CENTRES = (0.35, 0.5, 0.65)
MASK_REGION_SIDES = (1.6, 2.0, 2.5)
MIN_MASK_AREA = 0.02  # of the photo: a smaller mask is no person to look for
OTHER_PERSON_SHARE = 0.3  # a second mask piece at least this share of the largest is another person
MIN_MASK_AGREEMENT = 0.6  # intersection over union of the landmark model's person and the mask's
MIN_FRONTAL_SHOULDER_RATIO = 0.4  # shoulder width / shoulder-to-hip length; about 0.7 facing the camera
MAX_NOSE_OFFSET = 0.8  # nose from the shoulders' middle along their line, in half shoulder widths
MIN_FRONTAL_SHOULDER_SHARE = 0.5  # shoulder width in the picture / in 3-D (with the model's depth): turned < 60°

SHOULDERS = [KEYPOINT_NAMES.index("left_shoulder"), KEYPOINT_NAMES.index("right_shoulder")]

FACE_NAMES = ("nose", "left_eye", "right_eye")
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
        return self.inside(name) and keypoint.visibility >= threshold

    def inside(self, name: str) -> bool:
        """True when the keypoint lies inside the photo, seen or not."""
        keypoint = self.keypoints.get(name)
        return keypoint is not None and 0 <= keypoint.x < self.width and 0 <= keypoint.y < self.height

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


def _both_visible(analysis_view: BodyAnalysis, part: str, threshold: float = VISIBLE_THRESHOLD) -> bool:
    return analysis_view.visible(f"left_{part}", threshold) and analysis_view.visible(f"right_{part}", threshold)


def _both_on_body(view: BodyAnalysis, part: str) -> bool:
    """Both joints seen (leniently: a long skirt hides knees) and on the person mask, not on a busy
    background below a waist-up person where the model may place them."""
    shoulder_width = float(np.linalg.norm(view.point("left_shoulder") - view.point("right_shoulder")))
    reach = max(2, round(ON_BODY_REACH * shoulder_width))
    for name in (f"left_{part}", f"right_{part}"):
        if not view.visible(name, LEG_VISIBLE_THRESHOLD):
            return False
        x, y = int(view.keypoints[name].x), int(view.keypoints[name].y)
        window = view.person_mask[max(0, y - reach) : y + reach + 1, max(0, x - reach) : x + reach + 1]
        if not window.any():
            return False
    return True


def _whole_photo_problem(view: BodyAnalysis, shoulder_depth: float, nose_in_front: bool | None) -> str | None:
    """Why no garment at all can be tried on this photo, or None.

    `shoulder_depth` is the model's front-to-back distance between the shoulders (photo pixels);
    `nose_in_front` whether the model puts the nose nearer the camera than the shoulders (None: unknown).
    Size is judged by the pixels between the shoulders, not by the share of the frame: a small person
    in a large photo still has plenty to dress. Facing is judged from the body (which shoulder is on
    which side, in the body's own frame); the face only adds evidence where it lies inside the picture:
    a head cut off at the chin or the nose says nothing about which way the person faces.
    """
    if view.people == 0 or not view.keypoints:
        return NO_PERSON
    if view.people > 1:
        return SEVERAL_PEOPLE
    left_shoulder, right_shoulder = view.point("left_shoulder"), view.point("right_shoulder")
    shoulder_width = float(np.linalg.norm(left_shoulder - right_shoulder))
    if not _both_visible(view, "shoulder"):
        return SHOULDERS_OUT
    if shoulder_width < MIN_SHOULDER_WIDTH_PX:
        return TOO_SMALL
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
    facing_camera = _facing_camera(view.keypoints)
    # A face inside the picture that the model cannot see is the back of a head, unless the model's
    # depth puts the nose in front of the shoulders (a face hidden behind a phone in a mirror selfie).
    face_inside = any(view.inside(name) for name in FACE_NAMES)
    face_seen = any(view.visible(name) for name in FACE_NAMES)
    back_of_head = face_inside and not face_seen and not nose_in_front
    if not facing_camera or back_of_head:
        return BACK_VIEW
    return None


def judge_photo(
    view: BodyAnalysis, *, shoulder_depth: float = 0.0, nose_in_front: bool | None = None
) -> tuple[dict[str, GarmentVerdict], str | None]:
    """Per garment type verdicts and the whole-photo problem for an analysis whose verdicts are not set yet."""
    problem = _whole_photo_problem(view, shoulder_depth, nose_in_front)
    if problem is not None:
        return _all_verdicts(problem), problem
    legs_message = None
    if not _both_visible(view, "hip"):
        legs_message = HIPS_OUT
    elif not _both_on_body(view, "knee"):
        legs_message = KNEES_OUT
    elif not _both_on_body(view, "ankle"):
        legs_message = ANKLES_OUT
    legs = GarmentVerdict(legs_message is None, legs_message or "")
    return {UPPER_BODY: GarmentVerdict(True), LOWER_BODY: legs, FULL_BODY: legs}, None


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


@dataclass(frozen=True)
class _Models:
    detect: Callable[[np.ndarray], list[np.ndarray]]
    landmarks: Callable[[np.ndarray], list[np.ndarray]]
    selfie: Callable[[np.ndarray], list[np.ndarray]] | None


@dataclass(frozen=True)
class _Found:
    """One person found in an image: landmarks in its pixels, its person probability at work scale."""

    found: _Pass
    points: np.ndarray  # (39, 2) in the image's pixels
    probability: np.ndarray  # (work height, work width) float32
    scale: float  # work pixels per image pixel
    people: int


def _refined_pass(work: np.ndarray, region: Region, run_landmarks: Callable) -> _Pass:
    """A landmark pass on `region`, rerun on the region its auxiliary points give when that differs."""
    found = _landmark_pass(work, region, run_landmarks)
    points_work = found.region.to_image(found.landmarks.points)
    refined_region = region_from_alignment_points(
        points_work[landmarks.AUXILIARY_CENTRE], points_work[landmarks.AUXILIARY_SCALE]
    )
    if _needs_second_pass(found.region, refined_region):
        found = _landmark_pass(work, refined_region, run_landmarks)
    return found


def _mask_pieces(selfie_probability: np.ndarray) -> tuple[tuple[int, int, int, int] | None, int]:
    """The largest person-shaped piece of the selfie mask (x, y, width, height) and how many people
    its pieces suggest; (None, 0) when it holds nobody."""
    mask = (selfie_probability >= segmentation.MASK_THRESHOLD).astype(np.uint8)
    count, _labels, stats, _centres = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if count <= 1:
        return None, 0
    areas = stats[1:, cv2.CC_STAT_AREA]
    largest = int(np.argmax(areas))
    if areas[largest] < MIN_MASK_AREA * mask.size:
        return None, 0
    people = int(np.count_nonzero(areas >= OTHER_PERSON_SHARE * areas[largest]))
    x, y, width, height = (int(value) for value in stats[1 + largest, :4])
    return (x, y, width, height), people


def _overlap(first: np.ndarray, second: np.ndarray) -> float:
    """Intersection over union of two probability maps thresholded at one half."""
    first_mask, second_mask = first >= segmentation.MASK_THRESHOLD, second >= segmentation.MASK_THRESHOLD
    union = np.count_nonzero(first_mask | second_mask)
    return np.count_nonzero(first_mask & second_mask) / union if union else 0.0


def _pass_from_mask(work: np.ndarray, box: tuple[int, int, int, int], run_landmarks: Callable) -> _Pass:
    """The landmark pass the model is surest of among regions laid over the person mask's box."""
    x, y, width, height = box
    long_side = max(width, height)
    candidates = [
        _refined_pass(work, Region(x + width / 2, y + height * centre, long_side * side, 0.0), run_landmarks)
        for centre in MASK_REGION_CENTRES
        for side in MASK_REGION_SIDES
    ]
    return max(candidates, key=lambda candidate: candidate.landmarks.pose_presence)


def _find_person(rgb: np.ndarray, models: _Models, lap: Callable[[str], None]) -> _Found | None:
    """The best person in `rgb` (the detector's, else the person mask's), or None."""
    work, scale = downscale_for_models(rgb)
    work_size = work.shape[:2]
    lap("downscale")
    people = detector.detect_people(work, models.detect)
    selfie_map = None
    if models.selfie is not None:
        (raw_selfie,) = models.selfie(segmentation.selfie_input(work))
        selfie_map = segmentation.selfie_probability(raw_selfie, work_size)
    lap("detect")
    if people:
        best = people[0]
        region = region_from_alignment_points(best.keypoints[0], best.keypoints[1])
        found, count = _refined_pass(work, region, models.landmarks), len(people)
    else:
        # The detector keys on the face; a face hidden behind a phone leaves only the person mask.
        box, count = _mask_pieces(selfie_map) if selfie_map is not None else (None, 0)
        if box is None:
            return None
        found = _pass_from_mask(work, box, models.landmarks)
    lap("landmarks")
    if found.landmarks.pose_presence < landmarks.POSE_PRESENCE_THRESHOLD:
        return None
    probability = segmentation.pose_probability(found.region, found.raw_segmentation, work_size)
    if not people and _overlap(probability, selfie_map) < MIN_MASK_AGREEMENT:
        # Found from the mask alone, the landmark model must outline the same person: on a coffee
        # cup it is confident too, but its person and the mask's barely overlap.
        return None
    if selfie_map is not None:
        probability = segmentation.refine_with_selfie(probability, selfie_map)
    lap("segment")
    points = found.region.to_image(found.landmarks.points) / scale
    return _Found(found=found, points=points, probability=probability, scale=scale, people=count)


def _facing_camera(keypoints: Mapping[str, Keypoint]) -> bool:
    """Whether the left/right labels of shoulders and hips say the person faces the camera: their left
    shoulder on the right of the picture, in the body's own frame (so a tilted photo still counts)."""

    def point(name: str) -> np.ndarray:
        return np.array([keypoints[name].x, keypoints[name].y])

    across = point("right_shoulder") - point("left_shoulder")
    down = (point("left_hip") + point("right_hip")) / 2 - (point("left_shoulder") + point("right_shoulder")) / 2
    return bool(across[0] * down[1] - across[1] * down[0] < 0)


def _feet_toward_camera(crop_landmarks: CropLandmarks) -> bool | None:
    """Whether the toes are nearer the camera than the heels (the person faces it), from the feet the
    model sees; None when it sees no whole foot."""
    nearer = []
    for side in ("left", "right"):
        heel, toe = KEYPOINT_NAMES.index(f"{side}_heel"), KEYPOINT_NAMES.index(f"{side}_foot_index")
        if min(crop_landmarks.visibility[heel], crop_landmarks.visibility[toe]) >= VISIBLE_THRESHOLD:
            nearer.append(crop_landmarks.depth[toe] - crop_landmarks.depth[heel])
    if not nearer:
        return None
    return bool(np.mean(nearer) < 0)


def _sides_swapped_under_a_cut_head(view: BodyAnalysis, crop_landmarks: CropLandmarks) -> bool:
    """True when the model labelled the body as seen from behind only because the head is cut off.

    Without a face in the picture the landmark model loses its main cue for which way the person
    faces and may swap left and right (seen on a full-length front photo cut at the chin). The feet
    still tell: toes nearer the camera than the heels face it. Then the labels are mirrored, so that
    the person's left arm is the one a garment's left sleeve goes to.
    """
    if any(view.inside(name) for name in FACE_NAMES) or _facing_camera(view.keypoints):
        return False
    return _feet_toward_camera(crop_landmarks) is True


def _person_box(person: _Found, size: tuple[int, int]) -> tuple[int, ...]:
    """The person's box in the pixels of the image they were found in, of (height, width) `size`."""
    mask_work = segmentation.mask_at_size(person.probability, person.probability.shape)
    return _box_from(mask_work, person.scale, size, person.points[: len(KEYPOINT_NAMES)])


def _box_from_tiles(rgb: np.ndarray, models: _Models) -> tuple[int, ...]:
    """The best-scoring detector box (x0, y0, x1, y1, photo pixels) over overlapping half-size tiles of
    a photo much larger than the work size; empty when nobody is found or the photo is small."""
    height, width = rgb.shape[:2]
    if max(height, width) < TILE_SEARCH_FROM * WORK_LONG_SIDE:
        return (0, 0, 0, 0)
    tile = max(height, width) // 2
    best_score, best_box = 0.0, (0, 0, 0, 0)
    for top in range(0, max(1, height - tile // 2), tile // 2):
        for left in range(0, max(1, width - tile // 2), tile // 2):
            work, scale = downscale_for_models(np.ascontiguousarray(rgb[top : top + tile, left : left + tile]))
            for person in detector.detect_people(work, models.detect)[:1]:
                if person.score > best_score:
                    x0, y0, x1, y1 = (value / scale for value in person.box)
                    best_score, best_box = (
                        person.score,
                        (
                            round(x0) + left,
                            round(y0) + top,
                            round(x1) + left,
                            round(y1) + top,
                        ),
                    )
    return best_box


def _crop_around(box: tuple[int, ...], size: tuple[int, int]) -> tuple[int, int, int, int] | None:
    """A crop (x0, y0, x1, y1) around a person too small in the photo to be seen well at work scale,
    or None when the person already fills enough of it."""
    height, width = size
    x0, y0, x1, y1 = box
    if max(x1 - x0, y1 - y0) >= CROP_BELOW_EXTENT * max(height, width) or x1 <= x0 or y1 <= y0:
        return None
    margin = CROP_MARGIN * max(x1 - x0, y1 - y0)
    return (
        max(0, int(x0 - margin)),
        max(0, int(y0 - margin)),
        min(width, int(np.ceil(x1 + margin))),
        min(height, int(np.ceil(y1 + margin))),
    )


def analyse_body(rgb: np.ndarray, *, models_dir: Path | None = None, refine_mask: bool = True) -> BodyAnalysis:
    """Pose, person mask and per-garment verdicts for one RGB photo (H, W, 3 uint8).

    Raises BodyModelMissingError (naming the file and the install command) when a model file is
    absent or damaged. `refine_mask` adds selfie segmentation to the pose model's mask (and lets a
    person whose face the detector misses be found from it).
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

    models = _Models(
        detect=load_model(POSE_DETECTOR, models_dir).run,
        landmarks=load_model(POSE_LANDMARKS, models_dir).run,
        selfie=load_model(SELFIE_SEGMENTATION, models_dir).run if refine_mask else None,
    )
    lap("load")

    person = _find_person(rgb, models, lap)
    frame = (0, 0, width, height)  # the part of the photo `person` was found in
    if person is not None:
        crop = _crop_around(_person_box(person, (height, width)), (height, width)) if person.scale < 1.0 else None
    else:
        # Too small for the detector at work scale: look closer, in overlapping tiles of the photo.
        crop = _crop_around(_box_from_tiles(rgb, models), (height, width))
    if crop is not None:
        # Seen again from a crop of the full-resolution photo; the people count stays the whole photo's.
        x0, y0, x1, y1 = crop
        closer = _find_person(np.ascontiguousarray(rgb[y0:y1, x0:x1]), models, lap)
        if closer is not None:
            people = person.people if person is not None else closer.people
            person, frame = replace(closer, people=people), crop
    if person is None:
        return _empty_analysis(width, height, 0, timings)

    left, top, right, bottom = frame
    person_mask = segmentation.mask_at_size(person.probability, (bottom - top, right - left))
    if frame != (0, 0, width, height):
        in_crop, person_mask = person_mask, np.zeros((height, width), np.uint8)
        person_mask[top:bottom, left:right] = in_crop
    lap("mask_upscale")

    points = person.points + np.array([left, top], dtype=float)
    found = person.found
    keypoints = {
        name: Keypoint(float(points[index, 0]), float(points[index, 1]), float(found.landmarks.visibility[index]))
        for index, name in enumerate(KEYPOINT_NAMES)
    }
    box_x0, box_y0, box_x1, box_y1 = _person_box(person, (bottom - top, right - left))
    view = BodyAnalysis(
        width=width,
        height=height,
        keypoints=keypoints,
        person_mask=person_mask,
        box=(box_x0 + left, box_y0 + top, box_x1 + left, box_y1 + top),
        people=person.people,
        verdicts={},
        timings=timings,
    )
    if _sides_swapped_under_a_cut_head(view, found.landmarks):
        view = replace(view, keypoints={mirrored_name(name): point for name, point in keypoints.items()})
    depth = found.landmarks.depth
    shoulder_depth = abs(float(np.diff(depth[SHOULDERS])[0])) * found.region.side / person.scale
    nose_in_front = bool(depth[KEYPOINT_NAMES.index("nose")] < float(np.mean(depth[SHOULDERS])))
    verdicts, problem = judge_photo(view, shoulder_depth=shoulder_depth, nose_in_front=nose_in_front)
    lap("verdicts")
    return replace(view, verdicts=verdicts, photo_problem=problem)
