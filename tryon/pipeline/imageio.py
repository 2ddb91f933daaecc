"""Loading photos the way a phone took them: EXIF orientation applied, RGB, uint8."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from tryon.pipeline.contract import InvalidImageError

ImageSource = str | Path | bytes | Image.Image | np.ndarray


def load_rgb(source: ImageSource) -> np.ndarray:
    """Return an H×W×3 uint8 RGB array, rotated as the EXIF orientation tag says.

    Accepts a path, encoded bytes, a PIL image or an array (H×W, H×W×3 or H×W×4; alpha is
    composited onto white, as product images with transparency are meant to be seen).
    """
    if isinstance(source, np.ndarray):
        return _array_to_rgb(source)
    if isinstance(source, Image.Image):
        image = source
    else:
        try:
            image = Image.open(io.BytesIO(source) if isinstance(source, bytes) else source)
            image.load()
        except (UnidentifiedImageError, OSError, SyntaxError) as exc:
            raise InvalidImageError(f"The file is not a readable image ({exc}).") from exc
    image = ImageOps.exif_transpose(image)
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(white, rgba)
    return np.asarray(image.convert("RGB"), dtype=np.uint8).copy()


def _array_to_rgb(array: np.ndarray) -> np.ndarray:
    if array.dtype != np.uint8:
        raise InvalidImageError(f"Expected a uint8 image array, got {array.dtype}.")
    if array.ndim == 2:
        return np.repeat(array[:, :, None], 3, axis=2)
    if array.ndim == 3 and array.shape[2] == 3:
        return np.ascontiguousarray(array)
    if array.ndim == 3 and array.shape[2] == 4:
        rgb = array[:, :, :3].astype(np.float32)
        alpha = array[:, :, 3:4].astype(np.float32) / 255.0
        return (rgb * alpha + 255.0 * (1.0 - alpha)).round().astype(np.uint8)
    raise InvalidImageError(f"Expected an H×W, H×W×3 or H×W×4 image, got shape {array.shape}.")
