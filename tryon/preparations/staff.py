"""What staff see of a product image's garment side: plain warnings about its cloth mask, whether
shoppers are kept from the garment, and the mask tinted over the picture for the admin page."""

from __future__ import annotations

import base64
import io

from PIL import Image

from shop.models import ProductImage
from tryon.models import GarmentPreparation
from tryon.preparations.store import current_engine_identity, product_picture
from tryon.storage import read_private_file

# A cloth mask touching more than this fraction of the image border has probably kept background.
MASK_BORDER_WARNING = 0.20
# A cloth mask covering less (more) than this fraction of the image looks cut (background left in).
MASK_AREA_TOO_SMALL = 0.04
MASK_AREA_TOO_LARGE = 0.80
OVERLAY_COLOUR = (230, 30, 60)
OVERLAY_OPACITY = 0.45
OVERLAY_LONG_SIDE = 240


def garment_warnings(preparation: GarmentPreparation) -> list[str]:
    """Plain warnings about a product image's cloth mask, empty when it looks right: the engine's
    refusal, else the mask check's problems (older rows, made before the check, get the rough area
    and border checks)."""
    if preparation.error:
        return [preparation.error]
    if preparation.mask_problems is not None:
        return list(preparation.mask_problems)
    warnings = []
    if preparation.mask_border > MASK_BORDER_WARNING:
        warnings.append(
            f"The garment mask touches {preparation.mask_border:.0%} of the image border: the background was "
            "probably taken for garment. Use a photo of the garment alone on a plain light background."
        )
    if preparation.mask_area < MASK_AREA_TOO_SMALL:
        warnings.append(
            f"The garment mask covers only {preparation.mask_area:.0%} of the image: the garment may have been "
            "cut or be too small in the picture."
        )
    elif preparation.mask_area > MASK_AREA_TOO_LARGE:
        warnings.append(
            f"The garment mask covers {preparation.mask_area:.0%} of the image: background was probably left in."
        )
    return warnings


def current_garment_preparation(*, product_image: ProductImage) -> GarmentPreparation | None:
    """The garment side of the image file the product shows now, from the engine the settings choose
    for the product's garment type; None until one is prepared (one query)."""
    identity = current_engine_identity(garment_type=product_image.product.garment_type)
    return GarmentPreparation.objects.filter(
        product_image=product_image, engine_identity=identity, image_name=product_image.image.name
    ).first()


def garment_refused(preparation: GarmentPreparation | None) -> bool:
    """Whether shoppers are kept from trying the garment: the engine found no garment in the picture,
    or the mask check found problems (staff see them on the product's admin page)."""
    return preparation is not None and bool(preparation.error or preparation.mask_problems)


def mask_overlay_data_uri(*, product_image: ProductImage, preparation: GarmentPreparation) -> str:
    """The product image with its cloth mask tinted over it, as a PNG data URI for the admin page (a
    cut-out shown on white, not on whatever its transparent pixels hold)."""
    mask = Image.open(io.BytesIO(read_private_file(preparation.mask_file_name))).convert("L")
    picture = Image.fromarray(product_picture(product_image).on_white()).resize(mask.size)
    scale = min(1.0, OVERLAY_LONG_SIDE / max(mask.size))
    size = (max(1, round(mask.width * scale)), max(1, round(mask.height * scale)))
    picture, mask = picture.resize(size), mask.resize(size)
    tint = Image.new("RGB", size, OVERLAY_COLOUR)
    alpha = mask.point(lambda value: round(value * OVERLAY_OPACITY))
    picture.paste(tint, (0, 0), alpha)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
