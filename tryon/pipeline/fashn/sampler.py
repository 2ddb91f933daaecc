"""Rectified-flow sampling for FASHN VTON v1.5: the shifted time schedule and guided Euler steps.

The model is trained as a rectified flow (Liu et al., "Flow Straight and Fast", arXiv:2209.03003;
Esser et al., "Scaling Rectified Flow Transformers for High-Resolution Image Synthesis" (SD3),
arXiv:2403.03206, whose time shift this schedule uses): t runs from 0 (noise) to 1 (the picture) and
the network predicts dx/dt. Facts kept from the official pipeline (github.com/fashn-AI/fashn-vton-1.5,
`TryOnPipeline._sample` and `get_rf_schedule`, commit 7c0f10a), because they change the picture:

- schedule: s = e^(−shift) / (e^(−shift) + 1/u − 1) for u = linspace(1, 0, N + 1), in float32, then
  reversed so it runs 0 → 1 (u = 0 gives exactly 0); the authors' defaults are N = 30, shift 1.5;
- every step evaluates the conditional and the null branch in one doubled batch, conditional rows
  first; guided velocity v_u + g·(v_c − v_u), except on the last step, which uses v_c alone (the
  authors skip guidance there against colour saturation; the null half is still computed);
- the time fed to the network is the step's start time in the network's dtype; x ← x + dt·v with dt the
  difference of consecutive schedule entries as Python floats;
- the output picture: clamp to [−1, 1], (x + 1)/2·255, truncated (not rounded) to uint8.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable

import numpy as np
import torch

from tryon.pipeline.fashn.mmdit import TryOnMMDiT, category_rows

DEFAULT_STEPS = 30
DEFAULT_GUIDANCE = 1.5
DEFAULT_SHIFT = 1.5
UNGUIDED_LAST_STEPS = 1

# on_step(steps_done, steps) after every Euler step.
StepCallback = Callable[[int, int], None]


def schedule(steps: int, shift: float = DEFAULT_SHIFT) -> np.ndarray:
    """The N + 1 times [0.0 … 1.0] of an N-step run, float64 holding the float32 values the official
    code computes."""
    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}")
    uniform = torch.linspace(1, 0, steps + 1)
    weight = math.exp(-shift)
    shifted = weight / (weight + (1 / uniform - 1))
    return np.ascontiguousarray(shifted.numpy().astype(np.float64)[::-1])


@torch.inference_mode()
def sample(
    model: TryOnMMDiT,
    *,
    noise: torch.Tensor,
    steps: int = DEFAULT_STEPS,
    guidance: float = DEFAULT_GUIDANCE,
    ca: torch.Tensor,
    garment: torch.Tensor,
    person_pose: torch.Tensor,
    garment_pose: torch.Tensor,
    category: torch.Tensor,
    shift: float = DEFAULT_SHIFT,
    on_step: StepCallback | None = None,
) -> torch.Tensor:
    """Integrate from `noise` [B, C, H, W] (t = 0) to t = 1 with guided Euler steps; returns the final
    x [B, C, H, W] in the network's dtype, before clamping (see `to_uint8`). Conditioning as for
    `TryOnMMDiT.forward`; everything is moved to the network's device and dtype. `on_step(done, steps)`
    is called after each step."""
    x = noise.to(device=model.device, dtype=model.dtype)
    doubled = _doubled_conditions(model, ca, garment, person_pose, garment_pose, category, batch=x.shape[0])
    times = schedule(steps, shift).tolist()
    for index, (t_now, t_next) in enumerate(itertools.pairwise(times)):
        v_conditional, v_null = _conditional_and_null(model, x, t_now, doubled)
        unguided = index >= steps - UNGUIDED_LAST_STEPS
        guided = v_conditional if unguided else v_null + guidance * (v_conditional - v_null)
        x = x + (t_next - t_now) * guided
        if on_step is not None:
            on_step(index + 1, steps)
    return x


@torch.inference_mode()
def cfg_velocities(
    model: TryOnMMDiT,
    x: torch.Tensor,
    t: float,
    *,
    ca: torch.Tensor,
    garment: torch.Tensor,
    person_pose: torch.Tensor,
    garment_pose: torch.Tensor,
    category: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor]:
    """(conditional, null) velocities at (x, t) from one doubled batch, as each sampling step computes
    them."""
    x = x.to(device=model.device, dtype=model.dtype)
    doubled = _doubled_conditions(model, ca, garment, person_pose, garment_pose, category, batch=x.shape[0])
    return _conditional_and_null(model, x, t, doubled)


def _doubled_conditions(
    model: TryOnMMDiT,
    ca: torch.Tensor,
    garment: torch.Tensor,
    person_pose: torch.Tensor,
    garment_pose: torch.Tensor,
    category: torch.Tensor,
    *,
    batch: int,
) -> dict[str, torch.Tensor]:
    """The conditioning twice over (rows 0..B−1 conditional, B..2B−1 null) with the null flags; a
    conditioning batch of 1 serves every noise row (several samples of one try-on)."""
    device, dtype = model.device, model.dtype
    images = {"ca": ca, "garment": garment, "person_pose": person_pose, "garment_pose": garment_pose}
    doubled = {}
    for name, value in images.items():
        value = value.to(device=device, dtype=dtype)
        if value.shape[0] == 1 and batch > 1:
            value = value.expand(batch, *value.shape[1:])
        doubled[name] = value.repeat(2, *([1] * (value.dim() - 1)))
    doubled["category"] = category_rows(category, batch, device).repeat(2)
    doubled["null"] = torch.arange(2 * batch, device=device) >= batch
    return doubled


def _conditional_and_null(
    model: TryOnMMDiT, x: torch.Tensor, t: float, doubled: dict[str, torch.Tensor]
) -> tuple[torch.Tensor, torch.Tensor]:
    batch = x.shape[0]
    t_vec = torch.full((2 * batch,), t, dtype=model.dtype, device=model.device)
    velocity = model(torch.cat([x, x]), t_vec, **doubled)
    return velocity[:batch], velocity[batch:]


def to_uint8(x: torch.Tensor) -> np.ndarray:
    """Sampled x [B, 3, H, W] → uint8 pictures [B, H, W, 3]: clamp to [−1, 1], map to [0, 255],
    truncate (the official conversion)."""
    unit = (x.detach().to(device="cpu", dtype=torch.float32).clamp(-1.0, 1.0) + 1) * 0.5
    return (unit * 255).to(torch.uint8).permute(0, 2, 3, 1).contiguous().numpy()
