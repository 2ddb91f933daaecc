"""The garment's shading from the person's photo (part of stage 4, rendering): folds and creases as the
luminance against its heavy blur, light across the body as that blur against its median; prints and
badges on the person's own clothes are left out so they do not show through as ghosts.
"""

from __future__ import annotations

import cv2
import numpy as np

from tryon.pipeline.imageops import shrink

# Shading: the torso's luminance against a heavy blur of it (folds, creases), times a softened share of
# the heavy blur against its median (light falling across the body); blurs in face widths.
SHADING_DETAIL_BLUR = 0.03
SHADING_BROAD_BLUR = 0.35
SHADING_DETAIL_STRENGTH = 0.8
SHADING_PRINT_LOG_RATIO = 0.35  # |log(luminance / heavy blur)| at which a contrast counts as a print, not a fold
SHADING_PRINT_MARGIN = 0.12  # face widths around a print that get no fold shading either
SHADING_BROAD_STRENGTH = 0.5
SHADING_RANGE = (0.6, 1.3)
SHADING_REDUCTION = 4


def torso_shading(crop_rgb: np.ndarray, alpha: np.ndarray, unit: float) -> np.ndarray:
    """Multipliers for the garment's colours from the person's luminance (`unit`: face width in crop pixels).

    Folds and creases: the luminance against its heavy blur. Light across the body: the heavy blur
    against its median under the garment, softened. Clamped to SHADING_RANGE so a print or a badge on
    the person's own clothes does not show through as a ghost.
    """
    luminance = cv2.cvtColor(crop_rgb, cv2.COLOR_RGB2GRAY).astype(np.float32) + 1.0
    detail = cv2.GaussianBlur(luminance, (0, 0), max(0.5, SHADING_DETAIL_BLUR * unit))
    # The wide blur is done on a copy a few times smaller; the result is smooth, so nothing is lost.
    sigma = SHADING_BROAD_BLUR * unit
    reduction = max(1, min(SHADING_REDUCTION, int(sigma / 2)))
    height, width = luminance.shape
    reduced = shrink(luminance, (max(1, width // reduction), max(1, height // reduction)))
    broad = cv2.resize(
        cv2.GaussianBlur(reduced, (0, 0), max(0.5, sigma / reduction)), (width, height), interpolation=cv2.INTER_LINEAR
    )
    covered = broad[alpha > 0.5]
    reference = float(np.median(covered)) if covered.size else float(np.median(broad))
    light = 1.0 + SHADING_BROAD_STRENGTH * (broad / reference - 1.0)
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
