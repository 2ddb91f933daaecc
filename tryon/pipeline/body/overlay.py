"""A picture of a BodyAnalysis: the person mask tinted, the skeleton, the box and the verdict, for people to check."""

from __future__ import annotations

import cv2
import numpy as np

from tryon.pipeline.body.analysis import BodyAnalysis

# Bones between MediaPipe's pose landmarks (the pairs of its POSE_CONNECTIONS), by name.
SKELETON = (
    ("left_shoulder", "right_shoulder"),
    ("left_hip", "right_hip"),
    ("left_shoulder", "left_hip"),
    ("right_shoulder", "right_hip"),
    ("left_shoulder", "left_elbow"),
    ("left_elbow", "left_wrist"),
    ("right_shoulder", "right_elbow"),
    ("right_elbow", "right_wrist"),
    ("left_hip", "left_knee"),
    ("left_knee", "left_ankle"),
    ("left_ankle", "left_heel"),
    ("left_heel", "left_foot_index"),
    ("left_ankle", "left_foot_index"),
    ("right_hip", "right_knee"),
    ("right_knee", "right_ankle"),
    ("right_ankle", "right_heel"),
    ("right_heel", "right_foot_index"),
    ("right_ankle", "right_foot_index"),
    ("left_wrist", "left_pinky"),
    ("left_wrist", "left_index"),
    ("left_wrist", "left_thumb"),
    ("right_wrist", "right_pinky"),
    ("right_wrist", "right_index"),
    ("right_wrist", "right_thumb"),
    ("nose", "left_eye_inner"),
    ("left_eye_inner", "left_eye"),
    ("left_eye", "left_eye_outer"),
    ("left_eye_outer", "left_ear"),
    ("nose", "right_eye_inner"),
    ("right_eye_inner", "right_eye"),
    ("right_eye", "right_eye_outer"),
    ("right_eye_outer", "right_ear"),
    ("mouth_left", "mouth_right"),
)
LEFT_COLOUR = (255, 140, 0)  # the person's left in orange
RIGHT_COLOUR = (0, 160, 255)  # the person's right in blue
CENTRE_COLOUR = (255, 255, 255)
HIDDEN_COLOUR = (128, 128, 128)
MASK_TINT = np.array([0, 255, 90], dtype=np.float32)
MASK_OPACITY = 0.35


def _colour(name: str, seen: bool) -> tuple[int, int, int]:
    if not seen:
        return HIDDEN_COLOUR
    if name.startswith("left_") or name == "mouth_left":
        return LEFT_COLOUR
    if name.startswith("right_") or name == "mouth_right":
        return RIGHT_COLOUR
    return CENTRE_COLOUR


def draw_overlay(rgb: np.ndarray, analysis: BodyAnalysis) -> np.ndarray:
    """RGB uint8 picture: mask tinted green, bones and joints (grey where not visible), box, verdict text."""
    picture = rgb[..., :3].astype(np.float32).copy()
    inside = analysis.person_mask > 0
    picture[inside] = picture[inside] * (1 - MASK_OPACITY) + MASK_TINT * MASK_OPACITY
    picture = picture.astype(np.uint8)
    thickness = max(2, round(max(analysis.width, analysis.height) / 300))
    for start, end in SKELETON:
        if start in analysis.keypoints and end in analysis.keypoints:
            seen = analysis.visible(start) and analysis.visible(end)
            a = tuple(int(v) for v in np.round(analysis.point(start)))
            b = tuple(int(v) for v in np.round(analysis.point(end)))
            cv2.line(picture, a, b, _colour(end, seen), thickness, cv2.LINE_AA)
    for name in analysis.keypoints:
        centre = tuple(int(v) for v in np.round(analysis.point(name)))
        cv2.circle(picture, centre, thickness + 2, _colour(name, analysis.visible(name)), -1, cv2.LINE_AA)
    x0, y0, x1, y1 = analysis.box
    if x1 > x0 and y1 > y0:
        cv2.rectangle(picture, (x0, y0), (x1 - 1, y1 - 1), (255, 255, 0), thickness)
    usable = [garment for garment, verdict in analysis.verdicts.items() if verdict.usable]
    label = "usable for: " + (", ".join(usable) if usable else "nothing")
    scale = max(0.5, analysis.width / 900)
    cv2.putText(picture, label, (10, int(30 * scale)), cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), thickness + 2)
    cv2.putText(picture, label, (10, int(30 * scale)), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), thickness)
    return picture
