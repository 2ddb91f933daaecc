"""Writes for try-on: photos (stored, checked, deleted), asking for their preparation, deleting jobs
and purging old data.

A job's life (submitting, its state changes, running it) is `tryon.jobs`.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from shop.models import ProductImage
from tryon.jobs import dispatch
from tryon.models import LIVE_STATUSES, PersonPhoto, TryOnJob
from tryon.photo_check import clean_person_photo
from tryon.pipeline.body import BodyModelMissingError
from tryon.storage import delete_private_files, save_private_file

logger = logging.getLogger(__name__)


class PhotoCheckUnavailableError(Exception):
    """The body model's files are not installed, so no photo can be checked; nothing was stored. The
    message is the shopper's; the operator's (which file, which command) goes to the log."""


PHOTO_CHECK_UNAVAILABLE_MESSAGE = (
    "Photo try-on is not available right now, so your photo was not saved. Please try again later."
)


# --- Photos ------------------------------------------------------------------------------------


def save_person_photo(*, user: User, upload: UploadedFile, garment_type: str | None = None) -> PersonPhoto:
    """Validate, clean, check and store an uploaded photo for `user` with its body analysis.

    A photo whose cleaned image the user already stored is not stored twice: the saved one comes
    back, with `already_saved` set. Raises ValidationError (with a message for the shopper) and stores nothing when
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
        existing.already_saved = True
        return existing
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
    return photo


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
    asked for the garment). Only the primary image is tried on, so gallery pictures (a close-up, the
    garment on a backdrop) are never prepared or checked: they have no garment outline to find."""
    if not product_image.image or not product_image.is_primary:
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


# --- Jobs: deleting ---------------------------------------------------------------------------


def delete_job(*, job: TryOnJob) -> None:
    """Delete a job; its result files follow (see `tryon.receivers`). A worker still running it
    notices and stops."""
    job.delete()
