"""Try-on jobs on Celery workers: real `celery -A revetir worker` processes against this machine's
Redis (REVETIR_TEST_REDIS_URL, default redis://127.0.0.1:6379/13) and RabbitMQ
(REVETIR_TEST_RABBITMQ_URL, default amqp://guest:guest@127.0.0.1:5672//), sharing a file SQLite
database with `manage.py shell` calls. Each test has its own queue and broker key prefix.

The workers run light stand-in engines (revetir/testing/stand_in_engines.py): what is tested is the
queue, not the picture.
"""

from __future__ import annotations

import json
import time

import pytest
import redis
from kombu import Connection

from revetir.testing.processes import (
    HEARTBEAT_LIMIT_SECONDS,
    RABBITMQ_URL,
    REDIS_URL,
    Stack,
    kill,
    rabbitmq_reachable,
    redis_reachable,
)

pytestmark = pytest.mark.skipif(
    not redis_reachable(),
    reason=f"Redis is not reachable at {REDIS_URL}; the Celery worker tests need it "
    "(start redis-server or set REVETIR_TEST_REDIS_URL)",
)

WAIT_SECONDS = 90

BROKERS = [
    pytest.param(REDIS_URL, id="redis"),
    pytest.param(
        RABBITMQ_URL,
        id="rabbitmq",
        marks=pytest.mark.skipif(
            not rabbitmq_reachable(),
            reason=f"RabbitMQ is not reachable at {RABBITMQ_URL} (start rabbitmq-server or set "
            "REVETIR_TEST_RABBITMQ_URL)",
        ),
    ),
]

BACKDATE = """
import json
from datetime import timedelta
from django.utils import timezone
from tryon.models import TryOnJob
print(json.dumps(TryOnJob.objects.filter(pk={job}).update(created_at=timezone.now() - timedelta(seconds={seconds}))))
"""

DISPATCH = """
import json
from tryon.jobs import dispatch
dispatch.dispatch_job({job})
print(json.dumps(True))
"""

PURGE = """
import json
from revetir.celery import app
print(json.dumps(app.control.purge()))
"""

STALE_RUNNING = """
import json
from datetime import timedelta
from django.utils import timezone
from tryon.models import TryOnJob
long_ago = timezone.now() - timedelta(minutes=5)
print(json.dumps(TryOnJob.objects.filter(pk={job}).update(
    status="running", worker="lost-host:1", stage="warping", started_at=long_ago, heartbeat_at=long_ago,
    attempts={attempts},
)))
"""


@pytest.fixture
def make_stack(tmp_path_factory):
    stacks: list[Stack] = []

    def make(broker_url: str = REDIS_URL) -> Stack:
        stack = Stack(tmp_path_factory.mktemp("celery"), broker_url=broker_url)
        stack.migrate_and_set_up_shopper()
        stacks.append(stack)
        return stack

    yield make
    for stack in stacks:
        stack.close()
        forget_broker_state(stack)


def forget_broker_state(stack: Stack) -> None:
    """Remove this stack's queue and keys from the shared brokers."""
    if stack.env["REVETIR_BROKER_URL"].startswith("amqp"):
        with Connection(stack.env["REVETIR_BROKER_URL"]) as connection:
            channel = connection.channel()
            channel.queue_delete(stack.queue)
            channel.exchange_delete(stack.queue)
        return
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(match=f"{stack.env['REVETIR_BROKER_KEY_PREFIX']}*"):
        client.delete(key)


def submit(stack: Stack, product_index: int) -> int:
    return stack.submit(product_index)


def wait_for(stack: Stack, job_ids: list[int], condition: str, seconds: int = WAIT_SECONDS) -> list[dict]:
    return stack.wait_for(job_ids, condition, seconds=seconds)


def backdate(stack: Stack, job_id: int, *, seconds: int) -> None:
    assert stack.shell(BACKDATE.format(job=job_id, seconds=seconds)) == 1


@pytest.mark.parametrize("broker_url", BROKERS)
def test_jobs_submitted_while_no_worker_runs_are_run_when_one_starts(make_stack, broker_url):
    stack = make_stack(broker_url)
    lost_message = submit(stack, 0)
    assert stack.shell(PURGE) == 1  # its message is gone, as after a broker restart without persistence
    old = submit(stack, 1)
    backdate(stack, old, seconds=11 * 60)  # submitted eleven minutes before any worker starts
    time.sleep(2)
    assert [job["status"] for job in wait_for(stack, [lost_message, old], "True", seconds=0)] == ["queued"] * 2

    stack.start_worker("worker", "quick")

    jobs = wait_for(stack, [lost_message, old], 'job["status"] == "done"')
    assert [(job["status"], job["attempts"]) for job in jobs] == [("done", 1), ("done", 1)], stack.all_logs()
    assert len(stack.engine_runs()) == 2


@pytest.mark.parametrize("broker_url", BROKERS)
def test_a_job_whose_worker_is_killed_mid_job_is_run_once_more_by_another_worker(make_stack, broker_url):
    stack = make_stack(broker_url)
    doomed = stack.start_worker("doomed", "stalling")
    job_id = submit(stack, 0)
    [running] = wait_for(stack, [job_id], 'job["stage"] == "segmenting"')
    assert running["status"] == "running", stack.all_logs()

    kill(doomed)
    stack.start_worker("rescuer", "quick")

    [job] = wait_for(stack, [job_id], 'job["status"] in ("done", "failed")', seconds=HEARTBEAT_LIMIT_SECONDS + 60)
    assert (job["status"], job["attempts"], job["engine"]) == ("done", 2, "stand-in"), stack.all_logs()
    assert job["worker"] != running["worker"]
    stalled_pid, rescuer_pid = stack.engine_runs()
    assert running["worker"].endswith(f":{stalled_pid}")
    assert job["worker"].endswith(f":{rescuer_pid}")


def test_a_job_delivered_three_times_to_two_workers_runs_once(make_stack):
    stack = make_stack()
    stack.start_worker("first", "slow")
    stack.start_worker("second", "slow")
    job_id = submit(stack, 0)
    stack.shell(DISPATCH.format(job=job_id))
    stack.shell(DISPATCH.format(job=job_id))

    [job] = wait_for(stack, [job_id], 'job["status"] == "done"')
    deadline = time.monotonic() + 30
    while stack.all_logs().count("message dropped") < 2 and time.monotonic() < deadline:
        time.sleep(0.3)

    assert (job["status"], job["attempts"]) == ("done", 1), stack.all_logs()
    assert len(stack.engine_runs()) == 1
    assert stack.all_logs().count("message dropped") == 2


def test_the_workers_sweeper_retries_or_fails_stale_jobs_without_any_page_being_read(make_stack):
    stack = make_stack()
    first_try, second_try = submit(stack, 0), submit(stack, 1)
    stack.start_worker("worker", "quick")
    wait_for(stack, [first_try, second_try], 'job["status"] == "done"')
    # Both jobs look as if a worker died on them five minutes ago: one on its first try, one on its second.
    for job_id, attempts in ((first_try, 1), (second_try, 2)):
        assert stack.shell(STALE_RUNNING.format(job=job_id, attempts=attempts)) == 1

    first, second = wait_for(stack, [first_try, second_try], 'job["status"] in ("done", "failed")')

    assert (first["status"], first["attempts"]) == ("done", 2), stack.all_logs()
    assert (second["status"], second["attempts"]) == ("failed", 2)
    assert second["error"] == "The try-on worker stopped twice on this picture; please try again."


def test_the_operator_command_reports_the_queue_of_a_stack_without_workers(make_stack):
    stack = make_stack()
    submit(stack, 0)
    submit(stack, 1)

    report = json.loads(stack.run("manage.py", "tryon_queue", "--json"))

    assert report["jobs_per_state"]["queued"] == 2
    assert report["broker_messages"] == 2
    assert report["oldest_queued_seconds"] >= 0
    assert report["queue"] == stack.queue


SUBMIT_PAGE = """
import json
from shop.models import ProductImage
from tryon.jobs import submit
from tryon.models import PersonPhoto
photo = PersonPhoto.objects.get(pk={photo})
images = [ProductImage.objects.get(product_id=product, is_primary=True) for product in {products}]
print(json.dumps([job.pk for job in submit.submit_page(user=photo.owner, photo=photo, product_images=images).jobs]))
"""

STARTED_IN_ORDER = """
import json
from tryon.models import TryOnJob
print(json.dumps(list(TryOnJob.objects.filter(pk__in={ids}).order_by("started_at").values_list("pk", flat=True))))
"""


def test_a_single_try_on_submitted_behind_a_page_batch_runs_first_on_a_celery_worker(make_stack):
    stack = make_stack()
    products = stack.shopper["products"]
    page = stack.shell(SUBMIT_PAGE.format(photo=stack.shopper["photo"], products=products[1:]))
    single = submit(stack, 0)  # its message is behind the page's in the broker

    stack.start_worker("worker", "quick")

    jobs = wait_for(stack, [*page, single], 'job["status"] == "done"')
    assert {job["status"] for job in jobs} == {"done"}, stack.all_logs()
    assert stack.shell(STARTED_IN_ORDER.format(ids=[*page, single])) == [single, *page]
