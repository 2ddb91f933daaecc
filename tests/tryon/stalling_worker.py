"""`manage.py runworker tryon` with an engine that stalls after its first stage.

The multi-process test starts this instead of the normal worker and kills it mid-job, to prove a
dead worker's job is failed with a message within the heartbeat limit. Run from the project root.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "revetir.settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402

from tryon import worker  # noqa: E402

STALL_SECONDS = 600


class StallingEngine:
    """Stalls while preparing the photo side, after the worker reported the first stage."""

    name = "stalling"
    identity = "stalling/1"

    def prepare_photo(self, person):
        time.sleep(STALL_SECONDS)
        raise RuntimeError("the stalling engine is meant to be killed before it wakes up")


worker.load_engine = StallingEngine
call_command("runworker", "tryon")
