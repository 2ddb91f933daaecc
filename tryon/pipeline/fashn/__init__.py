"""FASHN VTON v1.5 (FASHN AI, 2026; Apache-2.0): maskless photographic try-on of tops, bottoms and
one-pieces at 576×864 by a pixel-space MMDiT sampled with guided rectified-flow Euler steps. A GPU
engine: one picture is seconds on a recent GPU and hours on two CPU cores.

The network (`mmdit`), its weights (`weights`) and the sampler (`sampler`) are plain PyTorch; importing
this package loads no weights.
"""

from tryon.pipeline.fashn.mmdit import TryOnMMDiT
from tryon.pipeline.fashn.sampler import cfg_velocities, sample, schedule, to_uint8
from tryon.pipeline.fashn.weights import (
    FULL_MODEL_KWARGS,
    build_model,
    check_weights_file,
    compute_dtype,
    load_model,
    load_weights,
)

__all__ = [
    "FULL_MODEL_KWARGS",
    "TryOnMMDiT",
    "build_model",
    "cfg_velocities",
    "check_weights_file",
    "compute_dtype",
    "load_model",
    "load_weights",
    "sample",
    "schedule",
    "to_uint8",
]
