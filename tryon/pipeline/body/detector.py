"""BlazePose person detector: SSD anchors, box and keypoint decoding, weighted non-maximum suppression.

Follows MediaPipe's graph `mediapipe/modules/pose_detection/pose_detection_cpu.pbtxt` (v0.10.21):
the photo is letterboxed to 224×224 with values in [-1, 1] (ImageToTensorCalculator, BORDER_ZERO);
SsdAnchorsCalculator with num_layers 5, min_scale 0.1484375, max_scale 0.75, strides 8, 16, 32, 32, 32,
aspect ratio 1.0, anchor offset 0.5 and fixed_anchor_size (so every anchor is 1×1 and only its centre
matters: 28²·2 + 14²·2 + 7²·6 = 2254 anchors); TensorsToDetectionsCalculator with 12 values per box
(x/y centre, width, height, then 4 keypoints), all scaled by 224, sigmoid scores clipped at ±100 and
kept from 0.5; NonMaxSuppressionCalculator, WEIGHTED, IoU threshold 0.3; then the letterbox removed.

Keypoint 0 is the middle of the hips and keypoint 1 lies on the circle around the whole body, along
the body's axis; the landmark model's region is built from them (region.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

INPUT_SIZE = 224
ANCHOR_STRIDES = (8, 16, 32, 32, 32)
ANCHORS_PER_LAYER = 2  # aspect ratio 1.0 plus the interpolated scale, both 1×1 with fixed_anchor_size
ANCHOR_OFFSET = 0.5
NUM_BOXES = 2254
NUM_KEYPOINTS = 4
KEYPOINT_OFFSET = 4
COORDINATE_SCALE = 224.0
SCORE_CLIP = 100.0
MIN_SCORE = 0.5
MIN_SUPPRESSION_IOU = 0.3


@dataclass(frozen=True)
class PersonDetection:
    """One detected person in the coordinates of the image given to `detect_people` (pixels)."""

    score: float
    box: tuple[float, float, float, float]  # x0, y0, x1, y1
    keypoints: np.ndarray  # (4, 2) x, y


def ssd_anchor_centres() -> np.ndarray:
    """(2254, 2) anchor centres in [0, 1], in the order the model emits its boxes.

    Layers sharing a stride are generated together (as SsdAnchorsCalculator does), each location
    repeating its anchors for every layer of the group.
    """
    centres = []
    layer = 0
    while layer < len(ANCHOR_STRIDES):
        stride = ANCHOR_STRIDES[layer]
        group = 0
        while layer + group < len(ANCHOR_STRIDES) and ANCHOR_STRIDES[layer + group] == stride:
            group += 1
        cells = int(np.ceil(INPUT_SIZE / stride))
        ys, xs = np.meshgrid(np.arange(cells), np.arange(cells), indexing="ij")
        grid = np.stack([(xs + ANCHOR_OFFSET) / cells, (ys + ANCHOR_OFFSET) / cells], axis=-1).reshape(-1, 1, 2)
        centres.append(np.repeat(grid, group * ANCHORS_PER_LAYER, axis=1).reshape(-1, 2))
        layer += group
    anchors = np.concatenate(centres).astype(np.float32)
    assert anchors.shape == (NUM_BOXES, 2)
    return anchors


ANCHOR_CENTRES = ssd_anchor_centres()


@dataclass(frozen=True)
class Letterbox:
    """How an image was fitted into a square tensor: its scale and the padding on each side (pixels)."""

    scale: float
    pad_x: float
    pad_y: float

    def to_image(self, points: np.ndarray) -> np.ndarray:
        """Tensor pixels → image pixels."""
        return (points - np.array([self.pad_x, self.pad_y], dtype=np.float32)) / self.scale


def letterbox(rgb: np.ndarray, size: int) -> tuple[np.ndarray, Letterbox]:
    """The image scaled to fit `size`×`size`, centred on black, as uint8, and how it was placed."""
    height, width = rgb.shape[:2]
    scale = size / max(height, width)
    new_width, new_height = max(1, round(width * scale)), max(1, round(height * scale))
    resized = cv2.resize(rgb, (new_width, new_height), interpolation=cv2.INTER_AREA)
    canvas = np.zeros((size, size, 3), dtype=np.uint8)
    pad_x, pad_y = (size - new_width) // 2, (size - new_height) // 2
    canvas[pad_y : pad_y + new_height, pad_x : pad_x + new_width] = resized
    return canvas, Letterbox(scale=scale, pad_x=pad_x, pad_y=pad_y)


def detector_input(rgb: np.ndarray) -> tuple[np.ndarray, Letterbox]:
    """(224, 224, 3) float32 in [-1, 1] and its letterbox."""
    canvas, placement = letterbox(rgb, INPUT_SIZE)
    return canvas.astype(np.float32) / 127.5 - 1.0, placement


def decode_detections(raw_boxes: np.ndarray, raw_scores: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Scores, boxes (x0, y0, x1, y1) and keypoints (N, 4, 2) in tensor pixels, for scores ≥ 0.5."""
    logits = np.clip(raw_scores.reshape(-1).astype(np.float64), -SCORE_CLIP, SCORE_CLIP)
    scores = 1.0 / (1.0 + np.exp(-logits))
    keep = scores >= MIN_SCORE
    raw, anchors = raw_boxes[keep], ANCHOR_CENTRES[keep]
    centre = raw[:, 0:2] / COORDINATE_SCALE + anchors
    half_size = raw[:, 2:4] / COORDINATE_SCALE / 2
    boxes = np.concatenate([centre - half_size, centre + half_size], axis=1) * INPUT_SIZE
    keypoints = raw[:, KEYPOINT_OFFSET : KEYPOINT_OFFSET + 2 * NUM_KEYPOINTS].reshape(-1, NUM_KEYPOINTS, 2)
    keypoints = (keypoints / COORDINATE_SCALE + anchors[:, None, :]) * INPUT_SIZE
    return scores[keep], boxes, keypoints


def box_iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    top_left = np.maximum(box[:2], boxes[:, :2])
    bottom_right = np.minimum(box[2:], boxes[:, 2:])
    intersection = np.prod(np.clip(bottom_right - top_left, 0, None), axis=1)
    areas = np.prod(boxes[:, 2:] - boxes[:, :2], axis=1)
    union = np.prod(box[2:] - box[:2]) + areas - intersection
    return np.where(union > 0, intersection / np.maximum(union, 1e-12), 0.0)


def weighted_non_max_suppression(
    scores: np.ndarray, boxes: np.ndarray, keypoints: np.ndarray
) -> list[tuple[float, np.ndarray, np.ndarray]]:
    """MediaPipe's WEIGHTED suppression: each kept detection is the score-weighted mean of the boxes
    overlapping the best remaining one by more than the threshold, with the best one's score."""
    order = np.argsort(-scores, kind="stable")
    remaining = order
    kept = []
    while remaining.size:
        best = remaining[0]
        overlapping = box_iou(boxes[best], boxes[remaining]) > MIN_SUPPRESSION_IOU
        overlapping[0] = True
        group = remaining[overlapping]
        weights = scores[group][:, None]
        total = weights.sum()
        box = (boxes[group] * weights).sum(axis=0) / total
        points = (keypoints[group] * weights[:, :, None]).sum(axis=0) / total
        kept.append((float(scores[best]), box, points))
        remaining = remaining[~overlapping]
    return kept


def detect_people(rgb: np.ndarray, run_detector: Callable[[np.ndarray], list[np.ndarray]]) -> list[PersonDetection]:
    """Every person the detector finds in `rgb` (H, W, 3 uint8), best first, in `rgb`'s pixels.

    `run_detector` maps the (224, 224, 3) input to the model's two outputs (boxes, scores).
    """
    tensor, placement = detector_input(rgb)
    raw_boxes, raw_scores = run_detector(tensor)
    scores, boxes, keypoints = decode_detections(raw_boxes, raw_scores)
    people = []
    for score, box, points in weighted_non_max_suppression(scores, boxes, keypoints):
        corners = placement.to_image(box.reshape(2, 2)).reshape(-1)
        people.append(
            PersonDetection(
                score=score, box=tuple(float(value) for value in corners), keypoints=placement.to_image(points)
            )
        )
    return people
