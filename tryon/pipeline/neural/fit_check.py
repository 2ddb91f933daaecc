"""The neural engine's check of its own fit: PF-AFN's warp is judged before the generator draws it, and
a warp that would make a broken picture is refused with `GarmentFitError`'s plain message.

Everything is measured in the model's 256×192 frame (`preprocess.crop_person`), against the limits the
weight-free engine's check uses too (`tryon.pipeline.fit_limits`):

- folds and tears: `last_flow` maps each frame pixel to the garment picture position it samples
  (Ge et al. CVPR 2021, section 3: the appearance flow is a sampling grid). Its Jacobian determinant
  must keep one sign over the warped garment and stay within a range of its median. The flow is
  averaged over cells of `GRID_STEP_FACE_WIDTHS`, so the garment is judged at its own scale, not
  pixel by pixel;
- the core of the torso: the middle of the chest (rows `CORE_ROWS` of the way from the shoulder
  joints' middle to the hip joints', `CORE_WIDTH_SHARE` of the shoulder joints' spacing around the line
  between those middles) must lie under the warped garment mask (`warped_edge`);
- paint far from the body: the share of the warped garment more than `FAR_OUTSIDE_FACE_WIDTHS` from
  the person mask.

Only the part of the frame that lies on the photo is judged: the rest is white padding past the
photo's edges (a waist-up portrait), which the paste-back never shows. A core off the photo cannot be
judged and counts as covered, as in the weight-free engine's check.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from tryon.pipeline.contract import GarmentFitError
from tryon.pipeline.fit_limits import (
    CORE_WIDTH_SHARE,
    FAR_OUTSIDE_FACE_WIDTHS,
    GRID_STEP_FACE_WIDTHS,
    face_width,
    warp_damage,
    warp_problem,
)
from tryon.pipeline.neural.postprocess import WARPED_EDGE_THRESHOLD

# The chest's middle lies between these shares of the way from the shoulder joints to the hip joints:
# below a low neckline, above a cropped hem.
CORE_ROWS = (0.35, 0.55)
MIN_GRID_CELLS = 3  # along each side, so the flow's derivatives are defined


@dataclass(frozen=True)
class WarpFitReport:
    """What the check measured; shares are of the warped garment on the photo unless said otherwise."""

    folded_share: float  # of the garment's grid cells
    stretched_share: float  # of the garment's grid cells
    core_covered: float  # share of the torso's core under the garment
    far_outside_share: float

    def problem(self) -> str | None:
        """Which limit the warp breaks (for logs and tests), or None when it may be drawn."""
        return warp_problem(
            folded_share=self.folded_share,
            stretched_share=self.stretched_share,
            core_covered=self.core_covered,
            far_outside_share=self.far_outside_share,
        )

    def require_fit(self) -> None:
        """Raise GarmentFitError (the shopper's plain message) when the warp would draw a broken picture."""
        if self.problem() is not None:
            raise GarmentFitError()


def measure_warp_fit(
    *,
    warped_edge: np.ndarray,
    flow: np.ndarray,
    person: np.ndarray,
    on_photo: np.ndarray,
    shoulders: np.ndarray,
    hips: np.ndarray,
) -> WarpFitReport:
    """Measure PF-AFN's warp in the model frame; the report's `require_fit` judges it.

    `warped_edge`: the garment mask moved by the flow (H×W, in [0, 1]); `flow`: `last_flow`, a
    normalised sampling grid (2×H×W, x then y, align_corners=True); `person` and `on_photo`: bool H×W,
    the person mask in the frame and which frame pixels lie on the photo (`PersonCrop.model_frame_of`);
    `shoulders`, `hips`: the two shoulder and two hip joints in model pixels (2×2, x then y).
    """
    height, width = warped_edge.shape
    shoulders, hips = np.asarray(shoulders, np.float64), np.asarray(hips, np.float64)
    shoulder_spacing = float(np.linalg.norm(shoulders[1] - shoulders[0]))
    unit = face_width(shoulder_spacing)  # model pixels
    garment = (warped_edge >= WARPED_EDGE_THRESHOLD) & on_photo

    folded_share, stretched_share = _flow_damage(flow, warped_edge, on_photo, unit)

    rows, columns = np.arange(height)[:, np.newaxis], np.arange(width)[np.newaxis, :]
    mid_shoulder, mid_hip = shoulders.mean(axis=0), hips.mean(axis=0)
    along = (rows - mid_shoulder[1]) / max(mid_hip[1] - mid_shoulder[1], 1.0)  # 0 at the shoulders, 1 at the hips
    centre_x = mid_shoulder[0] + along * (mid_hip[0] - mid_shoulder[0])
    core_rows = (along >= CORE_ROWS[0]) & (along <= CORE_ROWS[1])
    core = core_rows & (np.abs(columns - centre_x) <= CORE_WIDTH_SHARE * shoulder_spacing / 2) & on_photo
    core_covered = float(garment[core].mean()) if core.any() else 1.0

    distance = cv2.distanceTransform((~person).astype(np.uint8), cv2.DIST_L2, 3)
    far = distance > FAR_OUTSIDE_FACE_WIDTHS * unit
    far_outside_share = float((garment & far).sum()) / max(int(garment.sum()), 1)
    return WarpFitReport(folded_share, stretched_share, core_covered, far_outside_share)


def _flow_damage(flow: np.ndarray, warped_edge: np.ndarray, on_photo: np.ndarray, unit: float) -> tuple[float, float]:
    """Folded and stretched shares of the garment's grid cells (`fit_limits.warp_damage`), with the flow
    as garment picture positions averaged over cells `GRID_STEP_FACE_WIDTHS` face widths wide."""
    height, width = warped_edge.shape
    step = max(GRID_STEP_FACE_WIDTHS * unit, 1.0)
    cells = (max(round(width / step), MIN_GRID_CELLS), max(round(height / step), MIN_GRID_CELLS))
    map_x = ((flow[0].astype(np.float32) + 1) * (width - 1) / 2).astype(np.float32)
    map_y = ((flow[1].astype(np.float32) + 1) * (height - 1) / 2).astype(np.float32)
    edge_on_photo = np.where(on_photo, warped_edge, 0).astype(np.float32)
    grid_garment = cv2.resize(edge_on_photo, cells, interpolation=cv2.INTER_AREA) >= WARPED_EDGE_THRESHOLD
    return warp_damage(
        cv2.resize(map_x, cells, interpolation=cv2.INTER_AREA),
        cv2.resize(map_y, cells, interpolation=cv2.INTER_AREA),
        grid_garment,
    )
