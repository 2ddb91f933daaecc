"""FASHN VTON v1.5 (FASHN AI, 2026; github.com/fashn-AI/fashn-vton-1.5, Apache-2.0): maskless
photographic try-on of tops, bottoms and one-pieces at 576×864 by a pixel-space MMDiT sampled with
guided rectified-flow Euler steps. A GPU engine: one picture is seconds on a recent GPU and hours on
two CPU cores.

The network (`mmdit`), its weights (`weights`) and the sampler (`sampler`) are plain PyTorch; the
canvas (`canvas`) and the pose image (`pose_image`) prepare its inputs; `files` knows the operator's
files and `engine` is the shop's engine. Importing this package loads no weights.
"""

from tryon.pipeline.fashn.canvas import CANVAS_HW, CanvasPlacement, canvas_to_photo, place_photo, resize_pad, unpad
from tryon.pipeline.fashn.mmdit import TryOnMMDiT
from tryon.pipeline.fashn.pose_image import (
    PoseKeypoints,
    blank_pose,
    pose_canvas,
    pose_from_body_analysis,
    render_pose,
)
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
    "CANVAS_HW",
    "FULL_MODEL_KWARGS",
    "CanvasPlacement",
    "PoseKeypoints",
    "TryOnMMDiT",
    "blank_pose",
    "build_model",
    "canvas_to_photo",
    "cfg_velocities",
    "check_weights_file",
    "compute_dtype",
    "load_model",
    "load_weights",
    "place_photo",
    "pose_canvas",
    "pose_from_body_analysis",
    "render_pose",
    "resize_pad",
    "sample",
    "schedule",
    "to_uint8",
    "unpad",
]
