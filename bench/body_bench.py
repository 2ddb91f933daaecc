"""Speed of the body model (analyse_body) at phone photo sizes, per stage, against a baseline.

    .venv/bin/python bench/body_bench.py [--runs N]

Prints JSON: for a 12-megapixel photo (3024×4032) and a common upload (1080×1440), made from both
sample photos, the median seconds per analysis over N runs, per-stage medians (the stages
`analyse_body` times itself), and the ratio to a baseline measured in the same process: one
`cv2.resize(photo, INTER_AREA)` of the same photo to the models' working size, the plainest thing any
analysis of the photo must at least do. The goal is under 0.1 s per 12 MP photo on 2 cores.
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

from revetir.testing.person_photos import people, resized  # noqa: E402
from tryon.pipeline.body import analyse_body  # noqa: E402
from tryon.pipeline.body.analysis import WORK_LONG_SIDE  # noqa: E402

PHOTO_SIZES = ((3024, 4032), (1080, 1440))
GOAL_SECONDS_12MP = 0.1


def baseline_seconds(photo, runs: int) -> float:
    """Median time of one area-averaging resize of the photo to the working size."""
    height, width = photo.shape[:2]
    scale = WORK_LONG_SIDE / max(height, width)
    target = (round(width * scale), round(height * scale))
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        cv2.resize(photo, target, interpolation=cv2.INTER_AREA)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def measure(size: tuple[int, int], runs: int) -> dict:
    totals: list[float] = []
    baselines: list[float] = []
    stages: dict[str, list[float]] = {}
    for photo in people().values():
        picture = resized(photo, *size)
        analyse_body(picture)  # interpreters loaded, caches warm
        baselines.append(baseline_seconds(picture, runs))
        for _ in range(runs):
            started = time.perf_counter()
            analysis = analyse_body(picture)
            totals.append(time.perf_counter() - started)
            for stage, seconds in analysis.timings.items():
                stages.setdefault(stage, []).append(seconds)
    median_total = statistics.median(totals)
    median_baseline = statistics.median(baselines)
    return {
        "photo": f"{size[0]}x{size[1]}",
        "median_s": round(median_total, 4),
        "max_s": round(max(totals), 4),
        "stages_median_s": {stage: round(statistics.median(values), 4) for stage, values in stages.items()},
        "baseline_resize_s": round(median_baseline, 4),
        "ratio_to_baseline": round(median_total / median_baseline, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per photo and size (default 5)")
    arguments = parser.parse_args()
    results = [measure(size, arguments.runs) for size in PHOTO_SIZES]
    report = {
        "cpu_count": os.cpu_count(),
        "goal_12mp_s": GOAL_SECONDS_12MP,
        "meets_goal": results[0]["median_s"] <= GOAL_SECONDS_12MP,
        "results": results,
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
