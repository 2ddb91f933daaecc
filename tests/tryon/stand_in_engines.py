"""Light stand-in engines for tests that run real worker processes on the shared CPUs.

Each run appends the worker's process id to the file named by REVETIR_TEST_ENGINE_RUNS (when set),
so a test can count how many times a job really ran, across processes.
"""

from __future__ import annotations

import os
import time

from PIL import Image

from tryon.pipeline.contract import TryOnResult

STALL_SECONDS = 600


def record_run() -> None:
    runs_file = os.environ.get("REVETIR_TEST_ENGINE_RUNS")
    if runs_file:
        with open(runs_file, "a") as runs:
            runs.write(f"{os.getpid()}\n")


class QuickEngine:
    """Reports two stages over `seconds`, then returns the photo itself as the result."""

    name = "stand-in"

    def __init__(self, seconds: float = 0.5) -> None:
        self.seconds = seconds

    def run(self, person, garment, *, on_stage=None, garment_type="upper_body"):
        record_run()
        for stage, fraction in (("segmenting", 0.2), ("warping", 0.6)):
            if on_stage is not None:
                on_stage(stage, fraction)
            time.sleep(self.seconds / 2)
        image = Image.fromarray(person)
        return TryOnResult(image=image, image_small=image.resize((192, 256)), engine=self.name)


class StallingEngine:
    """Reports its first stage, then sleeps far longer than any test: a worker to kill mid-job."""

    name = "stalling"

    def run(self, person, garment, *, on_stage=None, garment_type="upper_body"):
        record_run()
        if on_stage is not None:
            on_stage("segmenting", 0.1)
        time.sleep(STALL_SECONDS)
        raise RuntimeError("the stalling engine is meant to be killed before it wakes up")


ENGINES = {
    "quick": QuickEngine,
    "slow": lambda: QuickEngine(seconds=4.0),
    "stalling": StallingEngine,
}
