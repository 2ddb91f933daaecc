"""Issue 12, failure 3, measured again: try-on jobs through a worker outage and a killed worker.

Real processes on a throwaway stack (revetir/testing/processes.py: file SQLite, Redis channel layer,
Celery broker on Redis or RabbitMQ), with the production timings (heartbeat every 3 s, limit 30 s,
sweep every 10 s) and a light stand-in engine (0.5 s a job):

1. outage: no worker runs; two jobs are submitted; after OUTAGE_SECONDS a worker starts. Reports
   the jobs' states just before it starts and the seconds from its start to both done.
2. kill: a worker stalls mid-job and is killed with SIGKILL; another worker starts at once.
   Reports the seconds from the kill to done, the job's final state and its attempts.

    .venv/bin/python bench/tryon_queue_bench.py [--broker redis|rabbitmq] [--outage-seconds 75]

Prints JSON. Timings, not pass/fail: the tests in tests/tryon/test_celery_workers.py hold the behaviour.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from revetir.testing.processes import RABBITMQ_URL, REDIS_URL, Stack, kill

PRODUCTION_TIMINGS = {
    "REVETIR_TRYON_HEARTBEAT_SECONDS": "3",
    "REVETIR_TRYON_HEARTBEAT_LIMIT_SECONDS": "30",
    "REVETIR_TRYON_SWEEP_SECONDS": "10",
}
FINISHED = 'job["status"] in ("done", "failed")'


def outage(stack: Stack, outage_seconds: float) -> dict:
    job_ids = [stack.submit(0), stack.submit(1)]
    time.sleep(outage_seconds)
    before = [job["status"] for job in stack.wait_for(job_ids, "True", seconds=0)]
    started = time.monotonic()
    worker = stack.start_worker("after-outage", "quick")
    ready = time.monotonic() - started
    jobs = stack.wait_for(job_ids, FINISHED, seconds=300)
    finished = time.monotonic() - started
    kill(worker)
    return {
        "outage_seconds": outage_seconds,
        "states_before_worker_start": before,
        "final_states": [job["status"] for job in jobs],
        "worker_start_to_ready_seconds": round(ready, 1),
        "worker_start_to_all_done_seconds": round(finished, 1),
    }


def killed_worker(stack: Stack) -> dict:
    doomed = stack.start_worker("doomed", "stalling")
    job_id = stack.submit(2)
    stack.wait_for([job_id], 'job["stage"] == "segmenting"', seconds=120)
    killed = time.monotonic()
    kill(doomed)
    stack.start_worker("rescuer", "quick")
    [job] = stack.wait_for([job_id], FINISHED, seconds=300)
    return {
        "final_state": job["status"],
        "attempts": job["attempts"],
        "error": job["error"],
        "kill_to_finished_seconds": round(time.monotonic() - killed, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--broker", choices=["redis", "rabbitmq"], default="redis")
    parser.add_argument("--outage-seconds", type=float, default=75.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tryon-queue-bench-") as tmp:
        stack = Stack(Path(tmp), broker_url=RABBITMQ_URL if args.broker == "rabbitmq" else REDIS_URL)
        stack.env.update(PRODUCTION_TIMINGS)
        try:
            stack.migrate_and_set_up_shopper()
            report = {"broker": args.broker, "outage": outage(stack, args.outage_seconds)}
            report["killed_worker"] = killed_worker(stack)
        finally:
            stack.close()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
