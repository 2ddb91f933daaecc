"""The person mask: BlazePose's segmentation projected to the photo, optionally refined with MediaPipe
selfie segmentation, and brought to photo resolution cheaply.

The landmark model's third output is a 256×256 logit map over its rotated crop
(TensorsToSegmentationCalculator, sigmoid); like MediaPipe's
`pose_landmarks_and_segmentation_inverse_projection.pbtxt` it is warped back into the image, zero
outside the crop. Selfie segmentation (`selfie_segmentation_cpu.pbtxt`: the whole image stretched to
256×256, values in [0, 1], output already a probability) sees the whole frame at a finer scale, so it
settles the pose mask's uncertain edge; it never adds person where the pose model is sure there is
none. The mask is computed at the models' working resolution and only the final 0/255 map is enlarged
(one bilinear resize of uint8 and a threshold), which keeps a 12 MP photo inside the time budget.
"""

from __future__ import annotations

import cv2
import numpy as np

from tryon.pipeline.body.region import Region

SELFIE_INPUT_SIZE = 256
MASK_THRESHOLD = 0.5
LOGIT_CLIP = 80.0
UNCERTAIN_BAND = 0.3  # pose probabilities within this of 0.5 are the ones selfie segmentation helps decide


def pose_probability(region: Region, raw_segmentation: np.ndarray, image_size: tuple[int, int]) -> np.ndarray:
    """(H, W) float32 person probability in the working image from the landmark model's logits."""
    logits = raw_segmentation.reshape(raw_segmentation.shape[0], raw_segmentation.shape[1]).astype(np.float32)
    probability = 1.0 / (1.0 + np.exp(-np.clip(logits, -LOGIT_CLIP, LOGIT_CLIP)))
    return region.paste(probability, image_size)


def selfie_input(rgb: np.ndarray) -> np.ndarray:
    """(256, 256, 3) float32 in [0, 1]: the whole image stretched, as MediaPipe feeds the selfie model."""
    stretched = cv2.resize(rgb, (SELFIE_INPUT_SIZE, SELFIE_INPUT_SIZE), interpolation=cv2.INTER_AREA)
    return stretched.astype(np.float32) / 255.0


def selfie_probability(raw_selfie: np.ndarray, image_size: tuple[int, int]) -> np.ndarray:
    height, width = image_size
    probability = raw_selfie.reshape(SELFIE_INPUT_SIZE, SELFIE_INPUT_SIZE).astype(np.float32)
    return cv2.resize(probability, (width, height), interpolation=cv2.INTER_LINEAR)


def refine_with_selfie(pose: np.ndarray, selfie: np.ndarray) -> np.ndarray:
    """The pose map, with both models averaged only where the pose model is unsure (its mask's edge).

    Selfie segmentation also counts what the person holds (a helmet in front of the body) and is
    trained on people near the camera, so it only settles the pose model's uncertain edge pixels.
    """
    uncertain = np.abs(pose - 0.5) < UNCERTAIN_BAND
    return np.where(uncertain, (pose + selfie) / 2, pose)


def mask_at_size(probability: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """uint8 0/255 mask of (height, width) from a working-resolution probability map."""
    height, width = size
    levels = np.clip(probability * 255.0 + 0.5, 0, 255).astype(np.uint8)
    if levels.shape != (height, width):
        levels = cv2.resize(levels, (width, height), interpolation=cv2.INTER_LINEAR)
    _, mask = cv2.threshold(levels, int(MASK_THRESHOLD * 255), 255, cv2.THRESH_BINARY)
    return mask
