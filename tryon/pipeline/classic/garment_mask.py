"""Stage 2, masking: the garment's colours, soft alpha and points from its product picture.

The mask is a cut-out's own alpha, or the cloth mask of a photo on a plain background
(`masks.garment_mask`: background open to the outside, such as the gap between a long sleeve and the
body, is already left out, and a white garment on light grey stays whole). A top loses a hood or high
collar standing above the shoulders (worn, it hangs behind the head; a round neckline is cut in its
place); the garment's colours are bled past its outline so sampling at the edge never shows the
product photo's background (or whatever colour a cut-out's transparent pixels hold).
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from tryon.pipeline.classic.garment_points import (
    DressPoints,
    GarmentPoints,
    Point,
    bottom_points,
    dress_points,
    top_points,
    without_hood,
)
from tryon.pipeline.contract import FULL_BODY, LOWER_BODY, UPPER_BODY, GarmentNotFoundError
from tryon.pipeline.imageio import GarmentPicture, load_garment
from tryon.pipeline.imageops import resize_by
from tryon.pipeline.mask_check import mask_problems
from tryon.pipeline.masks import garment_mask

# Garment images: colours are sampled from a copy no larger than this; the mask is found on a smaller one.
GARMENT_LONG_SIDE = 1024
GARMENT_MASK_LONG_SIDE = 384
BLEED_FRACTION = 0.01  # how far garment colours are spread past the outline, as a fraction of the image
BLEED_COARSE_LONG_SIDE = 128  # ...and, beyond that, from a copy this small, over this fraction of it
BLEED_COARSE_FRACTION = 0.08
# Within this many times the mask's uncertainty of its outline, pixels whose distance from the background
# colour is under this share of the garment's own there are background the mask took in.
OUTLINE_BAND = 3
BACKGROUND_LIKE_SHARE = 0.6


def prepare_garment(
    garment: GarmentPicture | np.ndarray, garment_type: str = UPPER_BODY
) -> tuple[np.ndarray, np.ndarray, GarmentPoints]:
    """Return the garment's colours (≤ GARMENT_LONG_SIDE), its soft alpha (float32 0..1, same size) and
    its points in those pixels: a top's, a bottom's or a dress's by `garment_type`. A cut-out's
    alpha is its mask and softens its outline (an RGBA array is read as a picture). Raises
    GarmentNotFoundError when there is no garment."""
    colours, alpha, points, _ = prepare_checked_garment(garment, garment_type)
    return colours, alpha, points


def prepare_checked_garment(
    garment: GarmentPicture | np.ndarray, garment_type: str = UPPER_BODY
) -> tuple[np.ndarray, np.ndarray, GarmentPoints, list[str]]:
    """`prepare_garment`, and what the staff check (`mask_check.mask_problems`) finds wrong with the
    garment's mask (judged before a hood is trimmed off, as the picture shows the garment)."""
    picture = load_garment(garment)
    height, width = picture.colours.shape[:2]
    factor = min(1.0, GARMENT_LONG_SIDE / max(height, width))
    colours = resize_by(picture.colours, factor)
    cut_out_alpha = None if picture.alpha is None else resize_by(picture.alpha, factor)
    mask_factor = min(1.0, GARMENT_MASK_LONG_SIDE / max(colours.shape[:2]))
    small = GarmentPicture(
        colours=resize_by(colours, mask_factor),
        alpha=None if cut_out_alpha is None else resize_by(cut_out_alpha, mask_factor),
    )
    mask = garment_mask(small)
    problems = mask_problems(small.colours, mask, garment_type, cut_out=small.is_cut_out)
    try:
        mask, points = _fitting_mask_and_points(mask, garment_type)
    except GarmentNotFoundError as exc:
        # What the mask check saw (a garment cut by the picture's edge...) explains the failure better.
        if problems:
            raise GarmentNotFoundError(" ".join(problems)) from exc
        raise
    alpha = cv2.resize(
        mask.astype(np.float32) / 255.0, (colours.shape[1], colours.shape[0]), interpolation=cv2.INTER_LINEAR
    )
    if cut_out_alpha is not None:
        # The cut-out's own soft edge, within the (hood-trimmed) mask.
        alpha = np.minimum(alpha, cut_out_alpha.astype(np.float32) / 255.0)
    # The mask was found on a copy 1 / mask_factor times smaller: its outline is that many pixels uncertain.
    outline = math.ceil(1 / mask_factor)
    # A photo's background is what the mask leaves out; a cut-out's transparent pixels hold no background.
    background = None if cut_out_alpha is not None or not (alpha <= 0).any() else np.median(colours[alpha <= 0], axis=0)
    colours = _bleed_colours(colours, alpha, outline=outline, background=background)
    return colours, alpha, _scale_points(points, 1 / mask_factor), problems


def _fitting_mask_and_points(mask: np.ndarray, garment_type: str) -> tuple[np.ndarray, GarmentPoints]:
    """The mask the garment is fitted by and its points, by garment type."""
    if garment_type == LOWER_BODY:
        return mask, bottom_points(mask)
    if garment_type == FULL_BODY:
        return mask, dress_points(mask)
    # A hood or high collar above the shoulders hangs behind the head when worn: only the front is fitted.
    mask = without_hood(mask)
    return mask, top_points(mask)


def _bleed_colours(
    colours: np.ndarray, alpha: np.ndarray, *, outline: int = 1, background: np.ndarray | None = None
) -> np.ndarray:
    """Replace the background just outside the garment with the garment's own nearby colours.

    Sampling at the garment's outline mixes in neighbouring pixels; without this the product photo's
    white background would show as a light seam around the garment on the body. The mask's outermost
    `outline` pixels are replaced too, and within OUTLINE_BAND times that of the outline the pixels
    nearer the product photo's `background` colour (RGB) than the garment's colour there: a mask found
    on a smaller copy and scaled up reaches a few pixels past the garment, and the background kept there
    drew a dotted white line along every hem, sleeve end and side once the garment was placed.
    """
    reach = 2 * max(1, outline) + 1
    core = cv2.erode((alpha >= 0.999).astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (reach, reach)))
    if background is not None and core.any():
        band = 2 * OUTLINE_BAND * max(1, outline) + 1
        inner = cv2.erode((alpha >= 0.5).astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (band, band)))
        garment_colour = _spread(colours, core).astype(np.float32)
        pixels = colours.astype(np.float32)
        background = np.asarray(background, np.float32)
        from_background = np.linalg.norm(pixels - background, axis=2)
        garment_from_background = np.linalg.norm(garment_colour - background, axis=2)
        background_like = from_background < BACKGROUND_LIKE_SHARE * garment_from_background
        core = core & ~(background_like & (inner == 0))
    return np.where(core[:, :, None] > 0, colours, _spread(colours, core))


def _spread(colours: np.ndarray, core: np.ndarray) -> np.ndarray:
    """The colours of the `core` pixels (uint8 0/1) spread over the whole picture: each pixel the
    weighted average of the core near it, or far from it of a coarse, wide spread."""
    alpha = core.astype(np.float32)
    sigma = max(1.0, BLEED_FRACTION * max(colours.shape[:2]))
    weight = cv2.GaussianBlur(alpha, (0, 0), sigma)
    spread = cv2.GaussianBlur(colours.astype(np.float32) * alpha[:, :, None], (0, 0), sigma)
    # Further out (the neck opening, which hole filling may reach) the colours of a coarse, wide spread.
    height, width = alpha.shape
    factor = min(1.0, BLEED_COARSE_LONG_SIDE / max(height, width))
    coarse_size = (max(1, round(width * factor)), max(1, round(height * factor)))
    coarse_sigma = max(1.0, BLEED_COARSE_FRACTION * max(coarse_size))
    coarse_alpha = cv2.resize(alpha, coarse_size, interpolation=cv2.INTER_AREA)
    coarse_weight = cv2.GaussianBlur(coarse_alpha, (0, 0), coarse_sigma)
    coarse_spread = cv2.GaussianBlur(
        cv2.resize(colours, coarse_size, interpolation=cv2.INTER_AREA).astype(np.float32) * coarse_alpha[:, :, None],
        (0, 0),
        coarse_sigma,
    )
    coarse = cv2.resize(
        coarse_spread / np.maximum(coarse_weight, 1e-3)[:, :, None], (width, height), interpolation=cv2.INTER_LINEAR
    )
    near = (weight > 0.05)[:, :, None]
    filled = np.where(near, spread / np.maximum(weight, 1e-3)[:, :, None], coarse)
    return np.clip(filled, 0, 255).astype(np.uint8)


def _scale_points(points, factor: float):
    """The same garment points (any of the garment kinds) with every point scaled by `factor`."""
    if isinstance(points, DressPoints):
        return DressPoints(
            top=_scale_points(points.top, factor),
            left_hem=_scale_point(points.left_hem, factor),
            right_hem=_scale_point(points.right_hem, factor),
        )
    return type(points)(**{name: _scale_point(value, factor) for name, value in vars(points).items()})


def _scale_point(point: Point | None, factor: float) -> Point | None:
    return None if point is None else (point[0] * factor, point[1] * factor)
