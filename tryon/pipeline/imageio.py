"""Loading pictures the way a phone or a shop made them: EXIF orientation applied, RGB, uint8.

Photos of people are flattened to RGB (`load_rgb`). Product pictures keep a cut-out's transparency
(`load_garment`): a PNG or WebP whose background is transparent is the best garment mask a shop can
give, so its alpha travels with the garment's own colours instead of being flattened onto white.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from tryon.pipeline.contract import InvalidImageError
from tryon.pipeline.pictures import (
    CUT_OUT_ALPHA,
    CUT_OUT_MIN_TRANSPARENT_SHARE,
    GarmentPicture,
    GarmentSource,
    ImageSource,
    composite_on_white,
)


def load_rgb(source: ImageSource) -> np.ndarray:
    """Return an H×W×3 uint8 RGB array, rotated as the EXIF orientation tag says.

    Accepts a path, encoded bytes, a PIL image or an array (H×W, H×W×3 or H×W×4); transparency is
    composited onto white. Garment pictures go through `load_garment`, which keeps it."""
    return load_garment(source).on_white()


def load_garment(source: GarmentSource) -> GarmentPicture:
    """A product picture with its transparency kept when it is a cut-out (see `GarmentPicture`).

    Accepts what `load_rgb` does, or a `GarmentPicture` (returned as it is)."""
    if isinstance(source, GarmentPicture):
        return source
    if isinstance(source, np.ndarray):
        return _array_to_picture(source)
    image = _open(source)
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    if not has_alpha:
        return GarmentPicture(colours=np.asarray(image.convert("RGB"), dtype=np.uint8).copy())
    return _array_to_picture(np.asarray(image.convert("RGBA"), dtype=np.uint8))


def _open(source: ImageSource) -> Image.Image:
    if isinstance(source, Image.Image):
        image = source
    else:
        try:
            image = Image.open(io.BytesIO(source) if isinstance(source, bytes) else source)
            image.load()
        except (UnidentifiedImageError, OSError, SyntaxError) as exc:
            raise InvalidImageError(f"The file is not a readable image ({exc}).") from exc
    return ImageOps.exif_transpose(image)


def _array_to_picture(array: np.ndarray) -> GarmentPicture:
    if array.dtype != np.uint8:
        raise InvalidImageError(f"Expected a uint8 image array, got {array.dtype}.")
    if array.ndim == 2:
        return GarmentPicture(colours=np.repeat(array[:, :, None], 3, axis=2))
    if array.ndim == 3 and array.shape[2] == 3:
        return GarmentPicture(colours=np.ascontiguousarray(array))
    if array.ndim == 3 and array.shape[2] == 4:
        colours, alpha = np.ascontiguousarray(array[:, :, :3]), np.ascontiguousarray(array[:, :, 3])
        if np.count_nonzero(alpha < CUT_OUT_ALPHA) < CUT_OUT_MIN_TRANSPARENT_SHARE * alpha.size:
            return GarmentPicture(colours=composite_on_white(colours, alpha))
        return GarmentPicture(colours=colours, alpha=alpha)
    raise InvalidImageError(f"Expected an H×W, H×W×3 or H×W×4 image, got shape {array.shape}.")
