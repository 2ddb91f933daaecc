"""Submitting try-on jobs: one garment (`submit_job`), a catalogue page (`submit_page`), or a try-on
started from a product with a new or saved photo (`start_tryon`, the product page and the API alike);
the shopper's rate, page and shop-wide queue limits, and the priority of each kind.

A new job is queued through `tryon.jobs.state` and handed to `tryon.jobs.dispatch`.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone

from accounts.models import User
from shop.models import Product, ProductImage
from tryon import preparations, selectors
from tryon.jobs import dispatch, state
from tryon.models import LIVE_STATUSES, JobPriority, JobStatus, PersonPhoto, TryOnJob
from tryon.services import save_person_photo
from tryon.wording import LEFT_OUT_NOT_OFFERED, LEFT_OUT_PHOTO, left_out_summary

logger = logging.getLogger(__name__)

DISPATCH_FAILED_MESSAGE = "The try-on service is not reachable right now; please try again in a few minutes."
RATE_WINDOW_SECONDS = 60


class TryOnBusyError(Exception):
    """Too many try-ons right now (for this shopper or for the whole shop); nothing was queued."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class GarmentNotOfferedError(Exception):
    """The garment's product picture failed the staff check (its mask would draw a broken result), so it
    is not offered for try-on until staff replace the picture; nothing was queued. The message is the
    shopper's."""


class NoTryOnProductError(LookupError):
    """No product with that id can be tried on (none, inactive, or without a garment picture)."""


def start_tryon(
    *,
    user: User,
    product: Product | None,
    photo: PersonPhoto | None = None,
    photo_id: object | None = None,
    upload: UploadedFile | None = None,
) -> TryOnJob:
    """Start a try-on of `product` (from `tryon.selectors.tryon_product`) on a saved photo of the
    shopper's (`photo`, or `photo_id`, which raises Http404 when it is not theirs) or a new `upload`
    (checked for the product's garment type): the product page's form and the API both come here.

    Raises NoTryOnProductError when there is no product or it cannot be tried on; ValidationError for a photo that
    cannot be used; GarmentNotOfferedError, PhotoCheckUnavailableError (`tryon.services`) and
    TryOnBusyError as `submit_job` and `save_person_photo` do.
    """
    garment = selectors.garment_image_for(product=product) if product else None
    if garment is None:
        raise NoTryOnProductError("No product with that id can be tried on.")
    if photo is None and photo_id is not None:
        photo = selectors.photo_for_user(user=user, photo_id=photo_id)
    if photo is None:
        photo = save_person_photo(user=user, upload=upload, garment_type=product.garment_type)
    return submit_job(user=user, photo=photo, product_image=garment)


def submit_job(
    *, user: User, photo: PersonPhoto, product_image: ProductImage, priority: int = JobPriority.SINGLE
) -> TryOnJob:
    """Queue a try-on of `product_image` on `photo` and hand it to a worker.

    A pair this shopper already tried with the engine and weights in use, on the product image file
    shown now, returns that finished job at once (and tells their browsers again), computing nothing.
    The same pair asked again while a job for it is live returns that job; a page job ("See it on me")
    returned for a single try-on becomes one (`state.choose_page_job`). Past the per-shopper rate
    (single try-ons) or page bound (`JobPriority.PAGE`) or the shop-wide queue bound, raises
    TryOnBusyError and queues nothing.
    """
    _check_pair(user=user, photo=photo, product_image=product_image)
    state.sweep_stale_jobs(owner_id=user.pk)
    existing = _existing_job(user=user, photo=photo, product_image=product_image)
    if existing is not None:
        if priority == JobPriority.SINGLE:
            existing = state.choose_page_job(existing)
        if existing.status == JobStatus.DONE:
            state.publish_again(existing)
        return existing
    _check_capacity(user=user, priority=priority, wanted=1)
    return _queue_job(user=user, photo=photo, product_image=product_image, priority=priority)


@dataclass(frozen=True)
class LeftOutGarment:
    """A garment of a page that "See it on me" does not fit, and why (`reason` is one of
    `LEFT_OUT_REASONS`; the shopper's words are `tryon.wording.left_out_summary`)."""

    product_image: ProductImage
    reason: str


PHOTO_CANNOT_TRY = LEFT_OUT_PHOTO  # the photo cannot try its garment type (trousers on a waist-up photo)
NOT_OFFERED = LEFT_OUT_NOT_OFFERED  # its picture failed the staff check
LEFT_OUT_REASONS = (PHOTO_CANNOT_TRY, NOT_OFFERED)


@dataclass(frozen=True)
class PageSubmission:
    """What `submit_page` did: a job per garment fitted, in page order, and the garments left out."""

    jobs: list[TryOnJob]
    left_out: list[LeftOutGarment] = field(default_factory=list)


def submit_page(*, user: User, photo: PersonPhoto, product_images: list[ProductImage]) -> PageSubmission:
    """Try every garment of a catalogue page on `photo` ("See it on me"): one job per image, in order.

    Garments the photo cannot try, and garments not offered for try-on (their picture failed the staff
    check), are left out and listed with the reason. Cached pairs come back finished at once; the rest
    are queued behind single try-ons (marked as page jobs, which stay out of "Your try-ons" and the
    staff report until asked for on their own), all or none:
    past the shopper's page bound or the shop-wide queue bound, raises TryOnBusyError and queues nothing.
    """
    if photo.owner_id != user.pk:
        raise ValidationError("Choose one of your own photos.")
    left_out: list[LeftOutGarment] = []
    tryable: list[ProductImage] = []
    for image in product_images:
        # Garments this photo cannot try (trousers on a waist-up photo) are left out, not the page.
        if not photo.verdict_for(image.product.garment_type).usable:
            left_out.append(LeftOutGarment(product_image=image, reason=PHOTO_CANNOT_TRY))
        elif preparations.garment_refused(preparations.current_garment_preparation(product_image=image)):
            left_out.append(LeftOutGarment(product_image=image, reason=NOT_OFFERED))
        else:
            tryable.append(image)
    if not tryable:
        summary = left_out_summary(
            [(garment.reason, garment.product_image.product.garment_type) for garment in left_out]
        )
        if all(garment.reason == NOT_OFFERED for garment in left_out):
            raise GarmentNotOfferedError("None of these garments can be tried on yet; please try other garments.")
        raise ValidationError(f"Your photo cannot try any of these garments: {summary}")
    product_images = tryable
    for product_image in product_images:
        _check_pair(user=user, photo=photo, product_image=product_image)
    state.sweep_stale_jobs(owner_id=user.pk)
    existing = {image.pk: _existing_job(user=user, photo=photo, product_image=image) for image in product_images}
    missing = [image for image in product_images if existing[image.pk] is None]
    if missing:
        _check_capacity(user=user, priority=JobPriority.PAGE, wanted=len(missing))
    page_jobs = []
    for product_image in product_images:
        job = existing[product_image.pk]
        if job is None:
            job = _queue_job(user=user, photo=photo, product_image=product_image, priority=JobPriority.PAGE)
        elif job.status == JobStatus.DONE:
            state.publish_again(job)
        page_jobs.append(job)
    return PageSubmission(jobs=page_jobs, left_out=left_out)


def _check_pair(*, user: User, photo: PersonPhoto, product_image: ProductImage) -> None:
    if photo.owner_id != user.pk:
        raise ValidationError("Choose one of your own photos.")
    product = product_image.product
    if not product.is_active or not product.supports_tryon:
        raise ValidationError(f"{product.name} cannot be tried on.")
    verdict = photo.verdict_for(product.garment_type)
    if not verdict.usable:
        raise ValidationError(verdict.message, code="unusable_photo")
    if preparations.garment_refused(preparations.current_garment_preparation(product_image=product_image)):
        raise GarmentNotOfferedError(preparations.GARMENT_REFUSED_MESSAGE)


def _existing_job(*, user: User, photo: PersonPhoto, product_image: ProductImage) -> TryOnJob | None:
    """A live job for the pair, else a finished one that is still valid (same engine identity and
    image file). Only `user`'s own jobs are looked at: nobody is handed someone else's result."""
    pair = TryOnJob.objects.filter(owner=user, photo=photo, product_image=product_image)
    live = pair.filter(status__in=LIVE_STATUSES).order_by("-created_at").first()
    if live is not None:
        return live
    identity = preparations.current_engine_identity(garment_type=product_image.product.garment_type)
    if not identity:
        return None
    return (
        pair.filter(status=JobStatus.DONE, engine_identity=identity, garment_image_name=product_image.image.name)
        .order_by("-finished_at")
        .first()
    )


def _queue_job(*, user: User, photo: PersonPhoto, product_image: ProductImage, priority: int) -> TryOnJob:
    job = state.queue_job(owner=user, photo=photo, product_image=product_image, priority=priority)
    try:
        dispatch.dispatch_job(job.pk)
    except Exception:
        logger.exception("Could not dispatch try-on job %s", job.pk)
        state.fail_job(job_id=job.pk, message=DISPATCH_FAILED_MESSAGE)
        job.refresh_from_db()
    return job


def _check_capacity(*, user: User, priority: int, wanted: int) -> None:
    """Single try-ons are bounded per minute per shopper, page try-ons by how many of the shopper's
    are live; both by the shop-wide queue bound (`wanted` more queued jobs must fit under it)."""
    now = timezone.now()
    if priority == JobPriority.SINGLE:
        window_start = now - timedelta(seconds=RATE_WINDOW_SECONDS)
        limit = settings.TRYON_RATE_LIMIT_PER_MINUTE
        recent = list(
            TryOnJob.objects.filter(owner=user, created_at__gte=window_start, priority=JobPriority.SINGLE)
            .order_by("-created_at")
            .values_list("created_at", flat=True)[:limit]
        )
        if len(recent) >= limit:
            oldest_counted = recent[-1]
            wait = math.ceil((oldest_counted + timedelta(seconds=RATE_WINDOW_SECONDS) - now).total_seconds())
            wait = max(wait, 1)
            raise TryOnBusyError(
                f"You have started {limit} try-ons in the last minute; please try again in {wait} seconds.",
                retry_after=wait,
            )
    else:
        limit = settings.TRYON_PAGE_LIVE_LIMIT
        live = TryOnJob.objects.filter(owner=user, priority=JobPriority.PAGE, status__in=LIVE_STATUSES).count()
        if live + wanted > limit:
            wait = settings.TRYON_BUSY_RETRY_SECONDS
            raise TryOnBusyError(
                f"At most {limit} garments of a page are fitted at a time; {live} are still being fitted. "
                f"Please try again in {wait} seconds.",
                retry_after=wait,
            )
    queued = TryOnJob.objects.filter(status=JobStatus.QUEUED).count()
    if queued + wanted > settings.TRYON_MAX_QUEUED_JOBS:
        wait = settings.TRYON_BUSY_RETRY_SECONDS
        raise TryOnBusyError(
            f"The try-on service is busy; please try again in {wait} seconds.",
            retry_after=wait,
        )
