"""The photo check: turning an uploaded file into a clean person photo, or a clear reason why not.

The format is decided by decoding with Pillow, never by the file name or the browser's content
type. The stored image is a fresh encoding of the pixels, upright as the EXIF orientation said,
with no metadata at all (no GPS, camera serial or thumbnail). The body model then checks that the
photo shows one person facing the camera, shoulders in the picture; its analysis (which garment
types the photo can try, and why not) travels with the clean photo.

The memory one upload may take is bounded before any pixel is decoded: the header's size must
be within the pixel limit and the aspect-ratio bound, formats that Pillow decodes whole (PNG,
WebP) have a lower pixel limit, and a JPEG is decoded already reduced (`Image.draft`, DCT
scaling by 1/2, 1/4 or 1/8) to near the stored size. The stored photo is at most TRYON_PHOTO_MAX_SIDE pixels a
side: the try-on works at far less, and a smaller photo is faster to analyse.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from PIL import Image, ImageOps, UnidentifiedImageError

from tryon.pipeline.body import analyse_body
from tryon.pipeline.body.models import MODELS_SUBDIR

ACCEPTED_FORMATS = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP"}
# JPEG can be decoded already reduced by DCT scaling (1/2, 1/4 or 1/8 of each side); the others whole.
REDUCED_DECODE_FORMATS = frozenset({"JPEG"})
JPEG_QUALITY = 90

# Pillow's decompression-bomb guard: an image claiming more pixels than this raises while opening,
# before any pixel memory is allocated. Our own limit below gives the shopper a readable message.
Image.MAX_IMAGE_PIXELS = settings.TRYON_MAX_PIXELS


@dataclass(frozen=True)
class CleanPhoto:
    content: bytes
    extension: str  # "jpg" or "png"
    width: int
    height: int
    body_analysis: dict = field(default_factory=dict)  # BodyAnalysis.to_json(), set after re-encoding


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def clean_person_photo(upload: UploadedFile) -> CleanPhoto:
    """Validate and re-encode an uploaded photo. Raises ValidationError with a message for people."""
    max_bytes = settings.TRYON_MAX_UPLOAD_BYTES
    if upload.size is None or upload.size == 0:
        raise ValidationError("The file is empty. Choose a photo (JPEG, PNG or WebP).", code="empty")
    if upload.size > max_bytes:
        raise ValidationError(
            f"The photo is too large ({_megabytes(upload.size)}); the limit is {_megabytes(max_bytes)}.",
            code="too_large",
        )
    upload.seek(0)
    image = _decode(upload.read())
    image = ImageOps.exif_transpose(image)
    clean = _reencode(image)
    return replace(clean, body_analysis=check_person_in_photo(image))


def check_person_in_photo(image: Image.Image) -> dict:
    """The body analysis of an upright photo as JSON; ValidationError with the shopper's message when
    the photo cannot be used for any garment (no person, several, too far, side view, shoulders out).

    Raises BodyModelMissingError (an operator's problem, not the shopper's) when the model files are
    not installed."""
    models_dir = Path(settings.TRYON_WEIGHTS_DIR) / MODELS_SUBDIR
    analysis = analyse_body(np.asarray(image.convert("RGB")), models_dir=models_dir)
    if analysis.photo_problem is not None:
        raise ValidationError(analysis.photo_problem, code="unusable_photo")
    return analysis.to_json()


def _too_many_pixels(limit: int) -> ValidationError:
    return ValidationError(
        f"The photo has too many pixels; the limit is {limit / 1_000_000:g} megapixels. Use a smaller photo.",
        code="too_many_pixels",
    )


def _check_header_size(image: Image.Image) -> None:
    """Refuse, from the header alone, a picture whose decoding would take too much memory."""
    width, height = image.size
    if width < 1 or height < 1:
        raise ValidationError("The photo has no pixels. Choose another photo.", code="no_pixels")
    max_aspect = settings.TRYON_MAX_ASPECT_RATIO
    if max(width, height) > max_aspect * min(width, height):
        raise ValidationError(
            f"The photo is {width}×{height} pixels: far too narrow for a person photo (the longer side may be "
            f"at most {max_aspect:g} times the shorter). Take a photo in portrait format.",
            code="aspect_ratio",
        )
    limit = settings.TRYON_MAX_PIXELS
    if image.format not in REDUCED_DECODE_FORMATS:
        limit = min(limit, settings.TRYON_MAX_FULL_DECODE_PIXELS)
    if width * height > limit:
        raise _too_many_pixels(limit)


def _decode(data: bytes) -> Image.Image:
    max_side = settings.TRYON_PHOTO_MAX_SIDE
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in ACCEPTED_FORMATS:
                raise ValidationError(
                    f"{image.format or 'This'} images are not supported. Use a JPEG, PNG or WebP photo.",
                    code="unsupported_format",
                )
            _check_header_size(image)
            if image.format in REDUCED_DECODE_FORMATS:
                # The coarsest DCT scale that keeps both sides at least half the stored limit.
                image.draft("RGB", (max_side // 2, max_side // 2))
            image.load()
            # Shrink before anything copies the pixels (transposing, converting, encoding).
            image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _too_many_pixels(settings.TRYON_MAX_PIXELS) from exc
    except UnidentifiedImageError as exc:
        raise ValidationError(
            "The file is not an image we can read. Use a JPEG, PNG or WebP photo.", code="not_an_image"
        ) from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise ValidationError(
            "The photo is damaged or incomplete (the file may have been cut off while uploading). "
            "Please choose it again.",
            code="truncated",
        ) from exc
    return image


def _reencode(image: Image.Image) -> CleanPhoto:
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    mode = "RGBA" if has_alpha else "RGB"
    pixels = image if image.mode == mode else image.convert(mode)
    pixels.info = {}  # nothing from the original file travels with the pixels
    buffer = io.BytesIO()
    try:
        if has_alpha:
            pixels.save(buffer, format="PNG", optimize=True)
            extension = "png"
        else:
            pixels.save(buffer, format="JPEG", quality=JPEG_QUALITY, optimize=True)
            extension = "jpg"
    except (OSError, ValueError) as exc:
        raise ValidationError(
            f"This {pixels.width}×{pixels.height} picture cannot be stored as a photo. Choose another photo.",
            code="cannot_reencode",
        ) from exc
    return CleanPhoto(
        content=buffer.getvalue(),
        extension=extension,
        width=pixels.width,
        height=pixels.height,
    )
