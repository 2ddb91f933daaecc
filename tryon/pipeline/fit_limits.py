"""The limits every engine's check of its own warp holds it to, before it renders: a clear refusal is
better than a broken picture (`contract.GarmentFitError`).

Each engine measures its warp its own way (the weight-free engine its thin-plate spline and sleeves,
`classic/fit_check.py`; the neural engine PF-AFN's appearance flow, `neural/fit_check.py`) but judges
the same four things against the same numbers, kept here:

- folds: where the warp's Jacobian determinant has the opposite sign of its median, the mapping folds
  over itself (Bookstein, PAMI 1989);
- tears: where its area scale leaves `STRETCH_LIMIT` of the median either way, the garment is
  stretched or squeezed many times over;
- the body's core must lie under the garment;
- little of the garment may land far outside the person.
"""

from __future__ import annotations

import numpy as np

# Shoulder joints are this many face widths apart on a typical adult (biacromial breadth about 2.4 head
# widths; the joints sit a little inside the outline): the limits below are in face widths.
SHOULDER_JOINTS_IN_FACE_WIDTHS = 2.4
# Grid spacing in face widths: a warp is judged at the scale of the garment, not of its pixels.
GRID_STEP_FACE_WIDTHS = 0.2
# Folds: the share of the garment's grid points where the Jacobian's sign is the opposite of its median's.
MAX_FOLDED_SHARE = 0.01
# Tears: the share of the garment where the area scale leaves this factor of its median either way.
STRETCH_LIMIT = 6.0
MAX_STRETCHED_SHARE = 0.06
# The body's core (shares of the torso's width around its middle) must be this much under the garment.
CORE_WIDTH_SHARE = 0.5
MIN_CORE_COVERED = 0.5
# Paint further than this from the person mask (face widths) is far outside the body; at most this share.
FAR_OUTSIDE_FACE_WIDTHS = 1.0
MAX_FAR_OUTSIDE_SHARE = 0.25


def face_width(shoulder_spacing: float) -> float:
    """A face width, in the pixels the shoulder joints are `shoulder_spacing` apart in (at least one)."""
    return max(shoulder_spacing / SHOULDER_JOINTS_IN_FACE_WIDTHS, 1.0)


def warp_damage(map_x: np.ndarray, map_y: np.ndarray, on_garment: np.ndarray) -> tuple[float, float]:
    """Shares of the garment's grid points where the map (grid point → garment picture position) folds
    (its Jacobian determinant has the opposite sign of its median there) and where its area scale
    leaves STRETCH_LIMIT of the median."""
    if on_garment.sum() < 4 or min(map_x.shape) < 3:
        return 0.0, 0.0
    dx_dcol, dx_drow = np.gradient(map_x.astype(np.float64), axis=1), np.gradient(map_x.astype(np.float64), axis=0)
    dy_dcol, dy_drow = np.gradient(map_y.astype(np.float64), axis=1), np.gradient(map_y.astype(np.float64), axis=0)
    determinant = (dx_dcol * dy_drow - dx_drow * dy_dcol)[on_garment]
    median = float(np.median(determinant))
    if median == 0:
        return 1.0, 1.0
    ratio = determinant / median
    folded = float((ratio <= 0).mean())
    positive = ratio[ratio > 0]
    stretched = float(((positive > STRETCH_LIMIT) | (positive < 1 / STRETCH_LIMIT)).sum()) / len(ratio)
    return folded, stretched


def warp_problem(
    *, folded_share: float, stretched_share: float, core_covered: float, far_outside_share: float
) -> str | None:
    """Which of the shared limits a warp breaks (for logs and tests), or None when it may be drawn."""
    if folded_share > MAX_FOLDED_SHARE:
        return f"the warp folds over {folded_share:.1%} of the garment"
    if stretched_share > MAX_STRETCHED_SHARE:
        return f"the warp stretches {stretched_share:.1%} of the garment over {STRETCH_LIMIT}×"
    if core_covered < MIN_CORE_COVERED:
        return f"the garment covers {core_covered:.0%} of the body's core"
    if far_outside_share > MAX_FAR_OUTSIDE_SHARE:
        return f"{far_outside_share:.0%} of the garment lands far outside the person"
    return None
