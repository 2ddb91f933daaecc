"""Speed of the weight-free try-on engine at phone photo sizes, with a calibration workload.

    .venv/bin/python bench/classic_bench.py [--runs N]

Prints JSON: for each photo size, the median seconds per try-on over both sample photos and N runs,
per-stage medians, and the ratio to a calibration workload measured in the same process (a
torchvision resnet18 with random weights, forward pass at 1×3×256×192 on 2 threads, median of 7), so
numbers from machines of different speed can be compared. The goal is under 0.3 s per photo on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import cv2

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from bench.save_tryon_samples import sample_garments  # noqa: E402
from revetir.testing.person_photos import people, resized  # noqa: E402
from tryon.pipeline.classic.engine import ClassicTryOnEngine  # noqa: E402
from tryon.pipeline.contract import STAGES  # noqa: E402

# (width, height): a 12-megapixel phone photo and a common downscaled upload.
PHOTO_SIZES = ((3024, 4032), (1080, 1440))
CALIBRATION_RUNS = 7


def calibration_seconds() -> float:
    """Median forward time of resnet18 (random weights) at 1×3×256×192 on 2 threads."""
    import torch
    import torchvision

    torch.set_num_threads(2)
    model = torchvision.models.resnet18(weights=None).eval()
    batch = torch.randn(1, 3, 256, 192)
    times = []
    with torch.inference_mode():
        model(batch)
        for _ in range(CALIBRATION_RUNS):
            started = time.perf_counter()
            model(batch)
            times.append(time.perf_counter() - started)
    return statistics.median(times)


def measure(engine: ClassicTryOnEngine, size: tuple[int, int], runs: int) -> dict:
    garment = sample_garments()["plain"]
    totals: list[float] = []
    processor: list[float] = []
    stages: dict[str, list[float]] = {stage: [] for stage in STAGES}
    for photo in people().values():
        person = resized(photo, *size)
        engine.run(person, garment)  # warm-up: first-touch allocations
        for _ in range(runs):
            started, started_processor = time.perf_counter(), time.process_time()
            result = engine.run(person, garment)
            totals.append(time.perf_counter() - started)
            processor.append(time.process_time() - started_processor)
            for stage, seconds in result.timings.items():
                stages[stage].append(seconds)
    return {
        "median_s": round(statistics.median(totals), 4),
        "max_s": round(max(totals), 4),
        "runs": len(totals),
        # CPU seconds over all threads: steadier than wall time when other processes share the cores.
        "cpu_median_s": round(statistics.median(processor), 4),
        "stage_median_s": {stage: round(statistics.median(values), 4) for stage, values in stages.items()},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per sample photo and size (default 5)")
    arguments = parser.parse_args()
    engine = ClassicTryOnEngine()
    calibration = calibration_seconds()
    sizes = {f"{width}x{height}": measure(engine, (width, height), arguments.runs) for width, height in PHOTO_SIZES}
    for numbers in sizes.values():
        numbers["ratio_to_calibration"] = round(numbers["median_s"] / calibration, 2)
    report = {
        "calibration": {
            "workload": "resnet18(weights=None) 1x3x256x192, 2 threads, median of 7",
            "median_s": round(calibration, 4),
        },
        "opencv_threads": cv2.getNumThreads(),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "sizes": sizes,
        "goal_s": 0.3,
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
