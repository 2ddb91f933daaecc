"""The card picture of a result ("See it on me", thumbnails): a sharp 3:4 crop around the person from
the full-resolution result, not the 192×256 model crop enlarged."""

from __future__ import annotations

import numpy as np
from PIL import Image

from tryon.pipeline.card_picture import CARD_SIZE, card_picture


def photo_with_person(size=(1200, 1600), person=(400, 300, 800, 1500)):
    """A grey photo with a red "person" box (left, top, right, bottom) and its mask."""
    width, height = size
    pixels = np.full((height, width, 3), 128, np.uint8)
    mask = np.zeros((height, width), np.uint8)
    left, top, right, bottom = person
    pixels[top:bottom, left:right] = (200, 30, 30)
    mask[top:bottom, left:right] = 255
    return Image.fromarray(pixels), mask


def red_box(picture: Image.Image) -> tuple[int, int, int, int]:
    pixels = np.asarray(picture).astype(int)
    red = (pixels[..., 0] > 170) & (pixels[..., 1] < 80)
    rows, columns = np.nonzero(red)
    return columns.min(), rows.min(), columns.max(), rows.max()


def test_the_card_is_a_3_by_4_picture_at_card_resolution_framing_the_whole_person():
    image, mask = photo_with_person()

    card = card_picture(image, mask)

    assert card.size == CARD_SIZE == (480, 640)
    left, top, right, bottom = red_box(card)
    assert left > 0 and right < CARD_SIZE[0] - 1 and top > 0 and bottom < CARD_SIZE[1] - 1  # nothing cut
    assert bottom - top > 0.85 * CARD_SIZE[1]  # the person fills the card's height


def test_the_card_keeps_detail_the_model_crop_loses():
    """A one-pixel stripe pattern on the person survives in the card (it is downscaled from the photo,
    not upscaled from 192 px), so neighbouring card pixels still differ."""
    image, mask = photo_with_person(size=(600, 800), person=(150, 60, 450, 760))
    pixels = np.asarray(image).copy()
    pixels[60:760:4, 150:450] = (255, 255, 255)  # thin stripes every 4 rows
    card = np.asarray(card_picture(Image.fromarray(pixels), mask)).astype(int)
    enlarged = np.asarray(Image.fromarray(pixels).resize((192, 256)).resize(CARD_SIZE)).astype(int)

    def row_contrast(picture):
        centre = picture[200:440, 200:280, 1]
        return np.abs(np.diff(centre, axis=0)).mean()

    assert row_contrast(card) > 2 * row_contrast(enlarged)


def test_a_person_at_the_edge_is_padded_with_white_and_no_mask_frames_the_whole_photo():
    image, mask = photo_with_person(size=(800, 600), person=(0, 0, 300, 600))
    card = np.asarray(card_picture(image, mask))
    assert card.shape == (640, 480, 3)
    assert (card[:20] > 250).all() and (card[-20:] > 250).all()  # the photo is shorter than the crop: white
    assert red_box(card)[0] <= 1  # the crop is moved inside the photo sideways, not padded
    assert not (card.reshape(-1, 3) < 5).all(axis=1).any()  # never black

    whole = card_picture(image, None)
    assert whole.size == CARD_SIZE
