"""Submitting, claiming, retrying, failing and deleting try-on jobs; retention and account deletion."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import storages
from django.core.management import call_command
from django.utils import timezone

from accounts.services import delete_account
from revetir.testing.factories import make_user
from revetir.testing.tryon_data import astronaut_upload, make_tryon_product
from tryon import services
from tryon.jobs import dispatch, state
from tryon.jobs.submit import TryOnBusyError, submit_job
from tryon.models import JobStatus, PersonPhoto, TryOnJob
from tryon.storage import save_private_file


def submit(user, product=None, photo=None):
    product = product or make_tryon_product()
    photo = photo or services.save_person_photo(user=user, upload=astronaut_upload())
    return submit_job(user=user, photo=photo, product_image=product.images.get(is_primary=True))


@pytest.mark.django_db
def test_submit_queues_the_job_and_dispatches_it(dispatched):
    user = make_user()
    job = submit(user)
    assert job.status == JobStatus.QUEUED
    assert job.owner == user
    assert dispatched == [job.pk]


@pytest.mark.django_db
def test_the_same_photo_and_garment_while_a_job_is_live_returns_that_job(dispatched):
    user = make_user()
    first = submit(user)
    again = submit_job(user=user, photo=first.photo, product_image=first.product_image)
    assert again.pk == first.pk
    assert TryOnJob.objects.count() == 1
    assert dispatched == [first.pk]


@pytest.mark.django_db
def test_someone_elses_photo_cannot_be_used(dispatched):
    owner, other = make_user(), make_user()
    photo = services.save_person_photo(user=owner, upload=astronaut_upload())
    product = make_tryon_product()
    with pytest.raises(ValidationError):
        submit_job(user=other, photo=photo, product_image=product.images.get())
    assert not TryOnJob.objects.exists()


@pytest.mark.django_db
def test_rate_limit_refuses_with_seconds_to_wait_and_queues_nothing(settings, dispatched):
    settings.TRYON_RATE_LIMIT_PER_MINUTE = 2
    user = make_user()
    photo = services.save_person_photo(user=user, upload=astronaut_upload())
    submit(user, photo=photo)
    submit(user, photo=photo)
    with pytest.raises(TryOnBusyError) as caught:
        submit(user, photo=photo)
    assert 1 <= caught.value.retry_after <= 60
    assert f"try again in {caught.value.retry_after} seconds" in str(caught.value)
    assert TryOnJob.objects.count() == 2
    assert len(dispatched) == 2
    # Another shopper is not limited by this one.
    assert submit(make_user()).status == JobStatus.QUEUED


@pytest.mark.django_db
def test_queue_bound_refuses_everyone_while_the_queue_is_full(settings, dispatched):
    settings.TRYON_MAX_QUEUED_JOBS = 1
    settings.TRYON_BUSY_RETRY_SECONDS = 20
    submit(make_user())
    with pytest.raises(TryOnBusyError) as caught:
        submit(make_user())
    assert caught.value.retry_after == 20
    assert "busy" in str(caught.value)
    assert TryOnJob.objects.count() == 1


@pytest.mark.django_db
def test_a_job_is_claimed_by_exactly_one_worker_and_the_try_is_counted(dispatched):
    job = submit(make_user())
    assert state.claim_job(job_id=job.pk, worker="a") is True
    assert state.claim_job(job_id=job.pk, worker="b") is False
    job.refresh_from_db()
    assert (job.status, job.worker, job.attempts) == (JobStatus.RUNNING, "a", 1)
    assert job.started_at is not None and job.heartbeat_at is not None


@pytest.mark.django_db
def test_claim_next_takes_the_oldest_queued_job_when_the_preferred_one_is_gone(dispatched):
    user = make_user()
    first, second = submit(user), submit(user)
    state.claim_job(job_id=second.pk, worker="other")
    claimed = state.claim_next_job(worker="me", preferred_job_id=second.pk)
    assert claimed.pk == first.pk
    assert state.claim_next_job(worker="me") is None


def stop_beating(job, *, seconds: int) -> None:
    TryOnJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(seconds=seconds))


@pytest.mark.django_db
def test_a_job_whose_worker_stopped_beating_is_queued_again_once_and_dispatched(settings, dispatched):
    settings.TRYON_HEARTBEAT_LIMIT_SECONDS = 30
    job = submit(make_user())
    state.claim_job(job_id=job.pk, worker="dead")
    stop_beating(job, seconds=31)

    assert state.sweep_stale_jobs().failed == []

    job.refresh_from_db()
    assert (job.status, job.worker, job.attempts, job.heartbeat_at) == (JobStatus.QUEUED, "", 1, None)
    assert dispatched == [job.pk, job.pk]
    assert state.sweep_stale_jobs().failed == []  # a second sweep finds nothing more to do
    assert dispatched == [job.pk, job.pk]


@pytest.mark.django_db
def test_a_job_whose_worker_stopped_on_its_second_try_fails_with_a_message(settings, dispatched):
    settings.TRYON_HEARTBEAT_LIMIT_SECONDS = 30
    job = submit(make_user())
    for worker in ("first", "second"):
        assert state.claim_job(job_id=job.pk, worker=worker)
        stop_beating(job, seconds=31)
        failed = state.sweep_stale_jobs().failed

    assert [stale.pk for stale in failed] == [job.pk]
    job.refresh_from_db()
    assert (job.status, job.attempts) == (JobStatus.FAILED, 2)
    assert job.error == "The try-on worker stopped twice on this picture; please try again."
    # The shopper may retry: the same photo and garment queue a fresh job.
    retry = submit_job(user=job.owner, photo=job.photo, product_image=job.product_image)
    assert retry.pk != job.pk and retry.status == JobStatus.QUEUED


@pytest.mark.django_db
def test_a_worker_taken_for_dead_can_no_longer_record_beat_or_finish_the_job(settings, dispatched):
    settings.TRYON_HEARTBEAT_LIMIT_SECONDS = 30
    job = submit(make_user())
    state.claim_job(job_id=job.pk, worker="slow")
    stop_beating(job, seconds=31)
    state.sweep_stale_jobs()
    state.claim_job(job_id=job.pk, worker="second")

    assert state.beat(job_id=job.pk, worker="slow") is False
    assert state.record_stage(job_id=job.pk, stage="warping", progress=0.5, worker="slow") is False
    assert state.fail_job(job_id=job.pk, worker="slow", message="late failure") is None
    job.refresh_from_db()
    assert (job.status, job.worker, job.error) == (JobStatus.RUNNING, "second", "")


@pytest.mark.django_db
def test_a_fresh_heartbeat_keeps_a_running_job_alive(dispatched):
    job = submit(make_user())
    state.claim_job(job_id=job.pk, worker="alive")
    assert state.sweep_stale_jobs().failed == []
    assert state.beat(job_id=job.pk, worker="alive") is True
    job.refresh_from_db()
    assert job.status == JobStatus.RUNNING


@pytest.mark.django_db
def test_a_worker_start_sends_every_queued_job_again(dispatched):
    user = make_user()
    first, second = submit(user), submit(user)
    state.claim_job(job_id=second.pk, worker="busy")
    third = submit(user)
    dispatched.clear()

    assert dispatch.redispatch_queued_jobs() == 2
    assert dispatched == [first.pk, third.pk]


@pytest.mark.django_db
def test_a_job_no_worker_picks_up_fails_after_the_queue_limit(settings, dispatched):
    settings.TRYON_QUEUED_LIMIT_SECONDS = 60
    job = submit(make_user())
    TryOnJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(seconds=61))
    state.sweep_stale_jobs()
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert "No try-on worker" in job.error


@pytest.mark.django_db
def test_deleting_a_photo_removes_its_jobs_and_every_stored_file(dispatched):
    user = make_user()
    job = submit(user)
    result = save_private_file(folder="results", extension="jpg", content=b"result")
    TryOnJob.objects.filter(pk=job.pk).update(status=JobStatus.DONE, result_name=result)
    storage = storages["private"]
    assert storage.exists(job.photo.file_name) and storage.exists(result)

    services.delete_person_photo(photo=job.photo)

    assert not PersonPhoto.objects.exists() and not TryOnJob.objects.exists()
    assert not storage.exists(job.photo.file_name)
    assert not storage.exists(result)


@pytest.mark.django_db
def test_purge_command_removes_photos_and_jobs_older_than_the_given_days(dispatched):
    user = make_user()
    old_job = submit(user)
    # A different picture: the same one again would be the same stored photo.
    recent_photo = services.save_person_photo(user=user, upload=astronaut_upload(mirrored=True))
    recent_job = submit(user, photo=recent_photo)
    old_photo = old_job.photo
    PersonPhoto.objects.filter(pk=old_photo.pk).update(created_at=timezone.now() - timedelta(days=8))
    TryOnJob.objects.filter(pk=old_job.pk).update(created_at=timezone.now() - timedelta(days=8))

    call_command("purge_tryon_data", "--older-than", "7")

    assert not PersonPhoto.objects.filter(pk=old_photo.pk).exists()
    assert not storages["private"].exists(old_photo.file_name)
    assert list(TryOnJob.objects.values_list("pk", flat=True)) == [recent_job.pk]
    assert storages["private"].exists(recent_job.photo.file_name)


@pytest.mark.django_db
def test_deleting_the_account_removes_all_its_photos_and_results(dispatched):
    user, other = make_user(), make_user()
    job = submit(user)
    others_job = submit(other)

    delete_account(user=user)

    assert not PersonPhoto.objects.filter(pk=job.photo_id).exists()
    assert not storages["private"].exists(job.photo.file_name)
    assert TryOnJob.objects.filter(pk=others_job.pk).exists()
    assert storages["private"].exists(others_job.photo.file_name)


@pytest.mark.django_db
def test_deleting_a_product_also_deletes_the_result_pictures_of_its_try_ons(dispatched):
    job = submit(make_user())
    result = save_private_file(folder="results", extension="jpg", content=b"result")
    TryOnJob.objects.filter(pk=job.pk).update(status=JobStatus.DONE, result_name=result)

    job.product.delete()

    assert not TryOnJob.objects.exists()
    assert not storages["private"].exists(result)
    assert storages["private"].exists(job.photo.file_name)  # the photo is the shopper's, not the product's
