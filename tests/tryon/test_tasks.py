"""A Celery message is a turn to run the next queued job by priority, single try-ons before page
batches, never a job twice (`tryon.tasks.run_next_queued_job`, `tryon.jobs.runner.run_next_queued_job`).
The broker is left out here; tests/tryon/test_celery_workers.py runs real workers."""

from __future__ import annotations

import pytest

from revetir.testing.factories import make_user
from revetir.testing.tryon_data import astronaut_upload, make_tryon_product
from tests.tryon.helpers import ScriptedEngine
from tryon import services, tasks
from tryon.jobs import runner, submit
from tryon.models import JobStatus, TryOnJob


@pytest.fixture
def photo_of_shopper(monkeypatch, dispatched):
    monkeypatch.setattr(runner, "load_engine", ScriptedEngine)
    user = make_user()
    return user, services.save_person_photo(user=user, upload=astronaut_upload())


def garment():
    return make_tryon_product().images.get()


def last_started() -> object:
    return TryOnJob.objects.order_by("-started_at").values_list("pk", flat=True).first()


@pytest.mark.django_db
def test_a_repeated_message_takes_the_turn_of_a_queued_job_and_runs_no_job_twice(photo_of_shopper):
    user, photo = photo_of_shopper
    first = submit.submit_job(user=user, photo=photo, product_image=garment())
    second = submit.submit_job(user=user, photo=photo, product_image=garment())
    assert tasks.run_next_queued_job(str(first.pk)) is True and last_started() == first.pk

    assert tasks.run_next_queued_job(str(first.pk)) is True  # redelivered: its job is done, the next one runs
    assert last_started() == second.pk
    assert tasks.run_next_queued_job(str(second.pk)) is False  # the second job's own message finds nothing left

    assert list(TryOnJob.objects.order_by("id").values_list("status", "attempts")) == [(JobStatus.DONE, 1)] * 2


@pytest.mark.django_db
def test_a_single_try_on_goes_before_the_page_batch_whose_messages_came_first(photo_of_shopper):
    user, photo = photo_of_shopper
    page = submit.submit_page(user=user, photo=photo, product_images=[garment() for _ in range(3)]).jobs
    single = submit.submit_job(user=user, photo=photo, product_image=garment())

    ran = []
    for job in [*page, single]:  # the broker hands the messages over in the order they were sent
        assert tasks.run_next_queued_job(str(job.pk)) is True
        ran.append(last_started())

    assert ran == [single.pk, page[0].pk, page[1].pk, page[2].pk]
    assert set(TryOnJob.objects.values_list("status", flat=True)) == {JobStatus.DONE}
