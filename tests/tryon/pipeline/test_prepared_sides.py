"""Each engine split into photo side, garment side and pair: the split run draws the same pictures as
the monolithic one, the sides survive storage byte for byte, and sides from other weights are refused."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from skimage import data

from revetir.testing.person_photos import astronaut
from revetir.testing.product_photos import tshirt_photo
from revetir.testing.stand_in_weights import stand_in_weights_dir
from tryon.pipeline.classic.engine import ClassicTryOnEngine
from tryon.pipeline.contract import GARMENT_SIDE, PHOTO_SIDE, UPPER_BODY, PreparedSide, StalePreparationError
from tryon.pipeline.masks import cloth_mask
from tryon.pipeline.neural.engine import NeuralTryOnEngine, _viton_frame_of
from tryon.pipeline.neural.postprocess import garment_region, paste_back
from tryon.pipeline.neural.preprocess import (
    crop_person,
    garment_to_model_inputs,
    pfafn_output_to_uint8,
)
from tryon.pipeline.person import analyse_person


@pytest.fixture(scope="module")
def neural_engine(reference_dir):
    return NeuralTryOnEngine(stand_in_weights_dir(reference_dir), device="cpu")


def test_neural_split_run_draws_the_monolithic_pipelines_picture(neural_engine):
    photo, garment = data.astronaut(), tshirt_photo()
    saliency = neural_engine._saliency(photo)
    crop = crop_person(photo, saliency, frame=_viton_frame_of(analyse_person(photo, UPPER_BODY)))
    inputs = garment_to_model_inputs(garment, cloth_mask(garment))
    outputs = neural_engine.networks.dress(crop.real_image, inputs.clothes, inputs.edge)
    small = pfafn_output_to_uint8(outputs["p_tryon"])
    monolithic = paste_back(photo, crop, small, garment_region(outputs["m_composite"], outputs["warped_edge"]))

    split = neural_engine.dress(photo, neural_engine.prepare_photo(photo), neural_engine.prepare_garment(garment))

    # the same tensors go through the same operations, only in two calls: the same pixels
    assert np.array_equal(np.asarray(split.image_small), small)
    assert np.array_equal(np.asarray(split.image), monolithic.image)
    assert np.array_equal(split.garment_mask, monolithic.garment_mask)


def test_neural_sides_read_back_from_bytes_give_the_same_picture(neural_engine):
    photo, garment = data.astronaut(), tshirt_photo()
    photo_side, garment_side = neural_engine.prepare_photo(photo), neural_engine.prepare_garment(garment)

    fresh = neural_engine.dress(photo, photo_side, garment_side)
    stored = neural_engine.dress(
        photo, PreparedSide.from_bytes(photo_side.to_bytes()), PreparedSide.from_bytes(garment_side.to_bytes())
    )

    assert np.array_equal(np.asarray(fresh.image), np.asarray(stored.image))
    assert np.array_equal(fresh.person_mask, stored.person_mask)
    assert photo_side.side == PHOTO_SIDE and garment_side.side == GARMENT_SIDE
    assert photo_side.identity == garment_side.identity == neural_engine.identity
    assert photo_side.identity.startswith("neural/u2netp/")


def test_neural_person_pyramid_is_the_warp_modules_cond_half(neural_engine):
    photo_side = neural_engine.prepare_photo(data.astronaut())
    real_image = torch.from_numpy(photo_side.arrays["real_image"])
    with torch.inference_mode():
        expected = neural_engine.networks.warp.cond_FPN(neural_engine.networks.warp.cond_features(real_image))

    assert photo_side.meta["levels"] == len(expected) == 5
    for level, value in enumerate(expected):
        assert np.array_equal(photo_side.arrays[f"person_pyramid_{level}"], value.numpy())


def test_neural_photo_side_keeps_the_photos_half_of_every_flow_refinement(neural_engine):
    photo, garment = data.astronaut(), tshirt_photo()
    photo_side, garment_side = neural_engine.prepare_photo(photo), neural_engine.prepare_garment(garment)
    pyramid = [torch.from_numpy(photo_side.arrays[f"person_pyramid_{level}"]) for level in range(5)]
    with torch.inference_mode():
        expected = neural_engine.networks.warp.person_terms(pyramid)
    for level, value in enumerate(expected):
        assert np.array_equal(photo_side.arrays[f"person_terms_{level}"], value.numpy())

    # a photo side kept before the terms were: the pair computes them, and draws the same picture
    without_terms = {name: value for name, value in photo_side.arrays.items() if not name.startswith("person_terms_")}
    older_side = PreparedSide(PHOTO_SIDE, photo_side.identity, without_terms, photo_side.meta)
    assert np.array_equal(
        np.asarray(neural_engine.dress(photo, older_side, garment_side).image),
        np.asarray(neural_engine.dress(photo, photo_side, garment_side).image),
    )


def test_dressing_reads_the_kept_sides_without_changing_them(neural_engine):
    """One side in a worker's memory serves many jobs: dressing must not write into its arrays."""
    photo, garment = data.astronaut(), tshirt_photo()
    photo_side, garment_side = neural_engine.prepare_photo(photo), neural_engine.prepare_garment(garment)
    before = {name: value.copy() for side in (photo_side, garment_side) for name, value in side.arrays.items()}

    first = neural_engine.dress(photo, photo_side, garment_side)
    second = neural_engine.dress(photo, photo_side, garment_side)

    assert np.array_equal(np.asarray(first.image), np.asarray(second.image))
    for side in (photo_side, garment_side):
        for name, value in side.arrays.items():
            assert np.array_equal(value, before[name]), name


def test_run_reports_every_stage_and_dress_starts_where_the_prepared_sides_left_off(neural_engine):
    photo, garment = data.astronaut(), tshirt_photo()
    reported: list[tuple[str, float]] = []
    neural_engine.dress(
        photo,
        neural_engine.prepare_photo(photo),
        neural_engine.prepare_garment(garment),
        on_stage=lambda stage, done: reported.append((stage, done)),
    )

    assert [stage for stage, _ in reported][:3] == ["warping", "rendering", "compositing"]
    assert reported[0][1] == pytest.approx(0.35) and reported[-1] == ("compositing", 1.0)


def test_a_side_prepared_by_other_weights_is_refused(neural_engine):
    photo, garment = data.astronaut(), tshirt_photo()
    photo_side = neural_engine.prepare_photo(photo)
    stale = PreparedSide(side=PHOTO_SIDE, identity="neural/u2netp/0000", arrays=photo_side.arrays, meta=photo_side.meta)

    with pytest.raises(StalePreparationError):
        neural_engine.dress(photo, stale, neural_engine.prepare_garment(garment))
    with pytest.raises(StalePreparationError):  # a photo side where the garment side belongs
        neural_engine.dress(photo, photo_side, photo_side)


def test_classic_split_run_from_stored_sides_draws_exactly_the_monolithic_picture():
    engine = ClassicTryOnEngine()
    photo, garment = astronaut(), tshirt_photo()

    monolithic = engine.run(photo, garment)
    photo_side = PreparedSide.from_bytes(engine.prepare_photo(photo).to_bytes())
    garment_side = PreparedSide.from_bytes(engine.prepare_garment(garment).to_bytes())
    split = engine.dress(photo, photo_side, garment_side)

    assert np.array_equal(np.asarray(split.image), np.asarray(monolithic.image))
    assert np.array_equal(np.asarray(split.image_small), np.asarray(monolithic.image_small))
    assert np.array_equal(split.garment_mask, monolithic.garment_mask)
    with pytest.raises(StalePreparationError):
        engine.dress(photo, photo_side, PreparedSide(GARMENT_SIDE, "classic/0", garment_side.arrays, garment_side.meta))
