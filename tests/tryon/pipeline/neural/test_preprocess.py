"""Pre- and post-processing match the official U²-Net and PF-AFN test scripts, and the try-on is pasted
back into the shopper's photo without touching anything but the garment."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from skimage import data
from skimage.transform import resize as skimage_resize

from revetir.testing.product_photos import tshirt_mask, tshirt_photo
from tryon.pipeline.contract import GarmentNotFoundError, NoPersonFoundError
from tryon.pipeline.neural.postprocess import garment_region, paste_back
from tryon.pipeline.neural.preprocess import (
    GARMENT_FILL,
    MODEL_HEIGHT,
    MODEL_WIDTH,
    crop_person,
    garment_to_model_inputs,
    official_resize,
    pfafn_edge_tensor,
    pfafn_image_tensor,
    pfafn_output_to_uint8,
    u2net_input,
    u2net_mask,
    viton_frame,
)

U2NET_GOLDEN_NAMES = [
    f"{model}_{case}" for model in ("u2net", "u2netp") for case in ("case1", "case2", "case3_oddsize")
]


def golden(reference_dir, name: str):
    return np.load(reference_dir / "golden" / f"{name}.npz")


def test_u2net_input_matches_the_official_rescale_and_normalisation(reference_dir):
    case = golden(reference_dir, "u2net_case1")

    prepared = u2net_input(case["image_uint8"])

    assert prepared.dtype == torch.float32 and prepared.shape == (1, 3, 320, 320)
    np.testing.assert_allclose(prepared.numpy(), case["input"], rtol=0, atol=1e-6)


@pytest.mark.parametrize("name", U2NET_GOLDEN_NAMES)
def test_u2net_mask_matches_the_official_post_processing(reference_dir, name):
    case = golden(reference_dir, name)
    height, width = case["mask_uint8"].shape

    mask = u2net_mask(torch.from_numpy(case["d0"]), width=width, height=height)

    assert mask.dtype == np.uint8
    np.testing.assert_array_equal(mask, case["mask_uint8"])


@pytest.mark.parametrize(
    "shape",
    [(1440, 1080, 3), (300, 400, 3), (37, 500, 3), (200, 150, 4), (301, 300, 1), (320, 320, 3), (5, 7, 3)],
    ids=["phone-photo", "down-and-up", "wide-strip", "rgba", "grey", "same-size", "tiny"],
)
def test_official_resize_equals_skimage_resize_as_the_official_loader_calls_it(shape):
    pixels = np.random.default_rng(sum(shape)).integers(0, 256, shape, dtype=np.uint8)
    pixels[: shape[0] // 3] //= 4  # some structure: a darker top third

    expected = skimage_resize(pixels, (320, 320), mode="constant")

    np.testing.assert_allclose(official_resize(pixels, (320, 320)), expected, rtol=0, atol=1e-12)


def test_official_resize_clips_to_the_input_range_where_upsampling_meets_the_border():
    pixels = np.full((100, 100, 3), 200, dtype=np.uint8)  # upsampled: border samples mix in the zero padding

    resized = official_resize(pixels, (320, 320))

    np.testing.assert_allclose(resized, 200 / 255, rtol=0, atol=1e-15)
    np.testing.assert_allclose(resized, skimage_resize(pixels, (320, 320), mode="constant"), rtol=0, atol=1e-12)


def test_u2net_input_normalises_greyscale_with_the_red_statistics_on_all_channels():
    grey = data.camera()[::4, ::4]

    prepared = u2net_input(grey)[0].numpy()

    expected_red = u2net_input(np.repeat(grey[:, :, None], 3, axis=2))[0, 0].numpy()
    for channel in range(3):
        np.testing.assert_allclose(prepared[channel], expected_red, rtol=0, atol=1e-6)


def test_u2net_input_divides_by_the_maximum_including_alpha():
    rgba = np.zeros((40, 40, 4), dtype=np.uint8)
    rgba[:, :, :3] = 100
    rgba[:, :, 3] = 255

    prepared = u2net_input(rgba, size=None)[0].numpy()

    np.testing.assert_allclose(prepared[0], (100 / 255 - 0.485) / 0.229, rtol=0, atol=1e-5)


def test_u2net_mask_of_a_flat_map_is_empty_rather_than_undefined():
    mask = u2net_mask(torch.full((1, 1, 32, 32), 0.5), width=20, height=30)

    assert mask.shape == (30, 20) and mask.max() == 0


@pytest.mark.parametrize("name", ["pfafn_case1", "pfafn_case2"])
def test_pfafn_inputs_match_the_official_loader(reference_dir, name):
    case = golden(reference_dir, name)

    np.testing.assert_array_equal(pfafn_image_tensor(case["person_uint8"]).numpy(), case["real_image"])
    np.testing.assert_array_equal(pfafn_image_tensor(case["clothes_uint8"]).numpy(), case["clothes"])
    np.testing.assert_array_equal(pfafn_edge_tensor(case["edge_uint8"]).numpy(), case["edge"])


def test_pfafn_edge_is_one_from_128_upwards():
    edge = np.array([[0, 127, 128, 255]], dtype=np.uint8)

    assert pfafn_edge_tensor(edge).flatten().tolist() == [0.0, 0.0, 1.0, 1.0]


def test_pfafn_output_is_scaled_to_bytes_and_truncated():
    image = torch.tensor([-1.0, 0.0, 0.999, 1.0, 2.0]).reshape(1, 1, 1, 5).expand(1, 3, 1, 5)

    assert pfafn_output_to_uint8(image)[0, :, 0].tolist() == [0, 127, 254, 255, 255]


def test_garment_is_centred_on_white_and_keeps_its_aspect_ratio():
    photo = np.full((500, 700, 3), 255, dtype=np.uint8)  # landscape product photo, shirt on the left
    photo[60:420, 40:340] = tshirt_photo()
    mask = np.zeros((500, 700), dtype=np.uint8)
    mask[60:420, 40:340] = tshirt_mask()

    inputs = garment_to_model_inputs(photo, mask)

    assert inputs.clothes.shape == (1, 3, MODEL_HEIGHT, MODEL_WIDTH)
    assert inputs.edge.shape == (1, 1, MODEL_HEIGHT, MODEL_WIDTH)
    assert set(torch.unique(inputs.edge).tolist()) == {0.0, 1.0}
    rows, columns = np.nonzero(inputs.edge_uint8)
    placed_height, placed_width = rows.max() - rows.min() + 1, columns.max() - columns.min() + 1
    source_rows, source_columns = np.nonzero(mask)
    source_aspect = (np.ptp(source_columns) + 1) / (np.ptp(source_rows) + 1)
    assert placed_width / placed_height == pytest.approx(source_aspect, rel=0.03)
    assert max(placed_width / MODEL_WIDTH, placed_height / MODEL_HEIGHT) == pytest.approx(GARMENT_FILL, abs=0.01)
    assert (rows.min() + rows.max()) / 2 == pytest.approx(MODEL_HEIGHT / 2, abs=1.5)
    assert (columns.min() + columns.max()) / 2 == pytest.approx(MODEL_WIDTH / 2, abs=1.5)
    assert inputs.clothes_uint8[:4].min() == 255 and inputs.clothes_uint8[:, :4].min() == 255
    red_pixels = inputs.clothes_uint8[inputs.edge_uint8 > 0]
    assert np.median(red_pixels[:, 0]) > 150 and np.median(red_pixels[:, 1]) < 90
    np.testing.assert_array_equal(inputs.clothes.numpy(), pfafn_image_tensor(inputs.clothes_uint8).numpy())


def test_garment_inputs_find_the_mask_themselves():
    inputs = garment_to_model_inputs(tshirt_photo(colour=(30, 60, 160), stripe_colour=(250, 250, 250)))

    assert inputs.edge.sum() > 0.3 * MODEL_HEIGHT * MODEL_WIDTH


def test_garment_inputs_report_an_empty_mask():
    with pytest.raises(GarmentNotFoundError):
        garment_to_model_inputs(tshirt_photo(), np.zeros((360, 300), dtype=np.uint8))


def ellipse_saliency(height: int, width: int, centre: tuple[int, int], axes: tuple[int, int]) -> np.ndarray:
    rows, columns = np.mgrid[:height, :width]
    inside = ((rows - centre[0]) / axes[0]) ** 2 + ((columns - centre[1]) / axes[1]) ** 2 <= 1
    return np.where(inside, 255, 0).astype(np.uint8)


def test_person_is_cut_out_on_white_in_a_3_by_4_frame_around_them():
    photo = data.astronaut()  # 512×512
    saliency = ellipse_saliency(512, 512, centre=(300, 250), axes=(180, 120))

    crop = crop_person(photo, saliency)

    left, top, right, bottom = crop.box
    assert (right - left) / (bottom - top) == pytest.approx(3 / 4, abs=0.01)
    assert left <= 130 and right >= 370 and top <= 120 and bottom >= 480
    assert crop.person_uint8.shape == (MODEL_HEIGHT, MODEL_WIDTH, 3)
    assert crop.real_image.shape == (1, 3, MODEL_HEIGHT, MODEL_WIDTH)
    assert crop.person_uint8[:3, :3].min() == 255  # background replaced by white
    middle = crop.person_uint8[
        MODEL_HEIGHT // 2 - 5 : MODEL_HEIGHT // 2 + 5, MODEL_WIDTH // 2 - 5 : MODEL_WIDTH // 2 + 5
    ]
    assert middle.mean() < 250  # the person is there


def test_person_frame_ignores_a_smaller_salient_object_elsewhere_in_the_photo():
    photo = data.astronaut()
    person_only = ellipse_saliency(512, 512, centre=(300, 250), axes=(180, 120))
    with_lamp = person_only.copy()
    with_lamp[10:60, 440:500] = 255  # a lamp in the corner

    assert crop_person(photo, with_lamp).box == crop_person(photo, person_only).box


def test_person_frame_leaving_the_photo_is_padded_with_white():
    photo = np.zeros((300, 400, 3), dtype=np.uint8)  # black photo, person touching the top
    saliency = ellipse_saliency(300, 400, centre=(100, 200), axes=(120, 60))

    crop = crop_person(photo, saliency)

    assert crop.box[1] < 0
    assert crop.person_uint8[0].min() == 255


def test_a_photo_without_a_person_is_reported():
    with pytest.raises(NoPersonFoundError):
        crop_person(data.astronaut(), np.zeros((512, 512), dtype=np.uint8))


def test_garment_region_is_dilated_feathered_and_exactly_zero_away_from_the_garment():
    composite = torch.zeros(1, 1, MODEL_HEIGHT, MODEL_WIDTH)
    composite[0, 0, 100:150, 60:130] = 0.8
    warped_edge = torch.zeros_like(composite)

    region = garment_region(composite, warped_edge)

    assert region[125, 95] == pytest.approx(1.0)
    assert 0 < region[125, 58] <= 1  # grown a little past the edge
    assert region[:80].max() == 0 and region[170:].max() == 0


def test_paste_back_changes_only_the_garment_region_of_the_full_resolution_photo():
    photo = data.astronaut()
    crop = crop_person(photo, ellipse_saliency(512, 512, centre=(300, 250), axes=(180, 120)))
    tryon = np.zeros((MODEL_HEIGHT, MODEL_WIDTH, 3), dtype=np.uint8)
    tryon[:, :] = (0, 255, 0)
    composite = torch.zeros(1, 1, MODEL_HEIGHT, MODEL_WIDTH)
    composite[0, 0, 140:200, 50:140] = 1.0
    region = garment_region(composite, torch.zeros_like(composite))

    pasted = paste_back(photo, crop, tryon, region)

    assert pasted.image.shape == photo.shape and pasted.image.dtype == np.uint8
    changed = np.any(pasted.image != photo, axis=2)
    left, top, _, bottom = crop.box
    scale = (bottom - top) / MODEL_HEIGHT
    garment_top, garment_left = round(top + 140 * scale), round(left + 50 * scale)
    garment_bottom, garment_right = round(top + 200 * scale), round(left + 140 * scale)
    margin = round(8 * scale)
    outside = np.ones_like(changed)
    outside[garment_top - margin : garment_bottom + margin, garment_left - margin : garment_right + margin] = False
    assert not changed[outside].any()
    centre = pasted.image[(garment_top + garment_bottom) // 2, (garment_left + garment_right) // 2]
    assert tuple(centre) == (0, 255, 0)
    assert pasted.garment_mask[(garment_top + garment_bottom) // 2, (garment_left + garment_right) // 2] == 255
    assert pasted.garment_mask[outside].max() == 0


def model_rows_of(frame, points: np.ndarray) -> np.ndarray:
    """Where photo points land in the 192×256 model picture cut from `frame`."""
    left, top, right, bottom = frame
    return (points - np.array([left, top])) * np.array([MODEL_WIDTH / (right - left), MODEL_HEIGHT / (bottom - top)])


def test_viton_frame_puts_the_shoulders_near_the_top_and_the_hips_low_in_the_picture():
    shoulders = np.array([[300.0, 240.0], [110.0, 224.0]])
    hips = np.array([[250.0, 510.0], [130.0, 525.0]])

    frame = viton_frame(shoulders, hips)

    left, top, right, bottom = frame
    assert (right - left) / (bottom - top) == pytest.approx(3 / 4, abs=0.01)
    shoulder_rows = model_rows_of(frame, shoulders)[:, 1] / MODEL_HEIGHT
    hip_rows = model_rows_of(frame, hips)[:, 1] / MODEL_HEIGHT
    assert shoulder_rows.mean() == pytest.approx(0.26, abs=0.01)
    assert hip_rows.mean() == pytest.approx(0.80, abs=0.01)


def test_a_close_up_and_a_full_length_shot_reach_the_model_in_the_same_framing():
    from revetir.testing.body_photos import distant
    from tryon.pipeline.body import analyse_body

    def model_points(photo):
        body = analyse_body(photo)
        shoulders = np.array([body.point("left_shoulder"), body.point("right_shoulder")])
        hips = np.array([body.point("left_hip"), body.point("right_hip")])
        frame = viton_frame(shoulders, hips)
        return model_rows_of(frame, shoulders), model_rows_of(frame, hips)

    close_up = model_points(data.astronaut())
    far_away = model_points(distant(data.astronaut(), 0.4))

    # Same rows and spans in the 192×256 picture (within a few model pixels), though the person is
    # 2.5 times smaller in the second photo.
    for near, far in zip(close_up, far_away, strict=True):
        assert np.abs(near - far).max() < 8


def test_the_crop_follows_the_frame_it_is_given():
    photo = data.astronaut()
    frame = (100, 60, 340, 380)

    crop = crop_person(photo, ellipse_saliency(512, 512, centre=(300, 250), axes=(180, 120)), frame=frame)

    assert crop.box == frame


def test_photo_points_land_where_the_crop_puts_them_in_the_model_frame():
    crop = crop_person(
        data.astronaut(), ellipse_saliency(512, 512, centre=(300, 250), axes=(180, 120)), frame=(100, 60, 340, 380)
    )

    corners = crop.model_points(np.array([[100, 60], [340, 380], [220, 220]]))

    assert np.allclose(corners, [[0, 0], [MODEL_WIDTH, MODEL_HEIGHT], [MODEL_WIDTH / 2, MODEL_HEIGHT / 2]])


def test_a_photo_mask_in_the_model_frame_knows_where_the_frame_leaves_the_photo():
    photo = np.zeros((300, 400, 3), dtype=np.uint8)
    crop = crop_person(photo, ellipse_saliency(300, 400, centre=(150, 200), axes=(100, 60)), frame=(50, -100, 350, 300))
    mask = np.zeros((300, 400), dtype=np.uint8)
    mask[:, 200:] = 255  # the photo's right half

    in_frame, on_photo = crop.model_frame_of(mask)

    assert in_frame.shape == on_photo.shape == (MODEL_HEIGHT, MODEL_WIDTH)
    photo_top = round(100 * MODEL_HEIGHT / 400)  # the frame starts 100 photo pixels above the photo
    assert not on_photo[: photo_top - 1].any() and on_photo[photo_top + 1 :].all()
    assert not in_frame[:, : MODEL_WIDTH // 2 - 1].any()
    assert in_frame[photo_top + 1 :, MODEL_WIDTH // 2 + 1 :].all() and not in_frame[: photo_top - 1].any()
