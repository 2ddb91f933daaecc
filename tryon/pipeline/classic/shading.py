"""The garment's shading from the person's photo (part of stage 4, rendering): folds and creases as the
luminance against its heavy blur, light across the body as that blur against each row's median; prints and
badges on the person's own clothes are left out so they do not show through as ghosts.

Blurs are normalised convolutions over the person alone (Knutsson and Westin, "Normalized and
differential convolution", CVPR 1993): a bright background beside a dark outfit must not light the
garment's outline, which drew a white halo round it. The shading multiplies the product picture's
colours without changing their hue (`apply_shading`): a light colour brightened past what a byte holds
keeps its proportions instead of clipping channel by channel towards cyan or white.
"""

from __future__ import annotations

import cv2
import numpy as np

from tryon.pipeline.imageops import shrink

# Shading: the torso's luminance against a heavy blur of it (folds, creases), times a softened share of
# the heavy blur against its row's median (light falling across the body); blurs in face widths.
SHADING_DETAIL_BLUR = 0.03
SHADING_BROAD_BLUR = 0.35
SHADING_DETAIL_STRENGTH = 0.8
SHADING_PRINT_LOG_RATIO = 0.35  # |log(luminance / heavy blur)| at which a contrast counts as a print, not a fold
SHADING_PRINT_MARGIN = 0.12  # face widths around a print that get no fold shading either
SHADING_BROAD_STRENGTH = 0.5
SHADING_RANGE = (0.6, 1.3)
LIGHT_RANGE = (0.8, 1.15)
SHADING_REDUCTION = 4
# Added to the luminance (0–255) before ratios are taken, so near-black clothes give little shading.
LUMINANCE_FLOOR = 24.0
# Weight below which a blurred pixel has too little of the person around it to be measured.
MIN_WEIGHT = 1e-3


def torso_shading(
    crop_rgb: np.ndarray, alpha: np.ndarray, unit: float, on_person: np.ndarray | None = None
) -> np.ndarray:
    """Multipliers for the garment's colours from the person's luminance (`unit`: face width in crop pixels).

    Folds and creases: the luminance against its heavy blur. Light across the body: the heavy blur
    against its row's median under the garment, softened. Only pixels of `on_person` (bool, the crop's
    size; all when None) are measured. Clamped to SHADING_RANGE so a print or a badge on the person's
    own clothes does not show through as a ghost.
    """
    # Ratios of near-black cloth are mostly sensor noise and dye, not light: the floor damps them.
    luminance = cv2.cvtColor(crop_rgb, cv2.COLOR_RGB2GRAY).astype(np.float32) + LUMINANCE_FLOOR
    weight = np.ones_like(luminance) if on_person is None else on_person.astype(np.float32)
    detail = _masked_blur(luminance, weight, max(0.5, SHADING_DETAIL_BLUR * unit), reduction=1)
    # The wide blur is done on a copy a few times smaller; the result is smooth, so nothing is lost.
    sigma = SHADING_BROAD_BLUR * unit
    reduction = max(1, min(SHADING_REDUCTION, int(sigma / 2)))
    broad = _masked_blur(luminance, weight, sigma, reduction=reduction)
    # A print on the person's own clothes (white letters on a black tee) is not light falling on them:
    # the light is measured again without it.
    print_pixels = np.abs(np.log(detail / broad)) > SHADING_PRINT_LOG_RATIO
    if print_pixels.any():
        broad = _masked_blur(luminance, weight * ~print_pixels, sigma, reduction=reduction)
    # Off the person (a skirt hanging free) there are no folds to read: the light alone.
    detail = np.where(weight > 0, detail, broad)
    # Light is read across the body, against each row's own median: from the top of the person to the
    # bottom their clothes change colour (a black tee over grey jeans), and a white dress over both would
    # otherwise come out grey down to the waist. Within a modest range, too: a far darker part of a row
    # (black trousers beside a light top's hem) is clothes' colour, not shadow.
    reference = _row_reference(broad, alpha > 0.5)
    light = np.clip(1.0 + SHADING_BROAD_STRENGTH * (broad / reference - 1.0), *LIGHT_RANGE)
    # A fold darkens or lightens cloth by a modest factor; a far larger contrast is a print, badge or collar
    # on the person's own clothes, which fades out of the shading instead of showing through as a ghost.
    log_ratio = np.log(detail / broad)
    prints = (np.abs(log_ratio) > SHADING_PRINT_LOG_RATIO).astype(np.uint8)
    # Near a print there is no fold shading either (a square dilation: separable, so cheap), faded in.
    reach = 2 * max(1, round(SHADING_PRINT_MARGIN * unit)) + 1
    prints = cv2.dilate(prints, cv2.getStructuringElement(cv2.MORPH_RECT, (reach, reach)))
    fold_likeness = 1.0 - cv2.blur(prints.astype(np.float32), (reach, reach))
    folds = np.exp(SHADING_DETAIL_STRENGTH * fold_likeness * log_ratio)
    return np.clip(light * folds, *SHADING_RANGE).astype(np.float32)


def _row_reference(broad: np.ndarray, covered: np.ndarray) -> np.ndarray:
    """Each row's median of `broad` under the garment (a column to divide by), rows without any garment
    taking the nearest row's; the whole picture's median where the garment covers nothing."""
    height = broad.shape[0]
    rows_covered = covered.any(axis=1)
    if not rows_covered.any():
        return np.full((height, 1), float(np.median(broad)), np.float32)
    medians = np.ma.median(np.ma.masked_array(broad, mask=~covered), axis=1).filled(0.0)
    known = np.flatnonzero(rows_covered)
    column = np.interp(np.arange(height), known, medians[known])
    return column.astype(np.float32)[:, None]


def _masked_blur(values: np.ndarray, weight: np.ndarray, sigma: float, *, reduction: int) -> np.ndarray:
    """Gaussian blur of `values` over the pixels of `weight` only (a normalised convolution), computed on
    a copy `reduction` times smaller; where no weighted pixel is near, the plain blur."""
    height, width = values.shape
    small_size = (max(1, width // reduction), max(1, height // reduction))
    small_values = shrink(values * weight, small_size) if reduction > 1 else values * weight
    small_weight = shrink(weight, small_size) if reduction > 1 else weight
    small_sigma = max(0.5, sigma / reduction)
    blurred = cv2.GaussianBlur(small_values, (0, 0), small_sigma)
    blurred_weight = cv2.GaussianBlur(small_weight, (0, 0), small_sigma)
    plain = cv2.GaussianBlur(shrink(values, small_size) if reduction > 1 else values, (0, 0), small_sigma)
    result = np.where(blurred_weight > MIN_WEIGHT, blurred / np.maximum(blurred_weight, MIN_WEIGHT), plain)
    if reduction > 1:
        result = cv2.resize(result, (width, height), interpolation=cv2.INTER_LINEAR)
    return result.astype(np.float32)


def apply_shading(colours: np.ndarray, shading: np.ndarray) -> np.ndarray:
    """`colours` (uint8 RGB) times `shading` (float32, one channel) without a change of hue: where a
    brightening would push a channel past 255 the factor is lowered to what the brightest channel
    holds, so every channel keeps its proportion to the others."""
    brightest = np.maximum(colours.max(axis=2).astype(np.float32), 1.0)
    factor = np.minimum(shading, 255.0 / brightest)
    return cv2.multiply(colours, cv2.merge([factor] * 3), dtype=cv2.CV_8U)
