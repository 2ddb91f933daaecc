"""Garment masks from product images: the "edge" input of PF-AFN (Ge et al., CVPR 2021, section 4).

PF-AFN expects the garment image together with a binary mask of the garment ("edge" in its code).
Shop product photos are shot on a (near-)white background, so the mask is found with classical
image processing rather than a network: the background colour is estimated from the border, pixels
that differ from it in CIELAB colour, in saturation or by a strong edge become garment candidates,
and morphology turns the outline into a solid, single-piece mask. Light garments on white are the
hard case; their outline (seams, shadow, rim) is closed and the interior filled, so they still
separate. When U²-Net is loaded, `refine_with_saliency` can sharpen the result.
"""

from __future__ import annotations

import cv2
import numpy as np

from tryon.pipeline.contract import GarmentNotFoundError

# Width of the border band used to estimate the background colour, as a fraction of the short side.
BORDER_FRACTION = 0.03
# Border pixels within this CIELAB distance of the background colour count as background; at least
# the given share of the border must be background (a tightly cropped garment may cover the rest).
BACKGROUND_TOLERANCE = 12.0
MIN_BACKGROUND_BORDER_SHARE = 0.4
# Product photos are shot on white or light grey (CIELAB lightness 0..100).
MIN_BACKGROUND_LIGHTNESS = 70.0
# Smallest CIELAB distance from the background that counts as garment; raised with the border noise.
MIN_COLOUR_DISTANCE = 10.0
NOISE_MULTIPLIER = 4.0
# Saturation (HSV, 0..1) above the background's that counts as garment.
MIN_SATURATION_GAIN = 0.12
# Canny thresholds on the lightly blurred lightness channel (0..255).
EDGE_LOW, EDGE_HIGH = 8, 20
# Morphology kernel sizes as fractions of the short side.
CLOSE_FRACTION = 0.045
OPEN_FRACTION = 0.008
# A plausible garment covers between these fractions of the image.
MIN_AREA_FRACTION = 0.01
MAX_AREA_FRACTION = 0.97


def cloth_mask(garment_rgb: np.ndarray) -> np.ndarray:
    """Return the garment's mask (uint8 H×W, 0 or 255) from a product image on a plain light background.

    The mask is one solid piece (the largest connected region, holes filled). Raises
    `GarmentNotFoundError` when the background is not plain or nothing garment-sized stands out.
    """
    rgb = _as_rgb(garment_rgb)
    height, width = rgb.shape[:2]
    short_side = min(height, width)
    lab = cv2.cvtColor(rgb.astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB)
    border = _border_pixels(lab, short_side)
    background_lab = _background_colour(border)
    border_distance = np.linalg.norm(border - background_lab, axis=1)
    is_background = border_distance <= BACKGROUND_TOLERANCE
    if is_background.mean() < MIN_BACKGROUND_BORDER_SHARE or background_lab[0] < MIN_BACKGROUND_LIGHTNESS:
        raise GarmentNotFoundError(
            "The garment image has no plain background; use a product photo on a white or light background."
        )
    border_distance = border_distance[is_background]

    candidates = _candidate_pixels(rgb, lab, background_lab, border_distance, short_side)
    mask = _solidify(candidates, short_side)
    mask = largest_component(mask)
    area_fraction = np.count_nonzero(mask) / float(height * width)
    if not MIN_AREA_FRACTION <= area_fraction <= MAX_AREA_FRACTION:
        raise GarmentNotFoundError(
            f"No garment found in the garment image (the foreground covers {area_fraction:.1%} of it); "
            "use a product photo of one garment on a plain light background."
        )
    return mask


def refine_with_saliency(mask: np.ndarray, saliency: np.ndarray) -> np.ndarray:
    """Combine a classical mask with a U²-Net saliency map (uint8 H×W, 0..255) of the same image.

    The saliency map decides pixels it is confident about (below 64 or above 192); elsewhere the
    classical mask is kept. The result is again a single solid region; if the combination loses the
    garment, the classical mask is returned unchanged.
    """
    if saliency.shape != mask.shape:
        raise ValueError(f"saliency map shape {saliency.shape} differs from the mask's {mask.shape}")
    combined = mask.copy()
    combined[saliency >= 192] = 255
    combined[saliency < 64] = 0
    short_side = min(mask.shape)
    refined = largest_component(fill_holes(_open(combined, short_side)))
    if np.count_nonzero(refined) < MIN_AREA_FRACTION * mask.size:
        return mask
    return refined


def fill_holes(mask: np.ndarray) -> np.ndarray:
    """Fill every background region of a 0/255 mask that does not touch the image border."""
    background = (mask == 0).astype(np.uint8)
    _, labels = cv2.connectedComponents(background, connectivity=4)
    edge_labels = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    outside = np.isin(labels, edge_labels) & (background == 1)
    return np.where(outside, 0, 255).astype(np.uint8)


def largest_component(mask: np.ndarray) -> np.ndarray:
    """Keep only the largest 8-connected foreground region of a 0/255 mask."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats((mask > 0).astype(np.uint8), connectivity=8)
    if count <= 1:
        return np.zeros_like(mask, dtype=np.uint8)
    largest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    return np.where(labels == largest, 255, 0).astype(np.uint8)


def _as_rgb(image: np.ndarray) -> np.ndarray:
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"expected an H×W×3 uint8 RGB array, got {image.dtype} {image.shape}")
    if min(image.shape[:2]) < 16:
        raise GarmentNotFoundError(f"The garment image is too small ({image.shape[1]}×{image.shape[0]} pixels).")
    return image


def _border_pixels(lab: np.ndarray, short_side: int) -> np.ndarray:
    band = max(2, round(short_side * BORDER_FRACTION))
    return np.concatenate(
        [
            lab[:band].reshape(-1, 3),
            lab[-band:].reshape(-1, 3),
            lab[band:-band, :band].reshape(-1, 3),
            lab[band:-band, -band:].reshape(-1, 3),
        ]
    )


def _background_colour(border: np.ndarray) -> np.ndarray:
    """The background's CIELAB colour: the median of the lighter half of the border, so a garment
    touching the edges of a tight crop does not pull the estimate towards its own colour."""
    lightness = border[:, 0]
    return np.median(border[lightness >= np.median(lightness)], axis=0)


def _candidate_pixels(
    rgb: np.ndarray,
    lab: np.ndarray,
    background_lab: np.ndarray,
    border_distance: np.ndarray,
    short_side: int,
) -> np.ndarray:
    """Pixels that differ from the background by colour, saturation or a strong edge (0/255)."""
    noise = float(np.percentile(border_distance, 95))
    distance_threshold = max(MIN_COLOUR_DISTANCE, NOISE_MULTIPLIER * noise)
    colour_distance = np.linalg.norm(lab - background_lab, axis=2)

    saturation = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV)[:, :, 1].astype(np.float32) / 255.0
    band = max(2, round(short_side * BORDER_FRACTION))
    border_saturation = float(np.median(np.concatenate([saturation[:band].ravel(), saturation[-band:].ravel()])))

    lightness = np.clip(lab[:, :, 0] * 2.55, 0, 255).astype(np.uint8)
    edges = cv2.Canny(cv2.GaussianBlur(lightness, (5, 5), 0), EDGE_LOW, EDGE_HIGH) > 0

    candidates = (colour_distance > distance_threshold) | (saturation > border_saturation + MIN_SATURATION_GAIN) | edges
    return candidates.astype(np.uint8) * 255


def _solidify(candidates: np.ndarray, short_side: int) -> np.ndarray:
    close_size = max(3, round(short_side * CLOSE_FRACTION) | 1)
    close_kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (close_size, close_size))
    closed = cv2.morphologyEx(candidates, cv2.MORPH_CLOSE, close_kernel)
    return _open(fill_holes(closed), short_side)


def _open(mask: np.ndarray, short_side: int) -> np.ndarray:
    open_size = max(3, round(short_side * OPEN_FRACTION) | 1)
    open_kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (open_size, open_size))
    return cv2.morphologyEx(mask, cv2.MORPH_OPEN, open_kernel)
