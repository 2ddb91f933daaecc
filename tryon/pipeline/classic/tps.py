"""Thin-plate-spline warps for fitting a flat garment onto a body (Bookstein, PAMI 1989).

The classic engine knows a dozen matching points on the garment photo and on the person. A thin-plate
spline through them is the smoothest mapping that hits every point exactly, so the garment bends at
the shoulders and narrows at the waist without tearing. Rendering needs the inverse direction (for
every output pixel, where in the garment image to sample), so splines are fitted from body points to
garment points and evaluated on a coarse grid that is then interpolated to a dense `cv2.remap` map.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

# Distance between coarse-grid samples of a dense map, in output pixels: at least this, and more on
# large maps so that no more than DENSE_MAP_MAX_SAMPLES are taken along a side. The spline bends on
# the scale of the garment, so interpolating between such samples stays within about half a pixel.
DENSE_MAP_GRID_STEP = 4
DENSE_MAP_MAX_SAMPLES = 128


@dataclass(frozen=True)
class ThinPlateSpline:
    """A fitted 2-D thin-plate spline: f(p) = affine(p) + Σ wᵢ U(|p − cᵢ|), with U(r) = r² log r²."""

    centres: np.ndarray  # N×2 control points in the source space (x, y)
    weights: np.ndarray  # N×2 radial weights
    affine: np.ndarray  # 3×2: rows for 1, x, y

    def evaluate(self, points: np.ndarray) -> np.ndarray:
        """Map M×2 source points (x, y) to M×2 target points."""
        points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        kernel = _radial_kernel(points, self.centres)  # M×N
        homogeneous = np.column_stack([np.ones(len(points)), points])  # M×3
        return homogeneous @ self.affine + kernel @ self.weights


def fit_thin_plate_spline(
    source_points: np.ndarray, target_points: np.ndarray, *, smoothing: float = 0.0
) -> ThinPlateSpline:
    """Fit the spline that sends each source point to its target point.

    `smoothing` > 0 trades exactness for smoothness (useful when the points are noisy). Raises
    ValueError for fewer than three points, mismatched shapes, or points all on one line.
    """
    source = np.asarray(source_points, dtype=np.float64).reshape(-1, 2)
    target = np.asarray(target_points, dtype=np.float64).reshape(-1, 2)
    if source.shape != target.shape:
        raise ValueError(f"source has {len(source)} points but target has {len(target)}")
    if len(source) < 3:
        raise ValueError(f"a thin-plate spline needs at least 3 point pairs, got {len(source)}")
    count = len(source)
    if len(np.unique(source, axis=0)) < count:
        raise ValueError("the control points are degenerate: two of them are the same point")
    homogeneous = np.column_stack([np.ones(count), source])  # N×3
    if np.linalg.matrix_rank(homogeneous) < 3:
        raise ValueError("the control points are degenerate: they all lie on one line")
    kernel = _radial_kernel(source, source) + smoothing * np.eye(count)
    system = np.zeros((count + 3, count + 3))
    system[:count, :count] = kernel
    system[:count, count:] = homogeneous
    system[count:, :count] = homogeneous.T
    right_hand_side = np.zeros((count + 3, 2))
    right_hand_side[:count] = target
    try:
        solution = np.linalg.solve(system, right_hand_side)
    except np.linalg.LinAlgError as exc:
        raise ValueError("the control points are degenerate (duplicated or all on one line)") from exc
    return ThinPlateSpline(centres=source, weights=solution[:count], affine=solution[count:])


def dense_map(
    spline: ThinPlateSpline,
    *,
    origin: tuple[float, float],
    size: tuple[int, int],
    scale: float = 1.0,
    grid_step: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Return float32 (map_x, map_y) of `size` (width, height) for `cv2.remap`.

    Output pixel (row i, column j) stands for the source-space point origin + ((j, i) + 0.5) / scale - 0.5
    (pixel centres, as `cv2.resize` places them), so the same spline can render a region of a photo at
    full resolution (scale 1) or reduced (scale < 1).
    """
    width, height = size
    if width <= 0 or height <= 0:
        raise ValueError(f"map size must be positive, got {width}×{height}")
    if grid_step is None:
        grid_step = max(DENSE_MAP_GRID_STEP, int(np.ceil(max(width, height) / DENSE_MAP_MAX_SAMPLES)))
    grid_columns = max(2, int(np.ceil(width / grid_step)) + 1)
    grid_rows = max(2, int(np.ceil(height / grid_step)) + 1)
    # Sample corners exactly at the first and last output pixel centres so resizing stays aligned.
    xs = origin[0] + (np.linspace(0, width - 1, grid_columns) + 0.5) / scale - 0.5
    ys = origin[1] + (np.linspace(0, height - 1, grid_rows) + 0.5) / scale - 0.5
    grid_x, grid_y = np.meshgrid(xs, ys)
    mapped = spline.evaluate(np.column_stack([grid_x.ravel(), grid_y.ravel()]))
    coarse_x = mapped[:, 0].reshape(grid_rows, grid_columns).astype(np.float32)
    coarse_y = mapped[:, 1].reshape(grid_rows, grid_columns).astype(np.float32)
    return _resize_aligned(coarse_x, width, height), _resize_aligned(coarse_y, width, height)


def _resize_aligned(coarse: np.ndarray, width: int, height: int) -> np.ndarray:
    """Bilinear resize where the coarse grid's corner samples land on the corner pixel centres."""
    rows, columns = coarse.shape
    scale_x = (columns - 1) / max(width - 1, 1)
    scale_y = (rows - 1) / max(height - 1, 1)
    transform = np.array([[scale_x, 0.0, 0.0], [0.0, scale_y, 0.0]], dtype=np.float64)
    return cv2.warpAffine(
        coarse,
        transform,
        (width, height),
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_REPLICATE,
    )


def _radial_kernel(points: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """U(|p − c|) = r² log r² for every point (rows) and centre (columns); U(0) = 0."""
    dx = points[:, :1] - centres[None, :, 0]
    dy = points[:, 1:] - centres[None, :, 1]
    squared = dx * dx + dy * dy
    return squared * np.log(np.maximum(squared, np.finfo(np.float64).tiny))
