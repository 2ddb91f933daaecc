"""The staff check of a garment mask: what is wrong with it, in plain words, and what to upload instead.

A try-on can only be as good as the garment's outline. Before a shopper sees a garment drawn from a
bad mask, `mask_problems` judges the mask against its product picture and the garment type:

- background taken in: background the picture shows, open to its border (between a sleeve and the
  body, between the legs), lies inside the mask (`masks.outside_background`);
- garment left out: much of what stands out from the background is not in the mask (a white garment
  on light grey masked only where its print is);
- several pieces, a garment cut by the picture's edge, a mask too small or too large for the picture,
  and an outline whose proportions do not fit the garment type.

A cut-out's mask is its alpha, so only the shape checks apply to it. Plain functions, no Django.
"""

from __future__ import annotations

import cv2
import numpy as np

from tryon.pipeline.contract import FULL_BODY, LOWER_BODY, UPPER_BODY, GarmentNotFoundError
from tryon.pipeline.imageops import resize_by
from tryon.pipeline.masks import MASK_LONG_SIDE, background_model, outside_background

# Background inside the mask counts once a piece of it survives an opening of this size (so the
# outline's mixed pixels do not count) and covers this share of the mask.
SWALLOWED_OPENING = 3
MAX_SWALLOWED_SHARE = 0.002
# Of the pixels that stand out from the background (in pieces larger than the opening), at least this
# share must be in the mask.
STANDS_OUT_OPENING = 3
MIN_COVERAGE = 0.85
# A piece of the mask counts when it holds this share of the mask's area.
PIECE_SHARE = 0.02
# The garment runs off the picture when the mask covers more than this share of one side's length.
MAX_EDGE_SHARE = 0.15
# The mask covers between these shares of the picture.
MIN_AREA_SHARE = 0.04
MAX_AREA_SHARE = 0.80
# Height over width of the mask's bounding box, laid flat, per garment type.
ASPECT_RANGES = {UPPER_BODY: (0.5, 2.2), LOWER_BODY: (0.5, 3.6), FULL_BODY: (0.9, 4.8)}
TYPE_WORDS = {UPPER_BODY: "top", LOWER_BODY: "pair of trousers, shorts or skirt", FULL_BODY: "dress"}
EDGE_NAMES = ("top", "bottom", "left", "right")

UPLOAD_ADVICE = (
    "Upload a picture of the garment alone, front view, on a plain background that contrasts with it, "
    "or a cut-out (PNG with transparency)."
)


def mask_problems(garment_rgb: np.ndarray, mask: np.ndarray, garment_type: str, *, cut_out: bool = False) -> list[str]:
    """Plain-words problems of `mask` (uint8 H×W, 0/255, any size) as the garment's mask in `garment_rgb`
    (its product picture) for a garment of `garment_type`; empty when the mask looks right.

    `cut_out` says the mask is the picture's own alpha: then the background checks are skipped."""
    garment_rgb, mask = _working_copies(garment_rgb, mask)
    filled = mask > 0
    area_share = float(filled.mean())
    if area_share < MIN_AREA_SHARE:
        return [
            f"The garment mask covers only {area_share:.0%} of the picture: the garment is too small in it or "
            f"was mostly taken for background. {UPLOAD_ADVICE}"
        ]
    problems = []
    if not cut_out:
        problems += _background_problems(garment_rgb, filled)
    if area_share > MAX_AREA_SHARE:
        problems.append(
            f"The garment mask covers {area_share:.0%} of the picture: background was probably taken for "
            f"garment. {UPLOAD_ADVICE}"
        )
    problems += _shape_problems(filled, garment_type)
    return problems


def _working_copies(garment_rgb: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The picture no longer than the masks' working size, and the mask at the same size."""
    height, width = garment_rgb.shape[:2]
    small = resize_by(garment_rgb, min(1.0, MASK_LONG_SIDE / max(height, width)))
    if mask.shape != small.shape[:2]:
        mask = cv2.resize(mask, (small.shape[1], small.shape[0]), interpolation=cv2.INTER_NEAREST)
    return small, mask


def _background_problems(garment_rgb: np.ndarray, filled: np.ndarray) -> list[str]:
    try:
        model = background_model(garment_rgb)
    except GarmentNotFoundError as exc:
        return [f"{exc} {UPLOAD_ADVICE}"]
    problems = []
    swallowed = _opened(filled & outside_background(model), SWALLOWED_OPENING)
    largest_swallowed = _largest_area(swallowed)
    if largest_swallowed > MAX_SWALLOWED_SHARE * filled.sum():
        problems.append(
            "The garment mask takes in background the picture shows between parts of the garment (between a "
            "sleeve and the body, or between the legs): try-on would paint it onto the shopper. Upload a "
            "picture with the sleeves or legs laid apart from the body on a plain background, or a cut-out "
            "(PNG with transparency)."
        )
    stands_out = _opened(model.garment_distance > model.garment_threshold, STANDS_OUT_OPENING)
    coverage = float((stands_out & filled).sum()) / max(1, int(stands_out.sum()))
    if coverage < MIN_COVERAGE:
        problems.append(
            f"The garment mask covers only {coverage:.0%} of what stands out from the background: part of the "
            "garment was taken for background (a light garment on a light background), or the picture shows "
            f"more than one thing. {UPLOAD_ADVICE}"
        )
    return problems


def _shape_problems(filled: np.ndarray, garment_type: str) -> list[str]:
    problems = []
    _, _, stats, _ = cv2.connectedComponentsWithStats(filled.astype(np.uint8), connectivity=8)
    pieces = int((stats[1:, cv2.CC_STAT_AREA] >= PIECE_SHARE * filled.sum()).sum())
    if pieces > 1:
        problems.append(
            f"The garment mask falls apart into {pieces} pieces: try-on needs one garment in one piece. {UPLOAD_ADVICE}"
        )
    edges = (filled[0], filled[-1], filled[:, 0], filled[:, -1])
    cut = [(name, float(edge.mean())) for name, edge in zip(EDGE_NAMES, edges, strict=True)]
    cut = [(name, share) for name, share in cut if share > MAX_EDGE_SHARE]
    if cut:
        where = " and ".join(f"{name} edge (along {share:.0%} of it)" for name, share in cut)
        problems.append(
            f"The garment runs off the picture's {where}: try-on cannot fit a garment it cannot see whole. "
            "Upload a picture showing the whole garment with some background all round."
        )
    rows, columns = np.nonzero(filled)
    aspect = (rows.max() - rows.min() + 1) / (columns.max() - columns.min() + 1)
    low, high = ASPECT_RANGES.get(garment_type, ASPECT_RANGES[UPPER_BODY])
    if not low <= aspect <= high:
        shape = "tall and narrow" if aspect > high else "wide and low"
        problems.append(
            f"The garment mask is {aspect:.1f} times as tall as it is wide, too {shape} for a "
            f"{TYPE_WORDS.get(garment_type, 'garment')} laid flat: check that the picture shows one garment from "
            "the front and that the product's garment type is right."
        )
    return problems


def _opened(region: np.ndarray, size: int) -> np.ndarray:
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    return cv2.morphologyEx(region.astype(np.uint8), cv2.MORPH_OPEN, kernel) > 0


def _largest_area(region: np.ndarray) -> int:
    count, _, stats, _ = cv2.connectedComponentsWithStats(region.astype(np.uint8), connectivity=8)
    return int(stats[1:, cv2.CC_STAT_AREA].max()) if count > 1 else 0
