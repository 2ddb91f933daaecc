"""Scale-out path end to end: Daphne and separate Celery worker processes sharing a database, Redis
(channel layer and broker) and media; jobs submitted over HTTP report back over a real websocket.

Needs Redis (REVETIR_TEST_REDIS_URL, default redis://127.0.0.1:6379/13); skipped when unreachable.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

import pytest
import requests
import websockets

from revetir.testing.processes import REDIS_URL, Stack, kill, redis_reachable
from revetir.testing.tryon_data import astronaut_image, encode

JOB_TIMEOUT_SECONDS = 120

pytestmark = pytest.mark.skipif(
    not redis_reachable(),
    reason=f"Redis is not reachable at {REDIS_URL}; the multi-process try-on test needs it "
    "(start redis-server or set REVETIR_TEST_REDIS_URL)",
)


def wait_for_http(stack: Stack) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            requests.get(f"{stack.base}/api/tryon/jobs/", timeout=2)
            return
        except requests.ConnectionError:
            time.sleep(0.3)
    raise AssertionError(f"Daphne did not start:\n{stack.log('daphne')}")


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    stack = Stack(tmp_path_factory.mktemp("multiprocess"))
    stack.migrate_and_set_up_shopper()
    daphne = str(Path(sys.executable).parent / "daphne")
    stack.start("daphne", daphne, "-b", "127.0.0.1", "-p", str(stack.port), "revetir.asgi:application")
    try:
        wait_for_http(stack)
        yield stack
    finally:
        stack.close()


def submit(stack: Stack, product_id: int) -> dict:
    response = requests.post(
        f"{stack.base}/api/tryon/jobs/",
        data={"product": product_id},
        files={"photo": ("astronaut.png", encode(astronaut_image()), "image/png")},
        headers={"Authorization": f"Token {stack.shopper['token']}"},
        timeout=30,
    )
    assert response.status_code == 202, response.text
    return response.json()


def job_state(stack: Stack, job_id: object) -> dict:
    return requests.get(
        f"{stack.base}/api/tryon/jobs/{job_id}/",
        headers={"Authorization": f"Token {stack.shopper['token']}"},
        timeout=10,
    ).json()


async def follow_job_until_finished(stack: Stack, product_id: int, *, after_submit=None) -> tuple[dict, list[dict]]:
    """Open the websocket as the shopper, submit a job, and return its final message and all messages."""
    headers = {"Cookie": f"sessionid={stack.shopper['session']}"}
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


def test_a_celery_worker_process_runs_the_job_and_the_browser_gets_done_over_the_websocket(stack):
    worker = stack.start_worker("worker")
    try:
        final, received = asyncio.run(follow_job_until_finished(stack, stack.shopper["products"][0]))
    finally:
        kill(worker)
    assert final["type"] == "tryon.done", f"{final}\n{stack.all_logs()}"
    assert final["engine"] in ("classic", "neural")
    assert any(message["type"] == "tryon.progress" and message["stage"] for message in received)
    result = requests.get(
        f"{stack.base}{final['result_url']}", cookies={"sessionid": stack.shopper["session"]}, timeout=10
    )
    assert result.status_code == 200
    assert result.headers["Content-Type"] == "image/jpeg"
    stranger = requests.get(f"{stack.base}{final['result_url']}", timeout=10, allow_redirects=False)
    assert stranger.status_code == 302  # to the log-in page, never the picture


def test_the_page_follows_a_job_whose_worker_is_killed_through_its_retry_to_done(stack):
    doomed = stack.start_worker("doomed", "stalling")

    def kill_worker_once_running_then_start_another(job: dict) -> None:
        deadline = time.monotonic() + 60
        while job_state(stack, job["id"])["stage"] != "segmenting":
            assert time.monotonic() < deadline, f"the job never started running:\n{stack.all_logs()}"
            time.sleep(0.2)
        kill(doomed)
        stack.start_worker("rescuer", "quick")

    final, received = asyncio.run(
        follow_job_until_finished(
            stack, stack.shopper["products"][1], after_submit=kill_worker_once_running_then_start_another
        )
    )

    statuses = [message["status"] for message in received]
    assert final["type"] == "tryon.done", f"{received}\n{stack.all_logs()}"
    first_retry = statuses.index("queued")
    assert "running" in statuses[:first_retry]
    assert statuses[first_retry:] == ["queued", *["running"] * (len(statuses) - first_retry - 2), "done"]
    assert len(statuses) - first_retry >= 3  # running again between the retry and done
