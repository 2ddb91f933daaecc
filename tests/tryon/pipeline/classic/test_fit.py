"""Stage 3, warping: where the sleeves go on the drawn person's arms."""

from __future__ import annotations

import numpy as np
import pytest

from revetir.testing.drawn_people import full_length_person
from shop.product_art import GarmentDesign, GarmentPattern, GarmentStyle, render_garment
from tryon.pipeline.classic.body_points import ARM_RADII, Limb, body_points
from tryon.pipeline.classic.fit import _sleeve_pieces, apply_affine, place_sleeves
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


def test_a_sleeve_ending_just_past_a_sharply_bent_elbow_is_one_piece_on_the_upper_arm():
    # A short sleeve a little longer than a foreshortened upper arm, the forearm folded back up (a hand
    # holding a phone, p25): turned about the elbow, a forearm piece was mostly the upper arm's cloth and
    # hung below the elbow as a block with the sleeve's hem across its top.
    sleeve_alpha = np.zeros((200, 200), np.float32)
    sleeve_alpha[50:90, 50:160] = 1.0  # from the shoulder point (50, 50) to the cuff at column 160
    arm = Limb(root=np.array([300.0, 100.0]), joint=np.array([300.0, 200.0]), end=np.array([300.0, 110.0]))

    pieces = _sleeve_pieces((50.0, 50.0), [(160.0, 50.0), (160.0, 90.0)], sleeve_alpha, (300.0, 100.0), arm, 1.0)

    assert len(pieces) == 1
    rows, columns = np.nonzero(pieces[0].alpha > 0.5)
    placed = apply_affine(pieces[0].garment_to_photo, np.column_stack([columns, rows]).astype(np.float64))
    # Along the upper arm, ending as far past the elbow as the sleeve is longer than the arm.
    assert placed[:, 1].max() < arm.joint[1] + 20
