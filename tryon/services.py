"""Writes for try-on: photos, submitting and deleting jobs, sweeping stale ones.

A job's state changes live in `tryon.jobs`; this module submits jobs and hands them to
`tryon.dispatch`, which hands them to a worker (`tryon.worker`). None of those imports this one.
"""

from __future__ import annotations

import hashlib
import logging
import math
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from shop.models import ProductImage
from tryon import dispatch, jobs, preparations
from tryon.events import publish_job
from tryon.models import LIVE_STATUSES, JobPriority, JobStatus, PersonPhoto, TryOnJob
from tryon.pipeline.body import BodyModelMissingError
from tryon.storage import delete_private_files, save_private_file
from tryon.validation import clean_person_photo

logger = logging.getLogger(__name__)

DISPATCH_FAILED_MESSAGE = "The try-on service is not reachable right now; please try again in a few minutes."
RATE_WINDOW_SECONDS = 60
# A starting worker re-sends at most this many queued jobs (the queue bound is far below it).
REDISPATCH_LIMIT = 1000


class TryOnBusyError(Exception):
    """Too many try-ons right now (for this shopper or for the whole shop); nothing was queued."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PhotoCheckUnavailableError(Exception):
    """The body model's files are not installed, so no photo can be checked; nothing was stored. The
    message is the shopper's; the operator's (which file, which command) goes to the log."""


class GarmentNotOfferedError(Exception):
    """The garment's product picture failed the staff check (its mask would draw a broken result), so it
    is not offered for try-on until staff replace the picture; nothing was queued. The message is the
    shopper's."""


PHOTO_CHECK_UNAVAILABLE_MESSAGE = (
    "Photo try-on is not available right now, so your photo was not saved. Please try again later."
)


# --- Photos ------------------------------------------------------------------------------------


def save_person_photo(*, user: User, upload: UploadedFile, garment_type: str | None = None) -> PersonPhoto:
    """Validate, clean, check and store an uploaded photo for `user` (see `store_person_photo`)."""
    photo, _created = store_person_photo(user=user, upload=upload, garment_type=garment_type)
    return photo


def store_person_photo(
    *, user: User, upload: UploadedFile, garment_type: str | None = None
) -> tuple[PersonPhoto, bool]:
    """Validate, clean, check and store an uploaded photo for `user` with its body analysis; returns
    (photo, whether it is new).

    A photo whose cleaned image the user already stored is not stored twice: the saved one comes
    back (`False`). Raises ValidationError (with a message for the shopper) and stores nothing when
    the file is not an acceptable photo, when the body model finds no usable person in it, or, given
    `garment_type`, when the photo cannot try that type (a waist-up photo for trousers);
    PhotoCheckUnavailableError when the body model is not installed. If the row cannot be written,
    the stored file is removed.
    """
    try:
        clean = clean_person_photo(upload)
    except BodyModelMissingError as exc:
        logger.error("A photo upload was refused because the body model is not installed: %s", exc)
        raise PhotoCheckUnavailableError(PHOTO_CHECK_UNAVAILABLE_MESSAGE) from exc
    if garment_type is not None:
        verdict = clean.body_analysis["verdicts"][garment_type]
        if not verdict["usable"]:
            raise ValidationError(verdict["message"], code="unusable_photo")
    content_hash = hashlib.sha256(clean.content).hexdigest()
    existing = PersonPhoto.objects.filter(owner=user, content_hash=content_hash).order_by("created_at", "id").first()
    if existing is not None:
        return existing, False
    name = save_private_file(folder="photos", extension=clean.extension, content=clean.content)
    try:
        photo = PersonPhoto.objects.create(
            owner=user,
            file_name=name,
            width=clean.width,
            height=clean.height,
            content_hash=content_hash,
            body_analysis=clean.body_analysis,
        )
    except Exception:
        delete_private_files(name)
        raise
    _request_preparation(kind="photo", object_id=photo.pk)
    return photo, True


def _request_preparation(*, kind: str, object_id: object) -> None:
    """Ask a worker to prepare the new input; a failure only means the first job prepares it."""
    try:
        dispatch.dispatch_preparation(kind, object_id)
    except Exception:
        logger.exception("Could not ask for the %s side of %s", kind, object_id)


def request_garment_preparation(*, product_image: ProductImage) -> None:
    """A product image was saved (admin, seed_demo, the API): its garment side is prepared and checked in
    the background once the saving transaction commits, so the worker finds the row and the new file
    (inside the admin's transaction it found neither, and staff read "Not checked yet" until a shopper
    asked for the garment)."""
    if not product_image.image:
        return
    product_image_id = product_image.pk
    transaction.on_commit(lambda: _request_preparation(kind="garment", object_id=product_image_id))


def delete_person_photo(*, photo: PersonPhoto) -> None:
    """Delete a photo with all its try-on jobs and every file they stored.

    Rows go first, then files (`tryon.receivers` removes the files of every deleted photo or job,
    however it was deleted: here, by a cascade from a product or user, or in the admin)."""
    photo.delete()


def delete_user_tryon_data(*, user: User) -> int:
    """Remove all of a user's photos, jobs and files (account deletion). Returns photos removed."""
    photos = list(PersonPhoto.objects.filter(owner=user))
    for photo in photos:
        delete_person_photo(photo=photo)
    return len(photos)


def purge_tryon_data(*, older_than_days: int) -> tuple[int, int]:
    """Delete photos and jobs created more than `older_than_days` ago, with their files.

    Returns (photos deleted, jobs deleted, counting those removed with their photo).
    """
    if older_than_days < 0:
        raise ValueError(f"older_than_days must be 0 or more, got {older_than_days}")
    cutoff = timezone.now() - timedelta(days=older_than_days)
    photos = list(PersonPhoto.objects.filter(created_at__lt=cutoff))
    jobs_deleted = 0
    for photo in photos:
        jobs_deleted += TryOnJob.objects.filter(photo=photo).count()
        delete_person_photo(photo=photo)
    old_jobs = TryOnJob.objects.filter(created_at__lt=cutoff).exclude(status__in=LIVE_STATUSES)
    for job in old_jobs:
        delete_job(job=job)
        jobs_deleted += 1
    return len(photos), jobs_deleted


# --- Jobs: submitting and deleting -------------------------------------------------------------


def submit_job(
    *, user: User, photo: PersonPhoto, product_image: ProductImage, priority: int = JobPriority.SINGLE
) -> TryOnJob:
    """Queue a try-on of `product_image` on `photo` and hand it to a worker.

    A pair this shopper already tried with the engine and weights in use, on the product image file
    shown now, returns that finished job at once (and tells their browsers again), computing nothing.
    The same pair asked again while a job for it is live returns that job. Past the per-shopper rate
    (single try-ons) or page bound (`JobPriority.PAGE`) or the shop-wide queue bound, raises
    TryOnBusyError and queues nothing.
    """
    _check_pair(user=user, photo=photo, product_image=product_image)
    sweep_stale_jobs(owner=user)
    existing = _existing_job(user=user, photo=photo, product_image=product_image)
    if existing is not None:
        if existing.status == JobStatus.DONE:
            publish_job(existing)
        return existing
    _check_capacity(user=user, priority=priority, wanted=1)
    return _queue_job(user=user, photo=photo, product_image=product_image, priority=priority)


def submit_page(*, user: User, photo: PersonPhoto, product_images: list[ProductImage]) -> list[TryOnJob]:
    """Try every garment of a catalogue page on `photo` ("See it on me"): one job per image, in order.

    Garments the photo cannot try, and garments not offered for try-on (their picture failed the staff
    check), are left out. Cached pairs come back finished at once; the rest
    are queued behind single try-ons, all or none:
    past the shopper's page bound or the shop-wide queue bound, raises TryOnBusyError and queues nothing.
    """
    if photo.owner_id != user.pk:
        raise ValidationError("Choose one of your own photos.")
    # Garments this photo cannot try (trousers on a waist-up photo) are left out, not the page.
    product_images = [image for image in product_images if photo.verdict_for(image.product.garment_type).usable]
    if not product_images:
        raise ValidationError("Your photo cannot try any of these garments; see My photos for what it can try.")
    product_images = [
        image
        for image in product_images
        if not preparations.garment_refused(preparations.current_garment_preparation(product_image=image))
    ]
    if not product_images:
        raise GarmentNotOfferedError("None of these garments can be tried on yet; please try other garments.")
    for product_image in product_images:
        _check_pair(user=user, photo=photo, product_image=product_image)
    sweep_stale_jobs(owner=user)
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
            publish_job(job)
        page_jobs.append(job)
    return page_jobs


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
    job = TryOnJob.objects.create(
        owner=user, photo=photo, product=product_image.product, product_image=product_image, priority=priority
    )
    try:
        dispatch.dispatch_job(job.pk)
    except Exception:
        logger.exception("Could not dispatch try-on job %s", job.pk)
        jobs.fail_job(job_id=job.pk, message=DISPATCH_FAILED_MESSAGE)
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


def delete_job(*, job: TryOnJob) -> None:
    """Delete a job; its result files follow (see `tryon.receivers`). A worker still running it
    notices and stops."""
    job.delete()


# --- Jobs: sweeping ------------------------------------------------------------------------------


def sweep_stale_jobs(*, owner: User | None = None) -> list[TryOnJob]:
    """Retry or fail jobs whose worker stopped (see `tryon.jobs.sweep_stale_jobs`) and dispatch
    the retried ones again. Returns the jobs it failed.

    Runs on a timer in every worker process and in the in-process worker, and also when a
    shopper's jobs are read or submitted, so a page never shows a job a dead worker still holds.
    """
    swept = jobs.sweep_stale_jobs(owner_id=None if owner is None else owner.pk)
    _dispatch_each(swept.requeued)
    return swept.failed


def redispatch_queued_jobs() -> int:
    """Send every queued job to the workers again; returns how many.

    A worker calls this when it starts, so jobs whose message was lost (a broker restarted without
    persistence) still run. Duplicate messages are harmless: only one claim of a job succeeds.
    """
    queued = list(
        TryOnJob.objects.filter(status=JobStatus.QUEUED)
        .order_by("created_at", "id")
        .values_list("pk", flat=True)[:REDISPATCH_LIMIT]
    )
    _dispatch_each(queued)
    return len(queued)


def _dispatch_each(job_ids: list[object]) -> None:
    for job_id in job_ids:
        try:
            dispatch.dispatch_job(job_id)
        except Exception:
            # The job stays queued; the next worker start or queued-limit sweep settles it.
            logger.exception("Could not dispatch try-on job %s again", job_id)
