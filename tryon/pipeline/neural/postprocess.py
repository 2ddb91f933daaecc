"""Getting the try-on out of the networks and back into the shopper's photo: the 192×256 try-on is
pasted into the full-resolution photo over the garment region only (`garment_region`, `paste_back`),
so face, hair and background keep the photo's own pixels. The crop it is pasted into is
`preprocess.crop_person`'s.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import torch

from tryon.pipeline.neural.preprocess import PersonCrop

# Paste-back: the garment region grows by this many model pixels and is feathered with this sigma.
GARMENT_REGION_DILATION = 3
GARMENT_REGION_FEATHER_SIGMA = 1.5
# Model outputs above these count as garment: composition mask (soft) and warped edge (binary-ish).
COMPOSITE_THRESHOLD = 0.1
WARPED_EDGE_THRESHOLD = 0.5


def garment_region(m_composite: torch.Tensor, warped_edge: torch.Tensor) -> np.ndarray:
    """Feathered blend weights (float32 256×192 in [0, 1]) of where the try-on shows the garment.

    The union of the composition mask and the warped edge, dilated by `GARMENT_REGION_DILATION`
    pixels and feathered; exactly 0 away from the garment so the photo is untouched there.
    """
    composite = m_composite[0, 0].detach().float().cpu().numpy()
    edge = warped_edge[0, 0].detach().float().cpu().numpy()
    region = ((composite > COMPOSITE_THRESHOLD) | (edge > WARPED_EDGE_THRESHOLD)).astype(np.uint8)
    size = 2 * GARMENT_REGION_DILATION + 1
    region = cv2.dilate(region, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size)))
    feathered = cv2.GaussianBlur(region.astype(np.float32), (0, 0), GARMENT_REGION_FEATHER_SIGMA)
    feathered[feathered < 1.0 / 255.0] = 0.0
    return np.clip(feathered, 0.0, 1.0)


@dataclass(frozen=True)
class PastedTryOn:
    image: np.ndarray  # uint8 H×W×3 at the photo's resolution
    garment_mask: np.ndarray  # uint8 H×W, 0/255: where the garment now lies on the photo


def paste_back(photo_rgb: np.ndarray, crop: PersonCrop, tryon_uint8: np.ndarray, region: np.ndarray) -> PastedTryOn:
    """Blend the 192×256 try-on into the full-resolution photo over the garment region only.

    The try-on and its blend weights are scaled to the crop box (bicubic and bilinear), and mixed
    with the photo where the weight is above zero; every other photo pixel is returned unchanged.
    """
    height, width = photo_rgb.shape[:2]
    if crop.photo_size != (width, height):
        raise ValueError(f"crop was made for a {crop.photo_size} photo, got {(width, height)}")
    box_width, box_height = crop.box_size
    tryon_large = cv2.resize(tryon_uint8, (box_width, box_height), interpolation=cv2.INTER_CUBIC)
    weight_large = np.clip(cv2.resize(region, (box_width, box_height), interpolation=cv2.INTER_LINEAR), 0.0, 1.0)

    left, top, right, bottom = crop.box
    source_left, source_top = max(left, 0), max(top, 0)
    source_right, source_bottom = min(right, width), min(bottom, height)
    image = photo_rgb.copy()
    garment_mask = np.zeros((height, width), dtype=np.uint8)
    if source_right <= source_left or source_bottom <= source_top:
        return PastedTryOn(image=image, garment_mask=garment_mask)

    inside = (slice(source_top - top, source_bottom - top), slice(source_left - left, source_right - left))
    on_photo = (slice(source_top, source_bottom), slice(source_left, source_right))
    weight = weight_large[inside][:, :, np.newaxis]
    original = photo_rgb[on_photo].astype(np.float32)
    blended = original * (1.0 - weight) + tryon_large[inside].astype(np.float32) * weight
    image[on_photo] = np.where(weight > 0, blended.round().clip(0, 255), original).astype(np.uint8)
    garment_mask[on_photo] = np.where(weight[:, :, 0] >= 0.5, 255, 0).astype(np.uint8)
    return PastedTryOn(image=image, garment_mask=garment_mask)
