"""Stage 3, warping: where the sleeves go on the drawn person's arms."""

from __future__ import annotations

import numpy as np
import pytest

from revetir.testing.drawn_people import full_length_person
from shop.product_art import GarmentDesign, GarmentPattern, GarmentStyle, render_garment
from tryon.pipeline.classic.body_points import ARM_RADII, body_points
from tryon.pipeline.classic.fit import apply_affine, place_sleeves
from tryon.pipeline.classic.garment_mask import prepare_garment


def upper_sleeve_across_the_elbow(upper_piece, arm, outwards: int) -> tuple[float, float]:
    """Where the sleeve's upper-arm piece crosses the line across the upper arm at the elbow: its middle's
    distance from the elbow (positive away from the body) and its width, in photo pixels."""
    along_arm = (arm.joint - arm.root) / np.linalg.norm(arm.joint - arm.root)
    across_arm = np.array([-along_arm[1], along_arm[0]])
    across_arm *= outwards * np.sign(across_arm[0])
    rows, columns = np.nonzero(upper_piece.alpha > 0.5)
    placed = apply_affine(upper_piece.garment_to_photo, np.column_stack([columns, rows]).astype(np.float64))
    relative = placed - arm.joint
    across = relative @ across_arm
    across = across[(np.abs(relative @ along_arm) < 2) & (np.abs(across) < 100)]
    return (across.min() + across.max()) / 2, across.max() - across.min()


@pytest.mark.parametrize("style", [GarmentStyle.LONG_SLEEVE, GarmentStyle.SHIRT])
def test_a_long_sleeve_lies_on_the_arm_at_the_elbow_not_beside_it(style):
    # A garment's shoulder point lies on the top edge of its sleeve: the line from it to the cuff runs
    # along the sleeve's inner side, and laid on the arm's line it put the sleeve beside the arm by half its
    # width (a notch of skin at the elbow, a strip of arm along a hanging sleeve).
    _photo, analysis = full_length_person()
    body = body_points(analysis)
    design = GarmentDesign(style, GarmentPattern.PLAIN, (40, 90, 190), (40, 90, 190))
    _, alpha, garment = prepare_garment(np.asarray(render_garment(design)))

    _, sleeves = place_sleeves(garment, alpha, body)

    arm_radius = ARM_RADII[1] * body.unit
    assert len(sleeves) == 4  # upper arm and forearm, each side
    for arm, outwards, upper_piece in ((body.left_arm, -1, sleeves[0]), (body.right_arm, 1, sleeves[2])):
        middle, width = upper_sleeve_across_the_elbow(upper_piece, arm, outwards)
        assert abs(middle) < arm_radius, f"the sleeve's middle is {middle:.0f} px off the elbow"
        assert width > 2 * arm_radius
