"""DWPose's two ONNX stages around their sessions: the letterboxed detector input, box decoding and
NMS, the pose model's crop and the way its SimCC answer maps back to the photo (with stand-in
sessions that look at what they are given), and the clear error when onnxruntime or a file is missing."""

from __future__ import annotations

import importlib.util
from types import SimpleNamespace

import numpy as np
import pytest

from tryon.pipeline.fashn.dwpose import (
    DETECTOR_FILE,
    LETTERBOX_GRAY,
    POSE_MEAN,
    POSE_MODEL_FILE,
    POSE_STD,
    DWPoseDetector,
    DWPoseUnavailableError,
    person_boxes,
)

PHOTO_HEIGHT, PHOTO_WIDTH = 400, 300
PERSON_BOX = (60.0, 40.0, 240.0, 360.0)  # x0, y0, x1, y1 in photo pixels
MARK_XY = (150, 100)  # a bright mark on the person, where every stand-in keypoint is found
POSE_INPUT_HW = (384, 288)
PREDICTIONS = 80 * 80 + 40 * 40 + 20 * 20


def detector_row(box: tuple[float, ...], ratio: float, stride: int, cell: tuple[int, int]) -> np.ndarray:
    """The raw YOLOX values (offsets, log sizes) that decode to `box` from grid cell (column, row)."""
    x0, y0, x1, y1 = (value * ratio for value in box)
    return np.array(
        [
            (x0 + x1) / 2 / stride - cell[0],
            (y0 + y1) / 2 / stride - cell[1],
            np.log((x1 - x0) / stride),
            np.log((y1 - y0) / stride),
        ],
        dtype=np.float32,
    )


class StandInDetector:
    """Answers with one person box, a weaker copy of it (NMS drops it) and a box of another class."""

    def __init__(self):
        self.seen = None

    def get_inputs(self):
        return [SimpleNamespace(name="images", shape=[1, 3, 640, 640])]

    def run(self, outputs, feed):
        (self.seen,) = feed.values()
        ratio = min(640 / PHOTO_HEIGHT, 640 / PHOTO_WIDTH)
        raw = np.zeros((1, PREDICTIONS, 85), dtype=np.float32)
        first_stride_32 = 80 * 80 + 40 * 40
        rows = {
            first_stride_32 + 10 * 20 + 7: (PERSON_BOX, 0.9, 0, 32, (7, 10)),
            first_stride_32 + 10 * 20 + 8: ((62.0, 44.0, 238.0, 356.0), 0.6, 0, 32, (8, 10)),
            3: ((0.0, 0.0, 50.0, 50.0), 0.9, 5, 8, (3, 0)),
        }
        for index, (box, score, category, stride, cell) in rows.items():
            raw[0, index, :4] = detector_row(box, ratio, stride, cell)
            raw[0, index, 4] = 1.0
            raw[0, index, 5 + category] = score
        return [raw]


class StandInPoseModel:
    """Finds the bright mark in the crop it is given and reports every keypoint there."""

    def __init__(self):
        self.crops = []

    def get_inputs(self):
        return [SimpleNamespace(name="input", shape=[1, 3, *POSE_INPUT_HW])]

    def get_outputs(self):
        return [SimpleNamespace(name="simcc_x"), SimpleNamespace(name="simcc_y")]

    def run(self, outputs, feed):
        (crop,) = feed.values()
        self.crops.append(crop)
        pixels = crop[0].transpose(1, 2, 0) * POSE_STD + POSE_MEAN  # BGR
        rows, columns = np.nonzero(pixels[..., 1] > 200)
        simcc_x = np.zeros((1, 133, POSE_INPUT_HW[1] * 2), np.float32)
        simcc_y = np.zeros((1, 133, POSE_INPUT_HW[0] * 2), np.float32)
        simcc_x[0, :, round(columns.mean() * 2)] = 0.9
        simcc_y[0, :, round(rows.mean() * 2)] = 0.8
        return [simcc_x, simcc_y]


def photo_with_a_mark() -> np.ndarray:
    photo = np.full((PHOTO_HEIGHT, PHOTO_WIDTH, 3), 40, np.uint8)
    photo[:10, :10] = (255, 0, 0)  # red in RGB: the detector must get it as BGR
    x, y = MARK_XY
    photo[y - 3 : y + 4, x - 3 : x + 4] = (0, 255, 0)
    return photo


def test_the_main_person_is_found_through_both_stages():
    detector, pose_model = StandInDetector(), StandInPoseModel()
    dwpose = DWPoseDetector(sessions=(detector, pose_model))
    points, scores = dwpose.keypoints(photo_with_a_mark())

    letterboxed = detector.seen[0]
    assert detector.seen.shape == (1, 3, 640, 640) and detector.seen.dtype == np.float32
    assert letterboxed[2, 0, 0] == 255 and letterboxed[0, 0, 0] == 0  # BGR
    assert (letterboxed[:, :, 481:] == LETTERBOX_GRAY).all()  # 300 wide × 1.6 = 480, the rest is gray

    assert len(pose_model.crops) == 1  # the weaker copy and the other class were dropped
    assert points.shape == (1, 133, 2) and scores.shape == (1, 133)
    np.testing.assert_allclose(points[0], np.tile(MARK_XY, (133, 1)), atol=1.0)
    np.testing.assert_allclose(scores[0], 0.8)  # the smaller of the two axes' maxima

    pose = dwpose(photo_with_a_mark())
    np.testing.assert_allclose(pose.candidate[0], [MARK_XY[0] / PHOTO_WIDTH, MARK_XY[1] / PHOTO_HEIGHT], atol=0.005)
    assert pose.subset[0, 0] == 0


def test_person_boxes_come_back_in_photo_pixels_best_first():
    raw = StandInDetector().run(None, {"images": None})[0][0]
    boxes = person_boxes(raw, min(640 / PHOTO_HEIGHT, 640 / PHOTO_WIDTH))
    assert boxes.shape == (1, 4)
    np.testing.assert_allclose(boxes[0], PERSON_BOX, atol=1e-3)


def test_nobody_found_means_the_whole_photo_is_searched():
    class EmptyDetector(StandInDetector):
        def run(self, outputs, feed):
            return [np.zeros((1, PREDICTIONS, 85), np.float32)]  # no objectness anywhere

    pose_model = StandInPoseModel()
    points, _ = DWPoseDetector(sessions=(EmptyDetector(), pose_model)).keypoints(photo_with_a_mark())
    np.testing.assert_allclose(points[0, 0], MARK_XY, atol=1.0)


def test_missing_files_are_named(tmp_path):
    (tmp_path / DETECTOR_FILE).write_bytes(b"")
    with pytest.raises(DWPoseUnavailableError, match=POSE_MODEL_FILE):
        DWPoseDetector(tmp_path)


@pytest.mark.skipif(importlib.util.find_spec("onnxruntime") is not None, reason="onnxruntime is installed here")
def test_without_onnxruntime_the_error_says_so(tmp_path):
    for name in (DETECTOR_FILE, POSE_MODEL_FILE):
        (tmp_path / name).write_bytes(b"")
    with pytest.raises(DWPoseUnavailableError, match="onnxruntime, which is not installed"):
        DWPoseDetector(tmp_path)
