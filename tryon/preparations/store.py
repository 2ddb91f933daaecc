"""Photo and garment sides on disk: prepared once per engine identity (and, for a garment, per image
file), stored in the private storage beside the photos and read back by every later job.

A concurrent second preparation of the same input loses the unique constraint race and its file is
dropped; the stored one is kept. Rows and files are removed with their photo or product image
(`tryon.receivers`).
"""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Callable

import numpy as np
from django.db import IntegrityError
from PIL import Image

from shop.models import ProductImage
from tryon.models import GarmentPreparation, PersonPhoto, PhotoPreparation
from tryon.pipeline.contract import UPPER_BODY, Engine, PreparedSide, TryOnError, unpack_mask
from tryon.pipeline.imageio import GarmentPicture, load_garment, load_rgb
from tryon.preparations.cache import side_cache
from tryon.storage import delete_private_files, read_private_file, save_private_file

logger = logging.getLogger(__name__)
PREPARED_FOLDER = "prepared"
# What a shopper is told about a garment whose product picture failed the staff check.
GARMENT_REFUSED_MESSAGE = (
    "This garment cannot be tried on yet: the shop's picture of it does not give a clean outline of the "
    "garment. Please try another garment; the shop has been told."
)


class GarmentRefusedError(TryOnError):
    """The garment's mask failed the staff check (`tryon.pipeline.mask_check`): no try-on until staff
    replace the picture."""


def current_engine_identity(*, garment_type: str = UPPER_BODY) -> str:
    """The identity of the engine the settings choose for `garment_type` (`tryon.engine_choice`).
    Imported here so a web process loads PyTorch only when it first needs to know."""
    from tryon.engine_choice import current_engine_identity as identity_from_settings

    return identity_from_settings(garment_type=garment_type)


def photo_pixels(photo: PersonPhoto) -> np.ndarray:
    """The shopper's photo decoded (RGB, read-only), from this process's cache after the first job."""
    pixels = side_cache.get(photo.file_name)
    if pixels is None:
        pixels = load_rgb(read_private_file(photo.file_name))
        pixels.flags.writeable = False
        side_cache.put(photo.file_name, pixels)
    return pixels


def _read_side(file_name: str) -> PreparedSide | None:
    side = side_cache.get(file_name)
    if side is not None:
        return side
    try:
        side = PreparedSide.from_bytes(read_private_file(file_name))
    except (OSError, ValueError, KeyError) as exc:
        logger.warning("Prepared side %s could not be read (%s); preparing it again", file_name, exc)
        return None
    side_cache.put(file_name, side)
    return side


def _save_side(side: PreparedSide) -> str:
    """Store a newly prepared side and keep it in this process's cache; returns its file name."""
    name = save_private_file(folder=PREPARED_FOLDER, extension="npz", content=side.to_bytes())
    side_cache.put(name, side)
    return name


def _kept_side(stored: PhotoPreparation | GarmentPreparation | None) -> PreparedSide | None:
    """The side a stored preparation holds; its error again when the engine refused the input, and
    `GarmentRefusedError` for a garment whose mask failed the staff check; None (and the row gone) when
    there is none or its file can no longer be read."""
    if stored is None:
        return None
    if stored.error:
        raise TryOnError(stored.error)
    if getattr(stored, "mask_problems", None):
        raise GarmentRefusedError(GARMENT_REFUSED_MESSAGE)
    side = _read_side(stored.file_name)
    if side is None:
        stored.delete()
    return side


def photo_side(
    *,
    photo: PersonPhoto,
    engine: Engine,
    person: np.ndarray | None = None,
    before_preparing: Callable[[], None] | None = None,
) -> PreparedSide:
    """The engine's photo side of `photo`: the stored one, else prepared now and stored.

    `person` is the decoded photo when the caller has it; `before_preparing` is called when the side
    has to be computed (a job reports its "segmenting" stage then). A photo the engine cannot use
    raises its `TryOnError` every time without being analysed again."""
    stored = PhotoPreparation.objects.filter(photo=photo, engine_identity=engine.identity).first()
    side = _kept_side(stored)
    if side is not None:
        return side
    if before_preparing is not None:
        before_preparing()
    if person is None:
        person = photo_pixels(photo)
    started = time.perf_counter()
    try:
        side = engine.prepare_photo(person)
    except TryOnError as exc:
        _store_row(PhotoPreparation, file_names=(), photo=photo, engine_identity=engine.identity, error=str(exc))
        raise
    name = _save_side(side)
    _store_row(
        PhotoPreparation,
        file_names=(name,),
        photo=photo,
        engine_identity=engine.identity,
        file_name=name,
        seconds=round(time.perf_counter() - started, 3),
    )
    for stale in PhotoPreparation.objects.filter(photo=photo).exclude(engine_identity=engine.identity):
        stale.delete()
    return side


def garment_side(
    *,
    product_image: ProductImage,
    engine: Engine,
    garment_type: str = UPPER_BODY,
    before_preparing: Callable[[], None] | None = None,
) -> PreparedSide:
    """The engine's garment side of `product_image` (a garment of `garment_type`, the product's): the
    stored one if made from the image file the product shows now, else prepared now and stored
    (replacing a stale one); `before_preparing` as for `photo_side`."""
    stored = GarmentPreparation.objects.filter(product_image=product_image, engine_identity=engine.identity).first()
    if stored is not None and stored.image_name != product_image.image.name:
        stored.delete()
        stored = None
    side = _kept_side(stored)
    if side is not None:
        return side
    if before_preparing is not None:
        before_preparing()
    garment = product_picture(product_image)
    started = time.perf_counter()
    row = {"product_image": product_image, "engine_identity": engine.identity, "image_name": product_image.image.name}
    try:
        side = engine.prepare_garment(garment, garment_type=garment_type)
    except TryOnError as exc:
        _store_row(GarmentPreparation, file_names=(), error=str(exc), **row)
        raise
    mask = unpack_mask(side.arrays["cloth_mask"], tuple(reversed(side.meta["mask_size"])))
    problems = side.meta.get("mask_problems")
    name = _save_side(side)
    mask_name = save_private_file(folder=PREPARED_FOLDER, extension="png", content=_png(mask))
    _store_row(
        GarmentPreparation,
        file_names=(name, mask_name),
        file_name=name,
        mask_file_name=mask_name,
        mask_problems=None if problems is None else list(problems),
        mask_area=round(float(np.count_nonzero(mask)) / mask.size, 4),
        mask_border=round(_border_fraction(mask), 4),
        seconds=round(time.perf_counter() - started, 3),
        **row,
    )
    for stale in GarmentPreparation.objects.filter(product_image=product_image).exclude(
        engine_identity=engine.identity
    ):
        stale.delete()
    if problems:
        raise GarmentRefusedError(GARMENT_REFUSED_MESSAGE)
    return side


def product_picture(product_image: ProductImage) -> GarmentPicture:
    """The product image as the engines take it: a cut-out keeps its transparency (`load_garment`)."""
    with product_image.image.open("rb") as image_file:
        return load_garment(image_file.read())


def _store_row(model: type, *, file_names: tuple[str, ...], **fields: object) -> None:
    try:
        model.objects.create(**fields)
    except IntegrityError:
        side_cache.forget(*file_names)
        delete_private_files(*file_names)  # another worker stored the same side first


def _border_fraction(mask: np.ndarray) -> float:
    border = np.concatenate([mask[0], mask[-1], mask[1:-1, 0], mask[1:-1, -1]])
    return float(np.count_nonzero(border)) / border.size


def _png(mask: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(mask).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def prepare_photo_in_background(*, photo_id: object, engine: Engine) -> None:
    """The worker's side of an upload: the photo side stored now, so the first try-on skips it."""
    photo = PersonPhoto.objects.filter(pk=photo_id).first()
    if photo is None:
        return
    try:
        photo_side(photo=photo, engine=engine)
    except TryOnError as exc:
        logger.info("Photo %s cannot be used by %s: %s", photo_id, engine.identity, exc)


def prepare_garment_in_background(*, product_image_id: object, engine: Engine) -> None:
    """The worker's side of a saved product image: cloth mask and features stored, checks for staff.
    Only a primary image (the one try-on uses) is prepared; a gallery picture that stopped being
    primary before its turn came is left alone."""
    product_image = ProductImage.objects.filter(pk=product_image_id).select_related("product").first()
    if product_image is None or not product_image.image or not product_image.is_primary:
        return
    from tryon.pipeline.select import engine_for_garment

    garment_type = product_image.product.garment_type
    try:
        garment_side(
            product_image=product_image, engine=engine_for_garment(engine, garment_type), garment_type=garment_type
        )
    except TryOnError as exc:
        logger.info("Product image %s has no usable garment: %s", product_image_id, exc)
