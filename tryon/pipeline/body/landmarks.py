"""BlazePose landmark model outputs: 33 named keypoints with visibility and presence, and 2 auxiliary ones.

Follows MediaPipe's `pose_landmark/tensors_to_pose_landmarks_and_segmentation.pbtxt` (v0.10.21): the
first output holds 39 landmarks × (x, y, z, visibility, presence) in 256-pixel crop units, with
sigmoid visibility and presence; the second is the pose presence score (already a probability,
thresholded at 0.5); the fourth is a 64×64×39 heatmap that refines each landmark
(RefineLandmarksFromHeatmapCalculator, kernel 7, refined only where the heatmap's peak is ≥ 0.5).
Landmarks 0–32 are the body (names as in MediaPipe's pose landmark model card; left and right are the
person's own), 33–34 the auxiliary points the next region is built from, 35–38 unused here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

INPUT_SIZE = 256
NUM_LANDMARKS = 39
VALUES_PER_LANDMARK = 5
BODY_LANDMARKS = 33
AUXILIARY_CENTRE, AUXILIARY_SCALE = 33, 34
HEATMAP_KERNEL = 7
HEATMAP_MIN_CONFIDENCE = 0.5
POSE_PRESENCE_THRESHOLD = 0.5
LOGIT_CLIP = 80.0  # keeps exp() finite; sigmoid is 0 or 1 to float32 precision beyond it

KEYPOINT_NAMES: tuple[str, ...] = (
    "nose",
    "left_eye_inner",
    "left_eye",
    "left_eye_outer",
    "right_eye_inner",
    "right_eye",
    "right_eye_outer",
    "left_ear",
    "right_ear",
    "mouth_left",
    "mouth_right",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "left_pinky",
    "right_pinky",
    "left_index",
    "right_index",
    "left_thumb",
    "right_thumb",
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
    "left_heel",
    "right_heel",
    "left_foot_index",
    "right_foot_index",
)


def mirrored_name(name: str) -> str:
    """The same body part on the other side ("left_elbow" ↔ "right_elbow"); central parts map to themselves."""
    if name.startswith("left_"):
        return "right_" + name[len("left_") :]
    if name.startswith("right_"):
        return "left_" + name[len("right_") :]
    if name in ("mouth_left", "mouth_right"):
        return "mouth_right" if name == "mouth_left" else "mouth_left"
    return name


@dataclass(frozen=True)
class CropLandmarks:
    """The landmark model's answer for one crop, in normalised crop coordinates [0, 1]."""

    points: np.ndarray  # (39, 2)
    depth: np.ndarray  # (39,) z, in the same normalised units as x (smaller is nearer the camera)
    visibility: np.ndarray  # (39,)
    presence: np.ndarray  # (39,)
    pose_presence: float


def _sigmoid(values: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(values, -LOGIT_CLIP, LOGIT_CLIP)))


def refine_from_heatmap(points: np.ndarray, heatmap: np.ndarray) -> np.ndarray:
    """Each point moved to the confidence-weighted mean of the heatmap cells around it (7×7)."""
    height, width, _ = heatmap.shape
    refined = points.copy()
    half = (HEATMAP_KERNEL - 1) // 2
    for index, (x, y) in enumerate(points):
        column, row = int(x * width), int(y * height)
        if not (0 <= column < width and 0 <= row < height):
            continue
        rows = slice(max(0, row - half), min(height, row + half + 1))
        columns = slice(max(0, column - half), min(width, column + half + 1))
        confidence = _sigmoid(heatmap[rows, columns, index])
        total = confidence.sum()
        if confidence.max() < HEATMAP_MIN_CONFIDENCE or total <= 0:
            continue
        row_grid, column_grid = np.mgrid[rows, columns]
        refined[index] = (
            (column_grid * confidence).sum() / width / total,
            (row_grid * confidence).sum() / height / total,
        )
    return refined


def decode_landmarks(raw_landmarks: np.ndarray, raw_presence: np.ndarray, raw_heatmap: np.ndarray) -> CropLandmarks:
    """The model's first, second and fourth outputs (batch removed) → CropLandmarks."""
    values = raw_landmarks.reshape(NUM_LANDMARKS, VALUES_PER_LANDMARK)
    points = values[:, :2] / INPUT_SIZE
    return CropLandmarks(
        points=refine_from_heatmap(points, raw_heatmap),
        depth=values[:, 2] / INPUT_SIZE,
        visibility=_sigmoid(values[:, 3]),
        presence=_sigmoid(values[:, 4]),
        pose_presence=float(np.asarray(raw_presence).reshape(-1)[0]),
    )


def landmark_input(crop: np.ndarray) -> np.ndarray:
    """(256, 256, 3) float32 in [0, 1] from the uint8 crop."""
    return crop.astype(np.float32) / 255.0
