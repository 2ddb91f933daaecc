"""`manage.py tryon_queue`: what an operator reads about the try-on queue, as text and JSON."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from revetir.testing.factories import make_user
from revetir.testing.tryon_data import astronaut_upload, make_tryon_product
from tryon import services
from tryon.jobs import state, submit
from tryon.models import TryOnJob


def queue_report(*args: str) -> str:
    out = io.StringIO()
    call_command("tryon_queue", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_the_command_reports_jobs_per_state_and_the_oldest_queued_jobs_age(dispatched):
    owner = make_user()
    photo = services.save_person_photo(user=owner, upload=astronaut_upload())
    submitted = [
        submit.submit_job(user=owner, photo=photo, product_image=make_tryon_product().images.get()) for _ in range(3)
    ]
    state.claim_job(job_id=submitted[0].pk, worker="w")
    state.fail_job(job_id=submitted[0].pk, message="broken")
    TryOnJob.objects.filter(pk=submitted[1].pk).update(created_at=timezone.now() - timedelta(minutes=10))

    report = json.loads(queue_report("--json"))
    text = queue_report()

    assert report["jobs_per_state"] == {"queued": 2, "running": 0, "done": 0, "failed": 1}
    assert 600 <= report["oldest_queued_seconds"] < 660
    assert (report["worker"], report["queue"], report["broker_messages"]) == ("thread", "tryon", None)
    assert "run by the in-process worker" in text
    assert "queued: 2  running: 0  done: 0  failed: 1" in text
    assert "oldest queued job: 6" in text  # 600-odd seconds


@pytest.mark.django_db
def test_an_empty_queue_says_none_is_queued():
    assert "oldest queued job: none queued" in queue_report()
    assert json.loads(queue_report("--json"))["oldest_queued_seconds"] is None
