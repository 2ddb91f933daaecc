"""Real photos of people that ship inside installed packages, for the try-on tests and benchmarks."""

from __future__ import annotations

import cv2
import matplotlib.cbook
import numpy as np
import skimage.data
from PIL import Image


def astronaut() -> np.ndarray:
    """Eileen Collins, waist up, facing the camera, in front of a flag (512×512 RGB, scikit-image)."""
    return skimage.data.astronaut()


def grace_hopper() -> np.ndarray:
    """Grace Hopper, head and shoulders, in uniform in front of a flag (512×600 RGB, matplotlib)."""
    with matplotlib.cbook.get_sample_data("grace_hopper.jpg") as handle:
        return np.asarray(Image.open(handle).convert("RGB"))


def people() -> dict[str, np.ndarray]:
    return {"astronaut": astronaut(), "grace_hopper": grace_hopper()}


def resized(photo: np.ndarray, width: int, height: int) -> np.ndarray:
    """The photo's centre cropped to width:height, then scaled to exactly width×height."""
    photo_height, photo_width = photo.shape[:2]
    crop_width = min(photo_width, round(photo_height * width / height))
    crop_height = min(photo_height, round(crop_width * height / width))
    left, top = (photo_width - crop_width) // 2, (photo_height - crop_height) // 2
    crop = photo[top : top + crop_height, left : left + crop_width]
    interpolation = cv2.INTER_AREA if width < crop_width else cv2.INTER_CUBIC
    return cv2.resize(crop, (width, height), interpolation=interpolation)


def widened(photo: np.ndarray, width: int, height: int) -> np.ndarray:
    """The whole photo, its edges stretched sideways to width:height, then scaled to width×height."""
    photo_height, photo_width = photo.shape[:2]
    extra = max(0, round(photo_height * width / height) - photo_width)
    padded = cv2.copyMakeBorder(photo, 0, 0, extra // 2, extra - extra // 2, cv2.BORDER_REPLICATE)
    return cv2.resize(padded, (width, height), interpolation=cv2.INTER_CUBIC)
