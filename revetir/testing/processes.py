"""Real processes for the scale-out tests and `bench/tryon_queue_bench.py`: a temporary database and
media shared by Daphne, Celery workers and `manage.py shell` calls, against this machine's Redis and
RabbitMQ.

Each stack gets its own queue name and broker key prefix, so runs of other people on the same Redis
or RabbitMQ never see its messages.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse

PROJECT_ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("REVETIR_TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
RABBITMQ_URL = os.environ.get("REVETIR_TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672//")
# Beats come every second; the limit leaves room for a loaded 2-core machine without slowing the
# killed-worker tests much.
HEARTBEAT_LIMIT_SECONDS = 6
WORKER_READY_SECONDS = 90
# Gossip, mingle and worker heartbeats only tell other workers about this one; the tests need none.
QUIET_WORKER = [
    "--concurrency",
    "1",
    "--loglevel",
    "INFO",
    "--without-gossip",
    "--without-mingle",
    "--without-heartbeat",
]

SETUP_SCRIPT = """
import json
from django.test import Client
from rest_framework.authtoken.models import Token
from revetir.testing.factories import make_user
from revetir.testing.tryon_data import astronaut_upload, make_tryon_product
from tryon import services
user = make_user()
client = Client()
client.force_login(user)
print(json.dumps({
    "token": Token.objects.create(user=user).key,
    "session": client.cookies["sessionid"].value,
    "photo": services.save_person_photo(user=user, upload=astronaut_upload()).pk,
    "products": [make_tryon_product().pk for _ in range(4)],
}))
"""

SUBMIT = """
import json
from accounts.models import User
from shop.models import ProductImage
from tryon.jobs import submit
from tryon.models import PersonPhoto
photo = PersonPhoto.objects.get(pk={photo})
image = ProductImage.objects.get(product_id={product}, is_primary=True)
print(json.dumps(submit.submit_job(user=photo.owner, photo=photo, product_image=image).pk))
"""

# Waits inside one shell (one Django start) until every job matches, then prints their states.
WAIT_FOR = """
import json, time
from tryon.models import TryOnJob
fields = ("pk", "status", "stage", "attempts", "worker", "error", "engine")
deadline = time.monotonic() + {seconds}
while True:
    jobs = {{job["pk"]: job for job in TryOnJob.objects.filter(pk__in={ids}).values(*fields)}}
    if all({condition} for job in jobs.values()) or time.monotonic() > deadline:
        break
    time.sleep(0.3)
print(json.dumps([jobs[pk] for pk in {ids}]))
"""


def reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout=1):
            return True
    except OSError:
        return False


def redis_reachable() -> bool:
    return reachable(REDIS_URL, 6379)


def rabbitmq_reachable() -> bool:
    return reachable(RABBITMQ_URL, 5672)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop(process: subprocess.Popen) -> None:
    """Stop a process and everything it started (Celery's pool processes): TERM, then KILL."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        kill(process)


def kill(process: subprocess.Popen) -> None:
    """kill -9 a process with all its children, as a machine or container dying would."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    process.wait()


class Stack:
    """Database, media, broker queue and channel layer shared by the processes of one test."""

    def __init__(self, tmp: Path, *, broker_url: str | None = None) -> None:
        self.tmp = tmp
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.queue = f"tryon-test-{uuid.uuid4().hex[:12]}"
        self.runs_file = tmp / "engine-runs.txt"
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "revetir.settings",
            "REVETIR_DEBUG": "1",
            "REVETIR_REDIS_URL": REDIS_URL,
            "REVETIR_BROKER_URL": broker_url or REDIS_URL,
            "REVETIR_BROKER_KEY_PREFIX": f"{self.queue}:",
            "REVETIR_TRYON_QUEUE": self.queue,
            "REVETIR_SQLITE_PATH": str(tmp / "db.sqlite3"),
            "REVETIR_MEDIA_ROOT": str(tmp / "media"),
            "REVETIR_PRIVATE_MEDIA_ROOT": str(tmp / "private"),
            "REVETIR_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "REVETIR_TRYON_HEARTBEAT_SECONDS": "1",
            "REVETIR_TRYON_HEARTBEAT_LIMIT_SECONDS": str(HEARTBEAT_LIMIT_SECONDS),
            "REVETIR_TRYON_SWEEP_SECONDS": "1",
            "REVETIR_TRYON_RATE_LIMIT_PER_MINUTE": "100",
            # Only job messages on the queue, so the tests can count them; preparing photos and
            # product images in the background is tested in tests/tryon/test_preparations.py.
            "REVETIR_TRYON_PREPARE_IN_BACKGROUND": "0",
            "REVETIR_TEST_ENGINE_RUNS": str(self.runs_file),
        }
        self.processes: list[subprocess.Popen] = []
        self.logs: dict[str, Path] = {}

    def migrate_and_set_up_shopper(self) -> dict:
        self.run("manage.py", "migrate", "--noinput")
        self.shopper = self.shell(SETUP_SCRIPT)
        return self.shopper

    def run(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, *args], cwd=PROJECT_ROOT, env=self.env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def shell(self, code: str) -> object:
        """Run Python in a Django shell of this stack; returns the JSON its last line prints."""
        return json.loads(self.run("manage.py", "shell", "-c", code).strip().splitlines()[-1])

    def submit(self, product_index: int) -> int:
        """Submit a try-on of the shopper's photo and the product at `product_index`; its job id."""
        product = self.shopper["products"][product_index]
        return self.shell(SUBMIT.format(photo=self.shopper["photo"], product=product))

    def wait_for(self, job_ids: list[int], condition: str, *, seconds: float) -> list[dict]:
        """Wait until `condition` (Python over `job`, a dict of job fields) holds for every job, or
        `seconds` pass; returns the jobs' last states in the order of `job_ids`."""
        return self.shell(WAIT_FOR.format(ids=job_ids, condition=condition, seconds=seconds))

    def start(self, name: str, *args: str) -> subprocess.Popen:
        self.logs[name] = self.tmp / f"{name}.log"
        log = open(self.logs[name], "w")  # noqa: SIM115 (closed with the process)
        process = subprocess.Popen(
            args, cwd=PROJECT_ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.processes.append(process)
        return process

    def start_worker(self, name: str, engine: str | None = None) -> subprocess.Popen:
        """A Celery worker on this stack's queue, returned once it is ready: with a stand-in engine
        (a key of `stand_in_engines.ENGINES`), or without one the real `celery -A revetir worker`
        command with the engine the settings choose."""
        if engine is None:
            celery = str(Path(sys.executable).parent / "celery")
            command = [celery, "-A", "revetir", "worker", "-Q", self.queue, "-n", f"{name}@%h", *QUIET_WORKER]
        else:
            command = [sys.executable, "revetir/testing/celery_worker.py", engine, self.queue, name]
        process = self.start(name, *command)
        deadline = time.monotonic() + WORKER_READY_SECONDS
        while "ready." not in self.log(name):
            assert process.poll() is None, f"worker {name} exited:\n{self.log(name)}"
            assert time.monotonic() < deadline, f"worker {name} did not get ready:\n{self.log(name)}"
            time.sleep(0.3)
        return process

    def log(self, name: str) -> str:
        return self.logs[name].read_text()

    def all_logs(self) -> str:
        return "\n".join(f"--- {name}\n{path.read_text()}" for name, path in self.logs.items())

    def engine_runs(self) -> list[str]:
        return self.runs_file.read_text().split() if self.runs_file.exists() else []

    def close(self) -> None:
        for process in self.processes:
            stop(process)
