"""The staff check of a product image's garment side, as the shop's admin shows it: the cloth mask
drawn over the image (read from the private files), warnings when it looks wrong, and whether
shoppers are kept from the garment. Registered with `shop.tryon_hooks` at start (`tryon.apps`)."""

from __future__ import annotations

from dataclasses import dataclass

from shop.models import ProductImage
from tryon import preparations
from tryon.models import GarmentPreparation


@dataclass(frozen=True)
class GarmentCheck:
    """What staff see about a product image's garment side: the cloth mask over the image (a data
    URI, blank until prepared), warnings when it looks wrong, and whether shoppers are kept from it."""

    prepared: bool
    overlay_uri: str
    warnings: list[str]
    refused: bool = False


def garment_check(*, product_image: ProductImage) -> GarmentCheck:
    """The latest garment side made from the image file the product shows now, checked."""
    preparation = (
        GarmentPreparation.objects.filter(product_image=product_image, image_name=product_image.image.name)
        .order_by("-created_at")
        .first()
    )
    if preparation is None:
        return GarmentCheck(prepared=False, overlay_uri="", warnings=[])
    overlay = ""
    if preparation.mask_file_name:
        overlay = preparations.mask_overlay_data_uri(product_image=product_image, preparation=preparation)
    return GarmentCheck(
        prepared=True,
        overlay_uri=overlay,
        warnings=preparations.garment_warnings(preparation),
        refused=preparations.garment_refused(preparation),
    )
