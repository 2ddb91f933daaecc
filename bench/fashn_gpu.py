"""FASHN VTON v1.5 on a CUDA GPU: seconds per picture at 10, 20 and 30 steps, batch 1 and 4, peak memory.

    python bench/fashn_gpu.py [--steps 10 20 30] [--batches 1 4] [--runs 2] [--dtype auto|bfloat16|float32]
    python bench/fashn_gpu.py --small     # the small reference configuration on this CPU (a smoke test)

The full architecture (972 M parameters, 576×864) with deterministic random stand-in weights: speed
does not depend on the values. Needs PyTorch, NumPy and safetensors only (no Django). Prints JSON.
Exits 2 on a machine without CUDA (unless --small), 1 when a golden check fails.

1. `load`: the stand-in weights are written as a bfloat16 `model.safetensors` (the official layout)
   in a temporary folder and read back with `weights.load_model`, the production path (seconds).
2. `goldens` (when ../shared/reference/fashn is present next to the project): every small golden case on
   the device in float32 with TF32 off, against the reference README's tolerances (probe velocities,
   4-step x_final). The bfloat16 difference is reported for information (the goldens are float32).
3. `calibration`: a square matmul in the compute dtype, TFLOP/s, measured in the same run: the
   baseline the network's achieved TFLOP/s is compared with.
4. `forward`: one doubled-batch forward (what every sampling step computes: 2·B rows), its FLOPs
   (PyTorch's FLOP counter) and TFLOP/s.
5. `sampling`: `sampler.sample` end to end per (batch, steps): median seconds, seconds per picture,
   seconds per step, overhead against steps × forward, and peak GPU memory (allocated and reserved).
"""

from __future__ import annotations

import argparse
import json
import math
import resource
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

from tryon.pipeline.fashn import FULL_MODEL_KWARGS, build_model, compute_dtype, load_model, sample  # noqa: E402
from tryon.pipeline.fashn.sampler import to_uint8  # noqa: E402

# Configuration A of ../shared/reference/fashn (fashn_vton_small.json), for --small.
SMALL_MODEL_KWARGS = {
    "input_shape": (48, 32),
    "hidden_size": 64,
    "n_heads": 2,
    "double_blocks_depth": 2,
    "single_blocks_depth": 2,
    "patch_size": 4,
    "axes_dim": (8, 12, 12),
    "patch_mixer_depth": 1,
}
STEPS, BATCHES = [10, 20, 30], [1, 4]
SMALL_STEPS, SMALL_BATCHES = [2, 4], [1, 2]
DTYPES = {"bfloat16": torch.bfloat16, "float32": torch.float32}
TOPS = 1
CALIBRATION_SIZE = 8192
SMALL_CALIBRATION_SIZE = 512
GOLDEN_VELOCITY_MAX_ABS = 5e-5
GOLDEN_SAMPLE_MAX_ABS = 2e-5
GIB = 1024**3
REFERENCE_FASHN_DIR = PROJECT_ROOT.parent / "shared" / "reference" / "fashn"


def synchronise(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def median_seconds(workload: Callable[[], object], runs: int, device: torch.device) -> float:
    times = []
    for _ in range(runs):
        synchronise(device)
        start = time.perf_counter()
        workload()
        synchronise(device)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


@torch.no_grad()
def fill_stand_in_weights(model: torch.nn.Module, seed: int = 0) -> None:
    """Random weights at initialisation-like scales (fan-in scaled), small biases, unit RMSNorm gains
    and a damped final layer, so the velocities stay finite over 30 steps."""
    generator = torch.Generator(device=model.device).manual_seed(seed)
    for key, value in model.state_dict().items():
        if key.endswith("_norm.scale"):
            value.fill_(1.0)
        elif key == "patch_mixer_token":
            value.zero_()
        else:
            noise = torch.randn(value.shape, generator=generator, device=value.device, dtype=torch.float32)
            fan_in = math.prod(value.shape[1:]) if value.dim() > 1 else 1
            scale = 0.05 if key.endswith("bias") else 1 / math.sqrt(fan_in)
            value.copy_(noise * scale * (0.35 if key == "final_layer.linear.weight" else 1.0))


def stand_in_inputs(model, batch: int, seed: int = 1) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    height, width = model.input_shape
    generator = torch.Generator().manual_seed(seed)

    def image(channels: int) -> torch.Tensor:
        return torch.rand((batch, channels, height, width), generator=generator) * 2 - 1

    noise = torch.randn((batch, 3, height, width), generator=generator)
    conditions = {
        "ca": image(3),
        "garment": image(3),
        "person_pose": image(1),
        "garment_pose": image(1),
        "category": torch.full((batch,), TOPS),
    }
    return noise, conditions


def load_section(kwargs: dict, device: torch.device, dtype: torch.dtype) -> tuple[dict, torch.nn.Module]:
    """Write the stand-in weights as a bf16 safetensors file and time loading it onto the device."""
    from safetensors.torch import save_file

    with torch.device(device):
        source = build_model(**kwargs).to(torch.bfloat16)
    fill_stand_in_weights(source)
    state = {key: value.cpu() for key, value in source.state_dict().items()}
    del source
    with tempfile.TemporaryDirectory(prefix="fashn_bench_") as folder:
        path = Path(folder) / "model.safetensors"
        start = time.perf_counter()
        save_file(state, str(path))
        written = time.perf_counter() - start
        size = path.stat().st_size
        del state
        start = time.perf_counter()
        model = load_model(path, device=device, dtype=dtype, model_kwargs=kwargs, file_dtype=torch.bfloat16)
        synchronise(device)
        loaded = time.perf_counter() - start
    if device.type == "cuda":
        torch.cuda.empty_cache()  # the float32 build's blocks, so reserved-memory peaks are the model's own
    return {"file_gib": round(size / GIB, 3), "write_s": round(written, 2), "load_s": round(loaded, 2)}, model


def golden_section(device: torch.device, dtype: torch.dtype) -> tuple[dict, bool]:
    """Every small golden case on the device: float32 (TF32 off) within the README's tolerances; the
    compute dtype's difference reported when it is not float32."""
    from revetir.testing import fashn_reference

    tf32 = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    report, ok = {}, True
    for case in fashn_reference.fashn_case_names():
        data = fashn_reference.golden(case)
        name = fashn_reference.case_manifest_name(case)
        meta = fashn_reference.case_meta(case)
        entry = {}
        for run_dtype in dict.fromkeys([torch.float32, dtype]):
            network = fashn_reference.stand_in_network(name).to(device=device, dtype=run_dtype)
            conditions = fashn_reference.conditions(data)
            with torch.no_grad():
                velocity = network(torch.from_numpy(data["probe_x"]), torch.from_numpy(data["probe_t"]), **conditions)
                null = network(
                    torch.from_numpy(data["probe_x"]), torch.from_numpy(data["probe_t"]), **conditions, null=True
                )
            x = sample(
                network,
                noise=torch.from_numpy(data["noise"]),
                steps=meta["num_timesteps"],
                guidance=meta["guidance_scale"],
                **conditions,
            )
            differences = {
                "fwd_v": float(np.abs(velocity.float().cpu().numpy() - data["fwd_v"]).max()),
                "fwd_v_null": float(np.abs(null.float().cpu().numpy() - data["fwd_v_null"]).max()),
                "x_final": float(np.abs(x.float().cpu().numpy() - data["x_final"]).max()),
            }
            label = str(run_dtype).removeprefix("torch.")
            if run_dtype == torch.float32:
                passed = (
                    differences["fwd_v"] <= GOLDEN_VELOCITY_MAX_ABS
                    and differences["fwd_v_null"] <= GOLDEN_VELOCITY_MAX_ABS
                    and differences["x_final"] <= GOLDEN_SAMPLE_MAX_ABS
                )
                ok = ok and passed
                entry[label] = {**differences, "ok": passed}
            else:
                entry[label] = {**differences, "note": "informational: the goldens are float32"}
        report[case] = entry
    torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = tf32
    return report, ok


def calibration_section(device: torch.device, dtype: torch.dtype, size: int, runs: int) -> dict:
    a = torch.randn(size, size, device=device, dtype=dtype)
    b = torch.randn(size, size, device=device, dtype=dtype)
    torch.mm(a, b)
    seconds = median_seconds(lambda: torch.mm(a, b), max(runs, 5), device)
    return {"matmul_size": size, "tflops": float(f"{2 * size**3 / seconds / 1e12:.4g}")}


def forward_section(model, batches: list[int], runs: int, device: torch.device) -> dict:
    from torch.utils.flop_counter import FlopCounterMode

    report = {}
    for batch in batches:
        noise, conditions = stand_in_inputs(model, 2 * batch)
        null = torch.arange(2 * batch) >= batch
        noise = noise.to(device=device, dtype=model.dtype)
        conditions = {k: v.to(device) for k, v in conditions.items()}
        t = torch.full((2 * batch,), 0.5)

        def forward(noise=noise, conditions=conditions, t=t, null=null):
            with torch.inference_mode():
                return model(noise, t, **conditions, null=null)

        forward()
        counter = FlopCounterMode(display=False)
        with counter:
            forward()
        flops = counter.get_total_flops()
        seconds = median_seconds(forward, runs, device)
        report[f"batch_{batch}"] = {
            "rows": 2 * batch,
            "ms": round(seconds * 1000, 2),
            "gflop": float(f"{flops / 1e9:.4g}"),
            "tflops": float(f"{flops / seconds / 1e12:.4g}"),
            "seconds": seconds,
        }
    return report


def sampling_section(model, batches: list[int], steps_list: list[int], runs: int, device: torch.device, forward: dict):
    report = {}
    for batch in batches:
        noise, conditions = stand_in_inputs(model, batch)
        sample(model, noise=noise, steps=2, guidance=1.5, **conditions)  # warm-up at this shape
        for steps in steps_list:
            if device.type == "cuda":
                torch.cuda.reset_peak_memory_stats(device)
            outputs = []

            def run(noise=noise, conditions=conditions, steps=steps, outputs=outputs):
                outputs.append(sample(model, noise=noise, steps=steps, guidance=1.5, **conditions))

            seconds = median_seconds(run, runs, device)
            pictures = to_uint8(outputs[-1])
            entry = {
                "seconds": round(seconds, 3),
                "seconds_per_picture": round(seconds / batch, 3),
                "seconds_per_step": round(seconds / steps, 4),
                "overhead_vs_forwards": round(seconds / (steps * forward[f"batch_{batch}"]["seconds"]), 3),
                "finite": bool(torch.isfinite(outputs[-1]).all()),
                "picture_std": round(float(pictures.std()), 1),
            }
            if device.type == "cuda":
                entry["peak_allocated_gib"] = round(torch.cuda.max_memory_allocated(device) / GIB, 2)
                entry["peak_reserved_gib"] = round(torch.cuda.max_memory_reserved(device) / GIB, 2)
            else:
                entry["peak_rss_gib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / GIB, 2)
            report[f"batch_{batch}_steps_{steps}"] = entry
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="the small reference configuration on the CPU")
    parser.add_argument("--steps", type=int, nargs="+", help="default 10 20 30 (--small: 2 4)")
    parser.add_argument("--batches", type=int, nargs="+", help="default 1 4 (--small: 1 2)")
    parser.add_argument("--runs", type=int, default=2, help="timed sampling runs per figure (median; default 2)")
    parser.add_argument("--dtype", choices=["auto", *DTYPES], default="auto", help="auto: bfloat16 where supported")
    parser.add_argument("--device", default="cuda", help="cuda (default) or cuda:N")
    arguments = parser.parse_args()

    device = torch.device("cpu" if arguments.small else arguments.device)
    steps = arguments.steps or (SMALL_STEPS if arguments.small else STEPS)
    batches = arguments.batches or (SMALL_BATCHES if arguments.small else BATCHES)
    if device.type == "cuda" and not torch.cuda.is_available():
        print(
            "bench/fashn_gpu.py: PyTorch sees no CUDA GPU on this machine. FASHN VTON is a GPU engine (one "
            "picture takes hours on two CPU cores); run this on a GPU machine, or pass --small to smoke-test "
            "the script with the small configuration on the CPU.",
            file=sys.stderr,
        )
        return 2
    dtype = compute_dtype(device) if arguments.dtype == "auto" else DTYPES[arguments.dtype]
    kwargs = SMALL_MODEL_KWARGS if arguments.small else FULL_MODEL_KWARGS
    if device.type == "cpu":
        torch.set_num_threads(min(2, torch.get_num_threads()))

    result: dict = {
        "environment": {
            "torch": torch.__version__,
            "device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
            "dtype": str(dtype).removeprefix("torch."),
            "configuration": "small (reference config A)" if arguments.small else "full (official defaults)",
            "input_shape": list(kwargs["input_shape"]),
        }
    }
    result["load"], model = load_section(kwargs, device, dtype)
    result["environment"]["parameters"] = sum(value.numel() for value in model.state_dict().values())
    golden_ok = True
    if (REFERENCE_FASHN_DIR / "README.md").is_file():
        result["goldens"], golden_ok = golden_section(device, dtype)
    else:
        result["goldens"] = f"skipped: no reference data at {REFERENCE_FASHN_DIR}"
    size = SMALL_CALIBRATION_SIZE if arguments.small else CALIBRATION_SIZE
    result["calibration"] = calibration_section(device, dtype, size, arguments.runs)
    forward = forward_section(model, batches, max(arguments.runs, 3), device)
    for entry in forward.values():
        entry["of_calibration"] = float(f"{entry['tflops'] / result['calibration']['tflops']:.3g}")
    result["sampling"] = sampling_section(model, batches, steps, arguments.runs, device, forward)
    for entry in forward.values():
        entry.pop("seconds")
    result["forward"] = forward
    print(json.dumps(result, indent=2))
    return 0 if golden_ok else 1


if __name__ == "__main__":
    sys.exit(main())
