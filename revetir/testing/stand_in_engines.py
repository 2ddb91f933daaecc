"""Light stand-in engines for tests and benchmarks that run real worker processes on the shared CPUs.

Each run appends the worker's process id to the file named by REVETIR_TEST_ENGINE_RUNS (when set),
so a test can count how many times a job really ran, across processes.
"""

from __future__ import annotations

import os
import time

import numpy as np
from PIL import Image

from tryon.pipeline.contract import GARMENT_SIDE, PHOTO_SIDE, STAGES, PreparedSide, TryOnResult, pack_mask

STALL_SECONDS = 600


def record_run() -> None:
    runs_file = os.environ.get("REVETIR_TEST_ENGINE_RUNS")
    if runs_file:
        with open(runs_file, "a") as runs:
            runs.write(f"{os.getpid()}\n")


class EmptySides:
    """Prepared sides with nothing in them (an 8×8 cloth mask for the garment), made at once."""

    identity = "stand-in/1"
    stage_shares = dict.fromkeys(STAGES, 1 / len(STAGES))

    def prepare_photo(self, person):
        return PreparedSide(side=PHOTO_SIDE, identity=self.identity, arrays={})

    def prepare_garment(self, garment, *, garment_type="upper_body"):
        mask = pack_mask(np.full((8, 8), 255, dtype=np.uint8))
        return PreparedSide(
            side=GARMENT_SIDE, identity=self.identity, arrays={"cloth_mask": mask}, meta={"mask_size": [8, 8]}
        )

    def run(self, person, garment, *, on_stage=None, garment_type="upper_body"):
        garment_side = self.prepare_garment(garment, garment_type=garment_type)
        return self.dress(person, self.prepare_photo(person), garment_side, on_stage=on_stage)


class QuickEngine(EmptySides):
    """Reports two stages over `seconds`, then returns the photo itself as the result."""

    name = "stand-in"

    def __init__(self, seconds: float = 0.5) -> None:
        self.seconds = seconds

    def dress(self, person, photo_side, garment_side, *, on_stage=None):
        record_run()
        for stage, fraction in (("warping", 0.4), ("rendering", 0.6)):
            if on_stage is not None:
                on_stage(stage, fraction)
            time.sleep(self.seconds / 2)
        image = Image.fromarray(person)
        return TryOnResult(image=image, image_small=image.resize((192, 256)), engine=self.name)


class StallingEngine(EmptySides):
    """Sleeps far longer than any test while preparing the photo, after the worker reported the
    first stage: a worker to kill mid-job."""

    name = "stalling"

    def prepare_photo(self, person):
        record_run()
        time.sleep(STALL_SECONDS)
        raise RuntimeError("the stalling engine is meant to be killed before it wakes up")


ENGINES = {
    "quick": QuickEngine,
    "slow": lambda: QuickEngine(seconds=4.0),
    "stalling": StallingEngine,
}
