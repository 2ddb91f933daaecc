"""Garment product photos drawn with Pillow for the try-on pipeline tests: a t-shirt on white."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

WHITE = (255, 255, 255)


def tshirt_outline(width: int, height: int) -> list[tuple[float, float]]:
    """Polygon of a flat-laid t-shirt (sleeves out), centred in a width×height canvas."""
    w, h = width, height
    points = [
        (0.38, 0.12),
        (0.45, 0.16),
        (0.55, 0.16),
        (0.62, 0.12),  # neckline
        (0.85, 0.22),
        (0.93, 0.40),
        (0.78, 0.45),
        (0.74, 0.36),  # right sleeve
        (0.74, 0.88),
        (0.26, 0.88),  # hem
        (0.26, 0.36),
        (0.22, 0.45),
        (0.07, 0.40),
        (0.15, 0.22),  # left sleeve
    ]
    return [(x * w, y * h) for x, y in points]


def tshirt_mask(width: int = 300, height: int = 360) -> np.ndarray:
    """The exact 0/255 mask of the drawn t-shirt."""
    canvas = Image.new("L", (width, height), 0)
    ImageDraw.Draw(canvas).polygon(tshirt_outline(width, height), fill=255)
    return np.asarray(canvas)


def tshirt_photo(
    *,
    width: int = 300,
    height: int = 360,
    colour: tuple[int, int, int] = (200, 40, 40),
    stripe_colour: tuple[int, int, int] | None = None,
    outline_colour: tuple[int, int, int] | None = None,
    shadow: bool = False,
    noise: float = 0.0,
) -> np.ndarray:
    """An RGB uint8 product photo: a t-shirt on white; optionally striped, outlined, shadowed or noisy."""
    shirt = Image.new("RGB", (width, height), colour)
    if stripe_colour is not None:
        draw = ImageDraw.Draw(shirt)
        for top in range(0, height, 24):
            draw.rectangle((0, top, width, top + 11), fill=stripe_colour)
    photo = Image.new("RGB", (width, height), WHITE)
    if shadow:
        shadow_mask = Image.new("L", (width, height), 0)
        shifted = [(x + 1, y + 2) for x, y in tshirt_outline(width, height)]
        ImageDraw.Draw(shadow_mask).polygon(shifted, fill=90)
        photo.paste((110, 110, 110), mask=shadow_mask.filter(ImageFilter.GaussianBlur(6)))
    photo.paste(shirt, mask=Image.fromarray(tshirt_mask(width, height)))
    if outline_colour is not None:
        ImageDraw.Draw(photo).polygon(tshirt_outline(width, height), outline=outline_colour, width=2)
    pixels = np.asarray(photo).astype(np.float32)
    if noise:
        pixels += np.random.default_rng(7).normal(0.0, noise, pixels.shape)
    return np.clip(pixels, 0, 255).round().astype(np.uint8)
