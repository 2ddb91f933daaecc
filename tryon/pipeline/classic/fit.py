"""Stage 3, warping: where each part of the garment goes on the body.

The garment's body is placed by a thin-plate spline (`tps.py`) through matching garment and body
points: collar below the base of the neck, neckline corners beside it, shoulders and armpits to the
wearer's, the garment's own length below; each sleeve is a rigid piece turned about its shoulder to
hang along the arm.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from tryon.pipeline.classic.body_points import BodyLandmarks
from tryon.pipeline.classic.garment_points import GarmentLandmarks, Point
from tryon.pipeline.contract import NoPersonFoundError

SEAM_OVERLAP_FRACTION = 0.1  # of the garment's body width
# A sleeve's axis hangs this many degrees further out than the outer edge of the arm it covers.
SLEEVE_BEYOND_ARM_DEGREES = 4.0
# Without neckline corners to measure from, the front of the neckline sits this far (face widths) below
# the base of the neck, so the wearer's neck and collar show through the opening.
COLLAR_BELOW_NECK = 0.3
NECKLINE_MAX_SHOULDER_FRACTION = 0.8
NECKLINE_BELOW_CHIN = 0.2
# How much the hem follows the garment's own width rather than the body's (0 = skin-tight).
HEM_LOOSENESS = 0.5


def fit_points(garment: GarmentLandmarks, body: BodyLandmarks) -> tuple[np.ndarray, np.ndarray]:
    """Matching points (body N×2, garment N×2) for the spline that puts the garment on the body.

    The spline places the garment's body; sleeves are placed apart (`place_sleeves`). The collar goes
    below the base of the neck, the neckline's corners beside the neck, the shoulders and armpits to
    the wearer's. Below the armpits the
    garment keeps its own length, scaled so its shoulders span the wearer's, while the body decides
    how wide the torso is at each height.
    """
    scale = body.shoulder_width / max(garment.shoulder_width, 1.0)
    garment_armpit_y = (garment.left_armpit[1] + garment.right_armpit[1]) / 2
    body_armpit_y = (body.left_chest[1] + body.right_chest[1]) / 2

    def body_y(garment_y: float) -> float:
        if garment_y > garment_armpit_y:
            return body_armpit_y + scale * (garment_y - garment_armpit_y)
        return float(np.interp(garment_y, [garment.collar[1], garment_armpit_y], [body.neck[1], body_armpit_y]))

    def side_points(left: Point, right: Point, looseness: float) -> list[tuple[Point, Point]]:
        y = body_y((left[1] + right[1]) / 2)
        body_left, body_right = body.torso_sides_at(y)
        half_garment = scale * (right[0] - left[0]) / 2
        centre = body.centre_x
        left_x = (1 - looseness) * body_left + looseness * min(body_left, centre - half_garment)
        right_x = (1 - looseness) * body_right + looseness * max(body_right, centre + half_garment)
        return [(left, (left_x, y)), (right, (right_x, y))]

    garment_centre = garment.centre_x
    middle_y = (garment.left_armpit[1] + garment.left_hem[1]) / 2
    middle_left = (_interpolate_x(garment.left_armpit, garment.left_hem, middle_y), middle_y)
    middle_right = (_interpolate_x(garment.right_armpit, garment.right_hem, middle_y), middle_y)
    hem_y = (garment.left_hem[1] + garment.right_hem[1]) / 2
    necklines = (
        (garment.left_neckline, garment.left_shoulder, body.left_shoulder),
        (garment.right_neckline, garment.right_shoulder, body.right_shoulder),
    )
    neckline_pairs = []
    collar_heights = []
    for corner, garment_shoulder, shoulder in necklines:
        if corner is None:
            continue
        # The corner keeps its own place relative to the shoulder seam, never crowding the neck or chin.
        limit = NECKLINE_MAX_SHOULDER_FRACTION * abs(shoulder[0] - body.centre_x)
        x = body.centre_x + float(np.clip(scale * (corner[0] - garment.collar[0]), -limit, limit))
        y = shoulder[1] - scale * (garment_shoulder[1] - corner[1])
        neckline_pairs.append((corner, (x, max(y, body.chin_y + NECKLINE_BELOW_CHIN * body.unit))))
        # The neckline's front keeps its own depth below the corners (as placed before any clamp), so the
        # chest is neither dragged down nor pushed up against the shoulders.
        collar_heights.append(y + scale * (garment.collar[1] - corner[1]))
    if len(collar_heights) == 2:
        collar_y = max(float(np.mean(collar_heights)), body.neck[1])
    else:
        collar_y = body.neck[1] + COLLAR_BELOW_NECK * body.unit
    pairs = [
        (garment.collar, (body.neck[0], collar_y)),
        (garment.left_shoulder, body.left_shoulder),
        (garment.right_shoulder, body.right_shoulder),
        ((garment_centre, garment.left_armpit[1]), (body.centre_x, body_y(garment.left_armpit[1]))),
        ((garment_centre, hem_y), (body.centre_x, body_y(hem_y))),
        *neckline_pairs,
    ]
    # Halfway down each armhole the body of the garment is held in place, so that turning a sleeve
    # does not drag the chest's stripes with it.
    for garment_armpit, garment_shoulder, body_shoulder, body_chest in (
        (garment.left_armpit, garment.left_shoulder, body.left_shoulder, body.left_chest),
        (garment.right_armpit, garment.right_shoulder, body.right_shoulder, body.right_chest),
    ):
        garment_point = (garment_armpit[0], (garment_shoulder[1] + garment_armpit[1]) / 2)
        body_point = ((body_shoulder[0] + body_chest[0]) / 2, (body_shoulder[1] + body_chest[1]) / 2)
        pairs.append((garment_point, body_point))
    pairs += side_points(garment.left_armpit, garment.right_armpit, 0.0)
    pairs += side_points(middle_left, middle_right, HEM_LOOSENESS / 2)
    pairs += side_points(garment.left_hem, garment.right_hem, HEM_LOOSENESS)
    # Two garment points sent to one body point would make the spline singular; the first one wins.
    kept: list[tuple[Point, Point]] = []
    for garment_point, body_point in pairs:
        if all(np.hypot(body_point[0] - other[0], body_point[1] - other[1]) >= 0.5 for _, other in kept):
            kept.append((garment_point, body_point))
    garment_points = np.array([pair[0] for pair in kept], dtype=np.float64)
    body_points = np.array([pair[1] for pair in kept], dtype=np.float64)
    return body_points, garment_points


@dataclass(frozen=True)
class SleevePlacement:
    """One sleeve as a rigid piece on the photo: `garment_to_photo` (2×3 affine, garment pixels to photo
    pixels) and `alpha`, the garment's alpha with everything but this sleeve cleared."""

    garment_to_photo: np.ndarray
    alpha: np.ndarray

    @property
    def garment_corners(self) -> np.ndarray:
        """The corners (4×2, garment pixels) of the box around the sleeve."""
        left, top, width, height = cv2.boundingRect((self.alpha > 0).astype(np.uint8))
        return np.array([[left, top], [left + width, top], [left, top + height], [left + width, top + height]], float)


def place_sleeves(
    garment: GarmentLandmarks, garment_alpha: np.ndarray, body: BodyLandmarks
) -> tuple[np.ndarray, list[SleevePlacement]]:
    """Split the garment at its armholes: the body's alpha (for the spline) and each sleeve, turned about
    its shoulder so it hangs along the wearer's arm.

    A sleeve is a rigid piece: bending it with the body's spline would drag the chest's stripes after it.
    """
    columns = np.arange(garment_alpha.shape[1], dtype=np.float32)[None, :]
    left_seam, right_seam = garment.left_armpit[0], garment.right_armpit[0]
    # The body reaches a little past its seams, under the sleeves, so no gap opens where a turned sleeve
    # leaves the side of the body.
    overlap = SEAM_OVERLAP_FRACTION * (right_seam - left_seam)
    torso_alpha = garment_alpha * ((columns >= left_seam - overlap) & (columns <= right_seam + overlap))
    scale = body.shoulder_width / max(garment.shoulder_width, 1.0)
    sleeves = []
    for sleeve_points, garment_shoulder, body_shoulder, arm_angle, outwards, side in (
        (
            (garment.left_sleeve_end, garment.left_sleeve_bottom),
            garment.left_shoulder,
            body.left_shoulder,
            body.left_arm_angle,
            -1,
            columns < left_seam,
        ),
        (
            (garment.right_sleeve_end, garment.right_sleeve_bottom),
            garment.right_shoulder,
            body.right_shoulder,
            body.right_arm_angle,
            1,
            columns > right_seam,
        ),
    ):
        present = [point for point in sleeve_points if point is not None]
        if not present:
            continue
        hang = arm_angle + SLEEVE_BEYOND_ARM_DEGREES
        matrix = _sleeve_transform(garment_shoulder, present, body_shoulder, scale=scale, hang=hang, outwards=outwards)
        sleeves.append(SleevePlacement(matrix, (garment_alpha * side).astype(np.float32)))
    return torso_alpha.astype(np.float32), sleeves


def _sleeve_transform(
    garment_shoulder: Point,
    sleeve_points: list[Point],
    body_shoulder: Point,
    *,
    scale: float,
    hang: float,
    outwards: int,
) -> np.ndarray:
    """The 2×3 affine map that turns a flat-laid sleeve about its shoulder, scaled to the body, so that its
    axis (shoulder to the middle of its end points) hangs `hang` degrees out from vertical."""
    offsets = np.array(sleeve_points, dtype=np.float64) - np.array(garment_shoulder, dtype=np.float64)
    axis = offsets.mean(axis=0)
    current = np.arctan2(axis[1], axis[0] * outwards)  # below the horizontal, measured outwards
    wanted = np.radians(90.0 - hang)
    turn = (wanted - current) * outwards
    linear = scale * np.array([[np.cos(turn), -np.sin(turn)], [np.sin(turn), np.cos(turn)]])
    shift = np.array(body_shoulder, dtype=np.float64) - linear @ np.array(garment_shoulder, dtype=np.float64)
    return np.column_stack([linear, shift])


def placed_corners(sleeve: SleevePlacement) -> np.ndarray:
    """The photo positions of the corners of the sleeve's bounding box (4×2)."""
    return apply_affine(sleeve.garment_to_photo, sleeve.garment_corners)


def apply_affine(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    return points @ matrix[:, :2].T + matrix[:, 2]


def _interpolate_x(upper: Point, lower: Point, y: float) -> float:
    if lower[1] == upper[1]:
        return upper[0]
    return upper[0] + (lower[0] - upper[0]) * (y - upper[1]) / (lower[1] - upper[1])


def render_region(body_points: np.ndarray, body: BodyLandmarks, shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    """The photo region (left, top, right, bottom) the garment may cover: around the fitted points,
    never above the chin. Raises NoPersonFoundError when the body lies outside the photo."""
    height, width = shape[:2]
    margin = 0.3 * body.unit
    left = max(0, int(np.floor(body_points[:, 0].min() - margin)))
    right = min(width, int(np.ceil(body_points[:, 0].max() + margin)))
    top = max(0, int(np.ceil(body.chin_y)))
    bottom = min(height, int(np.ceil(body_points[:, 1].max() + margin)))
    if right - left < 2 or bottom - top < 2:
        raise NoPersonFoundError(
            "Your upper body is not in the photo. Use a photo that shows you from the head to the waist."
        )
    return left, top, right, bottom
