"""Shoppers' photos and the try-on jobs run on them.

Files live in the private storage (`storages["private"]`) under random names; the rows keep only
those names, and every byte reaches a browser through an owner-checked view.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.utils import dateformat, timezone

# How a photo's upload time reads to its owner ("1 Dec 2026, 06:36"); the selectors' labels use it too.
PHOTO_DATE_FORMAT = "j M Y, H:i"


@dataclass(frozen=True)
class PhotoVerdict:
    usable: bool
    message: str
    garment_label: str = ""


class PersonPhoto(models.Model):
    """A photo a shopper uploaded to try garments on, already cleaned (rotated, metadata removed)."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, related_name="tryon_photos", on_delete=models.CASCADE)
    file_name = models.CharField(max_length=200, help_text="Name of the cleaned image in the private storage.")
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    body_analysis = models.JSONField(
        default=dict,
        blank=True,
        help_text="The body model's analysis at upload (BodyAnalysis.to_json): keypoints, box and, per "
        "garment type, whether the photo can be used and why not.",
    )
    content_hash = models.CharField(
        max_length=64,
        blank=True,
        help_text="SHA-256 of the cleaned image: the same photo uploaded again by its owner reuses this one.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    # Not stored: set by `tryon.services.save_person_photo`, True when the owner had already saved the
    # very same photo and that one came back instead of a new one.
    already_saved = False

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "shopper photo"
        indexes = [
            models.Index(fields=["owner", "-created_at"], name="tryon_photo_owner_idx"),
            models.Index(fields=["owner", "content_hash"], name="tryon_photo_owner_hash_idx"),
        ]

    def __str__(self) -> str:
        """How a photo reads wherever Django names it (a form choice, an admin field): its upload time,
        not "Photo 2 of 1" (its key and its owner's key)."""
        if self.created_at is None:
            return "Photo not saved yet"
        return f"Photo uploaded {dateformat.format(timezone.localtime(self.created_at), PHOTO_DATE_FORMAT)}"

    def verdict_for(self, garment_type: str) -> PhotoVerdict:
        """Whether this photo can try a garment of `garment_type`, with the shopper's message when not.

        A photo stored before the body model ran has no verdicts and counts as usable."""
        from shop.models import GarmentType

        label = GarmentType(garment_type).label
        verdict = (self.body_analysis or {}).get("verdicts", {}).get(garment_type)
        if verdict is None:
            return PhotoVerdict(usable=True, message="", garment_label=label)
        return PhotoVerdict(usable=bool(verdict["usable"]), message=str(verdict["message"]), garment_label=label)

    def garment_verdicts(self) -> list[PhotoVerdict]:
        """The verdicts for the photo list, in the catalogue's order of garment types; types with the
        same verdict and message are one entry whose label names them all ("… or …")."""
        from shop.models import GarmentType

        grouped: dict[tuple[bool, str], list[str]] = {}
        for garment_type in GarmentType.values:
            verdict = self.verdict_for(garment_type)
            grouped.setdefault((verdict.usable, verdict.message), []).append(verdict.garment_label)
        return [
            PhotoVerdict(usable=usable, message=message, garment_label=" or ".join(labels))
            for (usable, message), labels in grouped.items()
        ]


class PhotoPreparation(models.Model):
    """An engine's photo side of a photo (`tryon.pipeline.contract.PreparedSide`), kept in the private
    storage like the photo and deleted with it. One per photo and engine identity: other weights
    make their own, and the stale one is removed when the new one is stored."""

    photo = models.ForeignKey(PersonPhoto, related_name="preparations", on_delete=models.CASCADE)
    engine_identity = models.CharField(max_length=80)
    file_name = models.CharField(max_length=200, blank=True, help_text="The prepared side in the private storage.")
    error = models.TextField(blank=True, help_text="Why the engine could not use the photo, if it could not.")
    seconds = models.FloatField(default=0.0, help_text="How long preparing took.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["photo", "engine_identity"], name="tryon_photo_prep_once_per_engine"),
        ]

    def __str__(self) -> str:
        return f"Photo side of {self.photo_id} ({self.engine_identity})"


class GarmentPreparation(models.Model):
    """An engine's garment side of a product image: cloth mask, garment points, model inputs and features.
    `image_name` is the image file it was made from, so a replaced image is prepared again; the mask
    check's problems (and, for older rows, the mask's area and border contact) tell staff when the
    picture will not do, and keep the garment from shoppers until it is replaced."""

    product_image = models.ForeignKey(
        "shop.ProductImage", related_name="garment_preparations", on_delete=models.CASCADE
    )
    engine_identity = models.CharField(max_length=80)
    image_name = models.CharField(max_length=255, help_text="The product image file this was made from.")
    file_name = models.CharField(max_length=200, blank=True, help_text="The prepared side in the private storage.")
    mask_file_name = models.CharField(
        max_length=200, blank=True, help_text="The cloth mask as a PNG in the private storage, shown to staff."
    )
    error = models.TextField(blank=True, help_text="Why no garment was found, if none was.")
    mask_problems = models.JSONField(
        null=True,
        blank=True,
        default=None,
        help_text="What the staff check (tryon.pipeline.mask_check) found wrong with the cloth mask, in plain "
        "words; empty when it looks right; null for a side prepared before the check existed. A garment "
        "with problems is not offered for try-on until its picture is replaced.",
    )
    mask_area = models.FloatField(default=0.0, help_text="Fraction of the image the cloth mask covers.")
    mask_border = models.FloatField(default=0.0, help_text="Fraction of the image border the cloth mask touches.")
    seconds = models.FloatField(default=0.0, help_text="How long preparing took.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["product_image", "engine_identity"], name="tryon_garment_prep_once_per_engine"
            ),
        ]

    def __str__(self) -> str:
        return f"Garment side of image {self.product_image_id} ({self.engine_identity})"


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


# A job in one of these states still has a worker (or the queue) owing it a result.
LIVE_STATUSES = (JobStatus.QUEUED, JobStatus.RUNNING)


class JobPriority(models.IntegerChoices):
    """Workers take queued jobs lowest value first: a shopper's single try-on before page batches."""

    SINGLE = 0, "Single try-on"
    PAGE = 1, "Page of garments"


class TryOnJob(models.Model):
    """One garment on one photo. State moves queued → running → done | failed (and running →
    queued once when its worker died), each step by a conditional update in `tryon.jobs`, so two
    workers can never both run the same job."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, related_name="tryon_jobs", on_delete=models.CASCADE)
    photo = models.ForeignKey(PersonPhoto, related_name="jobs", on_delete=models.CASCADE)
    product = models.ForeignKey("shop.Product", related_name="tryon_jobs", on_delete=models.CASCADE)
    product_image = models.ForeignKey(
        "shop.ProductImage", related_name="tryon_jobs", on_delete=models.CASCADE, verbose_name="product picture"
    )
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    stage = models.CharField(max_length=20, blank=True)
    progress = models.FloatField(default=0.0, help_text="Fraction of the run done, 0 to 1.")
    engine = models.CharField(max_length=20, blank=True, help_text="Engine that produced the result.")
    error = models.TextField(blank=True, help_text="Shown to the shopper when the job failed.")
    timings = models.JSONField(default=dict, blank=True, help_text="Seconds per stage, and in total.")
    worker = models.CharField(max_length=120, blank=True, help_text="Host and process that ran the job.")
    attempts = models.PositiveSmallIntegerField(default=0, help_text="Times a worker claimed the job.")
    result_name = models.CharField(max_length=200, blank=True)
    result_small_name = models.CharField(max_length=200, blank=True)
    priority = models.PositiveSmallIntegerField(choices=JobPriority.choices, default=JobPriority.SINGLE)
    engine_identity = models.CharField(
        "engine and weights",
        max_length=80,
        blank=True,
        help_text="Engine and weights of the result: a cached result must match them.",
    )
    garment_image_name = models.CharField(
        "garment picture file",
        max_length=255,
        blank=True,
        help_text="The product picture the result shows: a result of a since replaced picture is not reused.",
    )
    heartbeat_at = models.DateTimeField(
        "worker last seen",
        null=True,
        blank=True,
        help_text="A running job whose worker falls silent goes back to the queue, or fails after its last try.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "try-on job"
        indexes = [
            models.Index(fields=["owner", "status"], name="tryon_job_owner_status_idx"),
            models.Index(fields=["status"], name="tryon_job_status_idx"),
            models.Index(fields=["status", "priority", "created_at"], name="tryon_job_queue_idx"),
            models.Index(fields=["owner", "photo", "product_image", "status"], name="tryon_job_pair_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(progress__gte=0) & models.Q(progress__lte=1), name="tryon_job_progress_0_to_1"
            ),
        ]

    def __str__(self) -> str:
        return f"Try-on {self.pk} ({self.status})"

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_STATUSES
