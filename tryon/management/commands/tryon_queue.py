"""Show the try-on queue: jobs per state, the oldest queued job's age, messages in the broker."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandParser

from tryon.queue_status import QueueOverview, queue_overview

WORKER_DESCRIPTIONS = {"celery": "Celery workers", "thread": "the in-process worker"}


class Command(BaseCommand):
    help = "Show the try-on queue: length, oldest queued job's age, jobs per state (--json for scripts)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help="Print one JSON object instead of text."
        )

    def handle(self, *args: object, as_json: bool, **options: object) -> None:
        overview = queue_overview()
        self.stdout.write(_as_json(overview) if as_json else _as_text(overview))


def _as_json(overview: QueueOverview) -> str:
    return json.dumps(overview.as_dict())


def _as_text(overview: QueueOverview) -> str:
    states = "  ".join(f"{state}: {count}" for state, count in overview.jobs_per_state.items())
    oldest = "none queued" if overview.oldest_queued_seconds is None else f"{overview.oldest_queued_seconds:.0f} s ago"
    lines = [
        f"Try-on queue {overview.queue!r}, run by {WORKER_DESCRIPTIONS.get(overview.worker, overview.worker)}",
        f"  engine: {overview.engine}" + (f" ({overview.engine_note})" if overview.engine_note else ""),
        f"  jobs per state: {states}",
        f"  oldest queued job: {oldest}",
    ]
    if overview.worker == "celery":
        waiting = "broker not reachable" if overview.broker_messages is None else str(overview.broker_messages)
        lines.append(f"  messages waiting in the broker: {waiting}")
    return "\n".join(lines)
