"""The FASHN VTON v1.5 canvas: the official image path bit for bit (golden resize_pad.npz and the
canvases of fashn_small_case*.npz), and round trips photo → canvas → photo at every shape a shopper's
or a shop's picture may have."""

from __future__ import annotations

import json

import numpy as np
import pytest

from revetir.testing.reference_data import golden_case_names, load_golden
from tryon.pipeline.fashn.canvas import (
    CANVAS_HW,
    canvas_points_to_photo,
    canvas_to_photo,
    paste_into_photo,
    photo_points_to_canvas,
    place_photo,
    pre_resize,
    resize_pad,
    unpad,
)


@pytest.fixture(scope="module")
def fashn_dir(reference_dir):
    return reference_dir / "fashn"


def smooth_picture(height: int, width: int) -> np.ndarray:
    """Gradients and a soft disc: resampling round trips stay close on it."""
    rows, columns = np.mgrid[0:height, 0:width].astype(np.float64)
    red = 255 * columns / max(width - 1, 1)
    green = 255 * rows / max(height - 1, 1)
    distance = np.hypot(rows / height - 0.5, columns / width - 0.5)
    blue = 255 * np.clip(1.2 - 3 * distance, 0, 1)
    return np.stack([red, green, blue], axis=-1).round().astype(np.uint8)


def test_image_path_matches_the_official_arrays_exactly(fashn_dir):
    with np.load(fashn_dir / "golden" / "resize_pad.npz") as data:
        golden = {key: data[key] for key in data.files}
    cases = json.loads(str(golden["meta"]))["cases"]
    assert cases
    for case in cases:
        pre_resized, canvas, placement = place_photo(golden[f"{case}_source_uint8"])
        np.testing.assert_array_equal(pre_resized, golden[f"{case}_pre_resized_uint8"], err_msg=case)
        np.testing.assert_array_equal(canvas, golden[f"{case}_canvas_uint8"], err_msg=case)
        assert placement.padding_ltrb == tuple(golden[f"{case}_padding_ltrb"])
        np.testing.assert_array_equal(unpad(canvas, placement.padding_ltrb), golden[f"{case}_unpadded_uint8"])
        direct, padding = resize_pad(golden[f"{case}_source_uint8"])
        np.testing.assert_array_equal(direct, golden[f"{case}_direct_canvas_uint8"], err_msg=case)
        assert padding == tuple(golden[f"{case}_direct_padding_ltrb"])


@pytest.mark.parametrize("case", golden_case_names("fashn_small", ("case1", "case2", "case3")))
def test_pipeline_canvases_match_the_official_ones_at_small_sizes(fashn_dir, case):
    golden = load_golden(fashn_dir, "fashn_small", case)
    canvas_hw = golden["ca_canvas_uint8"].shape[:2]
    pre_resized, canvas, placement = place_photo(golden["person_uint8"], canvas_hw)
    np.testing.assert_array_equal(pre_resized, golden["person_pre_resized_uint8"])
    np.testing.assert_array_equal(canvas, golden["ca_canvas_uint8"])
    assert placement.padding_ltrb == tuple(golden["canvas_padding_ltrb"])
    pose_canvas, pose_padding = resize_pad(golden["person_pose_uint8"], canvas_hw, pose=True)
    np.testing.assert_array_equal(pose_canvas, golden["person_pose_canvas_uint8"])
    assert pose_padding == placement.padding_ltrb

    garment_pre_resized, garment_canvas, _ = place_photo(golden["garment_uint8"], canvas_hw)
    np.testing.assert_array_equal(garment_pre_resized, golden["garment_pre_resized_uint8"])
    if "garment_seg_uint8" not in golden:  # a flat-lay product picture goes in as it is
        np.testing.assert_array_equal(garment_canvas, golden["garment_canvas_uint8"])
    garment_pose_canvas, _ = resize_pad(golden["garment_pose_uint8"], canvas_hw, pose=True)
    np.testing.assert_array_equal(garment_pose_canvas, golden["garment_pose_canvas_uint8"])


@pytest.mark.parametrize(
    ("height", "width"),
    [(1000, 600), (480, 640), (700, 700), (3, 2), (5, 9), (4000, 3000), (864, 576), (1200, 300)],
    ids=["portrait", "landscape", "square", "tiny", "tiny-landscape", "huge", "canvas-sized", "tall"],
)
def test_photo_goes_onto_the_canvas_and_comes_back_at_its_own_size(height, width):
    photo = smooth_picture(height, width)
    pre_resized, canvas, placement = place_photo(photo)
    assert canvas.shape == (*CANVAS_HW, 3)
    assert max(pre_resized.shape[:2]) <= max(CANVAS_HW)
    left, top, right, bottom = placement.padding_ltrb
    fitted_height, fitted_width = placement.fitted_hw
    assert (fitted_height + top + bottom, fitted_width + left + right) == CANVAS_HW
    assert fitted_height == CANVAS_HW[0] or fitted_width == CANVAS_HW[1]  # it fills one side
    assert abs(left - right) <= 1 and abs(top - bottom) <= 1
    assert not canvas[:top].any() and not canvas[CANVAS_HW[0] - bottom :].any()
    assert not canvas[:, :left].any() and not canvas[:, CANVAS_HW[1] - right :].any()
    assert abs(fitted_width / fitted_height - width / height) <= 2 / min(fitted_height, fitted_width) + 1e-9

    back = canvas_to_photo(canvas, placement)
    assert back.shape == photo.shape
    tolerance = 4.0 if min(height, width) >= 64 else 40.0  # a handful of pixels cannot be resampled exactly
    assert np.abs(back.astype(float) - photo).mean() < tolerance


@pytest.mark.parametrize(("height", "width"), [(1000, 600), (480, 640), (12, 8), (4000, 3000)])
def test_points_map_to_where_the_picture_puts_them(height, width):
    photo = np.zeros((height, width, 3), np.uint8)
    x, y = int(width * 0.3), int(height * 0.7)
    radius = max(1, min(height, width) // 20)
    photo[max(0, y - radius) : y + radius + 1, max(0, x - radius) : x + radius + 1] = 255
    _, canvas, placement = place_photo(photo)
    expected = photo_points_to_canvas(np.array([[x, y]]), placement)[0]
    rows, columns = np.nonzero(canvas[..., 0] > 127)
    found = np.array([columns.mean(), rows.mean()])
    assert np.abs(found - expected).max() <= 1.5
    np.testing.assert_allclose(canvas_points_to_photo(expected[None], placement)[0], [x, y], atol=1e-9)


def test_pose_images_keep_only_their_own_grays():
    pose = np.zeros((640, 512), np.uint8)
    pose[100:300, 200:260] = 58
    pose[300:310, 100:400] = 240
    canvas, padding = resize_pad(pose, pose=True)
    assert set(np.unique(canvas)) == {0, 58, 240}
    assert padding == (0, 72, 0, 72)


def test_pictures_too_thin_for_the_canvas_are_refused_with_the_sizes():
    with pytest.raises(ValueError, match="1×2000"):
        place_photo(np.zeros((2000, 1, 3), np.uint8))
    with pytest.raises(ValueError, match="uint8"):
        resize_pad(np.zeros((10, 10, 3), np.float32))


def test_unpad_refuses_padding_larger_than_the_canvas():
    with pytest.raises(ValueError, match="does not fit"):
        unpad(np.zeros((10, 10), np.uint8), (5, 0, 5, 0))


def test_pre_resize_never_enlarges():
    small = smooth_picture(300, 200)
    assert pre_resize(small) is small


def test_paste_changes_only_the_dressed_region():
    photo = smooth_picture(120, 80)
    dressed = 255 - photo
    region = np.zeros((120, 80), np.uint8)
    region[40:80, 20:60] = 255
    region[39, 20:60] = 128  # a soft edge
    pasted = paste_into_photo(photo, dressed, region)
    outside = region == 0
    np.testing.assert_array_equal(pasted[outside], photo[outside])
    np.testing.assert_array_equal(pasted[40:80, 20:60], dressed[40:80, 20:60])
    edge = pasted[39, 20:60].astype(int)
    assert (np.abs(edge - (photo[39, 20:60].astype(int) + dressed[39, 20:60]) / 2) <= 1).all()
    with pytest.raises(ValueError, match="does not match"):
        paste_into_photo(photo, dressed[:10], region)
