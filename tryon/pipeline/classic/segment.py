"""Stage 1, segmenting: the person's mask from a Haar-cascade face (Viola and Jones, 2001) seeding GrabCut
(Rother et al., SIGGRAPH 2004).

Face, neck and a narrow body column below it are (probable) foreground; beyond a body envelope drawn
from the face (shoulders span about three face widths) is sure background. GrabCut runs on a crop scaled
so the face is a few dozen pixels wide (and the crop at least 160), which keeps it fast on any photo
size; the mask is cleaned with morphology, reduced to the person's component and scaled back up.
"""

from __future__ import annotations

import cv2
import numpy as np

from tryon.pipeline.classic.body_points import FaceBox
from tryon.pipeline.contract import NoPersonFoundError
from tryon.pipeline.imageops import resize_by
from tryon.pipeline.masks import fill_holes, largest_component

# Segmentation: GrabCut runs on a crop around the person scaled so the face box is this wide.
SEGMENT_FACE_WIDTH = 28
# Crop around the face, in face widths: sideways from the face centre, above the face top, below it.
SEGMENT_HALF_WIDTH = 3.2
SEGMENT_ABOVE = 0.8
SEGMENT_BELOW = 7.0
# ...but never so small that the crop's long side has fewer pixels than this: a close-up's face is a
# large share of the photo, and at 28 pixels a face the background between arm and photo edge vanishes.
SEGMENT_MIN_LONG_SIDE = 160
GRABCUT_ITERATIONS = 2
# Beside the head (above the shoulders) nothing further than this from the face centre is the person.
HEAD_CLEARANCE = 1.8
# Below the shoulders nothing further than this from the face centre is the person (shoulders span about
# 2.6 to 3.4 face widths; this leaves room for arms held out a little and a leaning body). It is sure
# background for GrabCut, and the garment is never drawn beyond BODY_GARMENT_HALF_WIDTH.
BODY_ENVELOPE_HALF_WIDTH = 2.3
BODY_GARMENT_HALF_WIDTH = 2.0
# GrabCut starts from a body this wide either side (face widths): narrower than most shoulders, so the
# colours beside it (arms or background) are claimed by whichever model explains them better.
BODY_SEED_HALF_WIDTH = 1.0


def segment_person(rgb: np.ndarray, face: FaceBox) -> np.ndarray:
    """Return the person's mask (uint8 H×W, 0/255) found by GrabCut seeded from the face box."""
    height, width = rgb.shape[:2]
    unit = face.width
    left = max(0, round(face.centre_x - SEGMENT_HALF_WIDTH * unit))
    right = min(width, round(face.centre_x + SEGMENT_HALF_WIDTH * unit))
    top = max(0, round(face.top - SEGMENT_ABOVE * unit))
    bottom = min(height, round(face.top + SEGMENT_BELOW * unit))
    factor = max(SEGMENT_FACE_WIDTH / unit, min(1.0, SEGMENT_MIN_LONG_SIDE / max(right - left, bottom - top)))
    crop = resize_by(rgb[top:bottom, left:right], factor)
    local_face = FaceBox(
        (face.left - left) * factor, (face.top - top) * factor, face.width * factor, face.height * factor
    )
    seeds = _grabcut_seeds(
        crop.shape[:2],
        local_face,
        clipped_left=left == 0,
        clipped_right=right == width,
        clipped_top=top == 0,
    )
    background_model = np.zeros((1, 65), np.float64)
    foreground_model = np.zeros((1, 65), np.float64)
    try:
        cv2.grabCut(crop, seeds, None, background_model, foreground_model, GRABCUT_ITERATIONS, cv2.GC_INIT_WITH_MASK)
    except cv2.error as exc:  # raised when one of the seed classes is empty (a degenerate, tiny crop)
        raise NoPersonFoundError() from exc
    small = np.where((seeds == cv2.GC_FGD) | (seeds == cv2.GC_PR_FGD), 255, 0).astype(np.uint8)
    small = _clean_person_mask(small, local_face)

    # Scale back up through a slightly blurred copy so the outline is smooth rather than blocky.
    smooth = cv2.resize(
        cv2.GaussianBlur(small, (0, 0), 0.8), (right - left, bottom - top), interpolation=cv2.INTER_LINEAR
    )
    mask = np.zeros((height, width), np.uint8)
    mask[top:bottom, left:right] = cv2.threshold(smooth, 127, 255, cv2.THRESH_BINARY)[1]
    if not mask.any():
        raise NoPersonFoundError()
    return mask


def _grabcut_seeds(
    shape: tuple[int, int], face: FaceBox, *, clipped_left: bool, clipped_right: bool, clipped_top: bool
) -> np.ndarray:
    """GrabCut's initial labels on the crop: sure face, probable head and body, background elsewhere."""
    height, width = shape
    unit = face.width
    seeds = np.full(shape, cv2.GC_PR_BGD, np.uint8)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    from_centre = np.abs(xs - face.centre_x)
    shoulder_y = face.top + 1.3 * unit

    seeds[~_body_envelope(xs, ys, face, BODY_ENVELOPE_HALF_WIDTH)] = cv2.GC_BGD
    border = max(1, round(0.1 * unit))
    if not clipped_top:
        seeds[:border] = cv2.GC_BGD
    # A side of the crop that is inside the photo is far from the body; the photo's own edge may be shoulder.
    for clipped, columns in ((clipped_left, slice(0, border)), (clipped_right, slice(width - border, width))):
        if clipped:
            seeds[: round(shoulder_y), columns] = cv2.GC_BGD
        else:
            seeds[:, columns] = cv2.GC_BGD

    head = ((xs - face.centre_x) / (0.7 * unit)) ** 2 + ((ys - (face.top + 0.45 * unit)) / (0.95 * unit)) ** 2 <= 1
    seeds[head] = cv2.GC_PR_FGD
    # Body: a trapezoid widening from the neck to the shoulders, then straight down.
    body_half_width = np.interp(ys, [face.bottom, shoulder_y + 0.5 * unit], [0.35 * unit, BODY_SEED_HALF_WIDTH * unit])
    seeds[(ys >= face.bottom) & (from_centre <= body_half_width)] = cv2.GC_PR_FGD

    face_core = (
        (from_centre <= 0.25 * unit) & (ys >= face.top + 0.2 * face.height) & (ys <= face.bottom - 0.15 * face.height)
    )
    neck = (from_centre <= 0.15 * unit) & (ys > face.bottom) & (ys <= shoulder_y)
    torso_core = (from_centre <= 0.5 * unit) & (ys >= face.top + 1.8 * unit) & (ys <= face.top + 3.2 * unit)
    seeds[face_core | neck | torso_core] = cv2.GC_FGD
    return seeds


def _body_envelope(xs: np.ndarray, ys: np.ndarray, face: FaceBox, half_width: float) -> np.ndarray:
    """Where the person can be, from the face alone: within HEAD_CLEARANCE face widths of the face centre
    beside the head, widening over the shoulders to `half_width` face widths below them."""
    shoulder_y = face.top + 1.3 * face.width
    allowed = np.interp(ys, [shoulder_y, shoulder_y + face.width], [HEAD_CLEARANCE, max(HEAD_CLEARANCE, half_width)])
    return np.abs(xs - face.centre_x) <= allowed * face.width


def _clean_person_mask(mask: np.ndarray, face: FaceBox) -> np.ndarray:
    """Open away specks, close small gaps, keep the region holding the face and fill its holes."""
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, kernel)
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5)))
    _, labels = cv2.connectedComponents(mask, connectivity=8)
    row = int(np.clip(round(face.top + face.height / 2), 0, mask.shape[0] - 1))
    column = int(np.clip(round(face.centre_x), 0, mask.shape[1] - 1))
    face_label = labels[row, column]
    mask = np.where(labels == face_label, 255, 0).astype(np.uint8) if face_label else largest_component(mask)
    return fill_holes(mask)
