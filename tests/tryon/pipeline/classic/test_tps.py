"""Thin-plate splines and the dense maps the classic engine renders the garment through."""

from __future__ import annotations

import numpy as np
import pytest

from tryon.pipeline.classic.tps import dense_map, fit_thin_plate_spline

BODY = np.array([[100, 80], [40, 90], [160, 90], [50, 200], [150, 200], [100, 150], [30, 160], [170, 160]], float)
GARMENT = np.array([[150, 56], [83, 59], [216, 58], [79, 316], [221, 316], [150, 200], [21, 141], [279, 141]], float)


def test_spline_sends_every_control_point_to_its_target():
    spline = fit_thin_plate_spline(BODY, GARMENT)

    assert spline.evaluate(BODY) == pytest.approx(GARMENT, abs=1e-6)


def test_spline_through_an_affine_correspondence_is_that_affine_map_everywhere():
    affine = np.array([[1.5, 0.2], [-0.1, 0.8]])
    shift = np.array([12.0, -7.0])
    spline = fit_thin_plate_spline(BODY, BODY @ affine.T + shift)
    elsewhere = np.array([[0.0, 0.0], [300.0, 20.0], [75.0, 125.0]])

    assert spline.evaluate(elsewhere) == pytest.approx(elsewhere @ affine.T + shift, abs=1e-6)


@pytest.mark.parametrize("scale", [1.0, 0.5])
def test_dense_map_samples_the_spline_at_pixel_centres(scale):
    spline = fit_thin_plate_spline(BODY, GARMENT)
    origin, size = (20, 60), (97, 131)

    # A fine sampling grid, so what is checked is where each pixel samples, not interpolation error.
    map_x, map_y = dense_map(spline, origin=origin, size=size, scale=scale, grid_step=1)

    assert map_x.shape == map_y.shape == (size[1], size[0]) and map_x.dtype == np.float32
    rows, columns = np.array([0, 40, 130]), np.array([0, 50, 96])
    photo_points = np.column_stack([origin[0] + (columns + 0.5) / scale - 0.5, origin[1] + (rows + 0.5) / scale - 0.5])
    expected = spline.evaluate(photo_points)
    assert np.column_stack([map_x[rows, columns], map_y[rows, columns]]) == pytest.approx(expected, abs=0.05)


def test_dense_map_from_the_default_coarse_grid_stays_within_half_a_pixel_of_the_spline():
    spline = fit_thin_plate_spline(BODY, GARMENT)
    origin, size = (30, 80), (141, 121)  # the region the control points span

    map_x, map_y = dense_map(spline, origin=origin, size=size)

    rows, columns = np.mgrid[0 : size[1] : 3, 0 : size[0] : 3]
    expected = spline.evaluate(np.column_stack([origin[0] + columns.ravel(), origin[1] + rows.ravel()]))
    found = np.column_stack([map_x[rows, columns].ravel(), map_y[rows, columns].ravel()])
    assert np.abs(found - expected).max() < 0.5


@pytest.mark.parametrize(
    ("source", "target"),
    [
        pytest.param(BODY[:2], GARMENT[:2], id="too-few-points"),
        pytest.param(BODY, GARMENT[:5], id="mismatched-counts"),
        pytest.param(np.array([[0, 0], [1, 1], [2, 2], [3, 3]], float), GARMENT[:4], id="all-on-one-line"),
    ],
)
def test_spline_refuses_points_it_cannot_fit(source, target):
    with pytest.raises(ValueError):
        fit_thin_plate_spline(source, target)
