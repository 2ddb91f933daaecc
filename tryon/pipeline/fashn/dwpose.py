"""DWPose's two ONNX stages, for operators who install them: person boxes (YOLOX-L) → 133 whole-body points.

DWPose (Yang et al., "Effective Whole-body Pose Estimation with Two-stages Distillation", ICCV 2023
workshops, arXiv:2307.15880; Apache-2.0) is what FASHN VTON v1.5 (FASHN AI, 2026) was trained with;
its pipeline runs `yolox_l.onnx` (YOLOX, Ge et al. 2021, COCO classes) then `dw-ll_ucoco_384.onnx`
(an RTMPose-L student with SimCC heads) on the BGR pre-resized photo. The facts followed here:

- Detector: the photo letterboxed into 640×640 at the top left (INTER_LINEAR, gray 114, no
  normalisation, float32 CHW); grid decoding over strides 8, 16, 32 (centre = (offset + cell)·stride,
  size = exp(·)·stride); score = objectness × class; person boxes above 0.1 through NMS at IoU 0.45
  (areas with the +1 pixel convention), kept above 0.3, best first. No box → the whole photo.
- Pose model: each box enlarged 1.25×, widened to the model's aspect ratio (288:384), cut out with an
  affine warp (INTER_LINEAR, black outside), normalised per channel with mean (123.675, 116.28,
  103.53) and std (58.395, 57.12, 57.375) in the BGR order the photo arrives in; SimCC decoding: arg-max
  bin / 2 per axis, score = the smaller of the two maxima, location −1 where that is ≤ 0; points
  mapped back through the box.

onnxruntime is optional: nothing in the shop needs it. Without it, or without the two files,
`DWPoseDetector` raises DWPoseUnavailableError saying what is missing.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from tryon.pipeline.fashn.pose_image import WHOLEBODY_POINTS, PoseKeypoints, pose_from_wholebody

DETECTOR_FILE = "yolox_l.onnx"
POSE_MODEL_FILE = "dw-ll_ucoco_384.onnx"

DETECTOR_INPUT_HW = (640, 640)
DETECTOR_STRIDES = (8, 16, 32)
LETTERBOX_GRAY = 114
PERSON_CLASS = 0
CANDIDATE_SCORE = 0.1  # boxes entering NMS
NMS_IOU = 0.45
PERSON_SCORE = 0.3  # boxes kept after NMS

BOX_PADDING = 1.25
POSE_MEAN = np.array([123.675, 116.28, 103.53])
POSE_STD = np.array([58.395, 57.12, 57.375])
SIMCC_SPLIT_RATIO = 2.0


class DWPoseUnavailableError(RuntimeError):
    """DWPose cannot run here: onnxruntime is not installed or a model file is missing."""


# ---------------------------------------------------------------------------------------------------------------------
# Detector


def letterbox(bgr: np.ndarray, input_hw: tuple[int, int] = DETECTOR_INPUT_HW) -> tuple[np.ndarray, float]:
    """(1, 3, H, W) float32 detector input with the photo at the top left, and the photo's scale in it."""
    ratio = min(input_hw[0] / bgr.shape[0], input_hw[1] / bgr.shape[1])
    new_height, new_width = int(bgr.shape[0] * ratio), int(bgr.shape[1] * ratio)
    canvas = np.full((*input_hw, 3), LETTERBOX_GRAY, dtype=np.uint8)
    resized = cv2.resize(bgr, (new_width, new_height), interpolation=cv2.INTER_LINEAR)
    canvas[:new_height, :new_width] = resized
    return np.ascontiguousarray(canvas.transpose(2, 0, 1), dtype=np.float32)[None], ratio


def decode_detections(raw: np.ndarray, input_hw: tuple[int, int] = DETECTOR_INPUT_HW) -> np.ndarray:
    """YOLOX's (N, 5 + classes) grid outputs → (N, 5 + classes) with centre and size in input pixels."""
    decoded = np.array(raw, dtype=np.float32, copy=True)
    cells, strides = [], []
    for stride in DETECTOR_STRIDES:
        rows, columns = input_hw[0] // stride, input_hw[1] // stride
        column_grid, row_grid = np.meshgrid(np.arange(columns), np.arange(rows))
        cells.append(np.stack([column_grid, row_grid], axis=-1).reshape(-1, 2))
        strides.append(np.full((rows * columns, 1), stride))
    cell, stride = np.concatenate(cells), np.concatenate(strides)
    if len(decoded) != len(cell):
        raise ValueError(f"detector returned {len(decoded)} predictions, expected {len(cell)} for {input_hw}")
    decoded[:, :2] = (decoded[:, :2] + cell) * stride
    decoded[:, 2:4] = np.exp(decoded[:, 2:4]) * stride
    return decoded


def suppress_overlaps(boxes: np.ndarray, scores: np.ndarray, iou: float = NMS_IOU) -> list[int]:
    """Greedy non-maximum suppression, best first (box areas with the +1 pixel convention)."""
    x0, y0, x1, y1 = boxes.T
    areas = (x1 - x0 + 1) * (y1 - y0 + 1)
    order = scores.argsort()[::-1]
    kept = []
    while order.size:
        best, rest = order[0], order[1:]
        kept.append(int(best))
        overlap_width = np.maximum(0.0, np.minimum(x1[best], x1[rest]) - np.maximum(x0[best], x0[rest]) + 1)
        overlap_height = np.maximum(0.0, np.minimum(y1[best], y1[rest]) - np.maximum(y0[best], y0[rest]) + 1)
        shared = overlap_width * overlap_height
        order = rest[shared / (areas[best] + areas[rest] - shared) <= iou]
    return kept


def person_boxes(raw: np.ndarray, ratio: float, input_hw: tuple[int, int] = DETECTOR_INPUT_HW) -> np.ndarray:
    """(n, 4) person boxes x0, y0, x1, y1 in photo pixels, best first, from the detector's first output."""
    predictions = decode_detections(raw, input_hw)
    centre, size = predictions[:, :2], predictions[:, 2:4]
    boxes = np.concatenate([centre - size / 2.0, centre + size / 2.0], axis=1) / ratio
    scores = predictions[:, 4] * predictions[:, 5 + PERSON_CLASS]
    candidates = scores > CANDIDATE_SCORE
    boxes, scores = boxes[candidates], scores[candidates]
    kept = suppress_overlaps(boxes, scores)
    boxes, scores = boxes[kept], scores[kept]
    return boxes[scores > PERSON_SCORE]


# ---------------------------------------------------------------------------------------------------------------------
# Pose model


def box_centre_and_size(box: Sequence[float], aspect: float) -> tuple[np.ndarray, np.ndarray]:
    """A box's centre and the (width, height) the pose model sees: 1.25× larger, widened to `aspect` (w/h).

    Computed in the box's own precision (float32 from the detector), as DWPose does.
    """
    x0, y0, x1, y1 = np.asarray(box)
    centre = np.array([x0 + x1, y0 + y1]) * 0.5
    width, height = np.array([x1 - x0, y1 - y0]) * BOX_PADDING
    size = np.array([width, width / aspect]) if width > height * aspect else np.array([height * aspect, height])
    return centre, size


def crop_transform(centre: np.ndarray, size: np.ndarray, input_wh: tuple[int, int]) -> np.ndarray:
    """The 2×3 affine map from photo to pose-model input: the box centre to the input's centre."""
    input_width, input_height = input_wh
    up = np.array([0.0, size[0] * -0.5])
    source = np.zeros((3, 2), dtype=np.float32)
    source[0] = centre
    source[1] = centre + up
    source[2] = source[1] + np.array([-(source[0] - source[1])[1], (source[0] - source[1])[0]])
    target = np.zeros((3, 2), dtype=np.float32)
    target[0] = [input_width * 0.5, input_height * 0.5]
    target[1] = target[0] + np.array([0.0, input_width * -0.5])
    target[2] = target[1] + np.array([-(target[0] - target[1])[1], (target[0] - target[1])[0]])
    return cv2.getAffineTransform(source, target)


def pose_model_input(bgr: np.ndarray, centre: np.ndarray, size: np.ndarray, input_wh: tuple[int, int]) -> np.ndarray:
    """(1, 3, h, w) float32: the box cut out, normalised."""
    crop = cv2.warpAffine(bgr, crop_transform(centre, size, input_wh), input_wh, flags=cv2.INTER_LINEAR)
    normalised = (crop - POSE_MEAN) / POSE_STD
    return np.ascontiguousarray(normalised.transpose(2, 0, 1), dtype=np.float32)[None]


def decode_simcc(simcc_x: np.ndarray, simcc_y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """SimCC outputs (K, bins) per axis → (K, 2) input-pixel locations and (K,) scores."""
    locations = np.stack([simcc_x.argmax(axis=-1), simcc_y.argmax(axis=-1)], axis=-1).astype(np.float32)
    scores = np.minimum(simcc_x.max(axis=-1), simcc_y.max(axis=-1))
    locations[scores <= 0.0] = -1
    return locations / SIMCC_SPLIT_RATIO, scores


# ---------------------------------------------------------------------------------------------------------------------
# Sessions


def _load_onnxruntime() -> Any:
    try:
        import onnxruntime
    except ImportError as error:
        raise DWPoseUnavailableError(
            "DWPose needs onnxruntime, which is not installed (pip install onnxruntime, or onnxruntime-gpu on "
            "GPU workers); the body model's pose is used without it"
        ) from error
    return onnxruntime


class DWPoseDetector:
    """Whole-body keypoints of the main person in an RGB photo, with DWPose's two ONNX files.

    `sessions` (detector, pose model) may be given directly (anything with onnxruntime's
    get_inputs/get_outputs/run); otherwise they are opened from `directory` with onnxruntime.
    """

    def __init__(self, directory: Path | None = None, *, device: str = "cpu", sessions: tuple | None = None):
        if sessions is None:
            if directory is None:
                raise ValueError("give the folder holding the DWPose files, or the two sessions")
            sessions = self._open(Path(directory), device)
        self.detector, self.pose_model = sessions

    @staticmethod
    def _open(directory: Path, device: str) -> tuple:
        missing = [name for name in (DETECTOR_FILE, POSE_MODEL_FILE) if not (directory / name).is_file()]
        if missing:
            raise DWPoseUnavailableError(f"DWPose files missing in {directory}: {', '.join(missing)}")
        onnxruntime = _load_onnxruntime()
        providers = ["CUDAExecutionProvider", "CPUExecutionProvider"] if device.startswith("cuda") else None
        providers = providers or ["CPUExecutionProvider"]
        return tuple(
            onnxruntime.InferenceSession(str(directory / name), providers=providers)
            for name in (DETECTOR_FILE, POSE_MODEL_FILE)
        )

    def keypoints(self, rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(n, 133, 2) pixel keypoints and (n, 133) scores, one row per person found (best box first)."""
        bgr = np.ascontiguousarray(rgb[..., 2::-1])
        detector_input, ratio = letterbox(bgr)
        (raw,) = self.detector.run(None, {self.detector.get_inputs()[0].name: detector_input})[:1]
        boxes = person_boxes(raw[0], ratio)
        if len(boxes) == 0:
            boxes = np.array([[0, 0, bgr.shape[1], bgr.shape[0]]], dtype=np.float64)
        input_height, input_width = (int(value) for value in self.pose_model.get_inputs()[0].shape[2:])
        input_name = self.pose_model.get_inputs()[0].name
        output_names = [output.name for output in self.pose_model.get_outputs()]
        all_points, all_scores = [], []
        for box in boxes:
            centre, size = box_centre_and_size(box, input_width / input_height)
            model_input = pose_model_input(bgr, centre, size, (input_width, input_height))
            simcc_x, simcc_y = self.pose_model.run(output_names, {input_name: model_input})[:2]
            points, scores = decode_simcc(simcc_x[0], simcc_y[0])
            all_points.append(points / np.array([input_width, input_height]) * size + centre - size / 2)
            all_scores.append(scores)
        points, scores = np.array(all_points), np.array(all_scores)
        if points.shape[1:] != (WHOLEBODY_POINTS, 2):
            raise ValueError(f"the pose model gave {points.shape[1]} points, expected {WHOLEBODY_POINTS}")
        return points, scores

    def __call__(self, rgb: np.ndarray) -> PoseKeypoints:
        """The main person's pose, normalised to the photo (draw it with `render_pose`)."""
        points, scores = self.keypoints(rgb)
        return pose_from_wholebody(points, scores, rgb.shape[0], rgb.shape[1])
