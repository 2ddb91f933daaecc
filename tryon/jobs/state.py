"""A try-on job's state machine: the one module that changes a `TryOnJob`'s state and tells the
owner's browsers about it (through `tryon.jobs.messages`).

    queued ──claim──> running ──complete──> done
       ^                 │ └────fail──────> failed
       └──retry (worker──┘                    ^
          stopped, first try)   second try ───┘

Every transition is one conditional update on the current state, checked by its row count (no
transactions, no row locks), so the same code is correct on MongoDB, two workers can never both
run a job, and two sweepers never both retry or fail one. Each change is published to the owner's
browsers. A `job_id` is the key as the database gives it: an integer on SQLite, an ObjectId on
MongoDB.

Transitions: submit (`queue_job`, and `choose_page_job` for a page job asked for on its own), claim
(`claim_job`, `claim_next_job`), stage (`reach_stage`), heartbeat (`beat`), done (`complete_job`),
failed (`fail_job`), retried and swept (`sweep_stale_jobs`, which hands the jobs it queued again to
`tryon.jobs.dispatch`).
"""

from __future__ import annotations

import io
import logging
import os
import socket
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db.models import F
from django.utils import timezone
from PIL import Image

from tryon.jobs import dispatch
from tryon.jobs.messages import publish_job
from tryon.models import LIVE_STATUSES, JobPriority, JobStatus, TryOnJob
from tryon.storage import delete_private_files, save_private_file

logger = logging.getLogger(__name__)

WORKER_STOPPED_MESSAGE = "The try-on worker stopped twice on this picture; please try again."
NO_WORKER_MESSAGE = "No try-on worker picked this up in time; please try again later."
RESULT_JPEG_QUALITY = 90
# A sweep looks at this many stale jobs of each kind; the next sweep takes the rest.
STALE_SCAN_LIMIT = 100


@dataclass(frozen=True)
class JobOutcome:
    """What a finished engine run hands to `complete_job`: the full result and its card picture
    (`tryon.pipeline.card_picture`, stored as the job's small result)."""

    image: Image.Image
    image_small: Image.Image
    engine: str
    timings: dict[str, float]
    engine_identity: str = ""  # with the image file, what a cached result must match
    garment_image_name: str = ""


@dataclass
class SweepResult:
    """What one sweep changed: jobs put back in the queue (to dispatch again) and jobs failed."""

    requeued: list[object] = field(default_factory=list)
    failed: list[TryOnJob] = field(default_factory=list)


def worker_name() -> str:
    """This process as a job's `worker` field shows it: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"


def queue_job(*, owner: object, photo: object, product_image: object, priority: int) -> TryOnJob:
    """A new job in state `queued` (submit). The caller dispatches it."""
    return TryOnJob.objects.create(
        owner=owner, photo=photo, product=product_image.product, product_image=product_image, priority=priority
    )


def choose_page_job(job: TryOnJob) -> TryOnJob:
    """A page job ("See it on me") the shopper now asks for on its own becomes a single try-on: it
    joins "Your try-ons" and the staff report, and a queued one moves ahead of page batches. One
    conditional update on the page priority, so asking twice changes it once."""
    if job.priority == JobPriority.PAGE:
        TryOnJob.objects.filter(pk=job.pk, priority=JobPriority.PAGE).update(priority=JobPriority.SINGLE)
        job.priority = JobPriority.SINGLE
    return job


def publish_again(job: TryOnJob) -> None:
    """Tell the owner's browsers a job's state once more (a finished pair asked for again)."""
    publish_job(job)


def claim_job(*, job_id: object, worker: str) -> bool:
    """queued → running for `worker`, counting the attempt. True for exactly one caller per job."""
    now = timezone.now()
    claimed = TryOnJob.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING,
        started_at=now,
        heartbeat_at=now,
        worker=worker,
        stage="",
        progress=0.0,
        attempts=F("attempts") + 1,
    )
    return claimed == 1


def claim_next_job(*, worker: str, preferred_job_id: object | None = None) -> TryOnJob | None:
    """Claim the next queued job: single try-ons before page batches, oldest first within each;
    `preferred_job_id` (the job a wake-up named) only when nothing ranks before it. None when none is left.
    The claimed job is published (running, no stage yet)."""
    if preferred_job_id is not None:
        preferred = TryOnJob.objects.filter(pk=preferred_job_id, status=JobStatus.QUEUED).values("priority").first()
        waiting_before = preferred is not None and (
            TryOnJob.objects.filter(status=JobStatus.QUEUED, priority__lt=preferred["priority"]).exists()
        )
        if preferred is not None and not waiting_before and claim_job(job_id=preferred_job_id, worker=worker):
            return _published(preferred_job_id)
    while True:
        candidate = (
            TryOnJob.objects.filter(status=JobStatus.QUEUED)
            .order_by("priority", "created_at", "id")
            .values_list("pk", flat=True)
        ).first()
        if candidate is None:
            return None
        if claim_job(job_id=candidate, worker=worker):
            return _published(candidate)


def record_stage(*, job_id: object, stage: str, progress: float, worker: str) -> bool:
    """Save the stage a running job reached. False when the job is no longer this worker's
    (deleted, failed, or retried elsewhere after this worker was taken for dead): stop."""
    progress = min(max(progress, 0.0), 1.0)
    updated = TryOnJob.objects.filter(pk=job_id, status=JobStatus.RUNNING, worker=worker).update(
        stage=stage, progress=progress, heartbeat_at=timezone.now()
    )
    return updated == 1


def reach_stage(*, job: TryOnJob, stage: str, progress: float, engine: str) -> bool:
    """Record the stage `job` (claimed by this process, `job.worker`) reached with `engine`, and
    publish it. False when the job is no longer this worker's: stop."""
    if not record_stage(job_id=job.pk, stage=stage, progress=progress, worker=job.worker):
        return False
    job.status, job.stage, job.progress, job.engine = JobStatus.RUNNING, stage, progress, engine
    publish_job(job)
    return True


def beat(*, job_id: object, worker: str) -> bool:
    """Refresh a running job's heartbeat. False when the job is no longer this worker's."""
    updated = TryOnJob.objects.filter(pk=job_id, status=JobStatus.RUNNING, worker=worker).update(
        heartbeat_at=timezone.now()
    )
    return updated == 1


def complete_job(*, job_id: object, worker: str, outcome: JobOutcome) -> TryOnJob | None:
    """running → done with the stored result images. Returns None (and keeps no files) when the
    job stopped being this worker's meanwhile."""
    full_name = save_private_file(folder="results", extension="jpg", content=_jpeg(outcome.image))
    try:
        small_name = save_private_file(folder="results", extension="jpg", content=_jpeg(outcome.image_small))
    except Exception:
        delete_private_files(full_name)
        raise
    now = timezone.now()
    updated = TryOnJob.objects.filter(pk=job_id, status=JobStatus.RUNNING, worker=worker).update(
        status=JobStatus.DONE,
        stage="",
        progress=1.0,
        engine=outcome.engine,
        engine_identity=outcome.engine_identity,
        garment_image_name=outcome.garment_image_name,
        timings=outcome.timings,
        result_name=full_name,
        result_small_name=small_name,
        finished_at=now,
        heartbeat_at=now,
    )
    if updated != 1:
        delete_private_files(full_name, small_name)
        return None
    return _published(job_id)


def fail_job(
    *, job_id: object, message: str, worker: str | None = None, engine: str = "", timings: dict | None = None
) -> TryOnJob | None:
    """A live job → failed with a message for the shopper. With `worker`, only while the job is
    still that worker's run; None when nothing changed."""
    changes: dict = {"status": JobStatus.FAILED, "error": message, "finished_at": timezone.now()}
    if engine:
        changes["engine"] = engine
    if timings is not None:
        changes["timings"] = timings
    jobs = TryOnJob.objects.filter(pk=job_id, status__in=LIVE_STATUSES)
    if worker is not None:
        jobs = jobs.filter(status=JobStatus.RUNNING, worker=worker)
    if jobs.update(**changes) != 1:
        return None
    return _published(job_id)


def sweep_stale_jobs(*, owner_id: object | None = None, redispatch: bool = True) -> SweepResult:
    """Retry or fail running jobs whose worker stopped beating; fail queued jobs no worker took.

    A running job past the heartbeat limit goes back to the queue while it has had fewer than
    TRYON_MAX_ATTEMPTS tries, else it fails with a message. The requeued jobs are dispatched again
    unless `redispatch` is off (the in-process worker, which runs them itself next).

    Runs on a timer in every Celery worker and in the idle in-process worker, before a submit, and
    from the websocket of a shopper watching a live job. Safe to run from any number of processes at
    once: each change is conditional on the
    state and attempt count the sweep saw, so it happens once.
    """
    now = timezone.now()
    heartbeat_cutoff = now - timedelta(seconds=settings.TRYON_HEARTBEAT_LIMIT_SECONDS)
    queued_cutoff = now - timedelta(seconds=settings.TRYON_QUEUED_LIMIT_SECONDS)
    jobs = TryOnJob.objects.all() if owner_id is None else TryOnJob.objects.filter(owner_id=owner_id)
    stale_running = list(
        jobs.filter(status=JobStatus.RUNNING, heartbeat_at__lt=heartbeat_cutoff).values_list("pk", "attempts")[
            :STALE_SCAN_LIMIT
        ]
    )
    stale_queued = list(
        jobs.filter(status=JobStatus.QUEUED, created_at__lt=queued_cutoff).values_list("pk", flat=True)[
            :STALE_SCAN_LIMIT
        ]
    )
    result = SweepResult()
    failed_ids = []
    for job_id, attempts in stale_running:
        still_stale = TryOnJob.objects.filter(
            pk=job_id, status=JobStatus.RUNNING, heartbeat_at__lt=heartbeat_cutoff, attempts=attempts
        )
        if attempts < settings.TRYON_MAX_ATTEMPTS:
            if still_stale.update(status=JobStatus.QUEUED, worker="", stage="", progress=0.0, heartbeat_at=None):
                logger.warning("Try-on job %s: worker stopped on try %s; queued again", job_id, attempts)
                result.requeued.append(job_id)
        elif still_stale.update(status=JobStatus.FAILED, error=WORKER_STOPPED_MESSAGE, finished_at=now):
            failed_ids.append(job_id)
    for job_id in stale_queued:
        if TryOnJob.objects.filter(pk=job_id, status=JobStatus.QUEUED, created_at__lt=queued_cutoff).update(
            status=JobStatus.FAILED, error=NO_WORKER_MESSAGE, finished_at=now
        ):
            failed_ids.append(job_id)
    changed_ids = [*result.requeued, *failed_ids]
    for job in TryOnJob.objects.filter(pk__in=changed_ids) if changed_ids else []:
        if job.status == JobStatus.FAILED:
            logger.warning("Try-on job %s failed as stale: %s", job.pk, job.error)
            result.failed.append(job)
        publish_job(job)
    if redispatch:
        dispatch.dispatch_each(result.requeued)
    return result


def _published(job_id: object) -> TryOnJob:
    job = TryOnJob.objects.get(pk=job_id)
    publish_job(job)
    return job


def _jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="JPEG", quality=RESULT_JPEG_QUALITY)
    return buffer.getvalue()
