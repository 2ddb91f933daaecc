"""The rectified-flow schedule and the guided Euler sampler reproduce the official `_sample`: every
step's input, time and both velocities, the final x and the uint8 picture (4 steps, injected noise)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from revetir.testing.fashn_reference import (
    FASHN_DIR,
    OUTPUT_UINT8_MAX_ABS,
    SAMPLE_MAX_ABS,
    SCHEDULE_MAX_ABS,
    SINUSOID_MAX_ABS,
    VELOCITY_MAX_ABS,
    case_manifest_name,
    case_meta,
    conditions,
    fashn_case_names,
    golden,
    stand_in_network,
)
from tests.tryon.pipeline.fashn.test_mmdit import assert_close
from tryon.pipeline.fashn import sample, schedule, to_uint8
from tryon.pipeline.fashn.mmdit import timestep_sinusoid

CASES = fashn_case_names()
SCHEDULE_STEPS = (1, 2, 4, 20, 30, 50)


@pytest.fixture(scope="module")
def schedule_golden(fashn_dir):
    with np.load(FASHN_DIR / "golden" / "fashn_schedule.npz") as data:
        return {key: data[key] for key in data.files}


@pytest.mark.parametrize("steps", SCHEDULE_STEPS)
def test_schedule_and_step_sizes_match_the_official_ones(schedule_golden, steps):
    times = schedule(steps)
    assert times.dtype == np.float64 and times.shape == (steps + 1,)
    assert times[0] == 0.0 and times[-1] == 1.0
    assert np.abs(times - schedule_golden[f"schedule_{steps}"]).max() <= SCHEDULE_MAX_ABS
    assert np.abs(np.diff(times) - schedule_golden[f"dt_{steps}"]).max() <= SCHEDULE_MAX_ABS


def test_schedule_refuses_zero_steps():
    with pytest.raises(ValueError, match="at least 1"):
        schedule(0)


def test_time_sinusoid_matches_in_float32_float64_and_bfloat16(schedule_golden):
    t = torch.from_numpy(schedule_golden["temb_t"])
    assert_close(timestep_sinusoid(t), schedule_golden["temb_sinusoid"], SINUSOID_MAX_ABS, "float32")
    assert_close(timestep_sinusoid(t.double()), schedule_golden["temb_sinusoid_f64_input"], SINUSOID_MAX_ABS, "f64")
    # A bfloat16 network rounds t and 1000·t to bfloat16 before the float32 arguments (CUDA runs).
    in_bf16 = t.to(torch.bfloat16)
    assert_close(in_bf16.float(), schedule_golden["t_bf16"], 0, "t_bf16")
    assert_close((1000.0 * in_bf16).float(), schedule_golden["t1000_bf16"], 0, "t1000_bf16")
    features = timestep_sinusoid(in_bf16)
    assert features.dtype == torch.bfloat16
    # CPU exp/cos/sin may differ by one float32 ulp between machines (5 of the 128 frequencies here),
    # which can flip a bfloat16 rounding: allow one bfloat16 step on a handful of the 8,704 values.
    expected = schedule_golden["temb_sinusoid_bf16"]
    difference = np.abs(features.float().numpy() - expected)
    assert (difference > 0).sum() <= 10
    assert (difference <= np.maximum(np.abs(expected), 2**-8) * 2**-7).all()


def recorded_sampling(network, data, *, dtype=torch.float32):
    """Run `sample` on a case's inputs, recording what each step fed the network and got back."""
    meta = json.loads(str(data["meta"]))
    calls: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]] = []
    progress: list[tuple[int, int]] = []
    hook = network.register_forward_hook(lambda m, args, out: calls.append((args[0].clone(), args[1].clone(), out)))
    try:
        x = sample(
            network,
            noise=torch.from_numpy(data["noise"]).to(dtype),
            steps=meta["num_timesteps"],
            guidance=meta["guidance_scale"],
            on_step=lambda done, total: progress.append((done, total)),
            **conditions(data, dtype=dtype),
        )
    finally:
        hook.remove()
    return x, calls, progress


def crop(pictures: np.ndarray, padding_ltrb: np.ndarray) -> np.ndarray:
    left, top, right, bottom = (int(v) for v in padding_ltrb)
    height, width = pictures.shape[1:3]
    return pictures[:, top : height - bottom, left : width - right]


@pytest.mark.parametrize("case", CASES)
def test_guided_sampling_matches_the_official_run_step_by_step(fashn_dir, case):
    data = golden(case)
    network = stand_in_network(case_manifest_name(case))
    x, calls, progress = recorded_sampling(network, data)
    steps = case_meta(case)["num_timesteps"]
    batch = data["noise"].shape[0]
    assert len(calls) == steps
    assert progress == [(i, steps) for i in range(1, steps + 1)]
    assert np.abs(schedule(steps) - data["timesteps"]).max() <= SCHEDULE_MAX_ABS
    for i, (x_in, t_in, velocity) in enumerate(calls):
        assert torch.equal(x_in[:batch], x_in[batch:]), "both halves of the doubled batch see the same x"
        assert_close(x_in[:batch], data["x_steps"][i], SAMPLE_MAX_ABS, f"x_steps[{i}]")
        assert_close(t_in[:batch], data["t_steps"][i], 0, f"t_steps[{i}]")
        assert_close(velocity[:batch], data["v_c_steps"][i], VELOCITY_MAX_ABS, f"v_c_steps[{i}]")
        assert_close(velocity[batch:], data["v_u_steps"][i], VELOCITY_MAX_ABS, f"v_u_steps[{i}]")
    assert_close(x, data["x_final"], SAMPLE_MAX_ABS, "x_final")
    pictures = crop(to_uint8(x), data["canvas_padding_ltrb"])
    assert pictures.dtype == np.uint8 and pictures.shape == data["output_uint8"].shape
    assert np.abs(pictures.astype(int) - data["output_uint8"]).max() <= OUTPUT_UINT8_MAX_ABS


def test_float64_sampling_matches_the_official_float64_run(fashn_dir):
    case = CASES[0]
    data = golden(case)
    network = stand_in_network(case_manifest_name(case)).double()
    x, calls, _ = recorded_sampling(network, data, dtype=torch.float64)
    assert x.dtype == torch.float64
    batch = data["noise"].shape[0]
    for i, (x_in, _, velocity) in enumerate(calls):
        assert_close(x_in[:batch], data["x_steps_f64"][i], SAMPLE_MAX_ABS, f"x_steps_f64[{i}]")
        assert_close(velocity[:batch], data["v_c_steps_f64"][i], VELOCITY_MAX_ABS, f"v_c_steps_f64[{i}]")
        assert_close(velocity[batch:], data["v_u_steps_f64"][i], VELOCITY_MAX_ABS, f"v_u_steps_f64[{i}]")
    assert_close(x, data["x_final_f64"], SAMPLE_MAX_ABS, "x_final_f64")
    pictures = crop(to_uint8(x), data["canvas_padding_ltrb"])
    assert np.abs(pictures.astype(int) - data["output_uint8_f64"]).max() <= OUTPUT_UINT8_MAX_ABS


def test_uint8_conversion_clamps_and_truncates():
    x = torch.tensor([-2.0, -1.0, 0.0, 0.999, 1.0, 3.0]).reshape(1, 1, 2, 3).expand(1, 3, 2, 3)
    pictures = to_uint8(x)
    assert pictures.shape == (1, 2, 3, 3)
    # (0 + 1)/2·255 = 127.5 → 127 and (0.999 + 1)/2·255 = 254.87 → 254: truncated, not rounded.
    assert pictures[0, :, :, 0].ravel().tolist() == [0, 0, 127, 254, 255, 255]


def test_one_conditioning_serves_several_samples(fashn_dir):
    """Several samples of one try-on: a conditioning batch of 1 and a category id give the same
    result as the conditioning repeated per noise row (as the official pipeline repeats it)."""
    data = golden(CASES[0])
    network = stand_in_network(case_manifest_name(CASES[0]))
    cond = conditions(data)
    noise = torch.cat([torch.from_numpy(data["noise"]), torch.from_numpy(data["noise"]).flip(-1)])
    repeated = {key: torch.cat([value, value]) for key, value in cond.items()}
    once = {**cond, "category": int(cond["category"][0])}
    expected = sample(network, noise=noise, steps=2, guidance=1.5, **repeated)
    assert torch.equal(sample(network, noise=noise, steps=2, guidance=1.5, **once), expected)
