"""The engine's check of its own fit, before it renders (between stages 3 and 4): a clear refusal is
better than a broken picture.

The placed garment is sampled on a coarse grid over the photo: the spline's inverse map (photo →
garment) and the sleeves' maps say which grid points the garment covers. Four things are judged:

- folds and tears: the thin-plate spline's Jacobian determinant must keep one sign over the garment
  (Bookstein, PAMI 1989: where it changes sign the mapping folds over itself) and stay within a range
  of its median (a garment stretched or squeezed many times over is torn);
- the body's core: the middle of the chest for a top, of the hips for a bottom, both for a dress, must
  lie under the garment;
- paint far from the body: the share of the garment that would land well outside the person;
- the wrong part of the body: a top reaching below the knees, a bottom up to the armpits.

A product picture whose mask is broken (background closed into the garment, a print alone) makes a
fit that fails one of these, and the shopper gets `GarmentFitError`'s plain message instead. The limits
of the first three are shared with the neural engine's check (`tryon.pipeline.fit_limits`).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from tryon.pipeline.classic.body_points import BodyPoints, limb_distance
from tryon.pipeline.classic.fit import SleevePlacement
from tryon.pipeline.classic.tps import ThinPlateSpline
from tryon.pipeline.contract import FULL_BODY, LOWER_BODY, UPPER_BODY, GarmentFitError
from tryon.pipeline.fit_limits import (
    CORE_WIDTH_SHARE,
    FAR_OUTSIDE_FACE_WIDTHS,
    GRID_STEP_FACE_WIDTHS,
    warp_damage,
    warp_problem,
)

# The most grid samples along the photo's longer side.
GRID_MAX_SAMPLES = 160
COVERED_ALPHA = 0.5
# A top's core lies between these shares of the way from the armpits to the waist: below a low
# neckline, above a cropped hem.
TOP_CORE_ROWS = (0.3, 0.55)
# A sleeve's pixels further than this from its arm's line (face widths) are off the arm; at most this share.
SLEEVE_REACH_FACE_WIDTHS = 1.2
MAX_SLEEVE_OFF_ARM_SHARE = 0.3
# A top's share below the knees, and a bottom's above the armpits, that means the fit has gone wrong.
MAX_WRONG_PART_SHARE = 0.05
# The thigh (hip to knee) is about this long for a torso (shoulder to hip) of length 1.
THIGH_TO_TORSO = 0.8


@dataclass(frozen=True)
class FitReport:
    """What the check measured; every share is of the garment's grid points unless said otherwise."""

    folded_share: float
    stretched_share: float
    core_covered: float  # share of the body's core under the garment
    far_outside_share: float
    wrong_part_share: float
    sleeve_off_arm_share: float  # share of the sleeves' grid points away from the arms

    def problem(self) -> str | None:
        """Which limit the fit breaks (for logs and tests), or None when it may be drawn."""
        shared = warp_problem(
            folded_share=self.folded_share,
            stretched_share=self.stretched_share,
            core_covered=self.core_covered,
            far_outside_share=self.far_outside_share,
        )
        if shared is not None:
            return shared
        if self.wrong_part_share > MAX_WRONG_PART_SHARE:
            return f"{self.wrong_part_share:.0%} of the garment lands on the wrong part of the body"
        if self.sleeve_off_arm_share > MAX_SLEEVE_OFF_ARM_SHARE:
            return f"{self.sleeve_off_arm_share:.0%} of the sleeves lands away from the arms"
        return None

    def require_fit(self) -> None:
        """Raise GarmentFitError (the shopper's plain message) when the fit would draw a broken picture."""
        if self.problem() is not None:
            raise GarmentFitError()


def measure_fit(
    *,
    spline: ThinPlateSpline,
    torso_alpha: np.ndarray,
    sleeves: list[SleevePlacement],
    body: BodyPoints,
    person_mask: np.ndarray,
    garment_type: str,
    between_legs: np.ndarray | None = None,
) -> FitReport:
    """Measure the placed garment (its spline, torso alpha and sleeves on this body); the report's
    `require_fit` judges it."""
    height, width = person_mask.shape[:2]
    step = max(GRID_STEP_FACE_WIDTHS * body.unit, max(height, width) / GRID_MAX_SAMPLES, 1.0)
    xs = np.arange(step / 2, width, step)
    ys = np.arange(step / 2, height, step)
    grid_x, grid_y = np.meshgrid(xs, ys)
    photo_points = np.column_stack([grid_x.ravel(), grid_y.ravel()])
    garment_points = spline.evaluate(photo_points)
    map_x = garment_points[:, 0].reshape(grid_x.shape).astype(np.float32)
    map_y = garment_points[:, 1].reshape(grid_x.shape).astype(np.float32)
    torso = cv2.remap(torso_alpha, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT) >= COVERED_ALPHA
    sleeve_cover = np.zeros(grid_x.shape, bool)
    for sleeve in sleeves:
        sleeve_points = sleeve.to_garment(photo_points)
        sleeve_x = sleeve_points[:, 0].reshape(grid_x.shape).astype(np.float32)
        sleeve_y = sleeve_points[:, 1].reshape(grid_x.shape).astype(np.float32)
        sleeve_cover |= cv2.remap(sleeve.alpha, sleeve_x, sleeve_y, cv2.INTER_LINEAR) >= COVERED_ALPHA
    covered = torso | sleeve_cover
    arms_distance = np.minimum(
        limb_distance(body.left_arm, grid_x, grid_y), limb_distance(body.right_arm, grid_x, grid_y)
    )
    off_arm = sleeve_cover & ~torso & (arms_distance > SLEEVE_REACH_FACE_WIDTHS * body.unit)
    sleeve_off_arm_share = float(off_arm.sum()) / max(int((sleeve_cover & ~torso).sum()), 1)

    folded_share, stretched_share = warp_damage(map_x, map_y, torso)
    core = _core(body, garment_type, grid_x, grid_y)
    # A core outside the photo (a waist-up portrait) cannot be judged: it counts as covered.
    core_covered = float(covered[core].mean()) if core.any() else 1.0
    near_person = person_mask if between_legs is None else cv2.bitwise_or(person_mask, between_legs)
    # Distances on a copy at the grid's spacing: a full-resolution distance transform costs far more.
    on_grid = cv2.resize(near_person, (grid_x.shape[1], grid_x.shape[0]), interpolation=cv2.INTER_AREA) > 0
    distance = cv2.distanceTransform((~on_grid).astype(np.uint8), cv2.DIST_L2, 3) * step
    far = distance > FAR_OUTSIDE_FACE_WIDTHS * body.unit
    if garment_type == FULL_BODY:
        far &= grid_y < body.hip_centre[1]  # a skirt flares past the legs below the hips
    garment_count = max(int(covered.sum()), 1)
    far_outside_share = float((covered & far).sum()) / garment_count
    wrong_part_share = float((covered & _wrong_part(body, garment_type, grid_y)).sum()) / garment_count
    return FitReport(
        folded_share, stretched_share, core_covered, far_outside_share, wrong_part_share, sleeve_off_arm_share
    )


def _core(body: BodyPoints, garment_type: str, grid_x: np.ndarray, grid_y: np.ndarray) -> np.ndarray:
    """The grid points of the body's core the garment must cover: the middle of the chest for a top,
    of the hips for a bottom, both for a dress."""
    core = np.zeros(grid_x.shape, bool)
    if garment_type in (UPPER_BODY, FULL_BODY):
        chest_y = (body.left_chest[1] + body.right_chest[1]) / 2
        waist_y = (body.left_waist[1] + body.right_waist[1]) / 2
        first, last = (chest_y + share * (waist_y - chest_y) for share in TOP_CORE_ROWS)
        core |= _band(grid_x, grid_y, first, last, body.left_chest[0], body.right_chest[0])
    if garment_type in (LOWER_BODY, FULL_BODY):
        hip_y = float(body.hip_centre[1])
        core |= _band(grid_x, grid_y, body.waistband_y, hip_y, body.left_hip[0], body.right_hip[0])
    return core


def _band(grid_x: np.ndarray, grid_y: np.ndarray, top: float, bottom: float, left: float, right: float) -> np.ndarray:
    middle, half = (left + right) / 2, CORE_WIDTH_SHARE * (right - left) / 2
    return (grid_y >= top) & (grid_y <= bottom) & (np.abs(grid_x - middle) <= half)


def _wrong_part(body: BodyPoints, garment_type: str, grid_y: np.ndarray) -> np.ndarray:
    """Rows a garment of this type has no business on: below the knees for a top, above the armpits for
    a bottom or a dress's skirt (a dress may reach anywhere from the shoulders down)."""
    if garment_type == UPPER_BODY:
        # From the body's proportions, not the knee keypoints: they are guesses in a waist-up photo.
        shoulder_y = (body.left_shoulder[1] + body.right_shoulder[1]) / 2
        hip_y = float(body.hip_centre[1])
        return grid_y > hip_y + THIGH_TO_TORSO * (hip_y - shoulder_y)
    if garment_type == LOWER_BODY:
        chest_y = (body.left_chest[1] + body.right_chest[1]) / 2
        return grid_y < chest_y
    return np.zeros(grid_y.shape, bool)
