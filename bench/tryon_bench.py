"""Speed and memory of try-on inference on the CPU, in units of a calibration workload.

    .venv/bin/python bench/tryon_bench.py [--runs N] [--no-classic] [--no-memory]

Prints JSON. Per stage (U²-Net and U²-NetP at 320×320, PF-AFN warp, generator, warp + generator,
pre- and post-processing of a 1080×1440 photo, the weight-free classic engine), the median seconds
over N rounds, batch 1, 2 threads, with the deterministic stand-in weights of ../shared/reference.
Each round also times the calibration workload (torchvision resnet18 with random weights, forward
at 1×3×256×192), so every figure is also given divided by the calibration median measured in the same
run: comparable across machines and less sensitive to other processes sharing the cores.

Each network stage is timed twice: `baseline` is the plain reference classes as the checkpoints load
into them, with the original element-wise correlation (49 shifted products over C×H×W);
`optimised` is what `engine.load_networks` returns, the production path. The memory figure is the
peak resident set of a fresh process that loads U²-Net, warp and generator from .pth files through
`load_networks` and runs three try-ons. Goals (issue #7): U²-Net + PF-AFN ≤ 33 units, peak ≤ 1.5 GiB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from tryon.pipeline.imageio import load_rgb  # noqa: E402
from tryon.pipeline.masks import cloth_mask  # noqa: E402
from tryon.pipeline.neural import pfafn  # noqa: E402
from tryon.pipeline.neural.engine import load_networks  # noqa: E402
from tryon.pipeline.neural.postprocess import garment_region, paste_back  # noqa: E402
from tryon.pipeline.neural.preprocess import (  # noqa: E402
    crop_person,
    garment_to_model_inputs,
    person_mask_from_saliency,
    pfafn_output_to_uint8,
    u2net_input,
    u2net_mask,
)
from tryon.pipeline.neural.u2net import U2Net  # noqa: E402
from tryon.pipeline.neural.weights import load_checkpoint  # noqa: E402

REFERENCE_DIR = PROJECT_ROOT.parent / "shared" / "reference"
THREADS = 2
CALIBRATION_WORKLOAD = "resnet18(weights=None) 1x3x256x192, 2 threads, median of the rounds"
PHOTO_SIZE = (1080, 1440)  # width, height: a common downscaled phone upload
GOAL_UNITS = 33.0
GOAL_PEAK_RSS_GIB = 1.5
TRYONS_IN_MEMORY_PROBE = 3
CHECKPOINT_FILES = {"u2net": "u2net.pth", "pfafn_warp": "warp_model_final.pth", "pfafn_gen": "gen_model_final.pth"}


def shifted_product_correlation(first: torch.Tensor, second: torch.Tensor, max_displacement: int = 3) -> torch.Tensor:
    """The correlation as first written: one element-wise product and channel sum per displacement.
    Same function as `pfafn.correlation`; kept here only as the baseline's cost."""
    channels, height, width = first.shape[1:]
    padded = F.pad(second, [max_displacement] * 4)
    span = 2 * max_displacement + 1
    costs = [
        (first * padded[:, :, dy : dy + height, dx : dx + width]).sum(1) for dy in range(span) for dx in range(span)
    ]
    return torch.stack(costs, 1) / channels


@contextmanager
def baseline_correlation():
    fast = pfafn.correlation
    pfafn.correlation = shifted_product_correlation
    try:
        yield
    finally:
        pfafn.correlation = fast


def stand_in_state_dicts() -> dict[str, dict[str, torch.Tensor]]:
    """The deterministic weights the reference goldens were computed with (same keys and shapes as
    the official checkpoints)."""
    if not (REFERENCE_DIR / "detweights.py").is_file():
        raise SystemExit(f"Reference data not found at {REFERENCE_DIR}: the bench needs ../shared/reference.")
    from revetir.testing.reference_data import deterministic_state_dict

    return {name: deterministic_state_dict(REFERENCE_DIR, name) for name in ("u2net", "u2netp", *CHECKPOINT_FILES)}


def plain_networks(state_dicts: dict[str, dict[str, torch.Tensor]]) -> dict[str, torch.nn.Module]:
    with torch.device("meta"):
        modules = {
            "u2net": U2Net("u2net"),
            "u2netp": U2Net("u2netp"),
            "pfafn_warp": pfafn.WarpNet(),
            "pfafn_gen": pfafn.GeneratorNet(),
        }
    return {name: load_checkpoint(module, state_dicts[name]).eval() for name, module in modules.items()}


def calibration_model() -> Callable[[], object]:
    import torchvision

    model = torchvision.models.resnet18(weights=None).eval()
    batch = torch.randn(1, 3, 256, 192)
    return lambda: model(batch)


def sample_inputs() -> dict[str, object]:
    from bench.save_tryon_samples import sample_garments
    from revetir.testing.person_photos import astronaut, resized
    from revetir.testing.reference_data import load_golden, pfafn_inputs

    real_image, clothes, edge = pfafn_inputs(load_golden(REFERENCE_DIR, "pfafn", "case1"))
    photo = resized(astronaut(), *PHOTO_SIZE)
    return {
        "astronaut": astronaut(),
        "photo": photo,
        "garment": sample_garments()["plain"],
        "u2net_input": u2net_input(astronaut()),
        "real_image": real_image,
        "clothes": clothes,
        "edge": edge,
        "generator_input": torch.randn(1, 7, 256, 192, generator=torch.Generator().manual_seed(0)),
    }


def figure_saliency(size: int = 320) -> torch.Tensor:
    """A stand-in U²-Net map (d0, [1, 1, size, size]): an upright ellipse, as a person's silhouette.
    The stand-in weights make meaningless maps, and the post-processing cost depends on the mask."""
    ys, xs = np.mgrid[0:size, 0:size] / size
    inside = ((xs - 0.5) / 0.25) ** 2 + ((ys - 0.55) / 0.42) ** 2 <= 1.0
    return torch.from_numpy(inside.astype(np.float32))[None, None]


def preprocessing(inputs: dict, d0: torch.Tensor) -> Callable[[], object]:
    """Everything `NeuralTryOnEngine.run` does before and between the networks, except the networks."""

    def run() -> object:
        photo, garment_rgb = load_rgb(inputs["photo"]), load_rgb(inputs["garment"])
        u2net_input(photo)
        height, width = photo.shape[:2]
        crop = crop_person(photo, u2net_mask(d0, width=width, height=height))
        return crop, garment_to_model_inputs(garment_rgb, cloth_mask(garment_rgb))

    return run


def postprocessing(inputs: dict, d0: torch.Tensor, outputs: dict[str, torch.Tensor]) -> Callable[[], object]:
    """What `NeuralTryOnEngine.run` does after the generator: the picture at model size, pasted back."""
    photo = inputs["photo"]
    height, width = photo.shape[:2]
    saliency = u2net_mask(d0, width=width, height=height)
    crop = crop_person(photo, saliency)

    def run() -> object:
        small = pfafn_output_to_uint8(outputs["p_tryon"])
        region = garment_region(outputs["m_composite"], outputs["warped_edge"])
        return paste_back(photo, crop, small, region), person_mask_from_saliency(saliency)

    return run


def time_rounds(workloads: dict[str, Callable[[], object]], runs: int) -> dict[str, list[float]]:
    """Seconds per call, one call of every workload per round (interleaved, so a burst of load from
    other processes hits all of them alike), after one warm-up round."""
    seconds: dict[str, list[float]] = {name: [] for name in workloads}
    with torch.inference_mode():
        for round_index in range(runs + 1):
            for name, workload in workloads.items():
                started = time.perf_counter()
                workload()
                if round_index:
                    seconds[name].append(time.perf_counter() - started)
    return seconds


def measure_speed(runs: int, with_classic: bool) -> dict:
    state_dicts = stand_in_state_dicts()
    inputs = sample_inputs()
    plain = plain_networks(state_dicts)
    started = time.perf_counter()
    optimised = load_networks(state_dicts["u2net"], state_dicts["pfafn_warp"], state_dicts["pfafn_gen"])
    load_seconds = time.perf_counter() - started
    optimised_small = load_networks(
        state_dicts["u2netp"], state_dicts["pfafn_warp"], state_dicts["pfafn_gen"], u2net_variant="u2netp"
    )
    real_image, clothes, edge = inputs["real_image"], inputs["clothes"], inputs["edge"]
    masked = clothes * edge
    generator_input = inputs["generator_input"]

    def plain_dress() -> object:
        with baseline_correlation():
            return pfafn.tryon_forward(plain["pfafn_warp"], plain["pfafn_gen"], real_image, clothes, edge)

    def plain_warp() -> object:
        with baseline_correlation():
            return plain["pfafn_warp"](real_image, masked)

    d0 = figure_saliency()
    with torch.inference_mode():
        outputs = optimised.dress(real_image, clothes, edge)
    workloads: dict[str, Callable[[], object]] = {
        "calibration": calibration_model(),
        "u2net/baseline": lambda: plain["u2net"](inputs["u2net_input"]),
        "u2net/optimised": lambda: optimised.segment(inputs["u2net_input"]),
        "u2netp/baseline": lambda: plain["u2netp"](inputs["u2net_input"]),
        "u2netp/optimised": lambda: optimised_small.segment(inputs["u2net_input"]),
        "warp/baseline": plain_warp,
        "warp/optimised": lambda: optimised.warp(real_image, masked),
        "generator/baseline": lambda: plain["pfafn_gen"](generator_input),
        "generator/optimised": lambda: optimised.generator(generator_input),
        "pfafn/baseline": plain_dress,
        "pfafn/optimised": lambda: optimised.dress(real_image, clothes, edge),
        "preprocessing": preprocessing(inputs, d0),
        "postprocessing": postprocessing(inputs, d0, outputs),
    }
    if with_classic:
        from tryon.pipeline.classic.engine import ClassicTryOnEngine

        classic = ClassicTryOnEngine()
        workloads["classic_engine"] = lambda: classic.run(inputs["astronaut"], inputs["garment"])

    seconds = time_rounds(workloads, runs)
    calibration = statistics.median(seconds.pop("calibration"))
    medians = {name: statistics.median(values) for name, values in seconds.items()}

    def figures(name: str) -> dict:
        return {"median_s": round(medians[name], 4), "units": round(medians[name] / calibration, 1)}

    stages: dict[str, dict] = {}
    for name in medians:
        stage, _, variant = name.partition("/")
        if variant:
            stages.setdefault(stage, {})[variant] = figures(name)
        else:
            stages[stage] = figures(name)
    for stage in stages.values():
        if "baseline" in stage:
            stage["speedup"] = round(stage["baseline"]["median_s"] / stage["optimised"]["median_s"], 2)
    totals = {
        variant: round((medians[f"u2net/{variant}"] + medians[f"pfafn/{variant}"]) / calibration, 1)
        for variant in ("baseline", "optimised")
    }
    return {
        "calibration": {"workload": CALIBRATION_WORKLOAD, "median_s": round(calibration, 4)},
        "stages": stages,
        "u2net_plus_pfafn_units": {**totals, "goal": GOAL_UNITS},
        "load_networks_s": round(load_seconds, 2),
    }


def measure_peak_memory() -> dict:
    """Peak memory of a fresh process that loads the three checkpoints through `load_networks` and runs
    three segmentations and try-ons (a worker's steady state).

    Run before this process builds any weights: Linux carries the parent's peak into a child's
    ru_maxrss, so the parent must stay smaller than the child. The child also reports VmHWM, the
    high-water mark of its own address space, which does not inherit.
    """
    with tempfile.TemporaryDirectory(prefix="revetir-bench-weights-") as folder:
        paths = [str(Path(folder) / filename) for filename in CHECKPOINT_FILES.values()]
        for step in (["--write-checkpoints"], ["--memory-probe"]):
            completed = subprocess.run(
                [sys.executable, __file__, *step, *paths], capture_output=True, text=True, check=False
            )
            if completed.returncode != 0:
                raise SystemExit(f"{step[0]} failed:\n{completed.stderr}")
    return {**json.loads(completed.stdout), "goal_peak_rss_gib": GOAL_PEAK_RSS_GIB}


def write_checkpoints(paths: list[str]) -> None:
    """Run in a child process: save the stand-in weights under the official file names."""
    state_dicts = stand_in_state_dicts()
    for name, path in zip(CHECKPOINT_FILES, paths, strict=True):
        torch.save(state_dicts[name], path)


def memory_probe(paths: list[str]) -> None:
    """Run in a child process: load, run a few try-ons, print the peaks in GiB."""
    torch.set_num_threads(THREADS)
    after_import = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    networks = load_networks(*paths, u2net_variant="u2net")
    generator = torch.Generator().manual_seed(0)
    images = [torch.rand(1, 3, 256, 192, generator=generator) * 2 - 1 for _ in range(2)]
    edge = (torch.rand(1, 1, 256, 192, generator=generator) > 0.5).float()
    for _ in range(TRYONS_IN_MEMORY_PROBE):  # several: a heap that fragments grows from one try-on to the next
        networks.segment(torch.randn(1, 3, 320, 320, generator=generator))
        networks.dress(images[0], images[1], edge)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    high_water = next(
        int(line.split()[1]) for line in Path("/proc/self/status").read_text().splitlines() if line.startswith("VmHWM:")
    )
    gib = 1024 * 1024
    print(
        json.dumps(
            {
                "peak_rss_gib": round(peak / gib, 3),
                "vm_hwm_gib": round(high_water / gib, 3),
                "rss_after_imports_gib": round(after_import / gib, 3),
            }
        )
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="timed rounds (default 7), after one warm-up round")
    parser.add_argument("--no-classic", action="store_true", help="skip the weight-free engine")
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory subprocess")
    parser.add_argument("--write-checkpoints", nargs=3, metavar="PTH", help=argparse.SUPPRESS)
    parser.add_argument("--memory-probe", nargs=3, metavar="PTH", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.write_checkpoints:
        write_checkpoints(arguments.write_checkpoints)
        return 0
    if arguments.memory_probe:
        memory_probe(arguments.memory_probe)
        return 0
    torch.set_num_threads(THREADS)
    memory = None if arguments.no_memory else measure_peak_memory()
    report = {
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "cpu_count": os.cpu_count(),
        "load_average_1min_before": round(os.getloadavg()[0], 2),
        **measure_speed(arguments.runs, with_classic=not arguments.no_classic),
    }
    report["load_average_1min_after"] = round(os.getloadavg()[0], 2)
    if memory is not None:
        report["memory"] = memory
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
