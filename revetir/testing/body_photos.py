"""Photos for the body model's tests and samples: the packaged photos and copies transformed like
real shoppers' photos (mirrored, taken from far away, tilted, in dim light)."""

from __future__ import annotations

import cv2
import numpy as np
import skimage.data

from revetir.testing.person_photos import astronaut, grace_hopper

__all__ = ["astronaut", "camera_man", "coffee", "darkened", "distant", "grace_hopper", "mirrored", "rotated"]


def coffee() -> np.ndarray:
    """A cup of coffee on a saucer, no person (400×600 RGB, scikit-image)."""
    return skimage.data.coffee()


def camera_man() -> np.ndarray:
    """A man seen from the side behind a camera on a tripod (512×512 grey, as RGB, scikit-image)."""
    return np.repeat(skimage.data.camera()[:, :, None], 3, axis=2)


def mirrored(photo: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(photo[:, ::-1])


def distant(photo: np.ndarray, share: float, canvas_colour: tuple[int, int, int] = (200, 200, 196)) -> np.ndarray:
    """The photo shrunk to `share` of its size, at the bottom middle of a plain canvas 1.25 times the
    original size: a shot from further away."""
    picture, _scale, _offset = distant_placement(photo, share, canvas_colour)
    return picture


def distant_placement(
    photo: np.ndarray, share: float, canvas_colour: tuple[int, int, int] = (200, 200, 196)
) -> tuple[np.ndarray, float, np.ndarray]:
    """`distant` plus where the photo went: a point p of the photo is at p·scale + offset."""
    height, width = photo.shape[:2]
    canvas_height, canvas_width = round(height * 1.25), round(width * 1.25)
    small = cv2.resize(photo, (round(width * share), round(height * share)), interpolation=cv2.INTER_AREA)
    canvas = np.empty((canvas_height, canvas_width, 3), np.uint8)
    canvas[:] = canvas_colour
    left, top = (canvas_width - small.shape[1]) // 2, canvas_height - small.shape[0]
    canvas[top : top + small.shape[0], left : left + small.shape[1]] = small
    return canvas, small.shape[1] / width, np.array([left, top], dtype=float)


def rotation_matrix(photo: np.ndarray, degrees: float) -> np.ndarray:
    height, width = photo.shape[:2]
    return cv2.getRotationMatrix2D((width / 2, height / 2), degrees, 1.0)


def rotated(photo: np.ndarray, degrees: float) -> np.ndarray:
    """Tilted by `degrees` (counter-clockwise on screen) about the centre, edges repeated."""
    height, width = photo.shape[:2]
    return cv2.warpAffine(photo, rotation_matrix(photo, degrees), (width, height), borderMode=cv2.BORDER_REPLICATE)


def darkened(photo: np.ndarray, factor: float = 0.35) -> np.ndarray:
    """Dim indoor light: every channel scaled by `factor` with a little sensor noise."""
    noise = np.random.default_rng(7).normal(0, 2.0, photo.shape)
    return np.clip(photo.astype(np.float32) * factor + noise, 0, 255).astype(np.uint8)
