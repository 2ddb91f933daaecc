"""Stage 5, compositing: the garment layer alpha-blended into the photo at full resolution, and the
192×256 picture of the person cropped from it.
"""

from __future__ import annotations

import cv2
import numpy as np

from tryon.pipeline.classic.body_points import FaceBox
from tryon.pipeline.classic.render import GarmentLayer
from tryon.pipeline.imageops import shrink

SMALL_SIZE = (192, 256)  # width, height of `TryOnResult.image_small`
SMALL_MARGIN = 0.04  # margin around the person in the small crop, as a fraction of the crop
CROP_HALF_WIDTH = 2.0  # the widest a person is taken to be either side of the face centre, in face widths


def composite(person_rgb: np.ndarray, layer: GarmentLayer | None) -> tuple[np.ndarray, np.ndarray]:
    """Blend the garment layer into a copy of the photo; return it with the garment's placed mask."""
    image = person_rgb.copy()
    garment_mask = np.zeros(person_rgb.shape[:2], np.uint8)
    if layer is None:
        return image, garment_mask
    left, top = layer.origin
    height, width = layer.alpha.shape
    target = image[top : top + height, left : left + width]
    # In bytes: garment·α/255 + photo·(255−α)/255. Where α is 0 the photo's pixel comes back exactly.
    alpha = cv2.merge([layer.alpha] * 3)
    garment_part = cv2.multiply(layer.colours, alpha, scale=1 / 255)
    photo_part = cv2.multiply(target, cv2.bitwise_not(alpha), scale=1 / 255)
    cv2.add(garment_part, photo_part, dst=garment_part)
    target[...] = garment_part
    garment_mask[top : top + height, left : left + width] = cv2.compare(layer.alpha, 128, cv2.CMP_GE)
    return image, garment_mask


def person_crop(image: np.ndarray, person_mask: np.ndarray, face: FaceBox) -> np.ndarray:
    """The 192×256 picture: a 3:4 crop around the person, padded with white where it leaves the photo.

    Sideways the person is taken to end CROP_HALF_WIDTH face widths from the face, so whatever the
    mask also caught beside them (a chair, someone else) does not shrink them in the picture.
    """
    person_left, person_top, person_width, person_height = cv2.boundingRect(person_mask)
    person_right = min(person_left + person_width, face.centre_x + CROP_HALF_WIDTH * face.width)
    person_left = max(person_left, face.centre_x - CROP_HALF_WIDTH * face.width)
    person_width = max(1.0, person_right - person_left)
    target_width, target_height = SMALL_SIZE
    box_width = person_width * (1 + 2 * SMALL_MARGIN)
    box_height = person_height * (1 + 2 * SMALL_MARGIN)
    box_width = max(box_width, box_height * target_width / target_height)
    box_height = box_width * target_height / target_width
    crop_left = person_left + (person_width - box_width) / 2
    crop_top = person_top + (person_height - box_height) / 2
    factor = target_width / box_width

    # The part of the crop inside the photo is resized into its place on a white canvas.
    height, width = image.shape[:2]
    inside_left, inside_top = max(0, round(crop_left)), max(0, round(crop_top))
    inside_right = min(width, round(crop_left + box_width))
    inside_bottom = min(height, round(crop_top + box_height))
    canvas = np.full((target_height, target_width, 3), 255, np.uint8)
    place_left = min(target_width - 1, round((inside_left - crop_left) * factor))
    place_top = min(target_height - 1, round((inside_top - crop_top) * factor))
    place_width = max(1, min(target_width - place_left, round((inside_right - inside_left) * factor)))
    place_height = max(1, min(target_height - place_top, round((inside_bottom - inside_top) * factor)))
    inside = image[inside_top:inside_bottom, inside_left:inside_right]
    placed_size = (place_width, place_height)
    placed = shrink(inside, placed_size) if factor < 1 else cv2.resize(inside, placed_size)
    canvas[place_top : place_top + place_height, place_left : place_left + place_width] = placed
    return canvas
