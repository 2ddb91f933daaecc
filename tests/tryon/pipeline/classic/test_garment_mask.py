"""The garment's colours and alpha from its product picture (`garment_mask.py`)."""

from __future__ import annotations

import cv2
import numpy as np
from PIL import Image, ImageFilter

from revetir.testing.product_photos import tshirt_photo
from tryon.pipeline.classic.garment_mask import prepare_garment

RED = (190, 30, 40)


def test_the_colours_along_hems_and_sleeve_ends_hold_no_background():
    # A product photo (with a camera's soft edge) larger than the copy the mask is found on: scaled back
    # up, the mask reached a pixel of that copy onto the white background, which then showed as a dotted
    # white line along the hems.
    photo = tshirt_photo(width=768, height=1024, colour=RED)
    photo = np.asarray(Image.fromarray(photo).filter(ImageFilter.GaussianBlur(1.2)))
    colours, alpha, _ = prepare_garment(photo)
    height, width = alpha.shape
    # The hem of the body and the ends of both sleeves, with the colours bled a few pixels past them.
    ends = np.zeros(alpha.shape, bool)
    ends[round(0.82 * height) : round(0.95 * height), round(0.3 * width) : round(0.7 * width)] = True
    ends[round(0.3 * height) : round(0.5 * height), : round(0.2 * width)] = True
    ends[round(0.3 * height) : round(0.5 * height), round(0.8 * width) :] = True
    near_garment = cv2.dilate((alpha >= 0.5).astype(np.uint8), np.ones((9, 9), np.uint8)) > 0
    green = colours[:, :, 1].astype(int)
    assert (alpha[ends] >= 0.5).sum() > 1000
    # Red through and through: nothing paler than a mixture with a fifth of white.
    assert green[ends & near_garment].max() < RED[1] + 0.2 * (255 - RED[1])
