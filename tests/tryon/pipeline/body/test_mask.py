"""The person mask covers the person and not the background, at the photo's own resolution."""

from __future__ import annotations

import numpy as np

from revetir.testing import body_photos
from tryon.pipeline.body import analyse_body

# (x, y) marked by hand on the 512×512 astronaut.
ASTRONAUT_PERSON = [(222, 128), (215, 60), (200, 300), (120, 380), (260, 420), (300, 300)]
ASTRONAUT_BACKGROUND = [(20, 20), (60, 150), (400, 100), (440, 40), (480, 300)]
# On the 512×600 Grace Hopper: the blue wall on the right and the flag on the left are background.
HOPPER_PERSON = [(256, 240), (256, 100), (150, 480), (380, 500), (256, 560)]
HOPPER_BACKGROUND = [(450, 100), (480, 250), (40, 60), (60, 250)]


def inside(mask: np.ndarray, points) -> list[bool]:
    return [bool(mask[y, x]) for x, y in points]


def test_astronaut_mask_covers_her_and_not_the_flag_or_the_shuttle():
    analysis = analyse_body(body_photos.astronaut())
    mask = analysis.person_mask
    assert mask.dtype == np.uint8 and set(np.unique(mask)) <= {0, 255}
    assert all(inside(mask, ASTRONAUT_PERSON))
    assert not any(inside(mask, ASTRONAUT_BACKGROUND))


def test_grace_hopper_mask_covers_her_and_not_the_wall_or_the_flag():
    mask = analyse_body(body_photos.grace_hopper()).person_mask
    assert all(inside(mask, HOPPER_PERSON))
    assert not any(inside(mask, HOPPER_BACKGROUND))


def test_helmet_held_in_front_of_the_astronaut_is_not_counted_as_her():
    mask = analyse_body(body_photos.astronaut()).person_mask
    helmet = mask[380:500, 340:480]
    assert (helmet > 0).mean() < 0.25


def test_box_encloses_the_mask():
    analysis = analyse_body(body_photos.grace_hopper())
    x0, y0, x1, y1 = analysis.box
    ys, xs = np.nonzero(analysis.person_mask)
    assert (x0, y0) == (xs.min(), ys.min())
    assert x1 >= xs.max() and y1 >= ys.max()
    assert x1 - xs.max() <= 2 and y1 - ys.max() <= 2
