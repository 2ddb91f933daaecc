"""The rotated square region the landmark model looks at, its crop, and the way back to the photo.

Follows MediaPipe's `pose_landmark/pose_detection_to_roi.pbtxt` and `pose_landmarks_to_roi.pbtxt`
(v0.10.21): AlignmentPointsRectsCalculator centres a square on keypoint 0 with side twice the distance
to keypoint 1 and rotation `90° − atan2(−(y1 − y0), x1 − x0)` (so the body's axis points up in the
crop), then RectTransformationCalculator squares it on the long side and scales it by 1.25. For the
second pass the same rule runs on the landmark model's two auxiliary landmarks (33 and 34).
The crop (ImageToTensorCalculator in `pose_landmark_by_roi_cpu.pbtxt`) maps the square onto 256×256
with edge pixels repeated; LandmarkProjectionCalculator maps normalised crop coordinates back with
`centre + R(rotation) · ((x − ½)·side, (y − ½)·side)`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

TARGET_ANGLE = math.pi / 2
REGION_SCALE = 1.25


@dataclass(frozen=True)
class Region:
    """A square in image pixels (continuous coordinates: pixel i spans [i, i+1)), rotated about its centre."""

    centre_x: float
    centre_y: float
    side: float
    rotation: float  # radians, positive turns the crop's axes clockwise on screen

    def crop_to_image(self, crop_size: int) -> np.ndarray:
        """2×3 affine matrix taking crop pixel coordinates (continuous) to image pixel coordinates."""
        cos, sin = math.cos(self.rotation), math.sin(self.rotation)
        unit = self.side / crop_size
        linear = np.array([[cos, -sin], [sin, cos]]) * unit
        offset = np.array([self.centre_x, self.centre_y]) - linear @ np.array([crop_size / 2, crop_size / 2])
        return np.hstack([linear, offset[:, None]])

    def to_image(self, normalised: np.ndarray) -> np.ndarray:
        """(N, 2) points in [0, 1] crop coordinates → image pixels."""
        matrix = self.crop_to_image(1)
        return normalised @ matrix[:, :2].T + matrix[:, 2]

    def crop(self, rgb: np.ndarray, crop_size: int) -> np.ndarray:
        """The region resampled to crop_size × crop_size (uint8), edges repeated outside the image."""
        image_from_crop = _for_opencv(self.crop_to_image(crop_size))
        return cv2.warpAffine(
            rgb,
            image_from_crop,
            (crop_size, crop_size),
            flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
            borderMode=cv2.BORDER_REPLICATE,
        )

    def paste(self, crop_values: np.ndarray, image_size: tuple[int, int]) -> np.ndarray:
        """A crop-space map (float32) warped back onto an image of (height, width); zero outside the region."""
        crop_size = crop_values.shape[0]
        image_from_crop = _for_opencv(self.crop_to_image(crop_size))
        height, width = image_size
        return cv2.warpAffine(
            crop_values,
            image_from_crop,
            (width, height),
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=0,
        )


def _for_opencv(matrix: np.ndarray) -> np.ndarray:
    """Shift a continuous-coordinate affine map to OpenCV's convention (pixel centres at integers)."""
    shifted = matrix.copy()
    shifted[:, 2] += matrix[:, :2] @ np.array([0.5, 0.5]) - 0.5
    return shifted


def normalise_angle(angle: float) -> float:
    return angle - 2 * math.pi * math.floor((angle + math.pi) / (2 * math.pi))


def region_from_alignment_points(centre: np.ndarray, scale_point: np.ndarray) -> Region:
    """The landmark model's region from two points in image pixels (detector keypoints 0 and 1, or
    auxiliary landmarks 33 and 34)."""
    delta = scale_point - centre
    side = 2.0 * float(np.hypot(delta[0], delta[1])) * REGION_SCALE
    rotation = normalise_angle(TARGET_ANGLE - math.atan2(-float(delta[1]), float(delta[0])))
    return Region(float(centre[0]), float(centre[1]), side, rotation)
