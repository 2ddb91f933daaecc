"""Scale-out path end to end: Daphne and a separate `manage.py runworker tryon` process sharing a
database, Redis and media folders; a job submitted over HTTP reports back over a real websocket.

Needs Redis (REVETIR_TEST_REDIS_URL, default redis://127.0.0.1:6379/13); skipped when unreachable.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest
import requests
import websockets

from tests.tryon.helpers import astronaut_image, encode

PROJECT_ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("REVETIR_TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
HEARTBEAT_LIMIT_SECONDS = 4
JOB_TIMEOUT_SECONDS = 120


def redis_reachable() -> bool:
    parsed = urlparse(REDIS_URL)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 6379), timeout=1):
            return True
    except OSError:
        return False


pytestmark = pytest.mark.skipif(
    not redis_reachable(),
    reason=f"Redis is not reachable at {REDIS_URL}; the multi-process try-on test needs it "
    "(start redis-server or set REVETIR_TEST_REDIS_URL)",
)

SETUP_SCRIPT = """
import json
from django.test import Client
from rest_framework.authtoken.models import Token
from tests.factories import make_user
from tests.tryon.helpers import make_tryon_product
user = make_user()
client = Client()
client.force_login(user)
print(json.dumps({
    "token": Token.objects.create(user=user).key,
    "session": client.cookies["sessionid"].value,
    "products": [make_tryon_product().pk, make_tryon_product().pk],
}))
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Stack:
    """Daphne plus worker processes on a temporary database and media folders."""

    def __init__(self, tmp: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.logs = tmp
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "revetir.settings",
            "REVETIR_DEBUG": "1",
            "REVETIR_REDIS_URL": REDIS_URL,
            "REVETIR_SQLITE_PATH": str(tmp / "db.sqlite3"),
            "REVETIR_MEDIA_ROOT": str(tmp / "media"),
            "REVETIR_PRIVATE_MEDIA_ROOT": str(tmp / "private"),
            "REVETIR_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "REVETIR_TRYON_HEARTBEAT_SECONDS": "1",
            "REVETIR_TRYON_HEARTBEAT_LIMIT_SECONDS": str(HEARTBEAT_LIMIT_SECONDS),
        }
        self.processes: list[subprocess.Popen] = []

    def run(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, *args], cwd=PROJECT_ROOT, env=self.env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def start(self, name: str, *args: str) -> subprocess.Popen:
        log = open(self.logs / f"{name}.log", "w")  # noqa: SIM115 (closed with the process)
        process = subprocess.Popen(args, cwd=PROJECT_ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        self.processes.append(process)
        return process

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text()

    def wait_for_http(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                requests.get(f"{self.base}/api/tryon/jobs/", timeout=2)
                return
            except requests.ConnectionError:
                time.sleep(0.3)
        raise AssertionError(f"Daphne did not start:\n{self.log('daphne')}")


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    stack = Stack(tmp_path_factory.mktemp("multiprocess"))
    stack.run("manage.py", "migrate", "--noinput")
    stack.accounts = json.loads(stack.run("manage.py", "shell", "-c", SETUP_SCRIPT).strip().splitlines()[-1])
    daphne = str(Path(sys.executable).parent / "daphne")
    stack.start("daphne", daphne, "-b", "127.0.0.1", "-p", str(stack.port), "revetir.asgi:application")
    try:
        stack.wait_for_http()
        yield stack
    finally:
        for process in stack.processes:
            stop(process)


def submit(stack: Stack, product_id: int) -> dict:
    response = requests.post(
        f"{stack.base}/api/tryon/jobs/",
        data={"product": product_id},
        files={"photo": ("astronaut.png", encode(astronaut_image()), "image/png")},
        headers={"Authorization": f"Token {stack.accounts['token']}"},
        timeout=30,
    )
    assert response.status_code == 202, response.text
    return response.json()


async def follow_job_until_finished(stack: Stack, product_id: int, *, after_submit=None) -> tuple[dict, list[dict]]:
    """Open the websocket as the shopper, submit a job, and return its final message and all messages."""
    headers = {"Cookie": f"sessionid={stack.accounts['session']}"}
    uri = f"ws://127.0.0.1:{stack.port}/ws/tryon/"
    async with websockets.connect(uri, additional_headers=headers, origin=stack.base) as connection:
        state = json.loads(await asyncio.wait_for(connection.recv(), timeout=10))
        assert state["type"] == "tryon.state"
        job = await asyncio.to_thread(submit, stack, product_id)
        if after_submit is not None:
            await asyncio.to_thread(after_submit, job)
        received = []
        async with asyncio.timeout(JOB_TIMEOUT_SECONDS):
            while True:
                message = json.loads(await connection.recv())
                if message.get("job") != job["id"]:
                    continue
                received.append(message)
                if message["type"] in ("tryon.done", "tryon.failed"):
                    return message, received


def test_a_separate_worker_process_runs_the_job_and_the_browser_gets_done_over_the_websocket(stack):
    worker = stack.start("worker", sys.executable, "manage.py", "runworker", "tryon")
    try:
        final, received = asyncio.run(follow_job_until_finished(stack, stack.accounts["products"][0]))
    finally:
        stop(worker)
    assert final["type"] == "tryon.done", f"{final}\n{stack.log('worker')}"
    assert final["engine"] in ("classic", "neural")
    assert any(message["type"] == "tryon.progress" and message["stage"] for message in received)
    result = requests.get(
        f"{stack.base}{final['result_url']}", cookies={"sessionid": stack.accounts["session"]}, timeout=10
    )
    assert result.status_code == 200
    assert result.headers["Content-Type"] == "image/jpeg"
    stranger = requests.get(f"{stack.base}{final['result_url']}", timeout=10, allow_redirects=False)
    assert stranger.status_code == 302  # to the log-in page, never the picture


def test_killing_the_worker_mid_job_fails_the_job_with_a_message(stack):
    worker = stack.start("stalling-worker", sys.executable, "tests/tryon/stalling_worker.py")

    def kill_worker_once_running(job: dict) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            state = requests.get(
                f"{stack.base}/api/tryon/jobs/{job['id']}/",
                headers={"Authorization": f"Token {stack.accounts['token']}"},
                timeout=10,
            ).json()
            if state["status"] == "running" and state["stage"] == "segmenting":
                os.kill(worker.pid, signal.SIGKILL)
                worker.wait()
                return
            time.sleep(0.2)
        raise AssertionError(f"the job never started running:\n{stack.log('stalling-worker')}")

    final, _received = asyncio.run(
        follow_job_until_finished(stack, stack.accounts["products"][1], after_submit=kill_worker_once_running)
    )
    assert final["type"] == "tryon.failed"
    assert final["error"] == "The try-on worker stopped; please try again."
