"""The picture of a finished try-on that stands in for a product card's picture ("See it on me") and
for thumbnails: a 3:4 crop around the person taken from the full-resolution result, so a card
(600×800 in the shop's layout) shows a sharp picture rather than the 192×256 model crop enlarged.

The crop is the person's bounding box (from the person mask at the photo's resolution) with a margin,
widened or heightened to 3:4, moved to stay inside the photo where it fits and padded with white
where it does not; without a mask the whole photo is framed the same way.
"""

from __future__ import annotations

import cv2
import numpy as np
from PIL import Image

CARD_SIZE = (480, 640)  # width, height: 3:4 like the product pictures, enough for a card at 2× density
CARD_MARGIN = 0.05  # around the person, as a fraction of their box
WHITE = (255, 255, 255)


def card_picture(image: Image.Image, person_mask: np.ndarray | None, size: tuple[int, int] = CARD_SIZE) -> Image.Image:
    """`image` (the full result) cropped 3:4 around the person in `person_mask` (H×W, nonzero on the
    person, same size as `image`) and resized to `size`, never smaller than needed: a crop narrower
    than `size` is enlarged only as far as the card needs."""
    rgb = image.convert("RGB")
    width, height = rgb.size
    if person_mask is not None and person_mask.shape[:2] == (height, width) and cv2.countNonZero(person_mask):
        left, top, box_width, box_height = cv2.boundingRect((person_mask > 0).astype(np.uint8))
    else:
        left, top, box_width, box_height = 0, 0, width, height
    target_width, target_height = size
    crop_width = box_width * (1 + 2 * CARD_MARGIN)
    crop_height = box_height * (1 + 2 * CARD_MARGIN)
    crop_width = max(crop_width, crop_height * target_width / target_height)
    crop_height = crop_width * target_height / target_width
    crop_left = _placed(left + box_width / 2 - crop_width / 2, crop_width, width)
    crop_top = _placed(top + box_height / 2 - crop_height / 2, crop_height, height)
    box = (round(crop_left), round(crop_top), round(crop_left + crop_width), round(crop_top + crop_height))
    # PIL pads a crop that leaves the image with black; paste it onto white instead.
    canvas = Image.new("RGB", (box[2] - box[0], box[3] - box[1]), WHITE)
    inside = (max(0, box[0]), max(0, box[1]), min(width, box[2]), min(height, box[3]))
    canvas.paste(rgb.crop(inside), (inside[0] - box[0], inside[1] - box[1]))
    return canvas.resize(size, Image.Resampling.LANCZOS)


def _placed(start: float, length: float, limit: int) -> float:
    """Move a crop of `length` starting at `start` inside [0, limit] where it fits; centred on the
    image where it is longer (the padding is then shared by both sides)."""
    if length >= limit:
        return (limit - length) / 2
    return min(max(0.0, start), limit - length)
