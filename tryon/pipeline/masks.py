"""Garment masks from product images: the "edge" input of PF-AFN (Ge et al., CVPR 2021, section 4)
and the outline the weight-free engine fits.

PF-AFN expects the garment image together with a binary mask of the garment ("edge" in its code).
A product picture with transparency (a cut-out) brings its own mask: its alpha (`alpha_mask`). Shop
photos on a plain light background are masked with classical image processing (`cloth_mask`):

1. the background is modelled from the picture's border as a smooth surface (a quadratic in x and y
   per CIELAB channel, fitted robustly), so a studio gradient or vignette stays background;
2. pixels that differ from that model by more than the border's own noise, or lie on an edge, are
   garment candidates (a white garment on light grey differs by a few lightness units only);
3. the background is what can be reached from the border without crossing a candidate, first
   through openings wider than `LEAK_GUARD_FRACTION` (a weak outline cannot let it leak into a
   white stripe or a white sleeve), then into narrower gaps of clean background-coloured pixels (the
   slit between a long sleeve and the body, between two trouser legs);
4. everything else is garment: enclosed prints, white stripes and straps stay, and the background
   between a sleeve and the body, open to the outside, goes. Holes are never filled blindly.

The work is done on a copy no longer than `MASK_LONG_SIDE` pixels (about 20 ms) and the mask is scaled
back to the picture. When U²-Net is loaded, `refine_with_saliency` can sharpen the result.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from tryon.pipeline.contract import GarmentNotFoundError
from tryon.pipeline.imageio import CUT_OUT_ALPHA, GarmentPicture
from tryon.pipeline.imageops import resize_by

# Raise when cloth masks change: engines that keep garment sides name it in their identity (the neural
# engine's digest; the classic engine's METHOD_VERSION moves with it), so kept sides are remade.
# 2: background modelled from the border and flooded from it; cut-outs masked by their alpha.
CLOTH_MASK_VERSION = 2
# The mask is computed on a copy whose long side is at most this many pixels.
MASK_LONG_SIDE = 384
# Width of the border band the background is modelled from, as a fraction of the short side.
BORDER_FRACTION = 0.03
# Border pixels within this CIELAB distance of the background model count as background; at least the
# given share of the border must be background (a tightly cropped garment may cover the rest).
BACKGROUND_TOLERANCE = 12.0
MIN_BACKGROUND_BORDER_SHARE = 0.4
# Product photos are shot on white or light grey (CIELAB lightness 0..100).
MIN_BACKGROUND_LIGHTNESS = 70.0
# Rounds of fitting the background surface, each without the border pixels the last one left out.
BACKGROUND_FIT_ROUNDS = 3
# Smallest CIELAB distance from the background model that counts as garment, raised with the border's
# noise (its 95th percentile distance from the model) times NOISE_MULTIPLIER.
MIN_COLOUR_DISTANCE = 2.0
NOISE_MULTIPLIER = 4.0
# A soft shadow under the garment darkens the background without changing its hue: lightness below the
# background's counts only this much (a dark garment is still far darker; a white one is lighter).
SHADOW_WEIGHT = 0.2
# Narrow gaps are opened only through pixels closer than this share of the garment threshold (and at
# least MIN_CLEAN_DISTANCE) to the background: clean background, not a pale garment in shadow.
CLEAN_BACKGROUND_SHARE = 0.5
MIN_CLEAN_DISTANCE = 1.0
# Canny thresholds on the lightly blurred lightness channel (0..255).
EDGE_LOW, EDGE_HIGH = 8, 20
# The first flood from the border passes only openings at least this wide (fraction of the long side,
# times two): wider than a break in a faint outline, narrower than a sleeve gap.
LEAK_GUARD_FRACTION = 0.02
# Steps (pixels of the working copy) by which the background is grown back over the garment candidates'
# dilation and a shadow's rim, through pixels that are neither garment-coloured nor edges.
RIM_STEPS = 2
# A plausible garment covers between these fractions of the image.
MIN_AREA_FRACTION = 0.01
MAX_AREA_FRACTION = 0.97


@dataclass(frozen=True)
class BackgroundModel:
    """How the picture's background looks, for masking and for the staff check (`mask_check`)."""

    distance: np.ndarray  # float32 H×W: CIELAB distance from the background surface (or a smoothed copy's)
    garment_distance: np.ndarray  # unsmoothed, with darkening (a shadow) weighted by SHADOW_WEIGHT
    edges: np.ndarray  # bool H×W: Canny edges of the lightness
    garment_threshold: float  # a distance above this is garment
    clean_threshold: float  # a distance below this is clean background


def garment_mask(picture: GarmentPicture) -> np.ndarray:
    """The garment's mask (uint8 H×W, 0 or 255): a cut-out's alpha, else `cloth_mask` of the photo."""
    if picture.alpha is not None:
        return alpha_mask(picture.alpha)
    return cloth_mask(picture.colours)


def cloth_mask(garment_rgb: np.ndarray) -> np.ndarray:
    """Return the garment's mask (uint8 H×W, 0 or 255) from a product image on a plain light background.

    The mask is one piece (the largest connected region); enclosed prints and stripes are garment, and
    background open to the outside (between a sleeve and the body, between legs) is not. Raises
    `GarmentNotFoundError` when the background is not plain or nothing garment-sized stands out.
    """
    rgb = _as_rgb(garment_rgb)
    height, width = rgb.shape[:2]
    small = resize_by(rgb, min(1.0, MASK_LONG_SIDE / max(height, width)))
    model = background_model(small)
    mask = largest_component(np.where(outside_background(model), 0, 255).astype(np.uint8))
    area_fraction = np.count_nonzero(mask) / float(mask.size)
    if not MIN_AREA_FRACTION <= area_fraction <= MAX_AREA_FRACTION:
        raise GarmentNotFoundError(
            f"No garment found in the garment image (the foreground covers {area_fraction:.1%} of it); "
            "use a product photo of one garment on a plain light background."
        )
    if mask.shape != (height, width):
        scaled = cv2.resize(mask.astype(np.float32), (width, height), interpolation=cv2.INTER_LINEAR)
        mask = np.where(scaled >= 127.5, 255, 0).astype(np.uint8)
    return mask


def alpha_mask(alpha: np.ndarray) -> np.ndarray:
    """The mask of a cut-out (uint8 H×W, 0 or 255): its opaque part, as the shop drew it.

    Nothing is joined or dropped: a cut-out that falls into pieces is the staff check's to report.
    Raises `GarmentNotFoundError` when too little of it is opaque to be a garment."""
    mask = np.where(alpha >= CUT_OUT_ALPHA, 255, 0).astype(np.uint8)
    area_fraction = np.count_nonzero(mask) / float(mask.size)
    if area_fraction < MIN_AREA_FRACTION:
        raise GarmentNotFoundError(
            f"The cut-out's opaque part covers only {area_fraction:.1%} of the picture; "
            "upload a cut-out of the whole garment."
        )
    return mask


def background_model(rgb: np.ndarray) -> BackgroundModel:
    """Model the background from the picture's border and measure every pixel against it.

    Raises `GarmentNotFoundError` when the border is not a plain light background."""
    height, width = rgb.shape[:2]
    lab = cv2.cvtColor(rgb.astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB)
    band = max(2, round(min(height, width) * BORDER_FRACTION))
    border = _border_pixels(lab, band)
    # Plain: most of the border near one light colour (the lighter half's median: a garment touching the
    # edges of a tight crop is darker than the studio and must not pull the estimate).
    lighter = border[border[:, 0] >= np.median(border[:, 0])]
    studio = np.median(lighter, axis=0)
    is_plain = np.linalg.norm(border - studio, axis=1) <= BACKGROUND_TOLERANCE
    if is_plain.mean() < MIN_BACKGROUND_BORDER_SHARE or studio[0] < MIN_BACKGROUND_LIGHTNESS:
        raise GarmentNotFoundError(
            "The garment image has no plain background; use a product photo on a white or light background."
        )
    surface, border_distance, is_background = _fit_background(lab, band, is_plain)
    noise = float(np.percentile(border_distance[is_background], 95))
    garment_threshold = max(MIN_COLOUR_DISTANCE, NOISE_MULTIPLIER * noise)
    # A pixel is clean background when it or its lightly smoothed copy is near the surface (JPEG noise must
    # not break a narrow gap, nor smoothing close the tip of one); garment is judged on each pixel as it
    # is, so the outline is not widened.
    raw_distance = np.linalg.norm(lab - surface, axis=2)
    smoothed_distance = np.linalg.norm(cv2.GaussianBlur(lab, (3, 3), 0) - surface, axis=2)
    lightness = np.clip(lab[:, :, 0] * 2.55, 0, 255).astype(np.uint8)
    return BackgroundModel(
        distance=np.minimum(raw_distance, smoothed_distance),
        garment_distance=_shadow_weighted_distance(lab - surface),
        edges=cv2.Canny(cv2.GaussianBlur(lightness, (5, 5), 0), EDGE_LOW, EDGE_HIGH) > 0,
        garment_threshold=garment_threshold,
        clean_threshold=max(MIN_CLEAN_DISTANCE, CLEAN_BACKGROUND_SHARE * garment_threshold),
    )


def outside_background(model: BackgroundModel) -> np.ndarray:
    """The background reachable from the picture's border (bool H×W): through wide openings between
    garment candidates first, then on into narrow gaps of clean background."""
    height, width = model.distance.shape
    candidates = ((model.garment_distance > model.garment_threshold) | model.edges).astype(np.uint8)
    free = 1 - cv2.dilate(candidates, _disk(3))
    guard = max(2, round(max(height, width) * LEAK_GUARD_FRACTION))
    outside = _touching_border(_open(free, 2 * guard + 1))
    clean = model.distance < model.clean_threshold
    outside = _reconstruct(outside, clean)
    # The outline itself: the barrier's dilation and a shadow's faint rim go back to the background.
    rim = model.garment_distance <= model.garment_threshold
    for _ in range(RIM_STEPS):
        outside |= cv2.dilate(outside.astype(np.uint8), _disk(3)).astype(bool) & rim
    return outside


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
    open_size = max(3, round(min(mask.shape) * 0.008) | 1)
    refined = largest_component(fill_holes(_open(combined, open_size)))
    if np.count_nonzero(refined) < MIN_AREA_FRACTION * mask.size:
        return mask
    return refined


def fill_holes(mask: np.ndarray) -> np.ndarray:
    """Fill every background region of a 0/255 mask that does not touch the image border."""
    outside = _touching_border(mask == 0)
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


def _fit_background(lab: np.ndarray, band: int, is_background: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A smooth CIELAB surface fitted to the border band (in `_border_pixels` order), starting from the
    pixels `is_background` marks and leaving out those of the garment (a tight crop) round by round.
    Returns the surface (H×W×3), each border pixel's distance from it and which count as background."""
    height, width = lab.shape[:2]
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    terms = _surface_terms(xs * 2 / max(1, width - 1) - 1, ys * 2 / max(1, height - 1) - 1)
    border_terms, border = _border_pixels(terms, band), _border_pixels(lab, band)
    for _ in range(BACKGROUND_FIT_ROUNDS):
        coefficients, *_ = np.linalg.lstsq(border_terms[is_background], border[is_background], rcond=None)
        distance = np.linalg.norm(border - border_terms @ coefficients, axis=1)
        is_background = distance <= BACKGROUND_TOLERANCE
        if not is_background.any():
            break
    return (terms @ coefficients).astype(np.float32), distance, is_background


def _shadow_weighted_distance(difference: np.ndarray) -> np.ndarray:
    """CIELAB distance with darkening (what a shadow does to the background) counted SHADOW_WEIGHT."""
    weight = np.where(difference[:, :, 0] < 0, SHADOW_WEIGHT, 1.0).astype(np.float32)
    weighted = difference * np.stack([weight, np.ones_like(weight), np.ones_like(weight)], axis=2)
    return np.linalg.norm(weighted, axis=2)


def _border_pixels(image: np.ndarray, band: int) -> np.ndarray:
    """The pixels of a band `band` wide along the picture's four edges (N×channels), each once."""
    return np.concatenate(
        [
            image[:band].reshape(-1, image.shape[2]),
            image[-band:].reshape(-1, image.shape[2]),
            image[band:-band, :band].reshape(-1, image.shape[2]),
            image[band:-band, -band:].reshape(-1, image.shape[2]),
        ]
    )


def _surface_terms(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The quadratic's terms (…×6) at normalised coordinates in −1..1."""
    return np.stack([np.ones_like(x), x, y, x * x, y * y, x * y], axis=-1)


def _touching_border(region: np.ndarray) -> np.ndarray:
    """The 4-connected parts of a bool/0-1 region that touch the image border."""
    _, labels = cv2.connectedComponents(region.astype(np.uint8), connectivity=4)
    edge_labels = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    return np.isin(labels, edge_labels[edge_labels > 0])


def _reconstruct(seed: np.ndarray, within: np.ndarray) -> np.ndarray:
    """`seed` grown through every 4-connected part of `within` it touches."""
    _, labels = cv2.connectedComponents(within.astype(np.uint8), connectivity=4)
    reached = np.unique(labels[seed & within])
    return seed | np.isin(labels, reached[reached > 0])


def _disk(size: int) -> np.ndarray:
    size = max(1, int(size)) | 1
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))


def _open(mask: np.ndarray, size: int) -> np.ndarray:
    return cv2.morphologyEx(mask.astype(np.uint8), cv2.MORPH_OPEN, _disk(size))
