"""Reads of the try-on tables. Every shopper-facing function is scoped to one owner; each runs a
bounded number of queries. Selectors only read the database: the staff garment check (which reads
private files and draws a picture) is `tryon.garment_check`, the operators' queue overview (which
asks the broker) `tryon.queue_status`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from django.db.models import Count, Model, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import dateformat, timezone

from accounts.models import User
from revetir.object_keys import primary_key_or_none
from shop.models import Product, ProductImage, Variant
from shop.selectors import product_page, sizes_in_display_order
from tryon import preparations
from tryon.models import (
    LIVE_STATUSES,
    PHOTO_DATE_FORMAT,
    GarmentPreparation,
    JobPriority,
    JobStatus,
    PersonPhoto,
    TryOnJob,
)

# Jobs finished this recently are part of the state a websocket receives on connect.
RECENTLY_FINISHED = timedelta(minutes=10)
STATE_JOB_LIMIT = 20


def photos_for_user(*, user: User) -> QuerySet[PersonPhoto]:
    return PersonPhoto.objects.filter(owner=user).order_by("-created_at", "-id")


def photo_labels_for_user(*, user: User) -> dict[object, str]:
    """Photo key → "Photo 3 · 1 Dec 2026, 06:36", numbered in upload order (1 = the first), so photos
    uploaded in the same minute still read differently."""
    rows = PersonPhoto.objects.filter(owner=user).order_by("created_at", "id").values_list("pk", "created_at")
    return {pk: _photo_label(number, created_at) for number, (pk, created_at) in enumerate(rows, start=1)}


def _photo_label(number: int, created_at: datetime) -> str:
    return f"Photo {number} · {dateformat.format(timezone.localtime(created_at), PHOTO_DATE_FORMAT)}"


def labelled_photos_for_user(*, user: User) -> list[PersonPhoto]:
    """The user's photos, newest first, each with the `label` of `photo_labels_for_user`; one query
    (newest first is upload order backwards, so the numbers come from the same rows)."""
    photos = list(photos_for_user(user=user))
    for number, photo in enumerate(reversed(photos), start=1):
        photo.label = _photo_label(number, photo.created_at)
    return photos


def photo_for_user(*, user: User, photo_id: object) -> PersonPhoto:
    """The user's photo; 404 for a photo that is missing, belongs to someone else, or whose id
    cannot be a key on this database (an ObjectId on SQLite, a number on MongoDB)."""
    return get_object_or_404(PersonPhoto, pk=_key_or_404(PersonPhoto, photo_id), owner=user)


def job_count_for_photo(*, photo: PersonPhoto) -> int:
    """How many try-ons go when the photo is deleted (said on the confirmation page)."""
    return TryOnJob.objects.filter(photo=photo).count()


def jobs_for_user(*, user: User) -> QuerySet[TryOnJob]:
    """The try-ons the shopper asked for one by one, newest first ("Your try-ons"): the cards "See it
    on me" dressed are page jobs and stay out, unless the shopper then asked for one on its own."""
    return (
        TryOnJob.objects.filter(owner=user, priority=JobPriority.SINGLE)
        .select_related("product")
        .order_by("-created_at", "-id")
    )


def page_job_count(*, user: User) -> int:
    """How many garments "See it on me" has shown on the shopper's photos (kept, not listed one by one)."""
    return TryOnJob.objects.filter(owner=user, priority=JobPriority.PAGE, status=JobStatus.DONE).count()


def job_for_user(*, user: User, job_id: object) -> TryOnJob:
    """The user's job; 404 for a job that is missing, belongs to someone else, or whose id cannot
    be a key on this database."""
    key = _key_or_404(TryOnJob, job_id)
    return get_object_or_404(TryOnJob.objects.select_related("product", "photo"), pk=key, owner=user)


def jobs_for_state(*, user: User) -> list[TryOnJob]:
    """Live jobs and jobs finished in the last minutes: what a (re)connecting page must catch up on."""
    since = timezone.now() - RECENTLY_FINISHED
    live = TryOnJob.objects.filter(owner=user, status__in=LIVE_STATUSES)
    recent = TryOnJob.objects.filter(owner=user, finished_at__gte=since)
    return list((live | recent).order_by("-created_at", "-id")[:STATE_JOB_LIMIT])


def has_live_jobs(*, user: User) -> bool:
    """Whether the user has a job queued or running (one indexed query)."""
    return TryOnJob.objects.filter(owner=user, status__in=LIVE_STATUSES).exists()


def garment_image_for(*, product: Product) -> ProductImage | None:
    """The product's primary image (the garment on white), which try-on fits onto the photo: from the
    product's images when they were loaded with it (the product page's), else one query."""
    loaded = getattr(product, "_prefetched_objects_cache", {}).get("images")
    if loaded is not None:
        return next((image for image in loaded if image.is_primary), None)
    return ProductImage.objects.filter(product=product, is_primary=True).select_related("product").first()


def tryon_product(*, product_id: object) -> Product | None:
    """An active product that can be tried on, or None (also for an id that cannot be a key here)."""
    key = primary_key_or_none(Product, product_id)
    if key is None:
        return None
    product = Product.objects.filter(pk=key, is_active=True).first()
    if product is None or not product.supports_tryon:
        return None
    return product


def sizes_for_product(*, product: Product) -> list[Variant]:
    """The product's sizes in chart order, for the size picker next to a try-on result."""
    return sizes_in_display_order(Variant.objects.filter(product=product))


def _key_or_404(model: type[Model], value: object) -> object:
    key = primary_key_or_none(model, value)
    if key is None:
        raise Http404(f"No {model._meta.verbose_name} with that id.")
    return key


def garment_offered(*, product_image: ProductImage | None) -> bool:
    """Whether shoppers may try the garment on: it has a primary image whose current garment side, once
    prepared, passed the staff check (a garment not yet checked is offered; its job checks it)."""
    if product_image is None:
        return False
    return not preparations.garment_refused(preparations.current_garment_preparation(product_image=product_image))


def garment_images_for_products(*, product_ids: list[object]) -> list[ProductImage]:
    """The primary images of those products that are active and can be tried on, in the order asked
    (ids that are no key here, unknown or not tryable are left out); one query."""
    keys = [key for key in (primary_key_or_none(Product, value) for value in product_ids) if key is not None]
    images = ProductImage.objects.filter(product__pk__in=keys, product__is_active=True, is_primary=True).select_related(
        "product"
    )
    by_product = {image.product_id: image for image in images if image.product.supports_tryon}
    return [by_product[key] for key in dict.fromkeys(keys) if key in by_product]


def best_photo_for_garments(*, user: User, garment_types: Sequence[str]) -> PersonPhoto | None:
    """The user's saved photo that can try the most of `garment_types` (one entry per garment, so a
    page of trousers weighs more than its one top), the newest among equals; None when they have
    none. A newer waist-up photo thus loses to a full-length one on a page with trousers or dresses."""
    return most_suitable_photo(list(photos_for_user(user=user)), garment_types)


def most_suitable_photo(photos: Sequence[PersonPhoto], garment_types: Sequence[str]) -> PersonPhoto | None:
    """Of `photos` (newest first), the one that can try the most of `garment_types`, the newest among
    equals; None for no photos. Reads nothing: the verdicts are on the photos."""
    if not photos:
        return None
    return max(
        enumerate(photos),
        key=lambda item: (sum(item[1].verdict_for(kind).usable for kind in garment_types), -item[0]),
    )[1]


def wear_photo_choices(
    *, user: User, photo_id: object, garment_types: Sequence[str], photos: list[PersonPhoto] | None = None
) -> tuple[list[PersonPhoto], PersonPhoto | None]:
    """ "See it on me"'s photo choices: the user's photos, newest first, each with `label`, and the one
    to show: the one chosen (`photo_id`) while it is still theirs, else the most suitable for
    `garment_types` (the garments on the page). One query, none when the caller passes the user's
    `photos` as `labelled_photos_for_user` gives them (read once for the whole page)."""
    if photos is None:
        photos = labelled_photos_for_user(user=user)
    key = primary_key_or_none(PersonPhoto, photo_id)
    chosen = next((photo for photo in photos if key is not None and photo.pk == key), None)
    return photos, chosen or most_suitable_photo(photos, garment_types)


def wear_photo_for_user(*, user: User, photo_id: object, garment_types: Sequence[str] = ()) -> PersonPhoto | None:
    """The photo "See it on me" shows garments on: the one chosen if it is still the user's, else the
    one best suited to `garment_types` (the garments on the page); None when they have none."""
    key = primary_key_or_none(PersonPhoto, photo_id)
    chosen = PersonPhoto.objects.filter(pk=key, owner=user).first() if key is not None else None
    return chosen or best_photo_for_garments(user=user, garment_types=garment_types)


def other_garments_in_category(*, product: Product, limit: int) -> list[Product]:
    """Up to `limit` other active products of `product`'s category that can be tried on, ready for
    product cards (`primary_image`, `available_sizes`), newest first."""
    page = product_page(filters={"category": product.category}, page_size=limit + 1)
    return [other for other in page.object_list if other.pk != product.pk and other.supports_tryon][:limit]


def product_images_without_garment_side(*, engine_identity: str, limit: int) -> list[object]:
    """Keys of primary images of active products with no garment side from this engine identity
    for their current file (new images saved while no worker ran, or an engine or weights change)."""
    prepared = {
        (row["product_image_id"], row["image_name"])
        for row in GarmentPreparation.objects.filter(engine_identity=engine_identity).values(
            "product_image_id", "image_name"
        )
    }
    images = ProductImage.objects.filter(is_primary=True, product__is_active=True).select_related("product")
    return [
        image.pk
        for image in images.order_by("id")
        if image.product.supports_tryon and (image.pk, image.image.name) not in prepared
    ][:limit]


# --- What the shop reads of try-on (registered with `shop.tryon_hooks` in `tryon.apps`) ---------


def finished_job_id(*, job_id: object, owner_id: object, product_id: object) -> object | None:
    """The key of `owner_id`'s finished try-on `job_id` of `product_id`, else None (an id that is
    no key here, someone else's job, another product's, one not done)."""
    job_key = primary_key_or_none(TryOnJob, job_id)
    if job_key is None:
        return None
    return (
        TryOnJob.objects.filter(pk=job_key, owner_id=owner_id, product_id=product_id, status=JobStatus.DONE)
        .values_list("pk", flat=True)
        .first()
    )


def finished_jobs_per_product(*, since: datetime) -> dict[object, int]:
    """Product key → finished try-ons created since `since` that a shopper asked for on its own (page
    jobs of "See it on me" are not counted: one click dresses a dozen cards); one query."""
    return dict(
        TryOnJob.objects.filter(created_at__gte=since, status=JobStatus.DONE, priority=JobPriority.SINGLE)
        .values("product")
        .annotate(count=Count("pk"))
        .values_list("product", "count")
    )
