"""The FASHN VTON v1.5 image path: pre-resize, resize-and-pad to the 576×864 canvas, unpad, paste back.

FASHN VTON v1.5 (FASHN AI, 2026; github.com/fashn-AI/fashn-vton-1.5, Apache-2.0) works on a fixed
576-wide, 864-high canvas. Its pipeline first shrinks a photo with Pillow's LANCZOS filter to fit inside
a square of the canvas's long side (never enlarging it); pose detection and the pose image happen at
that size. Every picture then goes onto the canvas with OpenCV: one aspect-preserving scale (sizes
truncated), INTER_LANCZOS4 when enlarging, INTER_AREA when shrinking, INTER_NEAREST_EXACT for pose
images (so their grays stay the renderer's), no resize at a scale of exactly 1, and black padding
split as left = total // 2, right = the rest (top/bottom likewise). The model's output is cropped by
the person canvas's padding. These steps reproduce the official arrays bit for bit (OpenCV 4.x,
Pillow; ../shared/reference/fashn/golden/resize_pad.npz).

The official pipeline stops at the pre-resized scale; the shop shows the result at the photo's own
resolution, so `canvas_to_photo` and `paste_into_photo` take it the last step.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

CANVAS_HEIGHT, CANVAS_WIDTH = 864, 576
CANVAS_HW = (CANVAS_HEIGHT, CANVAS_WIDTH)
PAD_VALUE = 0  # black, −1 after the model's uint8 → [−1, 1] scaling


@dataclass(frozen=True)
class CanvasPlacement:
    """Where a photo went on the canvas: every size on the way, and the padding (left, top, right, bottom).

    The engine keeps the person photo's placement to crop the model's output and to bring it back to
    the photo's resolution.
    """

    photo_hw: tuple[int, int]
    pre_resized_hw: tuple[int, int]
    fitted_hw: tuple[int, int]  # after the canvas resize, before padding
    padding_ltrb: tuple[int, int, int, int]
    canvas_hw: tuple[int, int]


def _check_image(image: np.ndarray) -> None:
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.ndim not in (2, 3):
        raise ValueError("expected a uint8 image of shape (H, W) or (H, W, C)")
    if image.shape[0] < 1 or image.shape[1] < 1:
        raise ValueError(f"empty image of shape {image.shape}")


def _scaled_size(height: int, width: int, scale: float, what: str) -> tuple[int, int]:
    new_height, new_width = int(scale * height), int(scale * width)
    if new_height < 1 or new_width < 1:
        raise ValueError(
            f"a {width}×{height} picture is too narrow for the {what}: it would shrink to {new_width}×{new_height}"
        )
    return new_height, new_width


def pre_resize_hw(height: int, width: int, canvas_hw: tuple[int, int] = CANVAS_HW) -> tuple[int, int]:
    """The size Pillow's pre-resize gives: fit inside long side × long side of the canvas, never enlarged."""
    side = max(canvas_hw)
    scale = min(side / width, side / height)
    if scale >= 1.0:
        return height, width
    return _scaled_size(height, width, scale, "pre-resize")


def pre_resize(image: np.ndarray, canvas_hw: tuple[int, int] = CANVAS_HW) -> np.ndarray:
    """The photo at the scale poses are found and drawn at (Pillow LANCZOS; the same array when small enough)."""
    _check_image(image)
    height, width = image.shape[:2]
    new_hw = pre_resize_hw(height, width, canvas_hw)
    if new_hw == (height, width):
        return image
    resized = Image.fromarray(image).resize((new_hw[1], new_hw[0]), Image.LANCZOS)
    return np.asarray(resized)


def fit_hw(height: int, width: int, canvas_hw: tuple[int, int] = CANVAS_HW) -> tuple[float, tuple[int, int]]:
    """The canvas resize: (scale, (height, width)) fitting the picture inside the canvas, enlarging if needed."""
    canvas_height, canvas_width = canvas_hw
    scale = min(canvas_width / width, canvas_height / height)
    if scale == 1.0:
        return scale, (height, width)
    return scale, _scaled_size(height, width, scale, "canvas")


def padding_for(fitted_hw: tuple[int, int], canvas_hw: tuple[int, int] = CANVAS_HW) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) black borders that centre a fitted picture on the canvas."""
    extra_height = max(canvas_hw[0] - fitted_hw[0], 0)
    extra_width = max(canvas_hw[1] - fitted_hw[1], 0)
    left, top = extra_width // 2, extra_height // 2
    return left, top, extra_width - left, extra_height - top


def resize_pad(
    image: np.ndarray, canvas_hw: tuple[int, int] = CANVAS_HW, *, pose: bool = False
) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """The picture on the canvas and its padding (left, top, right, bottom).

    `pose=True` resizes with nearest-exact so a pose image keeps only the renderer's grays.
    """
    _check_image(image)
    height, width = image.shape[:2]
    scale, (new_height, new_width) = fit_hw(height, width, canvas_hw)
    if scale != 1.0:
        enlarge = cv2.INTER_LANCZOS4 if scale > 1 else cv2.INTER_AREA
        interpolation = cv2.INTER_NEAREST_EXACT if pose else enlarge
        image = cv2.resize(image, (new_width, new_height), interpolation=interpolation)
    left, top, right, bottom = padding_for((new_height, new_width), canvas_hw)
    fill = (PAD_VALUE,) * 4
    canvas = cv2.copyMakeBorder(image, top, bottom, left, right, cv2.BORDER_CONSTANT, value=fill)
    return canvas, (left, top, right, bottom)


def unpad(canvas: np.ndarray, padding_ltrb: tuple[int, int, int, int]) -> np.ndarray:
    """The canvas without its borders (a view), i.e. the picture at its fitted size."""
    left, top, right, bottom = (int(value) for value in padding_ltrb)
    height, width = canvas.shape[:2]
    if left < 0 or top < 0 or right < 0 or bottom < 0 or left + right >= width or top + bottom >= height:
        raise ValueError(f"padding {tuple(padding_ltrb)} does not fit a {width}×{height} canvas")
    return canvas[top : height - bottom, left : width - right]


def place_photo(
    photo: np.ndarray, canvas_hw: tuple[int, int] = CANVAS_HW
) -> tuple[np.ndarray, np.ndarray, CanvasPlacement]:
    """(pre-resized photo, canvas, placement): the official path for the person and the garment pictures.

    Poses are found and drawn on the pre-resized photo; its pose image goes onto the canvas with
    `resize_pad(pose_image, pose=True)`, which lands on the same placement.
    """
    pre_resized = pre_resize(photo, canvas_hw)
    canvas, padding = resize_pad(pre_resized, canvas_hw)
    fitted_hw = (canvas_hw[0] - padding[1] - padding[3], canvas_hw[1] - padding[0] - padding[2])
    placement = CanvasPlacement(
        photo_hw=(int(photo.shape[0]), int(photo.shape[1])),
        pre_resized_hw=(int(pre_resized.shape[0]), int(pre_resized.shape[1])),
        fitted_hw=fitted_hw,
        padding_ltrb=padding,
        canvas_hw=tuple(canvas_hw),
    )
    return pre_resized, canvas, placement


def _resize_to(image: np.ndarray, height: int, width: int) -> np.ndarray:
    if image.shape[:2] == (height, width):
        return image
    enlarging = height * width > image.shape[0] * image.shape[1]
    interpolation = cv2.INTER_LANCZOS4 if enlarging else cv2.INTER_AREA
    return cv2.resize(image, (width, height), interpolation=interpolation)


def canvas_to_photo(canvas: np.ndarray, placement: CanvasPlacement) -> np.ndarray:
    """A canvas-sized picture (the model's output) cropped and resized to the photo's own resolution."""
    if canvas.shape[:2] != placement.canvas_hw:
        raise ValueError(f"expected a {placement.canvas_hw[1]}×{placement.canvas_hw[0]} canvas, got {canvas.shape}")
    return _resize_to(np.ascontiguousarray(unpad(canvas, placement.padding_ltrb)), *placement.photo_hw)


def photo_points_to_canvas(points_xy: np.ndarray, placement: CanvasPlacement) -> np.ndarray:
    """Photo pixel coordinates (x, y) → canvas pixel coordinates (continuous, pixel centres kept)."""
    points = np.asarray(points_xy, dtype=np.float64)
    scale = np.array(placement.fitted_hw[::-1], dtype=np.float64) / np.array(placement.photo_hw[::-1])
    offset = np.array(placement.padding_ltrb[:2], dtype=np.float64)
    return (points + 0.5) * scale - 0.5 + offset


def canvas_points_to_photo(points_xy: np.ndarray, placement: CanvasPlacement) -> np.ndarray:
    """Canvas pixel coordinates (x, y) → photo pixel coordinates; the inverse of `photo_points_to_canvas`."""
    points = np.asarray(points_xy, dtype=np.float64)
    scale = np.array(placement.fitted_hw[::-1], dtype=np.float64) / np.array(placement.photo_hw[::-1])
    offset = np.array(placement.padding_ltrb[:2], dtype=np.float64)
    return (points - offset + 0.5) / scale - 0.5


def paste_into_photo(photo: np.ndarray, dressed: np.ndarray, region: np.ndarray) -> np.ndarray:
    """The photo with `dressed` blended in where `region` says (uint8 0–255 or float 0–1, photo-sized).

    Pixels outside the region stay the photo's exactly, so only the dressed part of the picture changes.
    """
    if photo.shape != dressed.shape:
        raise ValueError(f"dressed picture {dressed.shape} does not match the photo {photo.shape}")
    if region.shape[:2] != photo.shape[:2]:
        raise ValueError(f"region {region.shape} does not match the photo {photo.shape[:2]}")
    weight = region.astype(np.float32) / 255.0 if region.dtype == np.uint8 else region.astype(np.float32)
    weight = np.clip(weight, 0.0, 1.0)
    if photo.ndim == 3 and weight.ndim == 2:
        weight = weight[:, :, None]
    blended = photo.astype(np.float32) * (1.0 - weight) + dressed.astype(np.float32) * weight
    result = np.clip(np.rint(blended), 0, 255).astype(np.uint8)
    untouched = np.broadcast_to(weight <= 0.0, photo.shape)
    result[untouched] = photo[untouched]
    return result
