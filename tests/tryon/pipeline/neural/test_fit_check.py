"""The neural engine's check of PF-AFN's warp before rendering, on synthetic warped masks and flows in
the model's 256×192 frame: a garment on the chest passes; one off the chest, one spilling far outside
the person, and a folded or torn flow are refused with GarmentFitError."""

from __future__ import annotations

import numpy as np
import pytest

from tryon.pipeline.contract import GarmentFitError
from tryon.pipeline.fit_limits import MAX_FAR_OUTSIDE_SHARE, MAX_FOLDED_SHARE, MAX_STRETCHED_SHARE, MIN_CORE_COVERED
from tryon.pipeline.neural.fit_check import measure_warp_fit
from tryon.pipeline.neural.preprocess import MODEL_HEIGHT, MODEL_WIDTH

# A person framed as `preprocess.viton_frame` frames them: shoulders a quarter down, hips low.
SHOULDERS = np.array([[54.0, 66.0], [138.0, 66.0]])
HIPS = np.array([[70.0, 205.0], [122.0, 205.0]])


def identity_flow() -> np.ndarray:
    """The sampling grid that leaves the garment where it is (x then y, align_corners=True)."""
    rows, columns = np.mgrid[0:MODEL_HEIGHT, 0:MODEL_WIDTH].astype(np.float32)
    return np.stack([2 * columns / (MODEL_WIDTH - 1) - 1, 2 * rows / (MODEL_HEIGHT - 1) - 1])


def box(top: int, bottom: int, left: int, right: int) -> np.ndarray:
    mask = np.zeros((MODEL_HEIGHT, MODEL_WIDTH), bool)
    mask[top:bottom, left:right] = True
    return mask


PERSON = box(20, MODEL_HEIGHT, 40, 152)
SHIRT = box(60, 220, 42, 150)  # shoulders to below the hips, side to side of the torso
ON_PHOTO = np.ones((MODEL_HEIGHT, MODEL_WIDTH), bool)


def measure(warped_edge: np.ndarray, *, flow: np.ndarray | None = None, person=PERSON, on_photo=ON_PHOTO):
    return measure_warp_fit(
        warped_edge=warped_edge.astype(np.float32),
        flow=identity_flow() if flow is None else flow,
        person=person,
        on_photo=on_photo,
        shoulders=SHOULDERS,
        hips=HIPS,
    )


def test_a_garment_over_the_torso_passes():
    report = measure(SHIRT)

    assert report.problem() is None
    assert report.core_covered == 1.0 and report.far_outside_share == 0.0
    assert report.folded_share == report.stretched_share == 0.0
    report.require_fit()


def test_a_garment_shifted_off_the_torso_is_refused():
    beside = box(60, 220, 142, MODEL_WIDTH)  # the shirt moved 100 pixels right, cut at the frame's edge

    report = measure(beside)

    assert report.core_covered < MIN_CORE_COVERED
    assert "core" in report.problem()
    with pytest.raises(GarmentFitError, match="could not fit this garment"):
        report.require_fit()


def test_a_garment_below_the_chest_is_refused():
    report = measure(box(170, MODEL_HEIGHT, 42, 150))

    assert report.core_covered == 0.0
    with pytest.raises(GarmentFitError):
        report.require_fit()


def test_a_garment_spilling_far_outside_the_person_is_refused():
    narrow_person = box(20, MODEL_HEIGHT, 70, 122)
    everywhere = np.ones((MODEL_HEIGHT, MODEL_WIDTH), bool)

    report = measure(everywhere, person=narrow_person)

    assert report.core_covered == 1.0
    assert report.far_outside_share > MAX_FAR_OUTSIDE_SHARE
    assert "far outside" in report.problem()
    with pytest.raises(GarmentFitError):
        report.require_fit()


def test_a_little_paint_beside_the_person_is_allowed():
    report = measure(SHIRT | box(100, 130, 0, 20))  # a sleeve end reaching past the arm

    assert 0 < report.far_outside_share <= MAX_FAR_OUTSIDE_SHARE
    assert report.problem() is None


def test_a_folded_flow_is_refused():
    flow = identity_flow()
    band = slice(110, 170)
    flow[1, band] = flow[1, band][::-1]  # these rows sample the garment upside down: the warp folds over itself

    report = measure(SHIRT, flow=flow)

    assert report.folded_share > MAX_FOLDED_SHARE
    assert "folds" in report.problem()
    with pytest.raises(GarmentFitError):
        report.require_fit()


def test_a_flow_that_squeezes_part_of_the_garment_many_times_over_is_refused():
    flow = identity_flow()
    band = slice(100, 180)
    flow[1, band] = flow[1, band].mean() + (flow[1, band] - flow[1, band].mean()) / 20  # 80 rows from 4 rows

    report = measure(SHIRT, flow=flow)

    assert report.folded_share == 0.0
    assert report.stretched_share > MAX_STRETCHED_SHARE
    with pytest.raises(GarmentFitError):
        report.require_fit()


def test_folds_where_the_garment_is_not_do_not_count():
    flow = identity_flow()
    flow[:, 230:] = flow[:, 230:][:, ::-1]  # below the shirt's hem

    assert measure(SHIRT, flow=flow).problem() is None


def test_only_the_part_of_the_frame_on_the_photo_is_judged():
    on_photo = box(0, 110, 0, MODEL_WIDTH)  # a head-and-shoulders portrait: the rest of the frame is padding
    person = PERSON & on_photo
    short_shirt = box(60, 110, 42, 150)

    report = measure(short_shirt | box(110, MODEL_HEIGHT, 0, MODEL_WIDTH), person=person, on_photo=on_photo)

    assert report.core_covered == 1.0  # the chest's middle is off the photo: it cannot be judged
    assert report.far_outside_share == 0.0  # paint on the padding is never shown
    assert report.problem() is None
