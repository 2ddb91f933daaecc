"""Turning an uploaded file into a clean person photo, or a clear reason why not.

The format is decided by decoding with Pillow, never by the file name or the browser's content
type. The stored image is a fresh encoding of the pixels, upright as the EXIF orientation said,
with no metadata at all (no GPS, camera serial or thumbnail). The body model then checks that the
photo shows one person facing the camera, shoulders in the picture; its analysis (which garment
types the photo can try, and why not) travels with the clean photo.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from PIL import Image, ImageOps, UnidentifiedImageError

from tryon.pipeline.body import analyse_body
from tryon.pipeline.body.models import MODELS_SUBDIR

ACCEPTED_FORMATS = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP"}
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
    body_analysis: dict  # BodyAnalysis.to_json()


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
    data = upload.read()
    image = _decode(data)
    image = ImageOps.exif_transpose(image)
    body_analysis = check_person_in_photo(image)
    return _reencode(image, body_analysis)


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


def _decode(data: bytes) -> Image.Image:
    max_pixels = settings.TRYON_MAX_PIXELS
    too_many_pixels = ValidationError(
        f"The photo has too many pixels; the limit is {max_pixels / 1_000_000:g} megapixels. Use a smaller photo.",
        code="too_many_pixels",
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in ACCEPTED_FORMATS:
                raise ValidationError(
                    f"{image.format or 'This'} images are not supported. Use a JPEG, PNG or WebP photo.",
                    code="unsupported_format",
                )
            if image.width * image.height > max_pixels:
                raise too_many_pixels
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise too_many_pixels from exc
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


def _reencode(image: Image.Image, body_analysis: dict) -> CleanPhoto:
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    pixels = image.convert("RGBA" if has_alpha else "RGB")
    pixels.info = {}  # nothing from the original file travels with the pixels
    buffer = io.BytesIO()
    if has_alpha:
        pixels.save(buffer, format="PNG", optimize=True)
        extension = "png"
    else:
        pixels.save(buffer, format="JPEG", quality=JPEG_QUALITY, optimize=True)
        extension = "jpg"
    return CleanPhoto(
        content=buffer.getvalue(),
        extension=extension,
        width=pixels.width,
        height=pixels.height,
        body_analysis=body_analysis,
    )
