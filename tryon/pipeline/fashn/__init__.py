"""FASHN VTON v1.5 (FASHN AI, 2026; github.com/fashn-AI/fashn-vton-1.5): canvas and pose image (no Django)."""

from tryon.pipeline.fashn.canvas import CANVAS_HW, CanvasPlacement, canvas_to_photo, place_photo, resize_pad, unpad  # noqa: F401
from tryon.pipeline.fashn.pose_image import PoseKeypoints, blank_pose, pose_canvas, pose_from_body_analysis, render_pose  # noqa: F401
