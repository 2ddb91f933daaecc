"""The parts of MediaPipe's graphs rebuilt here: SSD anchors, detection decoding, weighted NMS, and
the rotated region with its crop and projection."""

from __future__ import annotations

import math

import numpy as np

from revetir.testing import body_photos
from tryon.pipeline.body import detector
from tryon.pipeline.body.region import Region, region_from_alignment_points


def test_anchors_follow_the_ssd_layout_of_the_pose_detector():
    anchors = detector.ssd_anchor_centres()
    assert anchors.shape == (2254, 2)
    # Stride 8: 28×28 cells, two anchors each, row by row from the top left.
    assert np.allclose(anchors[0], anchors[1])
    assert np.allclose(anchors[0], [0.5 / 28, 0.5 / 28])
    assert np.allclose(anchors[2], [1.5 / 28, 0.5 / 28])
    assert np.allclose(anchors[56], [0.5 / 28, 1.5 / 28])
    # Strides 16, then the three stride-32 layers together: six anchors per 7×7 cell.
    assert np.allclose(anchors[1568], [0.5 / 14, 0.5 / 14])
    assert np.allclose(anchors[1960:1966], [0.5 / 7, 0.5 / 7])
    assert np.allclose(anchors[-1], [6.5 / 7, 6.5 / 7])


def test_decoding_offsets_boxes_and_keypoints_from_their_anchor_and_keeps_scores_from_one_half():
    raw = np.zeros((2254, 12), np.float32)
    scores = np.full((2254, 1), -10.0, np.float32)
    raw[100] = [22.4, -11.2, 44.8, 22.4, 0, 0, 11.2, 11.2, 0, 0, 0, 0]
    scores[100] = 2.0
    kept_scores, boxes, keypoints = detector.decode_detections(raw, scores)
    assert kept_scores.shape == (1,) and math.isclose(kept_scores[0], 1 / (1 + math.exp(-2.0)), rel_tol=1e-6)
    centre = detector.ANCHOR_CENTRES[100] * 224 + [22.4, -11.2]
    assert np.allclose(boxes[0], [centre[0] - 22.4, centre[1] - 11.2, centre[0] + 22.4, centre[1] + 11.2], atol=1e-3)
    assert np.allclose(keypoints[0, 0], detector.ANCHOR_CENTRES[100] * 224, atol=1e-3)
    assert np.allclose(keypoints[0, 1], detector.ANCHOR_CENTRES[100] * 224 + 11.2, atol=1e-3)


def test_weighted_suppression_averages_overlapping_boxes_by_score_and_keeps_separate_ones():
    boxes = np.array([[0, 0, 10, 10], [1, 0, 11, 10], [50, 50, 60, 60]], np.float64)
    keypoints = np.zeros((3, 4, 2))
    keypoints[1] += 4.0
    scores = np.array([0.9, 0.6, 0.8])
    kept = detector.weighted_non_max_suppression(scores, boxes, keypoints)
    assert [score for score, _box, _points in kept] == [0.9, 0.8]
    assert np.allclose(kept[0][1], [0.4, 0, 10.4, 10])  # (0·0.9 + 1·0.6) / 1.5
    assert np.allclose(kept[0][2], 1.6)
    assert np.allclose(kept[1][1], boxes[2])


def test_region_of_an_upright_body_is_unrotated_and_a_quarter_larger_than_the_alignment_circle():
    region = region_from_alignment_points(np.array([100.0, 300.0]), np.array([100.0, 100.0]))
    assert math.isclose(region.rotation, 0.0, abs_tol=1e-9)
    assert math.isclose(region.side, 2 * 200 * 1.25)
    assert (region.centre_x, region.centre_y) == (100.0, 300.0)


def test_region_of_a_body_lying_to_the_right_turns_the_crop_a_quarter():
    region = region_from_alignment_points(np.array([100.0, 100.0]), np.array([300.0, 100.0]))
    assert math.isclose(region.rotation, math.pi / 2)
    # The crop's top (towards the head) is at the image's right.
    top_middle = region.to_image(np.array([[0.5, 0.0]]))[0]
    assert np.allclose(top_middle, [100 + region.side / 2, 100.0])


def test_crop_and_projection_agree_about_where_a_pixel_went():
    picture = body_photos.grace_hopper()
    region = Region(centre_x=256.0, centre_y=300.0, side=400.0, rotation=math.radians(20))
    crop = region.crop(picture, 256)
    for u, v in [(64, 64), (128, 128), (200, 40), (30, 220)]:
        x, y = region.to_image(np.array([[(u + 0.5) / 256, (v + 0.5) / 256]]))[0]
        assert np.abs(crop[v, u].astype(int) - picture[int(y), int(x)].astype(int)).max() <= 40


def test_pasting_a_crop_back_covers_the_region_and_nothing_else():
    region = Region(centre_x=200.0, centre_y=150.0, side=100.0, rotation=math.radians(45))
    pasted = region.paste(np.ones((256, 256), np.float32), (300, 400))
    assert pasted[150, 200] == 1.0
    assert pasted[150, 200 + 73] == 0.0  # past the rotated square's corner (half diagonal ≈ 70.7)
    assert pasted[150, 200 + 65] > 0.0
    assert pasted[150 + 40, 200 + 40] == 0.0  # the square's edge, turned 45°, is nearer than 40·√2
