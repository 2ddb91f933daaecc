"""`celery -A revetir worker` with a stand-in engine, for the multi-process tests.

    python revetir/testing/celery_worker.py ENGINE QUEUE NAME

ENGINE is a key of `revetir.testing.stand_in_engines.ENGINES`. The engine is swapped in before the
worker starts, so its pool processes (forked from this one) run it. Run from the project root.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "revetir.settings")

import django

django.setup()

from revetir.celery import app  # noqa: E402
from revetir.testing.processes import QUIET_WORKER  # noqa: E402
from revetir.testing.stand_in_engines import ENGINES  # noqa: E402
from tryon.jobs import runner  # noqa: E402

engine, queue, name = sys.argv[1:4]
runner.load_engine = ENGINES[engine]
app.worker_main(["worker", "-Q", queue, "-n", f"{name}@%h", *QUIET_WORKER])
