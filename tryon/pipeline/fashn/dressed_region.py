"""Where FASHN's picture replaces the shopper's photo, and when it must not be shown at all.

FASHN VTON v1.5 is maskless: it redraws the whole 576×864 canvas, person, face and background
included, at a resolution far below a phone photo's. Pasting all of it back would blur the face and
the room, and would show whatever the model got wrong anywhere in the picture. So the shop keeps its
own photo everywhere except the dressed region, which is where two things agree:

1. the garment type's part of the body, from the shop's body model (person mask widened for loose
   garments, cut to a band: shoulders to below the hips for tops, waist down for bottoms,
   shoulders down for dresses), and
2. where the model's picture differs from the photo (both slightly blurred, so resampling noise is
   not counted): a new garment changes those pixels, skin and background it keeps do not.

Everything is measured on the canvas without its padding (the photo at the model's scale). A model
that redrew much of the photo outside the garment's body region has not produced a try-on (wrong
weights, a photo far from what it learned): the engine refuses instead of drawing it
(`RedrawnPhotoError`). With the real weights the background is kept but not bit for bit; the share
of changed pixels allowed outside (`max_redrawn_outside`) is an operator setting for that reason.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from tryon.pipeline.body import BodyAnalysis
from tryon.pipeline.contract import FULL_BODY, LOWER_BODY, UPPER_BODY, GarmentFitError

# The blur both pictures get before they are compared, in pixels of the unpadded canvas.
COMPARE_BLUR_SIGMA = 1.5
# A pixel counts as changed when a channel moved by more than this (of 255) after the blur.
CHANGED_LEVEL = 24
# The body region, in shares of the torso (shoulder line to hip line) or of the shoulder width.
LOOSE_GARMENT_REACH = 0.3  # of the shoulder width: how far past the person mask a garment may reach
TOP_ABOVE_SHOULDERS = 0.2  # collars and straps; the chin starts about a quarter torso above the shoulders
TOP_BELOW_HIPS = 0.6  # long tops and tunics
WAIST_ABOVE_HIPS = 0.45  # a waistband at the navel
# Cleaning the changed pixels: holes closed and specks removed at this share of the shoulder width.
CLEANING_SHARE = 0.04
FEATHER_SIGMA = 1.5  # soft edge of the dressed region, canvas pixels
DEFAULT_MAX_REDRAWN_OUTSIDE = 0.3


class RedrawnPhotoError(GarmentFitError):
    """The model changed much of the photo outside the garment's part of the body."""

    def __init__(self, share: float) -> None:
        self.share = share
        super().__init__(
            "The try-on model redrew your photo instead of only dressing it, so we did not show the picture. "
            "Try a photo where you stand straight and face the camera, in good light, or try another garment."
        )


@dataclass(frozen=True)
class DressedRegion:
    """`alpha` float32 in [0, 1] at the unpadded canvas size: how much of the model's picture each
    pixel takes; `redrawn_outside`: the share of pixels outside the body region the model changed."""

    alpha: np.ndarray
    redrawn_outside: float


def body_region(analysis: BodyAnalysis, garment_type: str, height: int, width: int) -> np.ndarray:
    """Boolean (height, width): the part of the body a garment of `garment_type` may cover, from the
    body model's analysis of the photo, scaled to a picture of the photo's aspect at `height`×`width`."""
    scale_x, scale_y = width / analysis.width, height / analysis.height
    mask = cv2.resize(analysis.person_mask, (width, height), interpolation=cv2.INTER_NEAREST) > 0

    def point(name: str) -> np.ndarray:
        return analysis.point(name) * np.array([scale_x, scale_y])

    shoulders = (point("left_shoulder"), point("right_shoulder"))
    hips = (point("left_hip"), point("right_hip"))
    shoulder_y = float(np.mean([p[1] for p in shoulders]))
    hip_y = float(np.mean([p[1] for p in hips]))
    shoulder_width = float(np.linalg.norm(shoulders[0] - shoulders[1]))
    torso = max(hip_y - shoulder_y, shoulder_width, 1.0)

    reach = max(1, round(LOOSE_GARMENT_REACH * shoulder_width))
    widened = cv2.dilate(mask.astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * reach + 1,) * 2)) > 0
    if garment_type == LOWER_BODY:
        top, bottom = hip_y - WAIST_ABOVE_HIPS * torso, float(height)
    elif garment_type == FULL_BODY:
        top, bottom = shoulder_y - TOP_ABOVE_SHOULDERS * torso, float(height)
    elif garment_type == UPPER_BODY:
        top, bottom = shoulder_y - TOP_ABOVE_SHOULDERS * torso, hip_y + TOP_BELOW_HIPS * torso
    else:
        raise ValueError(f"unknown garment type {garment_type!r}")
    rows = np.arange(height)[:, None]
    return widened & (rows >= top) & (rows < bottom)


def changed_pixels(photo: np.ndarray, drawn: np.ndarray) -> np.ndarray:
    """Boolean: where `drawn` differs from `photo` (uint8 RGB, same size) beyond resampling noise."""
    blurred = [cv2.GaussianBlur(image.astype(np.float32), (0, 0), COMPARE_BLUR_SIGMA) for image in (photo, drawn)]
    return np.abs(blurred[0] - blurred[1]).max(axis=2) > CHANGED_LEVEL


def dressed_region(
    photo: np.ndarray,
    drawn: np.ndarray,
    analysis: BodyAnalysis,
    garment_type: str,
    *,
    max_redrawn_outside: float = DEFAULT_MAX_REDRAWN_OUTSIDE,
) -> DressedRegion:
    """The region of `drawn` (the model's picture) to show over `photo` (the photo at the same size).
    Raises `RedrawnPhotoError` when more than `max_redrawn_outside` of the pixels outside the body
    region changed."""
    height, width = photo.shape[:2]
    region = body_region(analysis, garment_type, height, width)
    changed = changed_pixels(photo, drawn)
    outside = ~region
    redrawn_outside = float(changed[outside].mean()) if outside.any() else 0.0
    if redrawn_outside > max_redrawn_outside:
        raise RedrawnPhotoError(redrawn_outside)

    shoulder_width = float(
        np.linalg.norm(analysis.point("left_shoulder") - analysis.point("right_shoulder")) * width / analysis.width
    )
    size = max(3, 2 * round(CLEANING_SHARE * shoulder_width) + 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    dressed = (changed & region).astype(np.uint8)
    dressed = cv2.morphologyEx(dressed, cv2.MORPH_CLOSE, kernel)
    dressed = cv2.morphologyEx(dressed, cv2.MORPH_OPEN, kernel)
    soft = np.maximum(cv2.GaussianBlur(dressed.astype(np.float32), (0, 0), FEATHER_SIGMA), dressed)
    alpha = soft * region  # soft edges inside the body region, nothing past it
    return DressedRegion(alpha=np.clip(alpha, 0.0, 1.0).astype(np.float32), redrawn_outside=redrawn_outside)
