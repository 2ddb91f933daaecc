"""Photo and garment sides kept between try-ons, so nothing is computed twice.

A photo is analysed once per engine identity (engine and weights) and a product image once per
identity and image file; a job loads what is stored and prepares only what is missing or stale.
`store` keeps the sides on disk, `cache` the ones this process used last in memory, and `staff`
says what staff see of a garment's mask. Callers import from here.
"""

from tryon.preparations.cache import SideCache, side_cache
from tryon.preparations.staff import (
    current_garment_preparation,
    garment_refused,
    garment_warnings,
    mask_overlay_data_uri,
)
from tryon.preparations.store import (
    GARMENT_REFUSED_MESSAGE,
    PREPARED_FOLDER,
    GarmentRefusedError,
    current_engine_identity,
    garment_side,
    photo_pixels,
    photo_side,
    prepare_garment_in_background,
    prepare_photo_in_background,
    product_picture,
)

__all__ = [
    "GARMENT_REFUSED_MESSAGE",
    "PREPARED_FOLDER",
    "GarmentRefusedError",
    "SideCache",
    "current_engine_identity",
    "current_garment_preparation",
    "garment_refused",
    "garment_side",
    "garment_warnings",
    "mask_overlay_data_uri",
    "photo_pixels",
    "photo_side",
    "prepare_garment_in_background",
    "prepare_photo_in_background",
    "product_picture",
    "side_cache",
]
