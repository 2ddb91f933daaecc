"""Resizing helpers shared by the pipelines: fast area-averaged shrinking of very large photos, and the
pixel-centre mapping between a resized working copy of a photo region and the photo."""

from __future__ import annotations

import cv2
import numpy as np

# When shrinking by a large factor, every `step`-th pixel is kept first, leaving this many per output pixel.
SHRINK_MIN_SAMPLES = 2


def resize_by(image: np.ndarray, factor: float) -> np.ndarray:
    height, width = image.shape[:2]
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    if size == (width, height):
        return image
    if factor < 1:
        return shrink(image, size)
    return cv2.resize(image, size, interpolation=cv2.INTER_LINEAR)


def shrink(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Area-averaged downscale to `size` (width, height); from very large photos, a strided view is taken
    first (still several source pixels per output pixel), so a 12-megapixel photo costs milliseconds."""
    height, width = image.shape[:2]
    step = int(min(width / size[0], height / size[1]) / SHRINK_MIN_SAMPLES)
    if step >= 2:
        image = image[::step, ::step]
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


def to_photo(indices, *, offset, factor: float):
    """Photo coordinates of pixel indices of a working copy made `factor` times the size of the photo region
    starting at `offset` (pixel centres map to pixel centres)."""
    return (indices + 0.5) / factor - 0.5 + offset


def to_working_copy(coordinates, *, offset, factor: float):
    """The inverse of `to_photo`: where photo coordinates lie on the working copy, in its pixel indices."""
    return (coordinates - offset + 0.5) * factor - 0.5
