"""Try-on inference on a CUDA GPU: the reference goldens through the production path, then timings.

    python bench/tryon_gpu_bench.py [--reference DIR] [--runs N] [--cpu-threads N]

Needs only PyTorch, NumPy, SciPy, OpenCV, Pillow and scikit-image (no Django), so it runs on a bare GPU
machine next to a copy of the project and of ../shared/reference. Prints JSON and exits 1 when a
golden check fails or no GPU is visible.

1. `goldens`: every golden case of the reference (U²-Net, U²-NetP, PF-AFN with its per-level flows)
   through `engine.load_networks(device="cuda")`, compared with the reference README's tolerances
   (TF32 off, as `load_networks` sets it). The worst difference per output is reported.
2. `latency_ms`: median milliseconds per call at batch 1, synchronised, after warm-up: the plain
   reference classes on the GPU (`baseline`), the production networks (`optimised`), the same with
   cuDNN's autotuner on (what-if: shapes are fixed in production), and the production networks on
   this machine's CPU with `--cpu-threads` threads, all in the same run, plus the CPU calibration
   workload of `tryon_bench.py` so the CPU figures convert to its units.
3. `engine_ms`: `NeuralTryOnEngine.run` end to end on the GPU (a 1080×1440 photo and a drawn t-shirt,
   stand-in checkpoints written to a temporary folder), total and per stage: what a GPU worker spends
   per job, CPU pre- and post-processing included.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from revetir.testing import reference_data  # noqa: E402
from revetir.testing.person_photos import astronaut, resized  # noqa: E402
from revetir.testing.product_photos import tshirt_photo  # noqa: E402
from tryon.pipeline.neural import pfafn  # noqa: E402
from tryon.pipeline.neural.engine import NeuralTryOnEngine, load_networks  # noqa: E402
from tryon.pipeline.neural.u2net import U2Net  # noqa: E402
from tryon.pipeline.neural.weights import load_checkpoint  # noqa: E402

NETWORKS = ("u2net", "u2netp", "pfafn_warp", "pfafn_gen")
CHECKPOINT_FILES = {"u2net": "u2net.pth", "pfafn_warp": "warp_model_final.pth", "pfafn_gen": "gen_model_final.pth"}
PHOTO_SIZE = (1080, 1440)


def golden_differences(reference: Path, networks: dict) -> tuple[dict, bool]:
    """Worst absolute difference per golden output, and whether all are within the README's tolerances."""
    report: dict[str, dict] = {}
    passed = True
    for variant in ("u2net", "u2netp"):
        for path in sorted((reference / "golden").glob(f"{variant}_*.npz")):
            golden = reference_data.load_golden(reference, variant, path.stem.removeprefix(f"{variant}_"))
            d0 = networks[variant].segment(torch.from_numpy(golden["input"])).cpu().numpy()
            worst = float(np.abs(d0.astype(np.float64) - golden["d0"]).max())
            ok = worst <= reference_data.U2NET_MAX_ABS
            report[path.stem] = {"d0_max_abs": worst, "ok": ok}
            passed &= ok
    for path in sorted((reference / "golden").glob("pfafn_*.npz")):
        golden = reference_data.load_golden(reference, "pfafn", path.stem.removeprefix("pfafn_"))
        outputs = networks["u2net"].dress(*reference_data.pfafn_inputs(golden), with_intermediates=True)
        case = reference_data.pfafn_differences(outputs, golden)
        ok = all(entry["ok"] for entry in case.values())
        report[path.stem] = {**case, "ok": ok}
        passed &= ok
    return report, passed


def median_ms(workload: Callable[[], object], runs: int, synchronise: bool) -> float:
    seconds = []
    with torch.inference_mode():
        for index in range(runs + 3):  # three warm-up calls: weight packing, cuDNN plans, allocator
            started = time.perf_counter()
            workload()
            if synchronise:
                torch.cuda.synchronize()
            if index >= 3:
                seconds.append(time.perf_counter() - started)
    return round(statistics.median(seconds) * 1000, 2)


def plain_networks(state_dicts: dict[str, dict[str, torch.Tensor]], device: torch.device) -> dict:
    with torch.device("meta"):
        modules = {"u2net": U2Net("u2net"), "pfafn_warp": pfafn.WarpNet(), "pfafn_gen": pfafn.GeneratorNet()}
    return {name: load_checkpoint(module, state_dicts[name]).eval().to(device) for name, module in modules.items()}


def production_workloads(networks, inputs: dict[str, torch.Tensor]) -> dict[str, Callable[[], object]]:
    """The timed calls on a `LoadedNetworks` (the production path)."""
    masked = inputs["clothes"] * inputs["edge"]
    pair = (inputs["real_image"], inputs["clothes"], inputs["edge"])
    return {
        "u2net": lambda: networks.segment(inputs["u2net_input"]),
        "warp": lambda: networks.warp(inputs["real_image"], masked),
        "generator": lambda: networks.generator(inputs["generator_input"]),
        "pfafn": lambda: networks.dress(*pair),
    }


def plain_workloads(plain: dict[str, torch.nn.Module], inputs: dict[str, torch.Tensor]) -> dict[str, Callable]:
    """The same calls on the reference classes as the checkpoints load into them."""
    masked = inputs["clothes"] * inputs["edge"]
    pair = (inputs["real_image"], inputs["clothes"], inputs["edge"])
    return {
        "u2net": lambda: plain["u2net"](inputs["u2net_input"]),
        "warp": lambda: plain["pfafn_warp"](inputs["real_image"], masked),
        "generator": lambda: plain["pfafn_gen"](inputs["generator_input"]),
        "pfafn": lambda: pfafn.tryon_forward(plain["pfafn_warp"], plain["pfafn_gen"], *pair),
    }


def latency(state_dicts: dict, networks, inputs: dict, device: torch.device, runs: int, cpu_threads: int) -> dict:
    on_device = {key: value.to(device) for key, value in inputs.items()}
    synchronise = device.type == "cuda"
    figures: dict[str, dict[str, float]] = {}
    plain = plain_networks(state_dicts, device)
    for name, workload in plain_workloads(plain, on_device).items():
        figures[name] = {"baseline": median_ms(workload, runs, synchronise)}
    del plain
    for name, workload in production_workloads(networks, on_device).items():
        figures[name]["optimised"] = median_ms(workload, runs, synchronise)
    torch.backends.cudnn.benchmark = True
    for name, workload in production_workloads(networks, on_device).items():
        figures[name]["optimised_cudnn_benchmark"] = median_ms(workload, runs, synchronise)
    torch.backends.cudnn.benchmark = False

    import torchvision

    torch.set_num_threads(cpu_threads)
    cpu_networks = load_networks(state_dicts["u2net"], state_dicts["pfafn_warp"], state_dicts["pfafn_gen"])
    for name, workload in production_workloads(cpu_networks, inputs).items():
        figures[name]["cpu_optimised"] = median_ms(workload, max(3, runs // 4), synchronise=False)
    calibration_model = torchvision.models.resnet18(weights=None).eval()
    calibration_input = torch.randn(1, 3, 256, 192)
    calibration = median_ms(lambda: calibration_model(calibration_input), 7, synchronise=False)
    for stage in figures.values():
        stage["speedup_over_cpu"] = round(stage["cpu_optimised"] / stage["optimised"], 1)
        stage["cpu_units"] = round(stage["cpu_optimised"] / calibration, 1)
    total = {
        key: round(figures["u2net"][key] + figures["pfafn"][key], 2)
        for key in ("baseline", "optimised", "cpu_optimised")
    }
    return {
        "stages": figures,
        "u2net_plus_pfafn_ms": total,
        "cpu_threads": cpu_threads,
        "cpu_calibration_ms": calibration,
    }


def engine_timings(state_dicts: dict, device: torch.device, runs: int) -> dict:
    """`NeuralTryOnEngine.run` on the device, from files on disk like a worker."""
    photo = resized(astronaut(), *PHOTO_SIZE)
    garment = tshirt_photo()
    with tempfile.TemporaryDirectory(prefix="revetir-gpu-weights-") as folder:
        for name, filename in CHECKPOINT_FILES.items():
            torch.save(state_dicts[name], Path(folder) / filename)
        started = time.perf_counter()
        engine = NeuralTryOnEngine(folder, device=str(device))
        load_seconds = time.perf_counter() - started
        results = [engine.run(photo, garment) for _ in range(runs + 2)][2:]
    stages = {
        stage: round(statistics.median(r.timings[stage] for r in results) * 1000, 1) for stage in results[0].timings
    }
    return {
        "photo": f"{PHOTO_SIZE[0]}x{PHOTO_SIZE[1]}",
        "segmenter": engine.u2net_variant,
        "engine_load_s": round(load_seconds, 2),
        "median_total_ms": round(sum(stages.values()), 1),
        "median_stage_ms": stages,
        "result_size": list(results[0].image.size),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", type=Path, default=PROJECT_ROOT.parent / "shared" / "reference")
    parser.add_argument("--runs", type=int, default=20, help="timed calls per GPU figure (default 20)")
    parser.add_argument("--cpu-threads", type=int, default=2, help="threads for the CPU figures (default 2)")
    parser.add_argument("--device", default="cuda", help="cuda (default), cuda:N, or cpu to try the script out")
    arguments = parser.parse_args()
    device = torch.device(arguments.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        print(json.dumps({"error": "PyTorch sees no CUDA GPU here; run this on a GPU machine."}))
        return 1
    if not (arguments.reference / "detweights.py").is_file():
        print(json.dumps({"error": f"reference data not found at {arguments.reference} (use --reference)"}))
        return 1
    reference = arguments.reference.resolve()
    state_dicts = {name: reference_data.deterministic_state_dict(reference, name) for name in NETWORKS}
    networks = {
        variant: load_networks(
            state_dicts[variant],
            state_dicts["pfafn_warp"],
            state_dicts["pfafn_gen"],
            u2net_variant=variant,
            device=device,
        )
        for variant in ("u2net", "u2netp")
    }
    goldens, passed = golden_differences(reference, networks)
    generator = torch.Generator().manual_seed(0)
    golden = reference_data.load_golden(reference, "pfafn", "case1")
    inputs = dict(zip(reference_data.PFAFN_INPUT_KEYS, reference_data.pfafn_inputs(golden), strict=True))
    inputs["u2net_input"] = torch.randn(1, 3, 320, 320, generator=generator)
    inputs["generator_input"] = torch.randn(1, 7, 256, 192, generator=generator)
    report = {
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "tf32_allowed": torch.backends.cudnn.allow_tf32 or torch.backends.cuda.matmul.allow_tf32,
        "goldens_pass": passed,
        "goldens": goldens,
        "latency_ms": latency(state_dicts, networks["u2net"], inputs, device, arguments.runs, arguments.cpu_threads),
        "engine_ms": engine_timings(state_dicts, device, arguments.runs),
    }
    if device.type == "cuda":
        report["peak_gpu_memory_gib"] = round(torch.cuda.max_memory_allocated(device) / 2**30, 2)
    print(json.dumps(report, indent=2))
    return 0 if passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
